import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { FILE_CONDITIONS, fileExists } from "../src/core/files.js";
import { render, STORE_FILE } from "../src/core/render.js";
import { loadTemplates, outputPath } from "../src/core/templates.js";
import type { Answers } from "../src/core/types.js";
import { validateAnswers } from "../src/core/validate.js";
import { exampleAnswers } from "./support/tools.js";

/** The table of which files exist for which answers (src/core/files.ts) against what render() emits. */
const templates = loadTemplates();
const outputs = [...templates.keys()].map(outputPath);

function valid(raw: Record<string, unknown>): Answers {
  const { answers, errors } = validateAnswers(raw);
  expect(errors).toEqual([]);
  return answers!;
}

const examples = readdirSync("examples").filter((f) => /\.(ya?ml|json)$/.test(f));
const cases: Array<[string, Answers]> = examples.flatMap((f) => {
  const a = exampleAnswers(f);
  return [
    [f, valid(a as unknown as Record<string, unknown>)],
    // Each example with every pool on each scaling policy, which decide the metrics files.
    ...(["jobs", "cpu", "none"] as const)
      .filter((p) => a.pools.some((pool) => pool.scalingPolicy !== p))
      .map((p): [string, Answers] => [
        `${f} with scalingPolicy ${p}`,
        valid({
          ...a,
          pools: a.pools.map((pool) => ({ ...pool, scalingPolicy: p, asgMinSize: Math.max(pool.asgMinSize, 1) })),
        }),
      ]),
  ];
});

describe("which files exist for which answers", () => {
  it("names only files some template emits", () => {
    for (const path of Object.keys(FILE_CONDITIONS)) expect(outputs, path).toContain(path);
  });

  it("is the only condition: no template wraps its whole body in an if", () => {
    for (const [path, text] of templates) {
      const lines = text.trimEnd().split("\n");
      const opens = /^<%[-_]?\s*if\b.*\{\s*[-_]?%>$/.test(lines[0]);
      const closes = /^<%[-_]?\s*\}\s*[-_]?%>$/.test(lines[lines.length - 1]);
      const wrapped = opens && closes && !/^<%[-_]?\s*\}\s*else\b/m.test(text);
      expect(wrapped, `${path}: list its condition in src/core/files.ts instead`).toBe(false);
    }
  });

  for (const [name, answers] of cases) {
    it(`${name}: the rendered files are the templates whose condition holds, and .yo-rc.json`, () => {
      const rendered = render(answers, { templates, generatorVersion: "0.0.0" }).map((f) => f.path);
      const expected = [...outputs.filter((p) => fileExists(p, answers)), STORE_FILE].sort();
      expect(rendered).toEqual(expected);
    });
  }

  it("each condition is both true and false for some case above", () => {
    for (const [path, c] of Object.entries(FILE_CONDITIONS)) {
      expect(
        cases.some(([, a]) => c.when(a)),
        path,
      ).toBe(true);
      expect(
        cases.some(([, a]) => !c.when(a)),
        path,
      ).toBe(true);
    }
  });
});

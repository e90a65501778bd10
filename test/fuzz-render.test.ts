import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { hclString, shellQuote } from "../src/core/escape.js";
import { GENERATOR_NAME, STORE_FILE } from "../src/core/render.js";
import { answersSchema } from "../src/core/schema.js";
import type { Answers, RenderedFile } from "../src/core/types.js";
import { validateAnswers } from "../src/core/validate.js";
import { answersArb, freeTextValues, fuzzParams, fuzzTimeout, type FreeText } from "./support/arbitraries.js";
import { at, bashSyntaxCheck, kindOf, leaves, parseFile, type Tree } from "./support/parsers.js";
import { renderAnswers } from "./support/tools.js";

/**
 * Property tests over the whole answer space: valid answers always render to
 * files that parse, free text lands as inert data, and invalid answers are
 * rejected with messages. npm test runs a bounded number of cases; npm run
 * fuzz runs thousands (NUM_RUNS) and prints the seed to replay (FUZZ_SEED).
 */

const RUNS = 100;

function validated(raw: Record<string, unknown>): Answers {
  const r = validateAnswers(raw);
  if (!r.answers) throw new Error(`the arbitrary made invalid answers: ${JSON.stringify(r.errors)}`);
  return r.answers;
}

async function parseAll(files: RenderedFile[]): Promise<Map<string, Tree>> {
  const trees = new Map<string, Tree>();
  for (const f of files) {
    try {
      trees.set(f.path, await parseFile(f));
    } catch (e) {
      throw new Error(`${f.path} does not parse: ${(e as Error).message}\n--- ${f.path}\n${f.contents}`);
    }
  }
  bashSyntaxCheck(files);
  return trees;
}

describe("fuzz: every valid answers object", () => {
  it(
    "renders, deterministically, to files that each parse with their own parser, and .yo-rc.json holds the answers",
    async () => {
      await fc.assert(
        fc.asyncProperty(answersArb, async (raw) => {
          const answers = validated(raw);
          const files = renderAnswers(answers);
          expect(renderAnswers(structuredClone(answers))).toEqual(files);
          expect(new Set(files.map((f) => f.path)).size).toBe(files.length);
          for (const f of files) {
            expect(f.mode).toBe(f.contents.startsWith("#!") ? 0o755 : 0o644);
            expect(/[\uD800-\uDFFF]/u.test(f.contents), `${f.path}: unpaired surrogate`).toBe(false);
          }
          const trees = await parseAll(files);
          const stored = trees.get(STORE_FILE) as Record<string, { answers: unknown; schemaVersion: number }>;
          expect(stored[GENERATOR_NAME].answers).toEqual(answers);
          expect(stored[GENERATOR_NAME].schemaVersion).toBe(answersSchema["x-schema-version"]);
        }),
        fuzzParams(RUNS),
      );
    },
    fuzzTimeout(40, RUNS),
  );
});

/** A plain stand-in for each free-text answer: where it lands in the output shows where the real value must land. */
function placeholder(i: number): string {
  return `zq${i}xfreeq`;
}

/** A copy of raw with each free-text value (or key) replaced by valueOf(its index). */
function withValues(
  raw: Record<string, unknown>,
  items: FreeText[],
  valueOf: (i: number) => string,
): Record<string, unknown> {
  const copy = structuredClone(raw);
  const renamed = new Map<string, string>();
  const parentOf = (segs: Array<string | number>) => {
    let parent = copy as Record<string, unknown>;
    let prefix = "";
    for (const s of segs.slice(0, -1)) {
      prefix += "\0" + String(s);
      parent = parent[renamed.get(prefix) ?? String(s)] as Record<string, unknown>;
    }
    return parent;
  };
  // Values first, while every key still has its original name; then the keys, keeping their order.
  items.forEach((item, i) => {
    if (!item.isKey) parentOf(item.segs)[String(item.segs[item.segs.length - 1])] = valueOf(i);
  });
  items.forEach((item, i) => {
    if (!item.isKey) return;
    const parent = parentOf(item.segs);
    const old = String(item.segs[item.segs.length - 1]);
    const entries = Object.entries(parent).map(([k, v]) => [k === old ? valueOf(i) : k, v]);
    for (const k of Object.keys(parent)) delete parent[k];
    Object.assign(parent, Object.fromEntries(entries));
  });
  return copy;
}

const pointer = (segs: Array<string | number>) =>
  "/" + segs.map((s) => String(s).replace(/~/g, "~0").replace(/\//g, "~1")).join("/");

/** How a value is written inside a Terraform JSON-syntax string, which is what hcl2json returns for literals. */
const hclTemplateText = (s: string) => s.replace(/\$\{/g, () => "$${").replace(/%\{/g, () => "%%{");

const SCRIPT_KEYS = new Set(["script", "before_script", "after_script"]);

describe("fuzz: free text (hostile strings included)", () => {
  it(
    "reads back from every parsed data file exactly, and lands in shell, HCL, CI scripts and units only escaped by its helper",
    async () => {
      await fc.assert(
        fc.asyncProperty(answersArb, async (raw) => {
          validated(raw);
          const items = freeTextValues(raw).filter((it) => it.value.length > 0);
          const plainRaw = withValues(raw, items, placeholder);
          const plainFiles = renderAnswers(validated(plainRaw));
          const realFiles = renderAnswers(validated(raw));
          expect(realFiles.map((f) => f.path)).toEqual(plainFiles.map((f) => f.path));
          const kinds = new Map(plainFiles.map((f) => [f.path, kindOf(f)]));
          const plainTrees = await parseAll(plainFiles);
          const realTrees = await parseAll(realFiles);
          const real = new Map(realFiles.map((f) => [f.path, f]));

          const MARK = /zq(\d+)xfreeq/g;
          const HAS_MARK = /zq\d+xfreeq/;
          /** Replace every placeholder in s by its answer's real value, passed through enc. */
          const realize = (s: string, enc: (v: string) => string = (v) => v) =>
            s.replace(MARK, (_, n) => enc(items[Number(n)].value));
          const answersIn = (s: string) =>
            [...s.matchAll(MARK)].map((m) => pointer(items[Number(m[1])].segs)).join(", ");

          const landed = new Set<number>();
          for (const [file, tree] of plainTrees) {
            const kind = kinds.get(file)!;
            if (kind !== "json" && kind !== "yaml" && kind !== "hcl") continue;
            for (const l of leaves(tree)) {
              if (!HAS_MARK.test(l.value)) continue;
              if (file !== STORE_FILE) for (const m of l.value.matchAll(MARK)) landed.add(Number(m[1]));
              const path = l.path.map((s) => (typeof s === "string" ? realize(s) : s));
              const where = `${file} at ${JSON.stringify(path)} (answers ${answersIn(l.value)})`;
              const inScript = kind === "yaml" && path.some((s) => typeof s === "string" && SCRIPT_KEYS.has(s));
              const found = at(realTrees.get(file), path);
              if (l.isKey) expect(found.hasKey, `${where}: key missing`).toBe(true);
              else
                expect(found.value, where).toBe(
                  realize(l.value, inScript ? shellQuote : kind === "hcl" ? hclTemplateText : undefined),
                );
            }
          }
          // Every free-text answer reaches the generated repo as data (tfvars, Packer variables), not only .yo-rc.json.
          items.forEach((item, i) =>
            expect(landed.has(i), `answer ${pointer(item.segs)} lands in no data file but ${STORE_FILE}`).toBe(true),
          );
          for (const f of plainFiles) {
            const kind = kinds.get(f.path)!;
            if (!["shell", "systemd", "ini", "text"].includes(kind) || !HAS_MARK.test(f.contents)) continue;
            const plainLines = f.contents.split("\n");
            const realLines = real.get(f.path)!.contents.split("\n");
            expect(realLines.length, f.path).toBe(plainLines.length);
            plainLines.forEach((line, n) => {
              if (!HAS_MARK.test(line)) return;
              const where = `${f.path}:${n + 1} (answers ${answersIn(line)})`;
              if (kind === "shell") {
                for (const part of line
                  .split(MARK)
                  .filter((_, k) => k % 2 === 0)
                  .slice(0, -1)) {
                  expect(part.replace(/\\"/g, "").split('"').length % 2, `${where}: inside double quotes`).toBe(1);
                  expect(part === "" || /[\s=(]$/.test(part), `${where}: not a word of its own`).toBe(true);
                }
                expect(realLines[n], where).toBe(realize(line, shellQuote));
              } else {
                // No escaping helper exists for unit files, .editorconfig or .gitignore: only plain text may land there.
                for (const m of line.matchAll(MARK)) {
                  const v = items[Number(m[1])].value;
                  expect(
                    /^[A-Za-z0-9 ._:/@+=-]*$/.test(v) && v.trim() === v,
                    `${where}: ${JSON.stringify(v)} lands in a ${kind} file`,
                  ).toBe(true);
                }
                expect(realLines[n], where).toBe(realize(line));
              }
            });
          }
          // A value never reaches a code file through a path the placeholder did not take.
          for (const f of realFiles) {
            const kind = kinds.get(f.path);
            if (kind !== "shell" && kind !== "hcl") continue;
            const plain = plainFiles.find((x) => x.path === f.path)!.contents;
            items.forEach((item, i) => {
              // Only values long and code-like enough not to occur in a script by chance.
              if (!plain.includes(placeholder(i)) && /[$`'"\\;|&{%(<>]/.test(item.value) && item.value.length >= 6) {
                const escaped = kind === "shell" ? shellQuote(item.value) : hclString(item.value).slice(1, -1);
                expect(
                  f.contents.split(escaped).join("").includes(item.value),
                  `${f.path} contains ${JSON.stringify(item.value)} (answer ${pointer(item.segs)})`,
                ).toBe(false);
              }
            });
          }
        }),
        fuzzParams(RUNS),
      );
    },
    fuzzTimeout(80, RUNS),
  );
});

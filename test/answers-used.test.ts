/**
 * Every answer reaches the generated repo: for each one, some other valid value
 * (on an example that the answer applies to) changes a file besides .yo-rc.json.
 * An answer marked "x-used-by": "generator" steers validation instead, and must
 * change what the validator accepts.
 */
import { describe, expect, it } from "vitest";
import { STORE_FILE } from "../src/core/render.js";
import { answerKeys, answersSchema, type PropertySchema } from "../src/core/schema.js";
import { validateAnswers } from "../src/core/validate.js";
import type { Answers, RenderedFile } from "../src/core/types.js";
import { exampleAnswers, exampleFiles, renderAnswers } from "./support/tools.js";

type Raw = Record<string, unknown>;
const examples = exampleFiles.map((f) => exampleAnswers(f) as unknown as Raw);

/** s with its last character changed within its class (digit, letter), which most patterns still accept. */
function nudge(s: string): string {
  const c = s.at(-1) ?? "";
  const next = /[0-8a-yA-Y]/.test(c)
    ? String.fromCharCode(c.charCodeAt(0) + 1)
    : /[9zZ]/.test(c)
      ? String.fromCharCode(c.charCodeAt(0) - 1)
      : `${c}x`;
  return s.slice(0, -1) + next;
}

/** The "such as X" of an x-allowed text. */
const suchAs = (s?: PropertySchema) => /such as (\S+?)[,)]?(?: |$)/.exec(s?.["x-allowed"] ?? "")?.[1];

/** Every string the examples give any answer, as a pool of values a pattern may accept. */
const pool = [
  ...new Set(examples.flatMap((a) => Object.values(a).flat()).filter((v): v is string => typeof v === "string")),
];
const fitting = (s?: PropertySchema) => (s?.pattern ? pool.filter((v) => new RegExp(s.pattern!, "u").test(v)) : []);

/**
 * Values to try for answer `key`: the schema's choices, bounds, default and examples, the example
 * values of x-allowed, the examples' values (of any answer, when the pattern fits), and small edits of `current`.
 */
function candidates(s: PropertySchema, key: string, current: unknown): unknown[] {
  const seen = [s.default, ...(s.examples ?? []), ...examples.map((a) => a[key])];
  switch (s.type) {
    case "boolean":
      return [!current];
    case "integer":
      return [s.minimum, s.maximum, ...seen, (current as number) + 1, (current as number) - 1];
    case "string":
      return [...(s.enum ?? []), ...seen, suchAs(s), ...fitting(s), nudge(current as string), ""];
    case "array": {
      const list = (current ?? []) as string[];
      const item = suchAs(s.items);
      const nudged = list.length && [...list.slice(0, -1), nudge(String(list.at(-1)))];
      return [
        ...seen,
        [],
        item && [item],
        ...fitting(s.items).map((v) => [v]),
        list.slice(0, 1),
        list.slice(1),
        nudged,
      ];
    }
    case "object":
      return [...seen, {}, { team: "platform" }];
  }
  return seen;
}

/** The files a render gives, without the stored answers. */
function output(a: Answers): string {
  return JSON.stringify(renderAnswers(a).filter((f: RenderedFile) => f.path !== STORE_FILE));
}

/** A base where `key` applies: an example, with the answers of its x-when set to their first allowed value. */
function bases(key: string): Raw[] {
  const when = Object.entries(answersSchema.properties[key]["x-when"] ?? {}).map(([k, v]) => [
    k,
    Array.isArray(v) ? v[0] : v,
  ]);
  return examples
    .map((e) => validateAnswers({ ...e, ...Object.fromEntries(when) }).answers as unknown as Raw | undefined)
    .filter((a): a is Raw => a !== undefined);
}

const byGenerator = answerKeys.filter((k) => answersSchema.properties[k]["x-used-by"] === "generator");

/** Valid answers with `key` set to value: as they are, or with the answers the errors name taken from an example. */
function withValue(base: Raw, key: string, value: unknown): Answers | undefined {
  const raw = { ...base, [key]: value };
  const r = validateAnswers(raw);
  if (r.answers) return r.answers;
  const partners = new Set(r.errors.map((e) => e.path.split("/")[1]).filter((k) => k && k !== key));
  for (const e of examples) {
    const other = validateAnswers({ ...raw, ...Object.fromEntries([...partners].map((k) => [k, e[k]])) }).answers;
    if (other) return other;
  }
  return undefined;
}

function reachesOutput(key: string): boolean {
  const s = answersSchema.properties[key];
  for (const base of bases(key)) {
    const before = output(base as unknown as Answers);
    for (const value of candidates(s, key, base[key])) {
      if (value === undefined || JSON.stringify(value) === JSON.stringify(base[key])) continue;
      const other = withValue(base, key, value);
      if (other && other[key as keyof Answers] !== base[key] && output(other) !== before) return true;
    }
  }
  return false;
}

describe("every answer is used", () => {
  it("each answer not marked x-used-by generator changes a generated file other than .yo-rc.json", () => {
    expect(answerKeys.filter((k) => !byGenerator.includes(k) && !reachesOutput(k))).toEqual([]);
  });

  it("the check can fail: an answer that reaches no generated file is reported", () => {
    expect(byGenerator).toEqual(["acceptUnlisted"]);
    expect(reachesOutput("acceptUnlisted")).toBe(false);
    expect(reachesOutput("runnerDescription")).toBe(true);
  });

  it.each(byGenerator)("%s (x-used-by generator) changes what the validator accepts", (key) => {
    const s = answersSchema.properties[key];
    const items = (s.examples?.[0] ?? []) as string[];
    expect(items.length, `${key}: give examples in the schema`).toBeGreaterThan(0);
    const [base] = examples;
    let changed = 0;
    for (const item of items) {
      for (const [other, o] of Object.entries(answersSchema.properties)) {
        const single = o.type === "string" && o.pattern && new RegExp(o.pattern, "u").test(item);
        const list = o.type === "array" && o.items?.pattern && new RegExp(o.items.pattern, "u").test(item);
        if (other === key || (!single && !list)) continue;
        const raw = { ...base, [other]: single ? item : [item] };
        const without = validateAnswers({ ...raw, [key]: [] }).errors.length;
        const withIt = validateAnswers({ ...raw, [key]: [item] }).errors.length;
        if (without > 0 && withIt === 0) changed++;
      }
    }
    expect(changed, `${key}: no example value made an invalid answers set valid`).toBeGreaterThan(0);
  });
});

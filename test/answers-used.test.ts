/**
 * Every answer reaches the generated repo: for each one, some other valid value
 * (on an example that the answer applies to) changes a file besides .yo-rc.json.
 * A pool field is tried in the first pool of each example. An answer marked
 * "x-used-by": "generator" steers validation instead, and must change what the
 * validator accepts.
 */
import { describe, expect, it } from "vitest";
import { STORE_FILE } from "../src/core/render.js";
import { answerKeys, answersSchema, poolFieldKeys, poolFieldSchema, type PropertySchema } from "../src/core/schema.js";
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

/** Where an answer lives: a shared one at the top, a pool field in the first pool. */
interface Field {
  key: string;
  schema: PropertySchema;
  get: (a: Raw) => unknown;
  set: (a: Raw, value: unknown) => Raw;
}

const shared = (key: string): Field => ({
  key,
  schema: answersSchema.properties[key],
  get: (a) => a[key],
  set: (a, value) => ({ ...a, [key]: value }),
});

const firstPool = (a: Raw) => (a.pools as Raw[])[0];
const inPool = (key: string): Field => ({
  key,
  schema: poolFieldSchema(key),
  get: (a) => firstPool(a)[key],
  set: (a, value) => ({ ...a, pools: [{ ...firstPool(a), [key]: value }, ...(a.pools as Raw[]).slice(1)] }),
});

/** Every string in v, nested ones too. */
const strings = (v: unknown): string[] =>
  typeof v === "string" ? [v] : v && typeof v === "object" ? Object.values(v).flatMap(strings) : [];

/** Every string the examples give any answer, as a pool of values a pattern may accept. */
const pool = [...new Set(examples.flatMap(strings))];
const fitting = (s?: PropertySchema) => (s?.pattern ? pool.filter((v) => new RegExp(s.pattern!, "u").test(v)) : []);

/**
 * Values to try for answer `key`: the schema's choices, bounds, default and examples, the example
 * values of x-allowed, the examples' values (of any answer, when the pattern fits), and small edits of `current`.
 */
function candidates(f: Field, current: unknown): unknown[] {
  const s = f.schema;
  const seen = [s.default, ...(s.examples ?? []), ...examples.map(f.get)];
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

/** A base where the answer applies: an example, with the answers of its x-when (a pool field's: in its pool) set to their first allowed value. */
function bases(f: Field): Raw[] {
  const when = Object.entries(f.schema["x-when"] ?? {});
  const at = (k: string) => (answerKeys.includes(k) ? shared(k) : inPool(k));
  return examples
    .map((e) => when.reduce((a, [k, v]) => at(k).set(a, Array.isArray(v) ? v[0] : v), e))
    .map((e) => validateAnswers(e).answers as unknown as Raw | undefined)
    .filter((a): a is Raw => a !== undefined);
}

const byGenerator = answerKeys.filter((k) => answersSchema.properties[k]["x-used-by"] === "generator");

/** The answer (or pool field) an error path names: `/concurrent` or, in the first pool, `/pools/0/concurrent`. */
function named(path: string): Field | undefined {
  const [, key, i, field] = path.split("/");
  if (key === "pools") return i === "0" && field ? inPool(field) : undefined;
  return key ? shared(key) : undefined;
}

/** Valid answers with the field set to value: as they are, or with the answers the errors name taken from an example. */
function withValue(base: Raw, f: Field, value: unknown): Answers | undefined {
  const raw = f.set(base, value);
  const r = validateAnswers(raw);
  if (r.answers) return r.answers;
  const partners = r.errors.map((e) => named(e.path)).filter((p): p is Field => p !== undefined && p.key !== f.key);
  for (const e of examples) {
    const other = validateAnswers(partners.reduce((a, p) => p.set(a, p.get(e)), raw)).answers;
    if (other) return other;
  }
  return undefined;
}

function reachesOutput(f: Field): boolean {
  for (const base of bases(f)) {
    const before = output(base as unknown as Answers);
    for (const value of candidates(f, f.get(base))) {
      if (value === undefined || JSON.stringify(value) === JSON.stringify(f.get(base))) continue;
      const other = withValue(base, f, value) as unknown as Raw | undefined;
      if (other && f.get(other) !== f.get(base) && output(other as unknown as Answers) !== before) return true;
    }
  }
  return false;
}

describe("every answer is used", () => {
  it("each answer not marked x-used-by generator changes a generated file other than .yo-rc.json", () => {
    const unused = answerKeys.filter((k) => k !== "pools" && !byGenerator.includes(k) && !reachesOutput(shared(k)));
    expect(unused).toEqual([]);
  });

  it("each field of a pool changes a generated file other than .yo-rc.json", () => {
    expect(poolFieldKeys.filter((k) => !reachesOutput(inPool(k)))).toEqual([]);
  });

  it("the check can fail: an answer that reaches no generated file is reported", () => {
    expect(byGenerator).toEqual(["acceptUnlisted"]);
    expect(reachesOutput(shared("acceptUnlisted"))).toBe(false);
    expect(reachesOutput(inPool("runnerDescription"))).toBe(true);
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

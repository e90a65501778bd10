import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  poolAttributes,
  re2Problem,
  tfVariable,
  tfVariables,
  type TfVariable,
} from "../src/core/context/tf-variables.js";
import { poolViews } from "../src/core/pools.js";
import { hclString } from "../src/core/escape.js";
import { answersSchema, poolFieldSchema, type PropertySchema } from "../src/core/schema.js";
import { loadTemplates } from "../src/core/templates.js";
import { answersAjv } from "../src/core/validate.js";
import { exampleAnswers, exampleFiles, renderAnswers } from "./support/tools.js";
import { terraformBinary } from "./support/terraform-plan.js";

/** Evaluates HCL expressions with the real Terraform (no configuration, no provider). */
function evaluate(expressions: string[]): unknown[] {
  const r = spawnSync(terraformBinary(), ["console"], {
    cwd: mkdtempSync(join(tmpdir(), "glra-console-")),
    input: `jsonencode([${expressions.join(", ")}])\n`,
    encoding: "utf8",
    env: { ...process.env, TF_IN_AUTOMATION: "1", CHECKPOINT_DISABLE: "1" },
  });
  if (r.status !== 0) throw new Error(`terraform console failed:\n${r.stderr}`);
  return JSON.parse(JSON.parse(r.stdout.trim()) as string) as unknown[];
}

function hclLiteral(v: unknown): string {
  if (typeof v === "string") return hclString(v);
  if (Array.isArray(v)) return `[${v.map(hclLiteral).join(", ")}]`;
  return JSON.stringify(v);
}

const examples = exampleFiles.map((f) => exampleAnswers(f) as unknown as Record<string, unknown>);
/** Every pool of every example, each a flat record of its answers. */
const examplePools = exampleFiles.flatMap((f) => poolViews(exampleAnswers(f)) as unknown as Record<string, unknown>[]);

/** The schema of an answer: a shared one, or a pool field. */
const schemaOf = (v: TfVariable): PropertySchema =>
  poolAttributes().includes(v) ? poolFieldSchema(v.answer) : answersSchema.properties[v.answer];

/** Values on both sides of each constraint of answer `key` (and the ones the examples use). */
function samples(key: string, s: PropertySchema, pool: boolean): unknown[] {
  const seen = [s.default, ...(pool ? examplePools : examples).map((a) => a[key])].filter(
    (v) => v !== undefined && v !== "",
  );
  if (s.enum) return [...s.enum, ...(s.type === "integer" ? [0, 2, 4000] : ["other", ""])];
  if (s.type === "integer") {
    const fractional = typeof s["x-tfvar"] === "object" && s["x-tfvar"].unchecked?.type ? [] : [s.minimum! + 0.5];
    return [...seen, s.minimum! - 1, s.minimum, s.maximum, s.maximum! + 1, ...fractional];
  }
  if (s.type === "string")
    return [
      ...seen,
      ...seen.map((v) => `${v as string}!`),
      ...seen.map((v) => ` ${v as string}`),
      "",
      "x".repeat(1100),
    ];
  if (s.type === "array") {
    const items = seen.flat() as string[];
    return [...seen, [], items.slice(0, 1).map((v) => `${v}!`), items.slice(0, 1).map((v) => v.toUpperCase())];
  }
  return seen;
}

/** The variables and pool attributes whose first validation is derived from the schema alone. */
const checked = [...tfVariables().filter((v) => v.name !== "pools"), ...poolAttributes()].filter((v) => {
  const decl = schemaOf(v)["x-tfvar"];
  return v.validations.length > 0 && !(typeof decl === "object" && (decl.hcl || decl.validation));
});

describe("variables.tf from the schema", () => {
  it("every shared x-tfvar answer is a variable, every pool field with x-tfvar an attribute of var.pools, each with a value in terraform.tfvars.json", () => {
    const shared = tfVariables().filter((v) => v.name !== "pools");
    for (const v of shared) expect(answersSchema.properties[v.answer]["x-tfvar"], v.answer).toBeDefined();
    for (const v of poolAttributes()) expect(poolFieldSchema(v.answer)["x-tfvar"], v.answer).toBeDefined();
    expect(tfVariables().filter((v) => v.name === "pools")).toHaveLength(1);
    expect(new Set(tfVariables().map((v) => v.name)).size).toBe(tfVariables().length);
    expect(new Set(poolAttributes().map((v) => v.name)).size).toBe(poolAttributes().length);
    for (const f of exampleFiles) {
      const a = exampleAnswers(f);
      const vars = JSON.parse(renderAnswers(a).find((x) => x.path === "terraform/terraform.tfvars.json")!.contents);
      expect(Object.keys(vars).sort()).toEqual(
        tfVariables()
          .map((v) => v.name)
          .sort(),
      );
      expect(Object.keys(vars.pools)).toEqual(poolViews(a).map((p) => p.name));
      for (const pool of Object.values(vars.pools) as object[])
        expect(Object.keys(pool).sort()).toEqual(
          poolAttributes()
            .map((v) => v.name)
            .sort(),
        );
    }
  });

  it("every variable and pool attribute is read by some Terraform template (else its answer would reach only terraform.tfvars.json)", () => {
    const tf = [...loadTemplates()]
      .filter(([p]) => p.startsWith("terraform/") && !p.endsWith("/variables.tf.ejs"))
      .map(([, text]) => text);
    const read = (ref: string) => tf.some((text) => new RegExp(`\\b${ref.replaceAll(".", "\\.")}\\b`).test(text));
    expect(
      tfVariables()
        .filter((v) => !read(`var.${v.name}`))
        .map((v) => v.name),
    ).toEqual([]);
    expect(
      poolAttributes()
        .filter((v) => !read(`var.pool.${v.name}`) && !read(`each.value.${v.name}`) && !read(`pool.${v.name}`))
        .map((v) => v.name),
    ).toEqual([]);
  });

  it("var.pools checks every pool with each attribute's checks, and each pool's name", () => {
    const pools = tfVariables().find((v) => v.name === "pools")!;
    const conditions = pools.validations.map((c) => c.condition);
    for (const v of poolAttributes())
      for (const c of v.validations)
        expect(conditions, v.name).toContain(`alltrue([for pool, p in var.pools : ${c.condition}])`);
    expect(
      evaluate(
        ["valid-pool", "Bad", "x".repeat(21), "default"].map(
          (n) => `try(${conditions[0].replaceAll("var.pools", `{ ${hclString(n)} = {} }`)}, "error")`,
        ),
      ),
    ).toEqual([true, false, false, true]);
  });

  it("each derived validation judges values as the schema does (evaluated by Terraform)", () => {
    const ajv = answersAjv();
    const cases = checked.flatMap((v) => {
      const s = schemaOf(v);
      const valid = ajv.compile(s);
      return samples(v.answer, s, poolAttributes().includes(v)).map((value) => ({ v, value, schema: valid(value) }));
    });
    expect(cases.length).toBeGreaterThan(150);
    const terraform = evaluate(
      cases.map(
        (c) =>
          `try(${c.v.validations[0].condition.replaceAll(poolAttributes().includes(c.v) ? `p.${c.v.name}` : `var.${c.v.name}`, hclLiteral(c.value))}, "error")`,
      ),
    );
    const disagree = cases
      .map((c, i) => ({ ...c, terraform: terraform[i] }))
      .filter((c) => c.terraform !== c.schema)
      .map((c) => `${c.v.name} = ${JSON.stringify(c.value)}: schema ${c.schema}, terraform ${c.terraform}`);
    expect(disagree).toEqual([]);
  });

  it("every schema pattern Terraform gets compiles in RE2 and matches the examples' values as JavaScript does", () => {
    const pairs = [...tfVariables().filter((v) => v.name !== "pools"), ...poolAttributes()].flatMap((v) =>
      v.regexes.flatMap((p) => {
        const from = poolAttributes().includes(v) ? examplePools : examples;
        const values = [...new Set(from.flatMap((a) => a[v.answer] as string | string[]))];
        return values.map((value) => ({ p, value, js: new RegExp(p, "u").test(value) }));
      }),
    );
    const re2 = evaluate(pairs.map(({ p, value }) => `length(regexall(${hclString(p)}, ${hclString(value)})) > 0`));
    expect(pairs.map((x) => x.js)).toEqual(re2);
    expect(pairs.every((x) => x.js)).toBe(true);
  });

  it("refuses a pattern RE2 cannot read, and a constraint with no Terraform form, instead of emitting a wrong check", () => {
    const x = (extra: PropertySchema) => () =>
      tfVariable("x", { type: "string", "x-allowed": "x", "x-tfvar": "x", ...extra });
    expect(x({ pattern: "^(?!aws:).*$" })).toThrow(/lookaround.*RE2/);
    expect(x({ pattern: "^(a)\\1$" })).toThrow(/backreference.*RE2/);
    expect(x({ format: "uri" } as PropertySchema)).toThrow(/no Terraform check for "format"/);
    const { hcl: _, ...bare } = poolFieldSchema("runnerDescription")["x-tfvar"] as object as Record<string, unknown>;
    expect(() => tfVariable("runnerDescription", { ...poolFieldSchema("runnerDescription"), "x-tfvar": bare })).toThrow(
      /\\u escape/,
    );
    expect(re2Problem("^[\\p{L}_.:/=+@-]{1,128}$")).toBeUndefined();
    expect(re2Problem("^a\\.b(c|d)?$")).toBeUndefined();
  });
});

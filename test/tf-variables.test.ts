import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { re2Problem, tfVariable, tfVariables } from "../src/core/context/tf-variables.js";
import { hclString } from "../src/core/escape.js";
import { poolViews } from "../src/core/pools.js";
import { answersSchema, fieldSchema, poolSchema, type PropertySchema } from "../src/core/schema.js";
import { loadTemplates } from "../src/core/templates.js";
import { answersAjv } from "../src/core/validate.js";
import { exampleAnswers, exampleFiles } from "./support/tools.js";
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

const examples = exampleFiles.flatMap((f) => poolViews(exampleAnswers(f)) as unknown as Array<Record<string, unknown>>);

/** Values on both sides of each constraint of answer `key` (and the ones the examples use). */
function samples(key: string, s: PropertySchema): unknown[] {
  const seen = [s.default, ...examples.map((a) => a[key])].filter((v) => v !== undefined && v !== "");
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

const checked = tfVariables().filter((v) => {
  const decl = fieldSchema(v.answer)!["x-tfvar"];
  return v.validations.length > 0 && !(typeof decl === "object" && (decl.hcl || decl.validation));
});

describe("variables.tf from the schema", () => {
  it("every x-tfvar answer is a variable with a value in terraform.tfvars.json", () => {
    const declared = Object.keys({ ...answersSchema.properties, ...poolSchema.properties }).filter(
      (k) => fieldSchema(k)!["x-tfvar"] !== undefined,
    );
    expect(
      tfVariables()
        .map((v) => v.answer)
        .sort(),
    ).toEqual(declared.sort());
    expect(new Set(tfVariables().map((v) => v.name)).size).toBe(declared.length);
  });

  it("every variable is read by some Terraform template (else its answer would reach only terraform.tfvars.json)", () => {
    const tf = [...loadTemplates()]
      .filter(([p]) => p.startsWith("terraform/") && p !== "terraform/variables.tf.ejs")
      .map(([, text]) => text);
    expect(
      tfVariables()
        .filter((v) => !tf.some((text) => new RegExp(`\\bvar\\.${v.name}\\b`).test(text)))
        .map((v) => v.name),
    ).toEqual([]);
  });

  it("each derived validation judges values as the schema does (evaluated by Terraform)", () => {
    const ajv = answersAjv();
    const cases = checked.flatMap((v) => {
      const s = fieldSchema(v.answer)!;
      const valid = ajv.compile(s);
      return samples(v.answer, s).map((value) => ({ v, value, schema: valid(value) }));
    });
    expect(cases.length).toBeGreaterThan(150);
    const terraform = evaluate(
      cases.map(
        (c) => `try(${c.v.validations[0].condition.replaceAll(`var.${c.v.name}`, hclLiteral(c.value))}, "error")`,
      ),
    );
    const disagree = cases
      .map((c, i) => ({ ...c, terraform: terraform[i] }))
      .filter((c) => c.terraform !== c.schema)
      .map((c) => `${c.v.name} = ${JSON.stringify(c.value)}: schema ${c.schema}, terraform ${c.terraform}`);
    expect(disagree).toEqual([]);
  });

  it("every schema pattern Terraform gets compiles in RE2 and matches the examples' values as JavaScript does", () => {
    const pairs = tfVariables().flatMap((v) =>
      v.regexes.flatMap((p) => {
        const values = [...new Set(examples.flatMap((a) => a[v.answer] as string | string[]))];
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
    const { hcl: _, ...bare } = poolSchema.properties!.runnerDescription["x-tfvar"] as object as Record<
      string,
      unknown
    >;
    expect(() =>
      tfVariable("runnerDescription", { ...poolSchema.properties!.runnerDescription, "x-tfvar": bare }),
    ).toThrow(/\\u escape/);
    expect(re2Problem("^[\\p{L}_.:/=+@-]{1,128}$")).toBeUndefined();
    expect(re2Problem("^a\\.b(c|d)?$")).toBeUndefined();
  });
});

/**
 * Every example, and variations that reach the other branches, planned by the
 * real Terraform against the provider double (test/support/terraform-plan.ts),
 * with the properties of test/support/plan-properties.ts asserted on the
 * evaluated plan: the values AWS would be asked to create.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { NEWER_THAN_TERRAFORM, tagTextProblem } from "../src/core/validate.js";
import { planProperties } from "./support/plan-properties.js";
import { planAnswers, terraformBinary, type TerraformResult } from "./support/terraform-plan.js";
import { terraformScenarios } from "./support/scenarios.js";
import { exampleAnswers, renderAnswers } from "./support/tools.js";

const base = exampleAnswers("answers.yaml");

describe.each(terraformScenarios)("terraform plan of %s", (_name, a) => {
  let result: TerraformResult;
  beforeAll(async () => {
    result = await planAnswers(a);
  });
  it.each(planProperties)("%s", (_property, check) => check(a, result.plan, result));
});

describe("the tags rule agrees with Terraform's", () => {
  it("refuses exactly the letters the tags variable's validation would refuse: each end of every range, none of the samples", async () => {
    const variables = renderAnswers(base).find((f) => f.path === "terraform/variables.tf")!.contents;
    const pattern = /can\(regex\("(\^\[\\\\p\{L\}[^"]*)", v\)\)/.exec(variables)?.[1];
    expect(pattern, "the tags value regex in variables.tf").toBeDefined();
    const refused = [...NEWER_THAN_TERRAFORM.source.matchAll(/\\u\{?([0-9a-f]+)\}?/g)].map((m) =>
      String.fromCodePoint(parseInt(m[1], 16)),
    );
    const accepted = ["é", "日", "Ω", "ß", "Ж", "ש", "한", "\u{20000}", "٣"];
    for (const c of refused) expect(tagTextProblem(c), `U+${c.codePointAt(0)!.toString(16)}`).toBeDefined();
    for (const c of accepted) expect(tagTextProblem(c)).toBeUndefined();
    const dir = mkdtempSync(join(tmpdir(), "glra-tags-"));
    writeFileSync(join(dir, "chars.json"), JSON.stringify([...refused, ...accepted]));
    writeFileSync(
      join(dir, "main.tf"),
      `output "ok" {\n  value = [for c in jsondecode(file("chars.json")) : can(regex("${pattern}", c))]\n}\n`,
    );
    const r = spawnSync(terraformBinary(), ["apply", "-auto-approve", "-input=false", "-no-color"], {
      cwd: dir,
      encoding: "utf8",
      env: { ...process.env, TF_IN_AUTOMATION: "1" },
    });
    expect(r.status, r.stderr).toBe(0);
    const out = spawnSync(terraformBinary(), ["output", "-json", "ok"], { cwd: dir, encoding: "utf8" });
    expect(JSON.parse(out.stdout)).toEqual([...refused.map(() => false), ...accepted.map(() => true)]);
  });
});

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
import YAML from "yaml";
import { poolViews } from "../src/core/pools.js";
import { ofType, planAnswers, terraformBinary, type Plan, type TerraformResult } from "./support/terraform-plan.js";
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

describe("terraform plan of the three pools of examples/three-pools.yaml", () => {
  const a = exampleAnswers("three-pools.yaml");
  const pools = poolViews(a);
  let plan: Plan;
  beforeAll(async () => {
    ({ plan } = await planAnswers(a));
  });
  const inPool = (name: string, type: string) =>
    ofType(plan, type).filter((r) => r.address.startsWith(`module.pool["${name}"].`));
  const one = (name: string, type: string) => {
    const [r, ...more] = inPool(name, type);
    expect(more, `${type} in ${name}`).toEqual([]);
    return r.values;
  };

  it("plans one module instance per pool, named project-pool, and no moved.tf (no pool is named default)", () => {
    expect(pools.map((p) => p.name)).toEqual(["docker-small", "arm64-large", "shell-deploy"]);
    expect(renderAnswers(a).map((f) => f.path)).not.toContain("terraform/moved.tf");
    for (const p of pools) {
      const name = `${a.projectName}-${p.name}`;
      expect(one(p.name, "aws_autoscaling_group")).toMatchObject({
        name,
        min_size: p.asgMinSize,
        max_size: p.asgMaxSize,
        desired_capacity: p.asgDesiredCapacity,
      });
      expect(one(p.name, "aws_launch_template")).toMatchObject({ name, instance_type: p.instanceTypes[0] });
      expect(one(p.name, "aws_iam_role").name_prefix).toBe(`${name}-`);
      expect(
        inPool(p.name, "aws_cloudwatch_metric_alarm").every((r) => r.values.alarm_name.startsWith(`${name}-`)),
      ).toBe(true);
    }
    // One group, launch template and role per pool; the network, cache and logs once.
    for (const type of ["aws_autoscaling_group", "aws_launch_template", "aws_iam_role", "aws_iam_instance_profile"])
      expect(ofType(plan, type)).toHaveLength(3);
    for (const type of ["aws_security_group", "aws_s3_bucket", "aws_cloudwatch_log_group"])
      expect(ofType(plan, type).map((r) => r.address)).toEqual([expect.not.stringMatching(/^module\./)]);
  });

  it("buys Spot only in the Spot pool", () => {
    const spot = Object.fromEntries(
      pools.map((p) => {
        const asg = one(p.name, "aws_autoscaling_group");
        const [mixed] = asg.mixed_instances_policy ?? [];
        return [
          p.name,
          [asg.capacity_rebalance, mixed?.instances_distribution[0].on_demand_percentage_above_base_capacity ?? 100],
        ];
      }),
    );
    expect(spot).toEqual({ "docker-small": [false, 100], "arm64-large": [true, 0], "shell-deploy": [false, 100] });
  });

  it("schedules the scheduled pools only; the always-on pool keeps its sizes under Terraform", () => {
    const schedules = Object.fromEntries(
      pools.map((p) => [
        p.name,
        inPool(p.name, "aws_autoscaling_schedule")
          .map((r) => r.values.scheduled_action_name)
          .sort(),
      ]),
    );
    expect(schedules).toEqual({
      "docker-small": ["scale-down-evening", "scale-up-morning"],
      "arm64-large": ["scale-down-evening", "scale-up-morning"],
      "shell-deploy": [],
    });
    // The always-on pool's group is the declaration without schedules (its sizes are not ignored).
    expect(inPool("shell-deploy", "aws_autoscaling_group")[0].address).toBe(
      'module.pool["shell-deploy"].aws_autoscaling_group.unscheduled[0]',
    );
    expect(inPool("docker-small", "aws_autoscaling_group")[0].address).toBe(
      'module.pool["docker-small"].aws_autoscaling_group.runner[0]',
    );
    expect(one("shell-deploy", "aws_autoscaling_group")).toMatchObject({ min_size: 1, desired_capacity: 1 });
  });

  it("lets each pool's role read its own token parameter only, and launches each pool from its architecture's image", () => {
    const tokenReads = Object.fromEntries(
      pools.map((p) => {
        const boot = inPool(p.name, "aws_iam_role_policy").find((r) => r.name === "runner_boot")!;
        const read = JSON.parse(boot.values.policy).Statement.filter((s: { Action: string | string[] }) =>
          [s.Action].flat().includes("ssm:GetParameter"),
        );
        return [p.name, read.flatMap((s: { Resource: string | string[] }) => [s.Resource].flat())];
      }),
    );
    expect(tokenReads).toEqual(
      Object.fromEntries(
        pools.map((p) => [p.name, [`arn:aws:ssm:${a.awsRegion}:123456789012:parameter${p.tokenSsmParameter}`]]),
      ),
    );
    // One image lookup per architecture, each finding an image of that architecture (read at plan).
    const read = (plan as unknown as { prior_state: { values: { root_module: { resources: any[] } } } }).prior_state
      .values.root_module.resources;
    const images = Object.fromEntries(
      read.filter((r) => r.type === "aws_ami").map((r) => [r.address, r.values.architecture]),
    );
    expect(images).toEqual({ 'data.aws_ami.runner["arm64"]': "arm64", 'data.aws_ami.runner["x86_64"]': "x86_64" });
    // ... and each pool's module instance takes its own architecture's.
    const call = plan.configuration.root_module.module_calls.pool;
    expect(call.expressions.image.references).toEqual(
      expect.arrayContaining(["data.aws_ami.runner", "each.value.architecture"]),
    );
    for (const p of pools) {
      const config = runtimeConfigOfPool(plan, p.name);
      expect(config).toMatchObject({
        asg_name: `${a.projectName}-${p.name}`,
        token_ssm_parameter: p.tokenSsmParameter,
        executor: p.executor,
      });
    }
  });
});

/** The runtime config one pool's launch template writes. */
function runtimeConfigOfPool(plan: Plan, pool: string): Record<string, unknown> {
  const lt = ofType(plan, "aws_launch_template").find((r) => r.address.startsWith(`module.pool["${pool}"].`))!;
  const userData = Buffer.from(lt.values.user_data, "base64").toString("utf8");
  return JSON.parse(YAML.parse(userData).write_files[0].content);
}

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

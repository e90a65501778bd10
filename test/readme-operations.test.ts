/**
 * The generated README's day-2 instructions, read as an operator would run
 * them: the commands and JSON documents are parsed out of the rendered
 * README and compared with the answers and with what Terraform creates.
 */
import { describe, expect, it } from "vitest";
import { partitionOf } from "../src/core/context/ci-permissions.js";
import { poolNames } from "../src/core/context/names.js";
import { scheduleSizes } from "../src/core/context/terraform.js";
import { poolViews } from "../src/core/pools.js";
import type { Answers } from "../src/core/types.js";
import { ofType, planAnswers } from "./support/terraform-plan.js";
import { exampleAnswers, exampleFiles, fileOf, renderAnswers, validAnswers } from "./support/tools.js";

const readmeOf = (a: Answers) => fileOf(renderAnswers(a), "README.md").contents;

/** The text of a Markdown section (from its heading to the next heading of the same or a higher level). */
function section(text: string, heading: string): string {
  const lines = text.split("\n");
  const start = lines.findIndex((l) => l === heading);
  if (start < 0) return "";
  const level = heading.indexOf(" ");
  // A "#" line inside a code block (a shell comment) is no heading.
  let fenced = false;
  const end = lines.findIndex((l, i) => {
    if (/^ *```/.test(l)) fenced = !fenced;
    return i > start && !fenced && /^#+ /.test(l) && l.indexOf(" ") <= level;
  });
  return lines.slice(start, end < 0 ? undefined : end).join("\n");
}

/** The fenced code blocks of a text, with their info string. */
const fences = (text: string) =>
  [...text.matchAll(/^( *)```(\w*)\n([\s\S]*?)^\1```$/gm)].map((m) => ({
    lang: m[2],
    body: m[3].replace(new RegExp(`^${m[1]}`, "gm"), ""),
  }));

/** A shell command's words after joining continuation lines (single quotes only, as the README writes them). */
function commands(sh: string): string[][] {
  return sh
    .replace(/\\\n\s*/g, "")
    .split("\n")
    .filter((l) => l.trim() && !l.trim().startsWith("#"))
    .map((l) => [...l.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]));
}
const flag = (cmd: string[], name: string) => cmd[cmd.indexOf(name) + 1];

describe.each(exampleFiles)("README.md of examples/%s, day 2", (example) => {
  const a = exampleAnswers(example);
  const text = readmeOf(a);
  const pools = poolViews(a);
  const several = pools.length > 1;
  /** The group the runbook's generic commands act on: the pool's own, or the ASG_NAME the runbook sets first. */
  const runbookGroup = several ? '"$ASG_NAME"' : poolNames(pools[0]).asgName;

  it("with several pools, has the runbook set ASG_NAME to one pool's group first", () => {
    const runbook = section(text, "## Runbook");
    const set = /^ASG_NAME=(\S+)/m.exec(runbook);
    if (!several) return expect(set).toBeNull();
    expect(pools.map((p) => poolNames(p).asgName)).toContain(set![1]);
    for (const p of pools) expect(runbook).toContain("`" + poolNames(p).asgName + "` for `" + p.name + "`");
  });

  it("rotates the token launch-before-terminate: a refresh at 100-200 % that also replaces protected hosts and skips nothing", () => {
    const rotate = section(text, "### Rotate the runner token");
    const refresh = fences(rotate)
      .flatMap((f) => commands(f.body))
      .filter((c) => c.slice(0, 3).join(" ") === "aws autoscaling start-instance-refresh");
    expect(refresh).toHaveLength(1);
    expect(flag(refresh[0], "--auto-scaling-group-name")).toBe(runbookGroup);
    expect(flag(refresh[0], "--region")).toBe(a.awsRegion);
    expect(JSON.parse(flag(refresh[0], "--preferences"))).toMatchObject({
      MinHealthyPercentage: 100,
      MaxHealthyPercentage: 200,
      SkipMatching: false,
      ScaleInProtectedInstances: "Refresh",
    });
    if (a.registrationMode === "authentication-token") {
      // A second runner's token first, the old runner deleted last: no host ever holds an invalid token.
      const order = [
        "Create a second runner",
        "Store the new token with step 2",
        "start-instance-refresh",
        "delete the old runner",
      ].map((s) => rotate.indexOf(s));
      expect(order.every((i) => i >= 0)).toBe(true);
      expect([...order].sort((x, y) => x - y)).toEqual(order);
      expect(rotate).not.toMatch(/reset_authentication_token/);
    }
  });

  it("says how to reach the schedule's size after a first apply outside working hours: one command per action, with its sizes", () => {
    const after = section(text, "### After the first apply");
    const scheduled = pools.filter((p) => p.schedules.length);
    if (!scheduled.length) return expect(after).toBe("");
    const cmds = fences(after).flatMap((f) => commands(f.body));
    const expected = scheduled.flatMap((p) => p.schedules.map((s) => ({ p, s })));
    expect(cmds).toHaveLength(expected.length);
    expected.forEach(({ p, s }, i) => {
      const z = scheduleSizes(p, s);
      const c = cmds[i];
      expect(c.slice(0, 3)).toEqual(["aws", "autoscaling", "update-auto-scaling-group"]);
      expect([flag(c, "--auto-scaling-group-name"), flag(c, "--region")]).toEqual([poolNames(p).asgName, a.awsRegion]);
      expect([flag(c, "--min-size"), flag(c, "--max-size"), flag(c, "--desired-capacity")].map(Number)).toEqual([
        z.min_size,
        z.max_size,
        z.desired_capacity,
      ]);
    });
  });

  it("says where the runners may connect to, and that 0.0.0.0/0 includes internal addresses", () => {
    const security = section(text, "## Security");
    if (a.egressCidrs.includes("0.0.0.0/0"))
      expect(security).toMatch(/`0\.0\.0\.0\/0`\), and that includes internal addresses/);
    else for (const c of a.egressCidrs) expect(security).toContain("`" + c + "`");
  });

  it("gives a customer managed token key the key policy statement the instance role needs, and an AWS managed one none", () => {
    const kms = section(text, "### The token's KMS key");
    const managed = /(^|:)alias\/aws\/ssm$/.test(a.tokenKmsKeyId);
    if (managed) return expect(kms).toBe("");
    const [json, ...more] = fences(kms).filter((f) => f.lang === "json");
    expect(more).toEqual([]);
    const statement = JSON.parse(json.body);
    const p = partitionOf(a.awsRegion)!;
    const account = a.ciRoleArn.split(":")[4];
    expect(statement).toMatchObject({
      Effect: "Allow",
      Action: "kms:Decrypt",
      Principal: { AWS: `arn:${p.partition}:iam::${account}:root` },
    });
    expect(statement.Sid).toMatch(/^[A-Za-z0-9]+$/);
    expect(statement.Condition.StringEquals).toEqual({
      "kms:ViaService": `ssm.${a.awsRegion}.${p.dnsSuffix}`,
      "kms:CallerAccount": account,
    });
    // The pattern matches the instance role Terraform creates (name_prefix "<project>-"), and no other project's.
    const pattern = new RegExp(
      "^" +
        statement.Condition.ArnLike["aws:PrincipalArn"].replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*") +
        "$",
    );
    expect(pattern.test(`arn:${p.partition}:iam::${account}:role/${a.projectName}-20261201000000000000000001`)).toBe(
      true,
    );
    expect(pattern.test(`arn:${p.partition}:iam::${account}:role/other-${a.projectName}`)).toBe(false);
  });

  it("sets both hooks on every existing group exactly as the group declares them", async () => {
    const cmds = fences(section(text, "### Lifecycle hooks of an existing group")).flatMap((f) => commands(f.body));
    const hooks = cmds.map((c) => ({
      cmd: c.slice(0, 3).join(" "),
      region: flag(c, "--region"),
      group: flag(c, "--auto-scaling-group-name"),
      name: flag(c, "--lifecycle-hook-name"),
      lifecycle_transition: flag(c, "--lifecycle-transition"),
      heartbeat_timeout: Number(flag(c, "--heartbeat-timeout")),
      default_result: flag(c, "--default-result"),
    }));
    // What Terraform declares in the group (the plan-level properties check the same values in the plan).
    const { plan } = await planAnswers(a, { validate: false });
    const groups = ofType(plan, "aws_autoscaling_group");
    expect(groups.map((g) => g.values.name).sort()).toEqual(pools.map((p) => poolNames(p).asgName).sort());
    const declared = groups.flatMap((g) =>
      (g.values.initial_lifecycle_hook as Record<string, unknown>[]).map((h) => ({
        cmd: "aws autoscaling put-lifecycle-hook",
        region: a.awsRegion,
        group: g.values.name,
        name: h.name,
        lifecycle_transition: h.lifecycle_transition,
        heartbeat_timeout: h.heartbeat_timeout,
        default_result: h.default_result,
      })),
    );
    expect(hooks).toEqual(expect.arrayContaining(declared));
    expect(hooks).toHaveLength(declared.length);
  });

  it("explains the launch gate and what happens to a refresh with an image that cannot register", () => {
    const gate = section(text, "### When a new image cannot register");
    for (const p of pools) expect(gate).toContain("`" + poolNames(p).launchLifecycleHookName + "`");
    // The group keeps the new image after a failed refresh (no usable rollback): the way back is the previous AMI.
    const cmds = fences(gate)
      .flatMap((f) => commands(f.body))
      .map((c) => c.slice(0, 3).join(" "));
    expect(cmds).toEqual(
      expect.arrayContaining(["aws autoscaling cancel-instance-refresh", "aws ec2 describe-images"]),
    );
    expect(gate).toContain("`amiId`");
    expect(gate).not.toMatch(/rolls back by itself|returning the group to the previous/);
  });
});

describe("README day 2 across answers", () => {
  const base = exampleAnswers("answers.yaml");

  it("a customer managed key in GovCloud gets the statement in that partition", () => {
    const a = validAnswers({
      ...base,
      awsRegion: "us-gov-west-1",
      ciRoleArn: "arn:aws-us-gov:iam::123456789012:role/ci",
      tokenKmsKeyId: "alias/runner-token",
    });
    const json = fences(section(readmeOf(a), "### The token's KMS key")).find((f) => f.lang === "json")!;
    expect(JSON.parse(json.body).Condition.ArnLike["aws:PrincipalArn"]).toBe(
      `arn:aws-us-gov:iam::123456789012:role/${a.projectName}-*`,
    );
  });

  it("narrow egress is listed as such", () => {
    const a = validAnswers({ ...base, egressCidrs: ["10.20.0.0/16", "192.0.2.0/24"] });
    const security = section(readmeOf(a), "## Security");
    expect(security).toContain("`10.20.0.0/16`, `192.0.2.0/24` only");
    expect(security).not.toContain("internal addresses");
  });

  it("the egress answer's prompt and description offer the narrower choice", async () => {
    const { answersSchema } = await import("../src/core/schema.js");
    const egress = answersSchema.properties.egressCidrs;
    expect(egress.description).toMatch(/0\.0\.0\.0\/0 includes your internal networks/);
    expect(egress["x-prompt"]).toMatch(/includes internal addresses/);
  });
});

/**
 * Properties of a planned generated repo, asserted on the evaluated plan
 * (`terraform show -json`) against the answers. The example tests and the
 * fuzzed-answers test run the same list.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import YAML from "yaml";
import { expect } from "vitest";
import { namesContext } from "../../src/core/context/names.js";
import { scheduleSizes } from "../../src/core/context/terraform.js";
import type { Answers } from "../../src/core/types.js";
import { runtimeConfig } from "../fixtures/ami/runtime-config.js";
import { renderAnswers } from "./tools.js";
import { ofType, theOne, type Plan, type TerraformResult } from "./terraform-plan.js";

/** The IAM policy documents of the planned role policies that are known at plan time, parsed. */
function rolePolicies(plan: Plan): Record<string, { Statement: Record<string, any>[] }> {
  const out: Record<string, { Statement: Record<string, any>[] }> = {};
  for (const r of ofType(plan, "aws_iam_role_policy")) if (typeof r.values.policy === "string") out[r.name] = JSON.parse(r.values.policy);
  return out;
}
const asList = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v as string]);

/** The termination hook: a resource of its own, or declared inside the group. */
function terminatingHooks(plan: Plan): Record<string, any>[] {
  const own = ofType(plan, "aws_autoscaling_lifecycle_hook").map((r) => r.values);
  const inGroup = theOne(plan, "aws_autoscaling_group").values.initial_lifecycle_hook ?? [];
  return [...own, ...inGroup].filter((h) => h.lifecycle_transition === "autoscaling:EC2_INSTANCE_TERMINATING");
}

export const planProperties: [name: string, check: (a: Answers, plan: Plan, result: TerraformResult) => void][] = [
  [
    "plans with no error, warning only about a legacy launch configuration",
    (a, plan, result) => {
      const summaries = result.warnings.map((w) => w.summary);
      expect(summaries).toEqual(a.useLaunchConfiguration ? ["Check block assertion failed"] : []);
      expect(plan.resource_changes.filter((c) => c.mode === "managed").every((c) => c.change.actions.join() === "create")).toBe(true);
    },
  ],
  [
    "grants no wildcard action, and reads the token from one parameter with one key, through SSM only",
    (a, plan, _result) => {
      const policies = rolePolicies(plan);
      expect(Object.keys(policies)).toContain("runner_boot");
      for (const [name, doc] of Object.entries(policies)) {
        for (const s of doc.Statement) {
          expect(s.Effect, name).toBe("Allow");
          expect(s).not.toHaveProperty("NotAction");
          expect(s).not.toHaveProperty("NotResource");
          for (const act of asList(s.Action)) expect(act, `${name} ${s.Sid}`).not.toContain("*");
        }
      }
      const statements = Object.values(policies).flatMap((d) => d.Statement);
      const granting = (action: string) => statements.filter((s) => asList(s.Action).includes(action));
      const [read, ...moreReads] = granting("ssm:GetParameter");
      expect(moreReads).toEqual([]);
      expect(asList(read.Resource)).toEqual([`arn:aws:ssm:${a.awsRegion}:123456789012:parameter${a.tokenSsmParameter}`]);
      const [decrypt, ...moreDecrypts] = granting("kms:Decrypt");
      expect(moreDecrypts).toEqual([]);
      expect(asList(decrypt.Resource)).toHaveLength(1);
      expect(asList(decrypt.Resource)[0]).toMatch(/^arn:aws[a-z-]*:kms:/);
      expect(decrypt.Condition).toEqual({ StringEquals: { "kms:ViaService": `ssm.${a.awsRegion}.amazonaws.com` } });
      for (const s of statements.filter((x) => asList(x.Resource).includes("*"))) {
        // Only actions without resource-level permissions may name every resource.
        for (const act of asList(s.Action)) expect(act).toMatch(/^(cloudwatch:PutMetricData|ssm:UpdateInstanceInformation|ssmmessages:[A-Za-z]+)$/);
      }
      expect(ofType(plan, "aws_iam_role_policy_attachment")).toEqual([]);
    },
  ],
  [
    "has one schedule per answer, with its recurrence, the time zone and every size",
    (a, plan, _result) => {
      const names = namesContext(a);
      const planned = Object.fromEntries(ofType(plan, "aws_autoscaling_schedule").map((r) => [r.values.scheduled_action_name, r.values]));
      expect(Object.keys(planned).sort()).toEqual(a.schedules.map((s) => s.name).sort());
      for (const s of a.schedules) {
        const want = scheduleSizes(a, s);
        expect(planned[s.name]).toMatchObject({ ...want, time_zone: a.timeZone, autoscaling_group_name: names.asgName });
      }
    },
  ],
  [
    "holds terminating instances for the drain plus the unregister step, within Auto Scaling's 7200 s",
    (a, plan, _result) => {
      const names = namesContext(a);
      const hooks = terminatingHooks(plan);
      expect(hooks).toHaveLength(1);
      expect(hooks[0]).toMatchObject({ heartbeat_timeout: a.drainTimeoutSeconds + 600, default_result: "CONTINUE", name: names.lifecycleHookName });
      expect(hooks[0].heartbeat_timeout).toBeLessThanOrEqual(7200);
    },
  ],
  [
    "launches with IMDSv2 only, hop limit 1, and an encrypted gp3 root volume of the answered size",
    (a, plan, _result) => {
      const launch = a.useLaunchConfiguration ? theOne(plan, "aws_launch_configuration") : theOne(plan, "aws_launch_template");
      expect(launch.values.metadata_options).toEqual([
        expect.objectContaining({ http_endpoint: "enabled", http_tokens: "required", http_put_response_hop_limit: 1 }),
      ]);
      const volume = a.useLaunchConfiguration ? launch.values.root_block_device[0] : launch.values.block_device_mappings[0].ebs[0];
      // The launch template's ebs flags are strings in the provider's schema ("true").
      expect({ ...volume, encrypted: String(volume.encrypted), delete_on_termination: String(volume.delete_on_termination) }).toMatchObject({
        volume_type: "gp3",
        volume_size: a.rootVolumeSize,
        encrypted: "true",
        delete_on_termination: "true",
      });
      expect(launch.values.instance_type).toBe(a.instanceTypes[0]);
      if (!a.useLaunchConfiguration) {
        expect(launch.values.network_interfaces).toEqual([expect.objectContaining({ associate_public_ip_address: "false", device_index: 0 })]);
      } else expect(launch.values.associate_public_ip_address).toBe(false);
    },
  ],
  [
    "writes exactly the runtime config the AMI's hook scripts read, through cloud-init user data",
    (a, plan, _result) => {
      const names = namesContext(a);
      const launch = a.useLaunchConfiguration ? theOne(plan, "aws_launch_configuration") : theOne(plan, "aws_launch_template");
      const encoded = a.useLaunchConfiguration ? launch.values.user_data_base64 : launch.values.user_data;
      const userData = Buffer.from(encoded, "base64").toString("utf8");
      expect(userData.startsWith("#cloud-config\n")).toBe(true);
      const cloudConfig = YAML.parse(userData);
      expect(cloudConfig.write_files).toHaveLength(1);
      const [file] = cloudConfig.write_files;
      expect(file).toMatchObject({ path: names.runtimeConfigPath, owner: "root:root", permissions: "0644" });
      expect(JSON.parse(file.content)).toEqual(runtimeConfig(a));
      expect(userData).not.toMatch(/glrt-|GR1348941/);
      // The AMI's own check of the file (common.sh load_runtime_config) accepts it.
      const root = mkdtempSync(join(tmpdir(), "glra-runtime-"));
      mkdirSync(join(root, dirname(file.path)), { recursive: true });
      writeFileSync(join(root, file.path), file.content);
      const common = join(root, "common.sh");
      writeFileSync(common, renderAnswers(a).find((f) => f.path === "files/libexec/common.sh")!.contents);
      const check = spawnSync("bash", ["-c", '. "$1" && load_runtime_config', "check", common], { encoding: "utf8", env: { ...process.env, GITLAB_RUNNER_AWS_ROOT: root } });
      rmSync(root, { recursive: true, force: true });
      expect(check.stderr).toBe("");
      expect(check.status).toBe(0);
    },
  ],
  [
    "keeps the answered tags and subnets intact, and spreads the group over exactly those subnets",
    (a, plan, _result) => {
      const asg = theOne(plan, "aws_autoscaling_group").values;
      expect([...asg.vpc_zone_identifier].sort()).toEqual([...new Set(a.subnetIds)].sort());
      const tags = Object.fromEntries(asg.tag.map((t: { key: string; value: string; propagate_at_launch: boolean }) => [t.key, t.value]));
      expect(tags).toEqual({ ...a.tags, Project: a.projectName, ManagedBy: "terraform", Name: a.projectName });
      expect(asg.tag.every((t: { propagate_at_launch: boolean }) => t.propagate_at_launch)).toBe(true);
      for (const r of ofType(plan, "aws_iam_role").concat(ofType(plan, "aws_security_group"))) expect(r.values.tags_all).toMatchObject(a.tags);
    },
  ],
  [
    "opens no ingress, and egress to the answered CIDRs only",
    (a, plan, _result) => {
      expect(ofType(plan, "aws_vpc_security_group_ingress_rule")).toEqual([]);
      expect(ofType(plan, "aws_security_group_rule")).toEqual([]);
      for (const sg of ofType(plan, "aws_security_group")) expect(sg.values.ingress ?? []).toEqual([]);
      const egress = ofType(plan, "aws_vpc_security_group_egress_rule").map((r) => r.values.cidr_ipv4);
      expect(egress.sort()).toEqual([...new Set(a.egressCidrs)].sort());
    },
  ],
];

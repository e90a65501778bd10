import YAML from "yaml";
import { describe, expect, it } from "vitest";
import { namesContext } from "../src/core/context/names.js";
import { scheduleSizes, warnings } from "../src/core/context/terraform.js";
import type { Answers } from "../src/core/types.js";
import { terraformScenarios } from "./support/scenarios.js";
import { exampleAnswers, renderAnswers, validAnswers } from "./support/tools.js";
import { runtimeConfig } from "./fixtures/ami/runtime-config.js";
import {
  block,
  blocks,
  evaluate,
  localsOf,
  outputsOf,
  parseTerraform,
  resourceTypes,
  type Body,
  type Scope,
  type TfConfig,
} from "./terraform-support.js";

const base = exampleAnswers("answers.yaml");

/** Stand-ins for values only AWS knows (data sources, computed attributes). */
const AWS: Scope = {
  data: {
    aws_partition: { current: { partition: "aws", dns_suffix: "amazonaws.com" } },
    aws_caller_identity: { current: { account_id: "123456789012" } },
    aws_kms_key: { token: { arn: "arn:aws:kms:xx-test-1:123456789012:key/token-key" } },
  },
  aws_autoscaling_group: {
    runner: {
      arn: "arn:aws:autoscaling:xx-test-1:123456789012:autoScalingGroup:uuid:autoScalingGroupName/x",
      name: "asg-name",
    },
  },
};

/** The bodies of a block that may be written plainly or as dynamic blocks, each with its iterator binding. */
async function expand(
  cfg: TfConfig,
  body: Body,
  name: string,
  scope: Scope = {},
): Promise<{ body: Body; scope: Scope }[]> {
  const out = ((body[name] ?? []) as Body[]).map((b) => ({ body: b, scope }));
  for (const d of (body.dynamic?.[name] ?? []) as Body[]) {
    const coll = (await evaluate(cfg, d.for_each, { ...AWS, ...scope })) as unknown[] | Record<string, unknown>;
    const entries = Array.isArray(coll) ? coll.map((v, i) => [i, v] as const) : Object.entries(coll);
    for (const [key, value] of entries) out.push({ body: d.content[0], scope: { ...scope, [name]: { key, value } } });
  }
  return out;
}

const launchOf = (cfg: TfConfig, a: Answers) =>
  a.useLaunchConfiguration
    ? block(cfg, "resource", "aws_launch_configuration", "runner")
    : block(cfg, "resource", "aws_launch_template", "runner");

describe.each(terraformScenarios)("terraform/ for %s", (_name, a) => {
  const files = renderAnswers(a);
  const names = namesContext(a);
  const cfgP = parseTerraform(files);
  const ev = async (v: unknown, scope: Scope = {}) => evaluate(await cfgP, v, { ...AWS, ...scope });

  it("has a launch configuration only when it was asked for, else a launch template", async () => {
    const cfg = await cfgP;
    const types = resourceTypes(cfg);
    expect(types.includes("aws_launch_configuration")).toBe(a.useLaunchConfiguration);
    expect(types.includes("aws_launch_template")).toBe(!a.useLaunchConfiguration);
    const asg = block(cfg, "resource", "aws_autoscaling_group", "runner");
    expect("launch_configuration" in asg).toBe(a.useLaunchConfiguration);
    const legacyCheck = cfg.files.flatMap((f) => Object.keys(f.json.check ?? {}));
    expect(legacyCheck.length > 0).toBe(a.useLaunchConfiguration);
    expect(outputsOf(cfg).launch_template_id.value).toBe(
      a.useLaunchConfiguration ? null : "${aws_launch_template.runner.id}",
    );
  });

  it("requires IMDSv2, with a hop limit that suits the executor", async () => {
    const cfg = await cfgP;
    const [md] = launchOf(cfg, a).metadata_options as Body[];
    expect(md.http_tokens).toBe("required");
    expect(md.http_endpoint).toBe("enabled");
    // One hop whatever the executor: job containers never reach the instance role.
    expect(await ev(md.http_put_response_hop_limit)).toBe(1);
  });

  it("boots from an encrypted gp3 root volume of the answered size", async () => {
    const cfg = await cfgP;
    const lt = launchOf(cfg, a);
    let root: Body;
    if (a.useLaunchConfiguration) [root] = lt.root_block_device as Body[];
    else {
      const mappings = lt.block_device_mappings as Body[];
      expect(mappings).toHaveLength(1);
      expect(mappings[0].device_name).toBe("${data.aws_ami.runner.root_device_name}");
      [root] = mappings[0].ebs as Body[];
    }
    expect(root.encrypted).toBe(true);
    expect(root.volume_type).toBe("gp3");
    expect(await ev(root.volume_size)).toBe(a.rootVolumeSize);
  });

  it("finds the AMI by the Packer build's tags, or takes the explicit one", async () => {
    const cfg = await cfgP;
    const ami = block(cfg, "data", "aws_ami", "runner");
    const filters = Object.fromEntries(
      (await expand(cfg, ami, "filter")).map((f) => [
        f.scope.filter && (f.scope.filter as Body).key,
        (f.scope.filter as Body).value,
      ]),
    );
    if (a.amiId) {
      expect(filters).toEqual({ "image-id": [a.amiId] });
      expect(await ev(ami.owners)).toBeNull();
    } else {
      const k = names.amiTagKeys;
      expect(filters).toEqual({
        [`tag:${k.project}`]: [a.projectName],
        [`tag:${k.baseOs}`]: [a.baseOs],
        [`tag:${k.architecture}`]: [a.architecture],
        state: ["available"],
      });
      expect(await ev(ami.owners)).toEqual(["self"]);
      expect(await ev(ami.most_recent)).toBe(true);
    }
    expect(launchOf(cfg, a).image_id).toBe("${data.aws_ami.runner.id}");
  });

  it("has no ingress, and egress to the answered CIDRs only", async () => {
    const cfg = await cfgP;
    const types = resourceTypes(cfg);
    expect(types).not.toContain("aws_vpc_security_group_ingress_rule");
    expect(types).not.toContain("aws_security_group_rule");
    const sgs = blocks(cfg, "resource", "aws_security_group");
    expect(sgs).toHaveLength(1);
    for (const { body } of sgs) {
      expect(body).not.toHaveProperty("ingress");
      expect(body).not.toHaveProperty("egress");
    }
    const [egress] = blocks(cfg, "resource", "aws_vpc_security_group_egress_rule");
    expect(await ev(egress.body.for_each)).toEqual([...new Set(a.egressCidrs)].sort());
    expect(egress.body.cidr_ipv4).toBe("${each.value}");
  });

  it("scopes every boot IAM statement: the token parameter, its key via SSM, the metric namespace and the log group", async () => {
    const cfg = await cfgP;
    expect(resourceTypes(cfg).filter((t) => /^aws_iam_(policy|user|group)/.test(t))).toEqual([]);
    const statements: { sid: string; actions: string[]; resources: string[]; conditions: Body[] }[] = [];
    for (const { name, body } of blocks(cfg, "data", "aws_iam_policy_document")) {
      // runner_lifecycle (own group, own instance's tag) is asserted on the evaluated plan instead
      // (test/support/plan-properties.ts), which also shows that it is known at plan.
      // So are the cache bucket's policy (a Deny of plain HTTP) and the instance role's cache statements.
      if (["assume_ec2", "session_manager", "runner_lifecycle", "cache_bucket", "runner_cache"].includes(name))
        continue;
      for (const s of await expand(cfg, body, "statement")) {
        expect(s.body).not.toHaveProperty("not_actions");
        expect(s.body).not.toHaveProperty("not_resources");
        expect(s.body.effect ?? "Allow").toBe("Allow");
        statements.push({
          sid: s.body.sid,
          actions: (await ev(s.body.actions, s.scope)) as string[],
          resources: (await ev(s.body.resources, s.scope)) as string[],
          conditions: (await ev(s.body.condition ?? [], s.scope)) as Body[],
        });
      }
    }
    const byAction = Object.fromEntries(statements.flatMap((s) => s.actions.map((act) => [act, s])));
    expect(Object.keys(byAction).sort()).toEqual(
      [
        "kms:Decrypt",
        "ssm:GetParameter",
        "cloudwatch:PutMetricData",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
      ].sort(),
    );
    for (const s of statements) {
      for (const act of s.actions) expect(act).not.toContain("*");
      if (s.resources.includes("*")) {
        expect(s.actions).toEqual(["cloudwatch:PutMetricData"]);
        expect(s.conditions).toEqual([
          { test: "StringEquals", variable: "cloudwatch:namespace", values: [names.metricNamespace] },
        ]);
      }
    }
    expect(byAction["ssm:GetParameter"].resources).toEqual([
      `arn:aws:ssm:${a.awsRegion}:123456789012:parameter${a.tokenSsmParameter}`,
    ]);
    expect(byAction["kms:Decrypt"].resources).toEqual([(AWS.data as Body).aws_kms_key.token.arn]);
    expect(byAction["kms:Decrypt"].conditions).toEqual([
      { test: "StringEquals", variable: "kms:ViaService", values: [`ssm.${a.awsRegion}.amazonaws.com`] },
    ]);
    expect(block(cfg, "data", "aws_kms_key", "token").key_id).toBe("${var.token_kms_key_id}");

    // Session Manager: its channel actions only (they have no resource-level permissions), never a parameter read.
    const ssm = block(cfg, "resource", "aws_iam_role_policy", "session_manager");
    expect(await ev(ssm.count)).toBe(a.sessionManagerAccess ? 1 : 0);
    expect(ssm.policy).toBe("${data.aws_iam_policy_document.session_manager.json}");
    const [shell, ...more] = await expand(
      cfg,
      block(cfg, "data", "aws_iam_policy_document", "session_manager"),
      "statement",
    );
    expect(more).toEqual([]);
    expect(((await ev(shell.body.actions, shell.scope)) as string[]).sort()).toEqual(
      [
        "ssm:UpdateInstanceInformation",
        "ssmmessages:CreateControlChannel",
        "ssmmessages:CreateDataChannel",
        "ssmmessages:OpenControlChannel",
        "ssmmessages:OpenDataChannel",
      ].sort(),
    );
    expect(await ev(shell.body.resources, shell.scope)).toEqual(["*"]);
    expect(resourceTypes(cfg)).not.toContain("aws_iam_role_policy_attachment");
  });

  it("spreads the group over the subnets with the answered sizes, ignoring later changes to desired_capacity", async () => {
    const cfg = await cfgP;
    const asg = block(cfg, "resource", "aws_autoscaling_group", "runner");
    expect(await ev(asg.name)).toBe(names.asgName);
    expect(await ev(asg.vpc_zone_identifier)).toEqual(a.subnetIds);
    expect([await ev(asg.min_size), await ev(asg.max_size), await ev(asg.desired_capacity)]).toEqual([
      a.asgMinSize,
      a.asgMaxSize,
      a.asgDesiredCapacity,
    ]);
    // With schedules, they own all three sizes: an apply after the evening action must not raise min_size again.
    expect((asg.lifecycle as Body[]).flatMap((l) => l.ignore_changes ?? [])).toEqual([
      "${desired_capacity}",
      ...(a.schedules.length ? ["${min_size}", "${max_size}"] : []),
    ]);
    expect(asg.health_check_type).toBe("EC2");
    expect(asg.health_check_grace_period).toBeGreaterThan(0);
    const [refresh] = asg.instance_refresh as Body[];
    expect(refresh.strategy).toBe("Rolling");
    const tags = await expand(cfg, asg, "tag");
    expect(tags.length).toBeGreaterThan(0);
    for (const t of tags) expect(t.body.propagate_at_launch).toBe(true);
    expect(Object.fromEntries(tags.map((t) => [(t.scope.tag as Body).key, (t.scope.tag as Body).value]))).toEqual({
      ...a.tags,
      Project: a.projectName,
      ManagedBy: "terraform",
      Name: a.projectName,
    });
    if (!a.useLaunchConfiguration) {
      const single = await expand(cfg, asg, "launch_template");
      const mixed = await expand(cfg, asg, "mixed_instances_policy");
      // Spot needs the mixed-instances policy even for a single type.
      expect([single.length, mixed.length]).toEqual(
        a.instanceTypes.length === 1 && a.onDemandPercentageAboveBase === 100 ? [1, 0] : [0, 1],
      );
      for (const lt of [
        ...single.map((s) => s.body),
        ...mixed.flatMap((m) => (m.body.launch_template as Body[])[0].launch_template_specification as Body[]),
      ])
        expect(lt.version).toBe("${aws_launch_template.runner.latest_version}");
      if (mixed.length) {
        const overrides = await expand(cfg, (mixed[0].body.launch_template as Body[])[0], "override");
        expect(overrides.map((o) => (o.scope.override as Body).value)).toEqual(a.instanceTypes);
      }
    }
  });

  it("has one schedule per answered schedule, with its recurrence, the time zone and every size", async () => {
    const cfg = await cfgP;
    const [sched, ...more] = blocks(cfg, "resource", "aws_autoscaling_schedule");
    expect(more).toEqual([]);
    const instances = (await ev(sched.body.for_each)) as Record<string, Body>;
    expect(Object.keys(instances).sort()).toEqual(a.schedules.map((s) => s.name).sort());
    for (const s of a.schedules) {
      const each = { key: s.name, value: instances[s.name] };
      const got = {
        name: await ev(sched.body.scheduled_action_name, { each }),
        recurrence: await ev(sched.body.recurrence, { each }),
        time_zone: await ev(sched.body.time_zone, { each }),
        min_size: await ev(sched.body.min_size, { each }),
        max_size: await ev(sched.body.max_size, { each }),
        desired_capacity: await ev(sched.body.desired_capacity, { each }),
      };
      const sizes = scheduleSizes(a, s);
      expect(got).toEqual({
        name: s.name,
        recurrence: s.recurrence,
        time_zone: a.timeZone,
        min_size: sizes.min_size,
        max_size: sizes.max_size,
        desired_capacity: sizes.desired_capacity,
      });
      if (s.minSize !== undefined) expect(got.min_size).toBe(s.minSize);
      if (s.desiredCapacity === undefined) expect(got.desired_capacity).toBe(a.asgDesiredCapacity);
    }
  });

  it("holds terminating instances in a lifecycle hook as long as the drain and the unregister step, at most 7200 s", async () => {
    const cfg = await cfgP;
    const asg = block(cfg, "resource", "aws_autoscaling_group", "runner");
    const [hook, ...more] = (asg.initial_lifecycle_hook as Body[]).filter(
      (h) => h.lifecycle_transition === "autoscaling:EC2_INSTANCE_TERMINATING",
    );
    expect(more).toEqual([]);
    expect(hook.lifecycle_transition).toBe("autoscaling:EC2_INSTANCE_TERMINATING");
    expect(hook.default_result).toBe("CONTINUE");
    expect(await ev(hook.name)).toBe(names.lifecycleHookName);
    const heartbeat = (await ev(hook.heartbeat_timeout)) as number;
    // The stop path is the drain, then unregister.sh within its unit's TimeoutStopSec, then complete-lifecycle-action.
    const unit = files.find((f) => f.path === "files/systemd/gitlab-runner-aws.service")!.contents;
    const [, n, unitName] = /^TimeoutStopSec=(\d+)(min|s)?$/m.exec(unit)!;
    const unregisterSeconds = Number(n) * (unitName === "min" ? 60 : 1);
    // A minute to spare: the watcher polls every few seconds before the drain starts.
    expect(heartbeat).toBeGreaterThanOrEqual(a.drainTimeoutSeconds + unregisterSeconds + 60);
    expect(heartbeat).toBeLessThanOrEqual(7200);
    expect(validAnswers({ ...a, drainTimeoutSeconds: 6600 }).drainTimeoutSeconds).toBe(6600);
    expect(() => validAnswers({ ...a, drainTimeoutSeconds: 6601 })).toThrow(/drainTimeoutSeconds/);
  });

  it("tracks the answered load metric, or none", async () => {
    const cfg = await cfgP;
    const policy = block(cfg, "resource", "aws_autoscaling_policy", "load");
    expect(await ev(policy.count)).toBe(a.scalingPolicy === "none" ? 0 : 1);
    if (a.scalingPolicy === "none") return;
    expect(policy.policy_type).toBe("TargetTrackingScaling");
    const [tt] = policy.target_tracking_configuration as Body[];
    expect(await ev(tt.target_value)).toBe(a.scalingTargetValue);
    const predefined = await expand(cfg, tt, "predefined_metric_specification");
    const custom = await expand(cfg, tt, "customized_metric_specification");
    if (a.scalingPolicy === "cpu") {
      expect(custom).toEqual([]);
      expect(predefined).toHaveLength(1);
      expect(await ev(predefined[0].body.predefined_metric_type, predefined[0].scope)).toBe("ASGAverageCPUUtilization");
    } else {
      expect(predefined).toEqual([]);
      expect(custom).toHaveLength(1);
      const c = custom[0];
      expect({
        namespace: await ev(c.body.namespace, c.scope),
        metric_name: await ev(c.body.metric_name, c.scope),
        statistic: c.body.statistic,
        unit: c.body.unit,
        dimension: await ev(c.body.metric_dimension, c.scope),
      }).toEqual({
        namespace: names.metricNamespace,
        metric_name: names.metricName,
        statistic: "Average",
        unit: "Percent",
        dimension: [{ name: names.metricDimension, value: (AWS.aws_autoscaling_group as Body).runner.name }],
      });
    }
  });

  it("writes the runtime config, and nothing secret, through cloud-init user data", async () => {
    const cfg = await cfgP;
    const lt = launchOf(cfg, a);
    const userData = a.useLaunchConfiguration ? lt.user_data_base64 : lt.user_data;
    expect(userData).toBe("${base64encode(local.user_data)}");
    const text = (await ev(localsOf(cfg).user_data)) as string;
    expect(text.startsWith("#cloud-config\n")).toBe(true);
    const cloudConfig = YAML.parse(text);
    expect(cloudConfig.write_files).toHaveLength(1);
    const [file] = cloudConfig.write_files;
    expect({ path: file.path, owner: file.owner, permissions: file.permissions }).toEqual({
      path: names.runtimeConfigPath,
      owner: "root:root",
      permissions: "0644",
    });
    // The same contract the AMI layer's behaviour tests feed to the hook scripts.
    expect(JSON.parse(file.content)).toEqual(runtimeConfig(a));
    expect(
      Object.keys(cfg.tfvars)
        .filter((k) => /token|secret|password/.test(k))
        .sort(),
    ).toEqual(["token_kms_key_id", "token_ssm_parameter"]);
  });

  it("outputs the ASG name, launch template id, role ARN, security group, AMI and schedule ids", async () => {
    expect(Object.keys(outputsOf(await cfgP))).toEqual(
      expect.arrayContaining([
        "asg_name",
        "launch_template_id",
        "instance_role_arn",
        "schedule_ids",
        "security_group_id",
        "ami_id",
      ]),
    );
  });

  it("warns about the launch configuration exactly when it is used", () => {
    expect(warnings(a).some((w) => w.includes("2024-10-01"))).toBe(a.useLaunchConfiguration);
  });
});

describe("warnings", () => {
  it("says when nothing would ever start a runner", () => {
    const idle = validAnswers({
      ...base,
      scalingPolicy: "none",
      asgMinSize: 0,
      asgDesiredCapacity: 0,
      schedules: [{ name: "off", recurrence: "0 19 * * *", minSize: 0, maxSize: 0, desiredCapacity: 0 }],
    });
    expect(warnings(idle).some((w) => w.includes("cannot scale out from zero"))).toBe(true);
    expect(warnings(base)).toEqual([]);
  });

  it("a launch configuration takes a single instance type: more is an error, not a warning", () => {
    const legacy = { ...base, useLaunchConfiguration: true, onDemandPercentageAboveBase: 100 };
    expect(() => validAnswers(legacy)).toThrow(
      /\/instanceTypes: .*must hold a single instance type with useLaunchConfiguration/,
    );
    expect(warnings(validAnswers({ ...legacy, instanceTypes: ["t3.large"] }))).toEqual([
      expect.stringContaining("2024-10-01"),
    ]);
  });
});

import YAML from "yaml";
import { describe, expect, it } from "vitest";
import { namesContext, poolNames } from "../src/core/context/names.js";
import { poolViews, type PoolView } from "../src/core/pools.js";
import { scheduleSizes, warnings } from "../src/core/context/terraform.js";
import type { Answers } from "../src/core/types.js";
import { terraformScenarios } from "./support/scenarios.js";
import { exampleAnswers, renderAnswers, validAnswers, withPool } from "./support/tools.js";
import { runtimeConfig } from "./fixtures/ami/runtime-config.js";
import {
  block,
  blocks,
  evaluate,
  localsOf,
  outputsOf,
  parsePool,
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
    aws_ami: {
      runner: Object.fromEntries(
        ["x86_64", "arm64"].map((arch) => [arch, { id: `ami-for-${arch}`, root_device_name: "/dev/xvda" }]),
      ),
    },
  },
  aws_security_group: { runner: { id: "sg-0123456789abcdef0" } },
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

/** A pool's group: declared with schedules (runner) or without (unscheduled), modules/runner-pool/asg.tf. */
const groupOf = (cfg: TfConfig, p: PoolView) =>
  block(cfg, "resource", "aws_autoscaling_group", p.schedules.length ? "runner" : "unscheduled");

describe.each(terraformScenarios)("terraform/ for %s", (_name, a) => {
  const files = renderAnswers(a);
  const pools = poolViews(a);
  const cfgP = parseTerraform(files);
  const ev = async (v: unknown, scope: Scope = {}) => evaluate(await cfgP, v, { ...AWS, ...scope });
  /** Each pool with its module instance and an evaluator over it. */
  const eachPool = async () =>
    Promise.all(
      pools.map(async (p) => {
        const cfg = await parsePool(files, p.name, AWS);
        const names = { ...namesContext(a), ...poolNames(p) };
        return { p, cfg, names, ev: (v: unknown, scope: Scope = {}) => evaluate(cfg, v, { ...AWS, ...scope }) };
      }),
    );

  it("has a launch configuration only when it was asked for, else a launch template", async () => {
    for (const { p, cfg } of await eachPool()) {
      const types = resourceTypes(cfg);
      expect(types.includes("aws_launch_configuration")).toBe(a.useLaunchConfiguration);
      expect(types.includes("aws_launch_template")).toBe(!a.useLaunchConfiguration);
      expect("launch_configuration" in groupOf(cfg, p)).toBe(a.useLaunchConfiguration);
      const legacyCheck = cfg.files.flatMap((f) => Object.keys(f.json.check ?? {}));
      expect(legacyCheck.length > 0).toBe(a.useLaunchConfiguration);
      expect(outputsOf(cfg).launch_template_id.value).toBe(
        a.useLaunchConfiguration ? null : "${aws_launch_template.runner.id}",
      );
    }
    expect(resourceTypes(await cfgP).filter((t) => /^aws_(launch|autoscaling)_/.test(t))).toEqual([]);
  });

  it("requires IMDSv2, with a hop limit that suits the executor", async () => {
    for (const { cfg, ev: evp } of await eachPool()) {
      const [md] = launchOf(cfg, a).metadata_options as Body[];
      expect(md.http_tokens).toBe("required");
      expect(md.http_endpoint).toBe("enabled");
      // One hop whatever the executor: job containers never reach the instance role.
      expect(await evp(md.http_put_response_hop_limit)).toBe(1);
    }
  });

  it("boots from an encrypted gp3 root volume of the answered size", async () => {
    for (const { p, cfg, ev: evp } of await eachPool()) {
      const lt = launchOf(cfg, a);
      let root: Body;
      if (a.useLaunchConfiguration) [root] = lt.root_block_device as Body[];
      else {
        const mappings = lt.block_device_mappings as Body[];
        expect(mappings).toHaveLength(1);
        expect(mappings[0].device_name).toBe("${var.image.root_device_name}");
        [root] = mappings[0].ebs as Body[];
      }
      expect(root.encrypted).toBe(true);
      expect(root.volume_type).toBe("gp3");
      expect(await evp(root.volume_size)).toBe(p.rootVolumeSize);
    }
  });

  it("finds each architecture's AMI by the Packer build's tags, or takes the explicit one", async () => {
    const cfg = await cfgP;
    const ami = block(cfg, "data", "aws_ami", "runner");
    const architectures = [...new Set(pools.map((p) => p.architecture))].sort();
    // (local.architectures, the set of the pools' architectures, is a for expression this evaluator leaves to the plan tests)
    expect(ami.for_each).toBe("${local.architectures}");
    for (const arch of architectures) {
      const each = { key: arch, value: arch };
      const filters = Object.fromEntries(
        (await expand(cfg, ami, "filter", { each })).map((f) => [
          f.scope.filter && (f.scope.filter as Body).key,
          (f.scope.filter as Body).value,
        ]),
      );
      if (a.amiId) {
        expect(filters).toEqual({ "image-id": [a.amiId] });
        expect(await ev(ami.owners)).toBeNull();
      } else {
        const k = namesContext(a).amiTagKeys;
        expect(filters).toEqual({
          [`tag:${k.project}`]: [a.projectName],
          [`tag:${k.baseOs}`]: [a.baseOs],
          [`tag:${k.architecture}`]: [arch],
          state: ["available"],
        });
        expect(await ev(ami.owners)).toEqual(["self"]);
        expect(await ev(ami.most_recent)).toBe(true);
      }
    }
    // Each pool launches its architecture's image.
    for (const { p, cfg: pool } of await eachPool()) {
      expect(launchOf(pool, a).image_id).toBe("${var.image.id}");
      expect(pool.tfvars.image.id).toBe(`ami-for-${p.architecture}`);
    }
  });

  it("has no ingress, and egress to the answered CIDRs only", async () => {
    const cfg = await cfgP;
    for (const c of [cfg, ...(await eachPool()).map((x) => x.cfg)]) {
      const types = resourceTypes(c);
      expect(types).not.toContain("aws_vpc_security_group_ingress_rule");
      expect(types).not.toContain("aws_security_group_rule");
    }
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

  it("scopes every boot IAM statement: the pool's token parameter, its key via SSM, the metric namespace and the log group", async () => {
    expect(resourceTypes(await cfgP).filter((t) => /^aws_iam_/.test(t))).toEqual([]);
    expect(block(await cfgP, "data", "aws_kms_key", "token").key_id).toBe("${var.token_kms_key_id}");
    for (const { p, cfg, names, ev: evp } of await eachPool()) {
      expect(resourceTypes(cfg).filter((t) => /^aws_iam_(policy|user|group)/.test(t))).toEqual([]);
      const statements: { sid: string; actions: string[]; resources: string[]; conditions: Body[] }[] = [];
      for (const { name, body } of blocks(cfg, "data", "aws_iam_policy_document")) {
        // runner_lifecycle (own group, own instance's tag) is asserted on the evaluated plan instead
        // (test/support/plan-properties.ts), which also shows that it is known at plan.
        // So are the instance role's cache statements.
        if (["assume_ec2", "session_manager", "runner_lifecycle", "runner_cache"].includes(name)) continue;
        for (const s of await expand(cfg, body, "statement")) {
          expect(s.body).not.toHaveProperty("not_actions");
          expect(s.body).not.toHaveProperty("not_resources");
          expect(s.body.effect ?? "Allow").toBe("Allow");
          statements.push({
            sid: s.body.sid,
            actions: (await evp(s.body.actions, s.scope)) as string[],
            resources: (await evp(s.body.resources, s.scope)) as string[],
            conditions: (await evp(s.body.condition ?? [], s.scope)) as Body[],
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
        `arn:aws:ssm:${a.awsRegion}:123456789012:parameter${p.tokenSsmParameter}`,
      ]);
      expect(byAction["kms:Decrypt"].resources).toEqual([(AWS.data as Body).aws_kms_key.token.arn]);
      expect(byAction["kms:Decrypt"].conditions).toEqual([
        { test: "StringEquals", variable: "kms:ViaService", values: [`ssm.${a.awsRegion}.amazonaws.com`] },
      ]);

      // Session Manager: its channel actions only (they have no resource-level permissions), never a parameter read.
      const ssm = block(cfg, "resource", "aws_iam_role_policy", "session_manager");
      expect(await evp(ssm.count)).toBe(a.sessionManagerAccess ? 1 : 0);
      expect(ssm.policy).toBe("${data.aws_iam_policy_document.session_manager.json}");
      const [shell, ...more] = await expand(
        cfg,
        block(cfg, "data", "aws_iam_policy_document", "session_manager"),
        "statement",
      );
      expect(more).toEqual([]);
      expect(((await evp(shell.body.actions, shell.scope)) as string[]).sort()).toEqual(
        [
          "ssm:UpdateInstanceInformation",
          "ssmmessages:CreateControlChannel",
          "ssmmessages:CreateDataChannel",
          "ssmmessages:OpenControlChannel",
          "ssmmessages:OpenDataChannel",
        ].sort(),
      );
      expect(await evp(shell.body.resources, shell.scope)).toEqual(["*"]);
      expect(resourceTypes(cfg)).not.toContain("aws_iam_role_policy_attachment");
    }
  });

  it("spreads each group over the subnets with its answered sizes, ignoring later changes to desired_capacity", async () => {
    for (const { p, cfg, names, ev: evp } of await eachPool()) {
      const asg = groupOf(cfg, p);
      expect(await evp(asg.count)).toBe(1);
      const other = block(cfg, "resource", "aws_autoscaling_group", p.schedules.length ? "unscheduled" : "runner");
      expect(await evp(other.count)).toBe(0);
      expect(await evp(asg.name)).toBe(names.asgName);
      expect(await evp(asg.vpc_zone_identifier)).toEqual(a.subnetIds);
      expect([await evp(asg.min_size), await evp(asg.max_size), await evp(asg.desired_capacity)]).toEqual([
        p.asgMinSize,
        p.asgMaxSize,
        p.asgDesiredCapacity,
      ]);
      // With schedules, they own all three sizes: an apply after the evening action must not raise min_size again.
      expect((asg.lifecycle as Body[]).flatMap((l) => l.ignore_changes ?? [])).toEqual([
        "${desired_capacity}",
        ...(p.schedules.length ? ["${min_size}", "${max_size}"] : []),
      ]);
      expect(asg.health_check_type).toBe("EC2");
      expect(asg.health_check_grace_period).toBeGreaterThan(0);
      const [refresh] = asg.instance_refresh as Body[];
      expect(refresh.strategy).toBe("Rolling");
      const tags = await expand(cfg, asg, "tag");
      expect(tags.length).toBeGreaterThan(0);
      for (const t of tags) expect(t.body.propagate_at_launch).toBe(true);
      expect(Object.fromEntries(tags.map((t) => [(t.scope.tag as Body).key, (t.scope.tag as Body).value]))).toEqual({
        ...p.tags,
        Project: a.projectName,
        ManagedBy: "terraform",
        Name: names.name,
      });
      if (!a.useLaunchConfiguration) {
        const single = await expand(cfg, asg, "launch_template");
        const mixed = await expand(cfg, asg, "mixed_instances_policy");
        // Spot needs the mixed-instances policy even for a single type.
        expect([single.length, mixed.length]).toEqual(
          p.instanceTypes.length === 1 && p.onDemandPercentageAboveBase === 100 ? [1, 0] : [0, 1],
        );
        for (const lt of [
          ...single.map((s) => s.body),
          ...mixed.flatMap((m) => (m.body.launch_template as Body[])[0].launch_template_specification as Body[]),
        ])
          expect(lt.version).toBe("${aws_launch_template.runner.latest_version}");
        if (mixed.length) {
          const overrides = await expand(cfg, (mixed[0].body.launch_template as Body[])[0], "override");
          expect(overrides.map((o) => (o.scope.override as Body).value)).toEqual(p.instanceTypes);
        }
      }
    }
  });

  it("has one schedule per answered schedule of each pool, with its recurrence, the time zone and every size", async () => {
    for (const { p, cfg, ev: evp } of await eachPool()) {
      const [sched, ...more] = blocks(cfg, "resource", "aws_autoscaling_schedule");
      expect(more).toEqual([]);
      const instances = (await evp(sched.body.for_each)) as Record<string, Body>;
      expect(Object.keys(instances).sort()).toEqual(p.schedules.map((s) => s.name).sort());
      for (const s of p.schedules) {
        const each = { key: s.name, value: instances[s.name] };
        const got = {
          name: await evp(sched.body.scheduled_action_name, { each }),
          recurrence: await evp(sched.body.recurrence, { each }),
          time_zone: await evp(sched.body.time_zone, { each }),
          min_size: await evp(sched.body.min_size, { each }),
          max_size: await evp(sched.body.max_size, { each }),
          desired_capacity: await evp(sched.body.desired_capacity, { each }),
        };
        const sizes = scheduleSizes(p, s);
        expect(got).toEqual({
          name: s.name,
          recurrence: s.recurrence,
          time_zone: a.timeZone,
          min_size: sizes.min_size,
          max_size: sizes.max_size,
          desired_capacity: sizes.desired_capacity,
        });
        if (s.minSize !== undefined) expect(got.min_size).toBe(s.minSize);
        if (s.desiredCapacity === undefined) expect(got.desired_capacity).toBe(p.asgDesiredCapacity);
      }
    }
  });

  it("holds terminating instances in a lifecycle hook as long as the drain and the unregister step, at most 7200 s", async () => {
    for (const { p, cfg, names, ev: evp } of await eachPool()) {
      const [hook, ...more] = (groupOf(cfg, p).initial_lifecycle_hook as Body[]).filter(
        (h) => h.lifecycle_transition === "autoscaling:EC2_INSTANCE_TERMINATING",
      );
      expect(more).toEqual([]);
      expect(hook.default_result).toBe("CONTINUE");
      expect(await evp(hook.name)).toBe(names.lifecycleHookName);
      const heartbeat = (await evp(hook.heartbeat_timeout)) as number;
      // The stop path is the drain, then unregister.sh within its unit's TimeoutStopSec, then complete-lifecycle-action.
      const unit = files.find((f) => f.path === "files/systemd/gitlab-runner-aws.service")!.contents;
      const [, n, unitName] = /^TimeoutStopSec=(\d+)(min|s)?$/m.exec(unit)!;
      const unregisterSeconds = Number(n) * (unitName === "min" ? 60 : 1);
      // A minute to spare: the watcher polls every few seconds before the drain starts.
      expect(heartbeat).toBeGreaterThanOrEqual(p.drainTimeoutSeconds + unregisterSeconds + 60);
      expect(heartbeat).toBeLessThanOrEqual(7200);
    }
  });

  it("tracks each pool's answered load metric, or none", async () => {
    for (const { p, cfg, names, ev: evp } of await eachPool()) {
      const policy = block(cfg, "resource", "aws_autoscaling_policy", "load");
      expect(await evp(policy.count)).toBe(p.scalingPolicy === "none" ? 0 : 1);
      if (p.scalingPolicy === "none") continue;
      expect(policy.policy_type).toBe("TargetTrackingScaling");
      expect(policy.autoscaling_group_name).toBe("${local.group_name}");
      const [tt] = policy.target_tracking_configuration as Body[];
      expect(await evp(tt.target_value)).toBe(p.scalingTargetValue);
      const predefined = await expand(cfg, tt, "predefined_metric_specification");
      const custom = await expand(cfg, tt, "customized_metric_specification");
      if (p.scalingPolicy === "cpu") {
        expect(custom).toEqual([]);
        expect(predefined).toHaveLength(1);
        expect(await evp(predefined[0].body.predefined_metric_type, predefined[0].scope)).toBe(
          "ASGAverageCPUUtilization",
        );
      } else {
        expect(predefined).toEqual([]);
        expect(custom).toHaveLength(1);
        const c = custom[0];
        const [dimension] = c.body.metric_dimension as Body[];
        expect({
          namespace: await evp(c.body.namespace, c.scope),
          metric_name: await evp(c.body.metric_name, c.scope),
          statistic: c.body.statistic,
          unit: c.body.unit,
          dimension: { name: await evp(dimension.name, c.scope), value: dimension.value },
        }).toEqual({
          namespace: names.metricNamespace,
          metric_name: names.metricName,
          statistic: "Average",
          unit: "Percent",
          dimension: { name: names.metricDimension, value: "${local.group_name}" },
        });
      }
    }
  });

  it("writes each pool's runtime config, and nothing secret, through cloud-init user data", async () => {
    for (const { p, cfg, names, ev: evp } of await eachPool()) {
      const lt = launchOf(cfg, a);
      const userData = a.useLaunchConfiguration ? lt.user_data_base64 : lt.user_data;
      expect(userData).toBe("${base64encode(local.user_data)}");
      const text = (await evp(localsOf(cfg).user_data)) as string;
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
      expect(JSON.parse(file.content)).toEqual(runtimeConfig(a, p));
    }
    const tfvars = (await cfgP).tfvars;
    const keys = [...Object.keys(tfvars), ...Object.values(tfvars.pools as Body).flatMap((x) => Object.keys(x))];
    expect([...new Set(keys.filter((k) => /token|secret|password/.test(k)))].sort()).toEqual([
      "token_kms_key_id",
      "token_ssm_parameter",
    ]);
  });

  it("outputs the ASG names, launch template ids, role ARNs, security group, AMIs and schedule ids", async () => {
    expect(Object.keys(outputsOf(await cfgP))).toEqual(
      expect.arrayContaining([
        "asg_names",
        "launch_template_ids",
        "instance_role_arns",
        "schedule_ids",
        "security_group_id",
        "ami_ids",
      ]),
    );
  });

  it("warns about the launch configuration exactly when it is used", () => {
    expect(warnings(a).some((w) => w.includes("2024-10-01"))).toBe(a.useLaunchConfiguration);
  });
});

describe("warnings", () => {
  it("says when nothing would ever start a runner, naming the pool when there are several", () => {
    const idle = {
      scalingPolicy: "none",
      asgMinSize: 0,
      asgDesiredCapacity: 0,
      schedules: [{ name: "off", recurrence: "0 19 * * *", minSize: 0, maxSize: 0, desiredCapacity: 0 }],
    };
    expect(warnings(validAnswers(withPool(base, idle))).some((w) => w.includes("cannot scale out from zero"))).toBe(
      true,
    );
    expect(warnings(base)).toEqual([]);
    const two = validAnswers({
      ...base,
      pools: [base.pools[0], { ...idle, name: "idle", tokenSsmParameter: "/gitlab-runner/idle" }],
    });
    expect(warnings(two)).toEqual([
      expect.stringMatching(/^pools\/1 \(idle\) asgDesiredCapacity\/schedules: .*cannot scale out from zero/),
    ]);
  });

  it("a launch configuration takes a single instance type: more is an error, not a warning", () => {
    const legacy = { ...withPool(base, { onDemandPercentageAboveBase: 100 }), useLaunchConfiguration: true };
    expect(() => validAnswers(legacy)).toThrow(
      /\/instanceTypes: .*must hold a single instance type with useLaunchConfiguration/,
    );
    const single = {
      ...withPool(base, { onDemandPercentageAboveBase: 100, instanceTypes: ["t3.large"] }),
      useLaunchConfiguration: true,
    };
    expect(warnings(validAnswers(single))).toEqual([expect.stringContaining("2024-10-01")]);
  });
});

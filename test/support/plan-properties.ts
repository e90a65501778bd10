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
import { partitionOf } from "../../src/core/context/ci-permissions.js";
import { cacheBucketName, namesContext, poolNames } from "../../src/core/context/names.js";
import { scheduleSizes } from "../../src/core/context/terraform.js";
import { poolViews, type PoolView } from "../../src/core/pools.js";
import type { Answers } from "../../src/core/types.js";
import { runtimeConfig } from "../fixtures/ami/runtime-config.js";
import { renderAnswers } from "./tools.js";
import { ofType, type Plan, type PlannedResource, type TerraformResult } from "./terraform-plan.js";

/** The address prefix of one pool's module instance. */
const poolPrefix = (p: PoolView) => `module.pool["${p.name}"].`;

/** The planned resources of one type in one pool's module instance. */
function inPool(plan: Plan, p: PoolView, type: string): PlannedResource[] {
  return ofType(plan, type).filter((r) => r.address.startsWith(poolPrefix(p)));
}

/** The one planned resource of a type in a pool; fails when there is not exactly one. */
function theOne(plan: Plan, p: PoolView, type: string): PlannedResource {
  const rs = inPool(plan, p, type);
  if (rs.length !== 1)
    throw new Error(
      `expected one ${type} in pool ${p.name}, planned ${rs.length}: ${rs.map((r) => r.address).join(", ")}`,
    );
  return rs[0];
}

/** The one planned resource of a type outside the pools (shared). */
function theShared(plan: Plan, type: string): PlannedResource {
  const rs = ofType(plan, type).filter((r) => !r.address.startsWith("module."));
  if (rs.length !== 1) throw new Error(`expected one shared ${type}, planned ${rs.length}`);
  return rs[0];
}

/**
 * The IAM policy documents of the planned role policies, parsed. Every one must
 * be known at plan: a policy computed from a resource (such as the group's ARN)
 * is unknown until apply, and would depend on that resource.
 */
function rolePolicies(plan: Plan, p: PoolView): Record<string, { Statement: Record<string, any>[] }> {
  const out: Record<string, { Statement: Record<string, any>[] }> = {};
  for (const r of inPool(plan, p, "aws_iam_role_policy")) {
    expect(typeof r.values.policy, `${r.address}: its policy is known at plan`).toBe("string");
    out[r.name] = JSON.parse(r.values.policy);
  }
  return out;
}

/** The configuration (plan JSON) of the runner-pool module's resources and data sources, by address in the module. */
function configured(plan: Plan): Record<string, { address: string; expressions: any; depends_on?: string[] }> {
  const module = plan.configuration.root_module.module_calls.pool.module;
  return Object.fromEntries((module.resources ?? []).map((r: any) => [r.address, r]));
}

/** Every reference in a configuration expression tree. */
function referencesIn(expr: unknown): string[] {
  if (Array.isArray(expr)) return expr.flatMap(referencesIn);
  if (expr && typeof expr === "object") {
    const o = expr as Record<string, unknown>;
    return [
      ...(Array.isArray(o.references) ? (o.references as string[]) : []),
      ...Object.entries(o).flatMap(([k, v]) => (k === "references" ? [] : referencesIn(v))),
    ];
  }
  return [];
}

/** The runtime config the planned launch template or configuration of a pool writes. */
function runtimeConfigOf(a: Answers, plan: Plan, p: PoolView): Record<string, any> {
  const launch = a.useLaunchConfiguration
    ? theOne(plan, p, "aws_launch_configuration")
    : theOne(plan, p, "aws_launch_template");
  const userData = Buffer.from(
    a.useLaunchConfiguration ? launch.values.user_data_base64 : launch.values.user_data,
    "base64",
  ).toString("utf8");
  return JSON.parse(YAML.parse(userData).write_files[0].content);
}

/** The register unit's start timeout in seconds (the bound of register.sh's retries). */
function registerStartTimeoutSeconds(a: Answers): number {
  const unit = renderAnswers(a).find((f) => f.path === "files/systemd/gitlab-runner-aws.service")!.contents;
  const m = /^TimeoutStartSec=(\d+)(min|s)?$/m.exec(unit);
  if (!m) throw new Error("gitlab-runner-aws.service has no TimeoutStartSec");
  return Number(m[1]) * (m[2] === "min" ? 60 : 1);
}

/** The names several layers share, with a pool's own (group, launch template, hooks). */
const poolNamesOf = (a: Answers, p: PoolView) => ({ ...namesContext(a), ...poolNames(p) });

/** The ARN of a pool's group as IAM matches it (any group id). */
const asgArnPattern = (a: Answers, p: PoolView) =>
  `arn:${partitionOf(a.awsRegion)!.partition}:autoscaling:${a.awsRegion}:123456789012:autoScalingGroup:*:autoScalingGroupName/${poolNames(p).asgName}`;
const asList = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v as string]);

/** A pool's lifecycle hooks of one transition, each a resource of its own or declared inside the group. */
function hooks(plan: Plan, p: PoolView, transition: "LAUNCHING" | "TERMINATING"): Record<string, any>[] {
  const own = inPool(plan, p, "aws_autoscaling_lifecycle_hook").map((r) => ({ ...r.values, ownResource: true }));
  const inGroup = theOne(plan, p, "aws_autoscaling_group").values.initial_lifecycle_hook ?? [];
  return [...own, ...inGroup].filter((h) => h.lifecycle_transition === `autoscaling:EC2_INSTANCE_${transition}`);
}

export const planProperties: [name: string, check: (a: Answers, plan: Plan, result: TerraformResult) => void][] = [
  [
    "plans with no error, warning only about a legacy launch configuration",
    (a, plan, result) => {
      const summaries = result.warnings.map((w) => w.summary);
      // (the legacy check is declared once per pool)
      expect(summaries).toEqual(a.useLaunchConfiguration ? poolViews(a).map(() => "Check block assertion failed") : []);
      expect(
        plan.resource_changes.filter((c) => c.mode === "managed").every((c) => c.change.actions.join() === "create"),
      ).toBe(true);
    },
  ],
  [
    "grants no wildcard action, and reads the token from one parameter with one key, through SSM only",
    (a, plan, _result) => {
      for (const p of poolViews(a)) {
        const policies = rolePolicies(plan, p);
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
        expect(asList(read.Resource)).toEqual([
          `arn:${partitionOf(a.awsRegion)!.partition}:ssm:${a.awsRegion}:123456789012:parameter${p.tokenSsmParameter}`,
        ]);
        // (the cache's KMS key, if any, is decrypted through S3: its own property below)
        const [decrypt, ...moreDecrypts] = granting("kms:Decrypt").filter((st) => st.Sid !== "CacheKeyThroughS3");
        expect(moreDecrypts).toEqual([]);
        expect(asList(decrypt.Resource)).toHaveLength(1);
        expect(asList(decrypt.Resource)[0]).toMatch(/^arn:aws[a-z-]*:kms:/);
        expect(decrypt.Condition).toEqual({
          StringEquals: { "kms:ViaService": `ssm.${a.awsRegion}.${partitionOf(a.awsRegion)!.dnsSuffix}` },
        });
        for (const s of statements.filter((x) => asList(x.Resource).includes("*"))) {
          // Only actions without resource-level permissions may name every resource.
          for (const act of asList(s.Action))
            expect(act).toMatch(/^(cloudwatch:PutMetricData|ssm:UpdateInstanceInformation|ssmmessages:[A-Za-z]+)$/);
        }
        expect(ofType(plan, "aws_iam_role_policy_attachment")).toEqual([]);
      }
    },
  ],
  [
    "has one schedule per answer, with its recurrence, the time zone and every size",
    (a, plan, _result) => {
      for (const p of poolViews(a)) {
        const names = poolNamesOf(a, p);
        const planned = Object.fromEntries(
          inPool(plan, p, "aws_autoscaling_schedule").map((r) => [r.values.scheduled_action_name, r.values]),
        );
        expect(Object.keys(planned).sort()).toEqual(p.schedules.map((s) => s.name).sort());
        for (const s of p.schedules) {
          const want = scheduleSizes(p, s);
          expect(planned[s.name]).toMatchObject({
            ...want,
            time_zone: a.timeZone,
            autoscaling_group_name: names.asgName,
          });
        }
      }
    },
  ],
  [
    "holds terminating instances for the drain plus the unregister step, within Auto Scaling's 7200 s",
    (a, plan, _result) => {
      for (const p of poolViews(a)) {
        const names = poolNamesOf(a, p);
        const [hook, ...more] = hooks(plan, p, "TERMINATING");
        expect(more).toEqual([]);
        expect(hook).toMatchObject({
          heartbeat_timeout: p.drainTimeoutSeconds + 600,
          default_result: "CONTINUE",
          name: names.lifecycleHookName,
        });
        expect(hook.heartbeat_timeout).toBeLessThanOrEqual(7200);
      }
    },
  ],
  [
    "launches with IMDSv2 only, hop limit 1, and an encrypted gp3 root volume of the answered size",
    (a, plan, _result) => {
      for (const p of poolViews(a)) {
        const launch = a.useLaunchConfiguration
          ? theOne(plan, p, "aws_launch_configuration")
          : theOne(plan, p, "aws_launch_template");
        expect(launch.values.metadata_options).toEqual([
          expect.objectContaining({
            http_endpoint: "enabled",
            http_tokens: "required",
            http_put_response_hop_limit: 1,
          }),
        ]);
        const volume = a.useLaunchConfiguration
          ? launch.values.root_block_device[0]
          : launch.values.block_device_mappings[0].ebs[0];
        // The launch template's ebs flags are strings in the provider's schema ("true").
        expect({
          ...volume,
          encrypted: String(volume.encrypted),
          delete_on_termination: String(volume.delete_on_termination),
        }).toMatchObject({
          volume_type: "gp3",
          volume_size: p.rootVolumeSize,
          encrypted: "true",
          delete_on_termination: "true",
        });
        expect(launch.values.instance_type).toBe(p.instanceTypes[0]);
        if (!a.useLaunchConfiguration) {
          expect(launch.values.network_interfaces).toEqual([
            expect.objectContaining({ associate_public_ip_address: "false", device_index: 0 }),
          ]);
        } else expect(launch.values.associate_public_ip_address).toBe(false);
      }
    },
  ],
  [
    "writes exactly the runtime config the AMI's hook scripts read, through cloud-init user data",
    (a, plan, _result) => {
      for (const p of poolViews(a)) {
        const names = poolNamesOf(a, p);
        const launch = a.useLaunchConfiguration
          ? theOne(plan, p, "aws_launch_configuration")
          : theOne(plan, p, "aws_launch_template");
        const encoded = a.useLaunchConfiguration ? launch.values.user_data_base64 : launch.values.user_data;
        const userData = Buffer.from(encoded, "base64").toString("utf8");
        expect(userData.startsWith("#cloud-config\n")).toBe(true);
        const cloudConfig = YAML.parse(userData);
        expect(cloudConfig.write_files).toHaveLength(1);
        const [file] = cloudConfig.write_files;
        expect(file).toMatchObject({ path: names.runtimeConfigPath, owner: "root:root", permissions: "0644" });
        expect(JSON.parse(file.content)).toEqual(runtimeConfig(a, p));
        expect(userData).not.toMatch(/glrt-|GR1348941/);
        // The AMI's own check of the file (common.sh load_runtime_config) accepts it.
        const root = mkdtempSync(join(tmpdir(), "glra-runtime-"));
        mkdirSync(join(root, dirname(file.path)), { recursive: true });
        writeFileSync(join(root, file.path), file.content);
        const common = join(root, "common.sh");
        writeFileSync(common, renderAnswers(a).find((f) => f.path === "files/libexec/common.sh")!.contents);
        const check = spawnSync("bash", ["-c", '. "$1" && load_runtime_config', "check", common], {
          encoding: "utf8",
          env: { ...process.env, GITLAB_RUNNER_AWS_ROOT: root },
        });
        rmSync(root, { recursive: true, force: true });
        expect(check.stderr).toBe("");
        expect(check.status).toBe(0);
      }
    },
  ],
  [
    "keeps the answered tags and subnets intact, and spreads the group over exactly those subnets",
    (a, plan, _result) => {
      for (const p of poolViews(a)) {
        const asg = theOne(plan, p, "aws_autoscaling_group").values;
        expect([...asg.vpc_zone_identifier].sort()).toEqual([...new Set(a.subnetIds)].sort());
        const tags = Object.fromEntries(
          asg.tag.map((t: { key: string; value: string; propagate_at_launch: boolean }) => [t.key, t.value]),
        );
        expect(tags).toEqual({ ...p.tags, Project: a.projectName, ManagedBy: "terraform", Name: poolNames(p).name });
        expect(asg.tag.every((t: { propagate_at_launch: boolean }) => t.propagate_at_launch)).toBe(true);
        for (const r of ofType(plan, "aws_iam_role").concat(ofType(plan, "aws_security_group")))
          expect(r.values.tags_all).toMatchObject(a.tags);
      }
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
  [
    "destroy drains: both hooks live inside the group, and the group depends on every role policy, none of which refers to the group",
    (a, plan, _result) => {
      for (const p of poolViews(a)) {
        // A hook of its own refers to the group, so Terraform would destroy it (and the drain with it) first.
        expect(ofType(plan, "aws_autoscaling_lifecycle_hook")).toEqual([]);
        for (const h of [...hooks(plan, p, "LAUNCHING"), ...hooks(plan, p, "TERMINATING")])
          expect(h.ownResource).toBeUndefined();
        const cfg = configured(plan);
        const policies = Object.keys(cfg).filter((addr) => addr.startsWith("aws_iam_role_policy."));
        expect(policies.length).toBeGreaterThan(0);
        // Created before the group, destroyed after it: the last instance can still complete its lifecycle action.
        // (both declarations of the group: with and without schedules, modules/runner-pool/asg.tf)
        for (const group of ["aws_autoscaling_group.runner", "aws_autoscaling_group.unscheduled"])
          expect([...(cfg[group].depends_on ?? [])].sort(), group).toEqual(expect.arrayContaining(policies.sort()));
        for (const addr of policies) {
          const refs = referencesIn(cfg[addr].expressions);
          const docs = refs.filter((r) => /^data\.aws_iam_policy_document\.[a-z_]+$/.test(r));
          const all = [...refs, ...docs.flatMap((d) => referencesIn(cfg[d].expressions))];
          expect(
            all.filter((r) => r.startsWith("aws_autoscaling_group")),
            addr,
          ).toEqual([]);
        }
      }
    },
  ],
  [
    "gates every launch on registration: a launch hook in the group that abandons after register.sh's whole retry budget",
    (a, plan, _result) => {
      for (const p of poolViews(a)) {
        const names = poolNamesOf(a, p);
        const [hook, ...more] = hooks(plan, p, "LAUNCHING");
        expect(more).toEqual([]);
        expect(hook).toMatchObject({ name: names.launchLifecycleHookName, default_result: "ABANDON" });
        expect(hook.heartbeat_timeout).toBeGreaterThanOrEqual(registerStartTimeoutSeconds(a));
        expect(hook.heartbeat_timeout).toBeLessThanOrEqual(7200);
        expect(runtimeConfigOf(a, plan, p)).toMatchObject({
          launch_lifecycle_hook_name: hook.name,
          lifecycle_hook_name: names.lifecycleHookName,
        });
      }
    },
  ],
  [
    "lets an instance act on its own group and tag only itself, with the system_id tag key only; all known at plan",
    (a, plan, _result) => {
      for (const p of poolViews(a)) {
        const statements = Object.values(rolePolicies(plan, p)).flatMap((d) => d.Statement);
        const granting = (action: string) => statements.filter((s) => asList(s.Action).includes(action));
        for (const action of ["autoscaling:CompleteLifecycleAction", "autoscaling:SetInstanceHealth"]) {
          const [s, ...more] = granting(action);
          expect(more, action).toEqual([]);
          expect(asList(s.Resource), action).toEqual([asgArnPattern(a, p)]);
          expect(s.Condition, action).toBeUndefined();
        }
        const [tag, ...moreTags] = granting("ec2:CreateTags");
        expect(moreTags).toEqual([]);
        expect(asList(tag.Action)).toEqual(["ec2:CreateTags"]);
        expect(asList(tag.Resource)).toEqual([
          `arn:${partitionOf(a.awsRegion)!.partition}:ec2:${a.awsRegion}:123456789012:instance/*`,
        ]);
        expect(tag.Condition).toEqual({
          StringEquals: { "aws:ARN": "${ec2:SourceInstanceARN}" },
          "ForAllValues:StringEquals": { "aws:TagKeys": poolNamesOf(a, p).systemIdTagKey },
        });
      }
    },
  ],
  [
    "replaces instances launch-before-terminate (maintenance policy and refresh at 100-200 %), and rolls a failed refresh back",
    (a, plan, _result) => {
      for (const p of poolViews(a)) {
        const asg = theOne(plan, p, "aws_autoscaling_group").values;
        expect(asg.instance_maintenance_policy).toEqual([{ min_healthy_percentage: 100, max_healthy_percentage: 200 }]);
        const [refresh] = asg.instance_refresh;
        expect(refresh.strategy).toBe("Rolling");
        // Auto rollback needs a launch template with a numbered version; AWS refuses it with a launch configuration.
        expect(refresh.preferences[0]).toMatchObject({
          min_healthy_percentage: 100,
          max_healthy_percentage: 200,
          auto_rollback: !a.useLaunchConfiguration || null,
        });
        if (!a.useLaunchConfiguration) {
          // ... and a numbered version: the new template's latest_version (unknown until apply), never a
          // constant such as $Latest or $Default.
          const address = theOne(plan, p, "aws_autoscaling_group").address;
          const unknown = plan.resource_changes.find((c) => c.address === address)!.change.after_unknown;
          const versions = [
            ...(unknown.launch_template ?? []).map((l: any) => l.version),
            ...(unknown.mixed_instances_policy ?? []).map(
              (m: any) => m.launch_template?.[0]?.launch_template_specification?.[0]?.version,
            ),
          ];
          expect(versions).toEqual([true]);
        }
      }
    },
  ],
  [
    "keeps the shared cache in one private, encrypted, TLS-only, expiring bucket that the instance role alone reads and writes",
    (a, plan, _result) => {
      for (const p of poolViews(a)) {
        const P = partitionOf(a.awsRegion)!;
        const bucketName = cacheBucketName(a, "123456789012");
        const bucketArn = `arn:${P.partition}:s3:::${bucketName}`;
        const s3 = plan.resource_changes.filter((c) => c.mode === "managed" && c.type.startsWith("aws_s3_"));
        const cachePolicy = rolePolicies(plan, p).runner_cache;
        if (!a.cacheS3) {
          expect(s3).toEqual([]);
          expect(cachePolicy).toBeUndefined();
          continue;
        }
        const one = (type: string) => theShared(plan, type).values;
        expect(one("aws_s3_bucket")).toMatchObject({ bucket: bucketName, force_destroy: true });
        const blocked = {
          block_public_acls: true,
          block_public_policy: true,
          ignore_public_acls: true,
          restrict_public_buckets: true,
        };
        expect(one("aws_s3_bucket_public_access_block")).toMatchObject(blocked);
        expect(one("aws_s3_bucket_ownership_controls").rule).toEqual([{ object_ownership: "BucketOwnerEnforced" }]);
        const [sse] = one("aws_s3_bucket_server_side_encryption_configuration").rule;
        const [byDefault, ...moreDefaults] = sse.apply_server_side_encryption_by_default;
        expect(moreDefaults).toEqual([]);
        expect({ algorithm: byDefault.sse_algorithm, key: byDefault.kms_master_key_id ?? "" }).toEqual({
          algorithm: a.cacheKmsKeyArn ? "aws:kms" : "AES256",
          key: a.cacheKmsKeyArn,
        });
        expect(sse.bucket_key_enabled).toBe(a.cacheKmsKeyArn !== "");
        const [rule, ...moreRules] = one("aws_s3_bucket_lifecycle_configuration").rule;
        expect(moreRules).toEqual([]);
        expect(rule).toMatchObject({
          status: "Enabled",
          expiration: [expect.objectContaining({ days: a.cacheExpirationDays })],
        });
        // the rule covers every object: an empty filter, no prefix
        expect(rule.prefix ?? "").toBe("");
        const empty = (v: unknown) => v === null || v === "" || (Array.isArray(v) && !v.length);
        expect((rule.filter ?? []).every((f: Record<string, unknown>) => Object.values(f).every(empty))).toBe(true);
        // the bucket policy denies every request over plain HTTP, to anyone, on the bucket and its objects
        const bucketPolicy = JSON.parse(one("aws_s3_bucket_policy").policy);
        expect(bucketPolicy.Statement).toEqual([
          {
            Sid: "DenyInsecureTransport",
            Effect: "Deny",
            Principal: "*",
            Action: "s3:*",
            Resource: expect.arrayContaining([bucketArn, `${bucketArn}/*`]),
            Condition: { Bool: { "aws:SecureTransport": "false" } },
          },
        ]);
        // the instance role: that bucket's objects and listing only, and the cache key through S3 only
        const statements = Object.values(rolePolicies(plan, p)).flatMap((d) => d.Statement);
        const s3Statements = statements.filter((st) => asList(st.Action).some((x) => x.startsWith("s3:")));
        expect(s3Statements.every((st) => st.Sid === "ListCacheBucket" || st.Sid === "ReadWriteCacheObjects")).toBe(
          true,
        );
        const bySid = Object.fromEntries(s3Statements.map((st) => [st.Sid, st]));
        expect(asList(bySid.ListCacheBucket.Action)).toEqual(["s3:ListBucket"]);
        expect(asList(bySid.ListCacheBucket.Resource)).toEqual([bucketArn]);
        expect(asList(bySid.ReadWriteCacheObjects.Action).sort()).toEqual(["s3:GetObject", "s3:PutObject"]);
        expect(asList(bySid.ReadWriteCacheObjects.Resource)).toEqual([`${bucketArn}/*`]);
        const key = statements.filter((st) => st.Sid === "CacheKeyThroughS3");
        if (a.cacheKmsKeyArn) {
          expect(key).toHaveLength(1);
          expect(asList(key[0].Resource)).toEqual([a.cacheKmsKeyArn]);
          expect(key[0].Condition).toEqual({ StringEquals: { "kms:ViaService": `s3.${a.awsRegion}.${P.dnsSuffix}` } });
        } else expect(key).toEqual([]);
      }
    },
  ],
  [
    "buys Spot only as answered: the On-Demand base and share, price-capacity-optimized across every listed type, rebalancing on",
    (a, plan, _result) => {
      for (const p of poolViews(a)) {
        const asg = theOne(plan, p, "aws_autoscaling_group").values;
        const spot = p.onDemandPercentageAboveBase < 100;
        if (a.useLaunchConfiguration) {
          expect(spot).toBe(false);
          expect(asg.mixed_instances_policy ?? []).toEqual([]);
          return;
        }
        expect(asg.capacity_rebalance).toBe(spot);
        if (!spot && p.instanceTypes.length === 1) {
          expect(asg.mixed_instances_policy).toEqual([]);
          expect(asg.launch_template).toHaveLength(1);
          return;
        }
        expect(asg.launch_template).toEqual([]);
        const [mixed] = asg.mixed_instances_policy;
        expect(mixed.instances_distribution).toEqual([
          expect.objectContaining({
            on_demand_base_capacity: p.onDemandBaseCapacity,
            on_demand_percentage_above_base_capacity: p.onDemandPercentageAboveBase,
            spot_allocation_strategy: "price-capacity-optimized",
          }),
        ]);
        expect(mixed.launch_template[0].override.map((o: { instance_type: string }) => o.instance_type)).toEqual(
          p.instanceTypes,
        );
      }
    },
  ],
  [
    "gives the instance role the answered permissions boundary, or none",
    (a, plan, _result) => {
      for (const p of poolViews(a)) {
        expect(theOne(plan, p, "aws_iam_role").values.permissions_boundary ?? "").toBe(a.permissionsBoundaryArn);
      }
    },
  ],
  [
    "keeps the hosts' logs in one group for the answered days, with the answered key; the instances may write to that group only",
    (a, plan, _result) => {
      for (const p of poolViews(a)) {
        const names = poolNamesOf(a, p);
        const group = theShared(plan, "aws_cloudwatch_log_group").values;
        expect(group).toMatchObject({ name: names.logGroupName, retention_in_days: a.logRetentionDays });
        expect(group.kms_key_id ?? "").toBe(a.logKmsKeyArn);
        const statements = Object.values(rolePolicies(plan, p)).flatMap((d) => d.Statement);
        const logs = statements.filter((s) => asList(s.Action).some((x) => x.startsWith("logs:")));
        expect(logs).toHaveLength(1);
        expect(asList(logs[0].Action).sort()).toEqual(["logs:CreateLogStream", "logs:PutLogEvents"]);
        expect(asList(logs[0].Resource)).toEqual([
          `arn:${partitionOf(a.awsRegion)!.partition}:logs:${a.awsRegion}:123456789012:log-group:${group.name}:log-stream:*`,
        ]);
        // The instances ship to the group Terraform creates.
        expect(runtimeConfigOf(a, plan, p).log_group_name).toBe(group.name);
      }
    },
  ],
  [
    "alarms on registration failures, timed-out lifecycle actions, a full disk, the group at its maximum and (jobs) missing busy slots, notifying the SNS answer",
    (a, plan, _result) => {
      for (const p of poolViews(a)) {
        const config = runtimeConfigOf(a, plan, p);
        const alarms = Object.fromEntries(
          inPool(plan, p, "aws_cloudwatch_metric_alarm").map((r) => [r.name, r.values]),
        );
        const want = [
          "registration_failures",
          "lifecycle_timeouts",
          "disk_full",
          "at_max_size",
          ...(p.scalingPolicy === "jobs" ? ["busy_slots_missing"] : []),
        ];
        expect(Object.keys(alarms).sort()).toEqual(want.sort());
        const actions = a.alarmSnsTopicArn ? [a.alarmSnsTopicArn] : [];
        for (const [name, alarm] of Object.entries(alarms)) {
          expect(alarm.alarm_actions ?? [], name).toEqual(actions);
          expect(alarm.ok_actions ?? [], name).toEqual(actions);
          expect(alarm.alarm_name.startsWith(`${poolNames(p).name}-`), name).toBe(true);
        }
        // Each alarm watches the metric the hooks publish, under the names the runtime config gives them.
        const dims = { [config.metric_dimension]: config.asg_name };
        expect(alarms.registration_failures).toMatchObject({
          namespace: config.metrics_namespace,
          metric_name: config.registration_failure_metric,
          dimensions: dims,
        });
        expect(alarms.lifecycle_timeouts).toMatchObject({
          namespace: config.metrics_namespace,
          metric_name: config.lifecycle_timeout_metric,
          dimensions: dims,
        });
        expect(alarms.disk_full).toMatchObject({
          namespace: config.metrics_namespace,
          metric_name: config.disk_metric_name,
          dimensions: dims,
          statistic: "Maximum",
        });
        expect(alarms.disk_full.threshold).toBe(a.diskAlarmPercent);
        // At maximum for alarmAtMaxMinutes one-minute periods in a row.
        const atMax = alarms.at_max_size;
        expect(atMax.evaluation_periods).toBe(a.alarmAtMaxMinutes);
        expect(
          atMax.metric_query.filter((q: any) => q.metric?.length).every((q: any) => q.metric[0].period === 60),
        ).toBe(true);
        if (p.scalingPolicy === "jobs") {
          const missing = alarms.busy_slots_missing;
          expect(missing.treat_missing_data).toBe("breaching");
          const metrics = missing.metric_query.filter((q: any) => q.metric?.length).map((q: any) => q.metric[0]);
          expect(metrics).toEqual(
            expect.arrayContaining([
              expect.objectContaining({
                namespace: config.metrics_namespace,
                metric_name: config.metric_name,
                dimensions: dims,
              }),
              expect.objectContaining({
                namespace: "AWS/AutoScaling",
                metric_name: "GroupInServiceInstances",
                dimensions: { AutoScalingGroupName: config.asg_name },
              }),
            ]),
          );
        }
      }
    },
  ],
];

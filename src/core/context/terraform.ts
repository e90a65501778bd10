import { poolViews, type PoolView, V1_POOL } from "../pools.js";
import type { Answers } from "../types.js";
import { listedPartition } from "../aws-data.js";
import { rootDeviceOf } from "./ami.js";
import { cacheBucketName, namesContext, poolNames } from "./names.js";
import { poolObjectType, scheduleSizes, tfvars, tfVariables } from "./tf-variables.js";

export { scheduleSizes, tfvars };

/** Whether the pool's group may run Spot instances: some capacity above the On-Demand base is not On-Demand. */
export function usesSpot(a: PoolView): boolean {
  return a.onDemandPercentageAboveBase < 100;
}

/** What the generator should tell the user about these answers' Terraform. */
export function warnings(a: Answers): string[] {
  const out: string[] = [];
  if (a.useLaunchConfiguration) {
    out.push(
      "useLaunchConfiguration: launch configurations are legacy. AWS accounts created on or after 2024-10-01 cannot create them, and they get no instance types released after 2022; prefer the launch template (useLaunchConfiguration: false).",
    );
  }
  const pools = poolViews(a);
  pools.forEach((p, i) => {
    const where = pools.length > 1 || p.name !== V1_POOL ? `pools/${i} (${p.name}) ` : "";
    if (usesSpot(p) && p.instanceTypes.length === 1) {
      out.push(
        `${where}onDemandPercentageAboveBase/instanceTypes: Spot with a single instance type has one capacity pool per availability zone, so ` +
          "interruptions and unfilled capacity are more likely; list several similar types (e.g. t3.large, t3a.large, m5.large).",
      );
    }
    const desired = p.schedules.length
      ? p.schedules.map((s) => scheduleSizes(p, s).desired_capacity)
      : [p.asgDesiredCapacity];
    if (desired.every((d) => d === 0)) {
      out.push(
        `${where}asgDesiredCapacity/schedules: no schedule (or the initial size) asks for a runner instance, and load-driven scaling cannot scale out from zero, so no runner would ever start.`,
      );
    }
  });
  return out;
}

/** The shared variables the runner-pool module takes as they are (same name and type as the root's). */
const MODULE_VARIABLES = [
  "project_name",
  "aws_region",
  "subnet_ids",
  "gitlab_url",
  "registration_mode",
  "time_zone",
  "session_manager_access",
  "permissions_boundary_arn",
  "disk_prune_threshold_percent",
  "disk_alarm_percent",
  "alarm_sns_topic_arn",
  "alarm_at_max_minutes",
];

/** The pool named default's resources in the module, by their schema v1 address in the root (moved.tf). */
export function movedFromV1(a: Answers): [from: string, to: string][] {
  const pool = poolViews(a).find((p) => p.name === V1_POOL);
  if (!pool) return [];
  const to = (address: string) => `module.pool[${JSON.stringify(V1_POOL)}].${address}`;
  const same = (address: string): [string, string] => [address, to(address)];
  return [
    same(a.useLaunchConfiguration ? "aws_launch_configuration.runner" : "aws_launch_template.runner"),
    [
      "aws_autoscaling_group.runner",
      to(`aws_autoscaling_group.${pool.schedules.length ? "runner" : "unscheduled"}[0]`),
    ],
    same("aws_autoscaling_schedule.runner"),
    same("aws_autoscaling_policy.load"),
    same("aws_iam_role.runner"),
    same("aws_iam_instance_profile.runner"),
    same("aws_iam_role_policy.runner_boot"),
    same("aws_iam_role_policy.runner_cache"),
    same("aws_iam_role_policy.runner_lifecycle"),
    same("aws_iam_role_policy.session_manager"),
    same("aws_cloudwatch_metric_alarm.registration_failures"),
    same("aws_cloudwatch_metric_alarm.lifecycle_timeouts"),
    same("aws_cloudwatch_metric_alarm.disk_full"),
    same("aws_cloudwatch_metric_alarm.at_max_size"),
    same("aws_cloudwatch_metric_alarm.busy_slots_missing"),
  ];
}

/** The account of the module example's ids (AWS's documentation account). */
const EXAMPLE_ACCOUNT = "111122223333";

/**
 * terraform/modules/runner-pool/example.auto.tfvars.json: every input of the
 * module for the first pool, so that `terraform plan` in the module's own
 * folder (as the repo's validators run it in every folder with *.tf) plans one
 * pool. The pool and the shared answers are the real ones; what the root
 * computes (image, security group, key, bucket) gets example ids. Terraform
 * reads *.auto.tfvars.json only in the root module, so the real plan never
 * sees this file.
 */
export function moduleExample(a: Answers) {
  const vars = tfvars(a) as Record<string, unknown> & { pools: Record<string, unknown> };
  const first = poolViews(a)[0];
  const partition = listedPartition(a.awsRegion) ?? "aws";
  const bucket = cacheBucketName(a, EXAMPLE_ACCOUNT);
  return {
    name: poolNames(first).name,
    pool: vars.pools[first.name],
    ...Object.fromEntries(MODULE_VARIABLES.map((n) => [n, vars[n]])),
    image: { id: "ami-0123456789abcdef0", root_device_name: rootDeviceOf(a) },
    security_group_id: "sg-0123456789abcdef0",
    token_kms_key_arn: `arn:${partition}:kms:${a.awsRegion}:${EXAMPLE_ACCOUNT}:key/00000000-0000-0000-0000-000000000000`,
    cache: {
      enabled: a.cacheS3,
      bucket_name: bucket,
      bucket_arn: `arn:${partition}:s3:::${bucket}`,
      kms_key_arn: vars.cache_kms_key_arn,
    },
    log_group_name: namesContext(a).logGroupName,
    metric_namespace: `GitLabRunner/${a.projectName}`,
    tags: { ...a.tags, Project: a.projectName, ManagedBy: "terraform" },
  };
}

/** Values derived from the answers for the templates of this layer (ctx.tf). */
export function terraformContext(a: Answers) {
  return {
    tfvars: tfvars(a),
    variables: tfVariables(),
    poolType: poolObjectType(),
    moduleVariables: MODULE_VARIABLES,
    moduleVariablesWidth: Math.max(...MODULE_VARIABLES.map((n) => n.length)),
    movedFromV1: movedFromV1(a),
    moduleExample: moduleExample(a),
    useLaunchConfiguration: a.useLaunchConfiguration,
  };
}

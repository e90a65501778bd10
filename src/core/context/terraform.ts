import type { Answers, Schedule } from "../types.js";

/** One scheduled action as terraform.tfvars.json carries it: every size explicit. */
export interface TfSchedule {
  recurrence: string;
  min_size: number;
  max_size: number;
  desired_capacity: number;
}

/** A schedule's sizes, with the ones left out taken from the answered ASG sizes. */
export function scheduleSizes(a: Answers, s: Schedule): TfSchedule {
  return {
    recurrence: s.recurrence,
    min_size: s.minSize ?? a.asgMinSize,
    max_size: s.maxSize ?? a.asgMaxSize,
    desired_capacity: s.desiredCapacity ?? a.asgDesiredCapacity,
  };
}

/**
 * The answers Terraform needs, keyed by the names variables.tf declares.
 * Emitted as terraform/terraform.tfvars.json, so user text never enters HCL.
 */
export function tfvars(a: Answers): Record<string, unknown> {
  return {
    aws_region: a.awsRegion,
    project_name: a.projectName,
    vpc_id: a.vpcId,
    subnet_ids: a.subnetIds,
    architecture: a.architecture,
    base_os: a.baseOs,
    ami_id: a.amiId,
    instance_types: a.instanceTypes,
    root_volume_size: a.rootVolumeSize,
    asg_min_size: a.asgMinSize,
    asg_max_size: a.asgMaxSize,
    asg_desired_capacity: a.asgDesiredCapacity,
    on_demand_base_capacity: a.onDemandBaseCapacity,
    on_demand_percentage_above_base_capacity: a.onDemandPercentageAboveBase,
    gitlab_url: a.gitlabUrl,
    registration_mode: a.registrationMode,
    token_ssm_parameter: a.tokenSsmParameter,
    token_kms_key_id: a.tokenKmsKeyId,
    runner_description: a.runnerDescription,
    runner_tags: a.runnerTags,
    run_untagged: a.runUntagged,
    runner_locked: a.runnerLocked,
    executor: a.executor,
    docker_image: a.dockerImage,
    docker_privileged: a.dockerPrivileged,
    concurrent: a.concurrent,
    cache_s3: a.cacheS3,
    cache_expiration_days: a.cacheExpirationDays,
    cache_kms_key_arn: a.cacheKmsKeyArn,
    time_zone: a.timeZone,
    schedules: Object.fromEntries(a.schedules.map((s) => [s.name, scheduleSizes(a, s)])),
    scaling_policy: a.scalingPolicy,
    scaling_target_value: a.scalingTargetValue,
    drain_timeout_seconds: a.drainTimeoutSeconds,
    egress_cidrs: a.egressCidrs,
    session_manager_access: a.sessionManagerAccess,
    permissions_boundary_arn: a.permissionsBoundaryArn,
    tags: a.tags,
  };
}

/** Whether the group may run Spot instances: some capacity above the On-Demand base is not On-Demand. */
export function usesSpot(a: Answers): boolean {
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
  if (usesSpot(a) && a.instanceTypes.length === 1) {
    out.push(
      "onDemandPercentageAboveBase/instanceTypes: Spot with a single instance type has one capacity pool per availability zone, so interruptions and unfilled capacity are more likely; list several similar types (e.g. t3.large, t3a.large, m5.large).",
    );
  }
  const desired = a.schedules.length ? a.schedules.map((s) => scheduleSizes(a, s).desired_capacity) : [a.asgDesiredCapacity];
  if (desired.every((d) => d === 0)) {
    out.push(
      "asgDesiredCapacity/schedules: no schedule (or the initial size) asks for a runner instance, and load-driven scaling cannot scale out from zero, so no runner would ever start.",
    );
  }
  return out;
}

/** Values derived from the answers for the templates of this layer (ctx.tf). */
export function terraformContext(a: Answers) {
  return {
    tfvars: tfvars(a),
    useLaunchConfiguration: a.useLaunchConfiguration,
    spot: usesSpot(a),
  };
}

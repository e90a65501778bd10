import { type PoolView, V1_POOL } from "../pools.js";
import type { Answers } from "../types.js";

/** The shared answers: all answers, or one pool's view of them. */
type Shared = Omit<Answers, "pools">;

/**
 * Names that more than one layer must agree on (AMI tags Terraform looks up,
 * the runtime config file the launch template writes and the hooks read,
 * the lifecycle hook the stop path completes, the metric the publisher sends
 * and the scaling policy tracks).
 */
export function namesContext(a: Shared) {
  return {
    asgName: a.projectName,
    launchTemplateName: a.projectName,
    lifecycleHookName: `${a.projectName}-drain`,
    /** The EC2_INSTANCE_LAUNCHING hook register.sh completes once registered (ABANDON after its last failure). */
    launchLifecycleHookName: `${a.projectName}-launch`,
    /** Its heartbeat: longer than register.sh's whole retry budget (gitlab-runner-aws.service TimeoutStartSec, 15 min). */
    launchHeartbeatSeconds: 1200,
    /** The tag key each instance puts on itself, with its runner's system_id as the value. */
    systemIdTagKey: "GitLabRunnerSystemId",
    /** Tags the Packer build puts on the AMI; Terraform's aws_ami lookup filters on Project, BaseOs and Architecture. */
    amiTagKeys: {
      project: "Project",
      baseOs: "BaseOs",
      architecture: "Architecture",
      runnerVersion: "GitlabRunnerVersion",
      generatorVersion: "GeneratorVersion",
    },
    /** JSON written by the launch template's cloud-init user data, read by the hooks at boot. */
    runtimeConfigPath: "/etc/gitlab-runner-aws/runner.json",
    metricNamespace: `GitLabRunner/${a.projectName}`,
    metricName: "BusySlotsPercent",
    metricDimension: "AutoScalingGroupName",
    /** Published by register.sh when it gives up (the launch is abandoned): the registration-failure alarm counts it. */
    registrationFailureMetric: "RegistrationFailures",
    /** Published by the hooks when completing a lifecycle action finds it gone: it timed out first. */
    lifecycleTimeoutMetric: "LifecycleActionTimeouts",
    /** Published by the prune timer: the root volume's usage, for the disk alarm. */
    diskMetricName: "DiskUsedPercent",
    /** The CloudWatch Logs group the hosts ship their journal to (one stream per instance id). */
    logGroupName: `/gitlab-runner-aws/${a.projectName}`,
    /** The file the journal forwarder writes and the CloudWatch agent tails. */
    journalLogPath: "/var/log/gitlab-runner-aws/journal.log",
  };
}

/**
 * The shared cache bucket (terraform/cache.tf builds the same name): S3 names
 * are global, so account and region make it unique, and a name known before
 * apply keeps the instance role's policy known at plan. At most 60 characters
 * (project 32, account 12, region 14), within S3's 63.
 */
export function cacheBucketName(a: Shared, accountId: string): string {
  return `${a.projectName}-${accountId}-${a.awsRegion}`;
}

/**
 * The prefix of one pool's resource names: the project name for the pool
 * named default (exactly the names a single-pool repo of schema v1 used, so
 * a migrated stack keeps its resources), `project-pool` for any other
 * (terraform/modules/runner-pool locals.tf builds the same).
 */
export function poolResourceName(projectName: string, pool: string): string {
  return pool === V1_POOL ? projectName : `${projectName}-${pool}`;
}

/** The names of one pool's group, launch template and hooks, which the instances read from its runtime config. */
export function poolNames(p: PoolView) {
  const name = poolResourceName(p.projectName, p.name);
  return {
    name,
    asgName: name,
    launchTemplateName: name,
    lifecycleHookName: `${name}-drain`,
    launchLifecycleHookName: `${name}-launch`,
  };
}

// Generated from schema/answers.schema.json by scripts/answers-type.mjs (npm run docs). Do not edit.

export interface Schedule {
  name: string;
  recurrence: string;
  minSize?: number;
  maxSize?: number;
  desiredCapacity?: number;
}

export interface Pool {
  /**
   * Name of the pool, unique among the pools; part of its resource names (pool default keeps the names of a
   * single-pool repo).
   */
  name: string;
  /** CPU architecture of the AMI and the instances (arm64 needs Graviton instance types). */
  architecture: "x86_64" | "arm64";
  /**
   * Instance types for the runners; the first is the launch template's, the others are overrides of a
   * mixed-instances policy.
   */
  instanceTypes: string[];
  /** Size in GiB of the encrypted gp3 root volume (Docker images and build caches live here). */
  rootVolumeSize: number;
  /**
   * Minimum size of the Auto Scaling Group during working hours; at least 1 with load-driven scaling, which
   * cannot scale out from zero.
   */
  asgMinSize: number;
  /** Maximum size of the Auto Scaling Group. */
  asgMaxSize: number;
  /** Desired size at creation and when the morning schedule scales back up. */
  asgDesiredCapacity: number;
  /**
   * Instances of the group that are always On-Demand; only capacity above them can be Spot
   * (onDemandPercentageAboveBase).
   */
  onDemandBaseCapacity: number;
  /**
   * Percentage of the capacity above onDemandBaseCapacity that is On-Demand; the rest is Spot, allocated
   * price-capacity-optimized across instanceTypes, with capacity rebalancing. 100: no Spot. Below 100 needs
   * the launch template (not useLaunchConfiguration). A Spot instance stops taking jobs and unregisters on
   * its two-minute interruption notice; its running jobs fail with runner_system_failure.
   */
  onDemandPercentageAboveBase: number;
  /**
   * Name of the SSM SecureString parameter that holds the runner token. The token itself never enters the
   * repo or the AMI.
   */
  tokenSsmParameter: string;
  /** Runner name shown in GitLab; each host appends its instance id. */
  runnerDescription: string;
  /**
   * Runner tags. registration-token: passed when each host registers. authentication-token: tags are a
   * setting of the runner in GitLab, set by the README's API call that creates it (the hosts never pass
   * them).
   */
  runnerTags: string[];
  /**
   * Pick up untagged jobs; set at registration (registration-token) or by the README's API call that creates
   * the runner (authentication-token). A runner without runnerTags always does: GitLab refuses a runner with
   * neither.
   */
  runUntagged: boolean;
  /**
   * Lock the runner to its project; set at registration (registration-token) or by the README's API call that
   * creates the runner (authentication-token).
   */
  runnerLocked: boolean;
  /** gitlab-runner executor on each instance. */
  executor: "docker" | "shell";
  /** Default image of the docker executor, for jobs that name none. Pin a tag or digest. */
  dockerImage: string;
  /** Run job containers privileged (needed for Docker-in-Docker; weakens isolation). */
  dockerPrivileged: boolean;
  /** Jobs one instance runs at once (config.toml concurrent and the runner's limit). */
  concurrent: number;
  /**
   * Scheduled scaling actions (5-field cron in timeZone). A size left out takes the answered ASG size, so the
   * default morning action restores asgMinSize/asgMaxSize/asgDesiredCapacity.
   */
  schedules: Schedule[];
  /**
   * Load-driven scaling between the schedules: jobs tracks busy runner slots against concurrent (published to
   * CloudWatch from each instance), cpu tracks average CPU, none leaves it to the schedules. Neither can
   * scale out from zero.
   */
  scalingPolicy: "jobs" | "cpu" | "none";
  /** Target of the tracking policy, in percent of busy job slots (jobs) or CPU (cpu). */
  scalingTargetValue: number;
  /**
   * How long a stopping runner may finish its running jobs before it is stopped (systemd TimeoutStopSec); the
   * lifecycle-hook heartbeat adds 600 s for unregistering, within the 7200 s Auto Scaling allows.
   */
  drainTimeoutSeconds: number;
  /**
   * Extra AWS tags on this pool's Auto Scaling group and on its instances, volumes and network interfaces,
   * over the shared tags (on the same key the pool's value wins); the pool's role, alarms and schedules carry
   * the shared tags.
   */
  tags: Record<string, string>;
}

/** Validated answers, with every default applied (an answer with neither a default nor required is optional). */
export interface Answers {
  /** Name and prefix of every AWS resource, the AMI and the CloudWatch namespace. */
  projectName: string;
  /** AWS region for the AMI build and the runners. */
  awsRegion: string;
  /** VPC that holds the runner subnets. */
  vpcId: string;
  /** Private subnets the Auto Scaling Group spreads runners over (one per availability zone is best). */
  subnetIds: string[];
  /**
   * Private subnet Packer builds the AMI in; it needs a route to the package mirrors (NAT) and, for
   * session_manager, to SSM.
   */
  buildSubnetId: string;
  /** Base OS of the AMI: Amazon Linux 2023 or Ubuntu 24.04 LTS. */
  baseOs: "al2023" | "ubuntu-24.04";
  /** URL of the GitLab instance the runners register with. */
  gitlabUrl: string;
  /**
   * authentication-token: a runner created in GitLab (glrt-…); its tags and flags are settings in GitLab,
   * which the README's API call sets from these answers. registration-token: the legacy flow (disabled by
   * default since GitLab 17.0); the hosts pass tags and flags when they register.
   */
  registrationMode: "authentication-token" | "registration-token";
  /**
   * KMS key (id, ARN or alias) that encrypts the token parameter; the instance role may decrypt with this key
   * only.
   */
  tokenKmsKeyId: string;
  /**
   * A shared job cache in an S3 bucket of this project (encrypted, private, TLS only, expired by a lifecycle
   * rule): every instance reads and writes it with its instance role, so the cache outlives scale-in and the
   * evening shutdown. false: each instance keeps its own /cache, lost with the instance.
   */
  cacheS3: boolean;
  /** Days after which the lifecycle rule deletes a cache object (counted from its last upload). */
  cacheExpirationDays: number;
  /**
   * KMS key ARN that encrypts the cache bucket (SSE-KMS, with an S3 Bucket Key); the instance role may use
   * this key through S3 only. Empty: SSE-S3 (AES-256 keys managed by S3, no KMS cost).
   */
  cacheKmsKeyArn: string;
  /** gitlab-runner version pinned into the AMI. */
  gitlabRunnerVersion: string;
  /** Extra distribution packages baked into the AMI. */
  extraPackages: string[];
  /** IANA time zone the schedules are written in. */
  timeZone: string;
  /**
   * The runner pools, each its own Auto Scaling Group and GitLab runner (own token, tags and executor), all
   * from the one AMI pipeline; their fields are listed apart (pool fields). Default: one pool named default,
   * every field at its default.
   */
  pools: Pool[];
  /**
   * How Packer reaches the build instance: through Session Manager (no inbound rule at all) or the private IP
   * from inside the VPC.
   */
  sshInterface: "session_manager" | "private_ip";
  /** Instance type of the Packer build; empty takes t3.small (x86_64) or t4g.small (arm64). */
  buildInstanceType: string;
  /**
   * CIDRs allowed to reach the build instance's SSH port when sshInterface is private_ip (the CI runners'
   * network). Never 0.0.0.0/0.
   */
  buildAllowedCidrs: string[];
  /**
   * Tags of a runner inside the VPC (in buildAllowedCidrs) that runs the build-ami job; required with
   * sshInterface private_ip, where Packer connects to the build instance's private IP and a runner outside
   * the VPC (such as GitLab.com's) never reaches it. Replaces ciJobTags on that job.
   */
  buildJobTags: string[];
  /** An explicit AMI id; empty uses the newest AMI this project's Packer build tagged. */
  amiId: string;
  /**
   * Where runner instances may connect to (GitLab, registries, AWS APIs). The default 0.0.0.0/0 includes your
   * internal networks (VPC, peered VPCs, on-premises over VPN) and the instance metadata range; narrow it to
   * your NAT/proxy and endpoint ranges when jobs must not reach them. The security group has no ingress.
   */
  egressCidrs: string[];
  /**
   * Attach AmazonSSMManagedInstanceCore so operators can open a shell with Session Manager (no SSH, no
   * ingress).
   */
  sessionManagerAccess: boolean;
  /**
   * Legacy: use a launch configuration instead of a launch template. AWS accounts created on or after
   * 2024-10-01 cannot create them.
   */
  useLaunchConfiguration: boolean;
  /** Which binary the generated pipeline runs: Terraform or OpenTofu. */
  iacTool: "terraform" | "tofu";
  /**
   * Tags of the runner that runs this repository's own pipeline, set on every job (build-ami takes
   * buildJobTags instead with sshInterface private_ip); empty: untagged jobs, for any runner with the docker
   * executor that runs untagged jobs (GitLab.com's instance runners, for one).
   */
  ciJobTags: string[];
  /** IAM role the pipeline assumes with GitLab OIDC (AssumeRoleWithWebIdentity); no long-lived keys. */
  ciRoleArn: string;
  /**
   * Managed policy set as the permissions boundary of the runner instance role; the CI role policy in the
   * README then lets the pipeline create roles and put role policies only with this boundary. Empty: no
   * boundary. Needs sshInterface private_ip (Packer's temporary Session Manager role cannot take a boundary).
   */
  permissionsBoundaryArn: string;
  /**
   * Days the CloudWatch Logs group keeps the runner hosts' logs (the journal of the runner units and hooks,
   * gitlab-runner's own log); one of the periods CloudWatch Logs offers.
   */
  logRetentionDays: 1 | 3 | 5 | 7 | 14 | 30 | 60 | 90 | 120 | 150 | 180 | 365 | 400 | 545 | 731 | 1096 | 1827 | 2192 | 2557 | 2922 | 3288 | 3653;
  /**
   * KMS key that encrypts the log group (its key policy must let the CloudWatch Logs service of the region
   * use it); empty: CloudWatch Logs' own encryption.
   */
  logKmsKeyArn: string;
  /**
   * Root-volume usage, in percent, above which each instance's prune timer removes unused Docker images,
   * containers and volumes (docker executor) or stale build directories (shell executor); running jobs keep
   * what they use.
   */
  diskPruneThresholdPercent: number;
  /**
   * Root-volume usage, in percent, at which the disk alarm fires (the fullest instance's published
   * DiskUsedPercent).
   */
  diskAlarmPercent: number;
  /**
   * How many of this project's newest AMIs the pipeline keeps after a successful build; older ones are
   * deregistered with their snapshots, except any AMI the launch template or the Auto Scaling Group still
   * uses.
   */
  amiRetentionCount: number;
  /**
   * An existing standard SNS topic (CloudWatch alarms cannot notify FIFO topics) the alarms notify, on alarm
   * and back to OK; empty: the alarms only show in CloudWatch.
   */
  alarmSnsTopicArn: string;
  /**
   * Minutes the Auto Scaling Group may stay at its maximum size before its alarm fires (jobs are probably
   * queueing).
   */
  alarmAtMaxMinutes: number;
  /** Tags on every AWS resource, the AMI and the runner instances. */
  tags: Record<string, string>;
  /**
   * Region codes and instance types to accept although the generator's list (schema/aws-data.json) lacks
   * them, for ones newer than the list; left out, an unlisted one is refused as a likely typo, with the
   * closest listed one suggested.
   */
  acceptUnlisted?: string[];
}

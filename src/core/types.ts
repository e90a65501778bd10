export interface Schedule {
  name: string;
  recurrence: string;
  minSize?: number;
  maxSize?: number;
  desiredCapacity?: number;
}

/** Validated answers, with every default applied. Mirrors schema/answers.schema.json. */
export interface Answers {
  projectName: string;
  awsRegion: string;
  vpcId: string;
  subnetIds: string[];
  buildSubnetId: string;
  architecture: "x86_64" | "arm64";
  instanceTypes: string[];
  baseOs: "al2023" | "ubuntu-24.04";
  rootVolumeSize: number;
  asgMinSize: number;
  asgMaxSize: number;
  asgDesiredCapacity: number;
  /** Instances that are always On-Demand. */
  onDemandBaseCapacity: number;
  /** On-Demand share of the capacity above the base, in percent; the rest is Spot (100: no Spot). */
  onDemandPercentageAboveBase: number;
  gitlabUrl: string;
  registrationMode: "authentication-token" | "registration-token";
  tokenSsmParameter: string;
  tokenKmsKeyId: string;
  runnerDescription: string;
  runnerTags: string[];
  runUntagged: boolean;
  runnerLocked: boolean;
  executor: "docker" | "shell";
  dockerImage: string;
  dockerPrivileged: boolean;
  concurrent: number;
  /** A shared job cache in this project's S3 bucket. */
  cacheS3: boolean;
  cacheExpirationDays: number;
  /** Empty: SSE-S3. */
  cacheKmsKeyArn: string;
  gitlabRunnerVersion: string;
  extraPackages: string[];
  timeZone: string;
  schedules: Schedule[];
  scalingPolicy: "jobs" | "cpu" | "none";
  scalingTargetValue: number;
  drainTimeoutSeconds: number;
  sshInterface: "session_manager" | "private_ip";
  /** Empty: the architecture's default build type. */
  buildInstanceType: string;
  buildAllowedCidrs: string[];
  /** Tags of the in-VPC runner for build-ami (private_ip only). */
  buildJobTags: string[];
  amiId: string;
  egressCidrs: string[];
  sessionManagerAccess: boolean;
  useLaunchConfiguration: boolean;
  iacTool: "terraform" | "tofu";
  /** Tags on every job of the generated pipeline; empty: untagged. */
  ciJobTags: string[];
  ciRoleArn: string;
  permissionsBoundaryArn: string;
  tags: Record<string, string>;
  /** Region codes and instance types newer than schema/aws-data.json, accepted anyway. */
  acceptUnlisted?: string[];
}

export interface RenderedFile {
  /** POSIX path relative to the generated repo's root. */
  path: string;
  contents: string;
  /** 0o755 for files that start with a shebang, else 0o644. */
  mode: number;
}

/** One problem with the answers: where (JSON pointer), what was there, what is allowed. */
export interface AnswerError {
  path: string;
  value?: unknown;
  message: string;
}

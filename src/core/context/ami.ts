import { listedArch } from "../aws-data.js";
import { type PoolView, poolViews } from "../pools.js";
import { GRAVITON } from "../rules.js";
import type { Answers } from "../types.js";
import { namesContext, poolNames } from "./names.js";

/** Where the AMI layer puts things on the image; shared by provision.sh and the units. */
export const amiPaths = {
  /** Packer's file provisioner uploads the repo's files/ here; provision.sh installs from it. */
  uploadDir: "/tmp/gitlab-runner-aws",
  /** The hook scripts (files/libexec/*.sh) on the image. */
  libexecDir: "/usr/local/libexec/gitlab-runner-aws",
} as const;

interface OsFacts {
  owner: string;
  namePattern: Record<PoolView["architecture"], string>;
  sshUsername: string;
  rootDevice: string;
}

const baseOsFacts: Record<Answers["baseOs"], OsFacts> = {
  al2023: {
    owner: "amazon",
    namePattern: { x86_64: "al2023-ami-2023.*-kernel-*-x86_64", arm64: "al2023-ami-2023.*-kernel-*-arm64" },
    sshUsername: "ec2-user",
    rootDevice: "/dev/xvda",
  },
  "ubuntu-24.04": {
    owner: "099720109477",
    namePattern: {
      x86_64: "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*",
      arm64: "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-arm64-server-*",
    },
    sshUsername: "ubuntu",
    rootDevice: "/dev/sda1",
  },
};

const defaultBuildInstanceType: Record<PoolView["architecture"], string> = { x86_64: "t3.small", arm64: "t4g.small" };

/** What the temporary instance profile of a session_manager build may do: only talk to Session Manager. */
const sessionManagerPolicy = {
  Version: "2012-10-17",
  Statement: [
    {
      Effect: "Allow",
      Action: [
        "ssm:UpdateInstanceInformation",
        "ssmmessages:CreateControlChannel",
        "ssmmessages:CreateDataChannel",
        "ssmmessages:OpenControlChannel",
        "ssmmessages:OpenDataChannel",
      ],
      Resource: ["*"],
    },
  ],
};

const user = (name: string) => `{{user \`${name}\`}}`;

/**
 * Packer renders every string of a JSON template (variable values included,
 * repeatedly) as a Go template, so "{{" can never be passed through literally.
 */
function packerLiteral(value: string, what: string): string {
  if (value.includes("{{"))
    throw new Error(`${what}: "{{" cannot appear in a Packer template value (Packer would evaluate it)`);
  return value;
}

/** The AWS CLI v2 version provision.sh installs where the distribution has none: the CI image's (pins.images.aws). */
function awsCliVersion(awsCliImage: string): string {
  const m = /:(\d+\.\d+\.\d+)$/.exec(awsCliImage);
  if (!m) throw new Error(`schema/pins.json images.aws (${awsCliImage}) has no x.y.z tag`);
  return m[1];
}

type Architecture = PoolView["architecture"];

/** The architectures the pools run on, in the order of the pools: one image each. */
export function architectures(a: Answers): Architecture[] {
  return [...new Set(poolViews(a).map((p) => p.architecture))];
}

/** The executors the pools use, sorted: the image has what each needs (Docker for docker). */
export function executors(a: Answers): PoolView["executor"][] {
  return [...new Set(poolViews(a).map((p) => p.executor))].sort();
}

/** The image of one architecture is named `project-os-arch-<timestamp>`: unique per build and architecture. */
/** The root device of the base OS's images (the module's example image). */
export const rootDeviceOf = (a: Answers) => baseOsFacts[a.baseOs].rootDevice;

export const amiNamePrefix = (a: Answers, arch: Architecture) => `${a.projectName}-${a.baseOs}-${arch}-`;

/** The build instance of one architecture: buildInstanceType where it is of that architecture, else the default. */
export function buildInstanceType(a: Answers, arch: Architecture): string {
  const t = a.buildInstanceType;
  const typeArch = t && (listedArch(t) ?? (GRAVITON.test(t) ? "arm64" : "x86_64"));
  return t && typeArch === arch ? t : defaultBuildInstanceType[arch];
}

/**
 * The image's root volume for one architecture: the smallest rootVolumeSize of
 * the pools that launch it (a launch template can grow a snapshot's volume,
 * never shrink it).
 */
export function imageVolumeSize(a: Answers, arch: Architecture): number {
  return Math.min(
    ...poolViews(a)
      .filter((p) => p.architecture === arch)
      .map((p) => p.rootVolumeSize),
  );
}

/**
 * The whole packer-build.json as data: answers reach it as Packer variables or
 * JSON values. One amazon-ebs source per architecture, named after it, so one
 * `packer build` bakes every image the pools launch; provision.sh learns its
 * architecture from the build's name.
 */
function packerTemplate(a: Answers, generatorVersion: string, awsCliImage: string, cloudwatchAgentVersion: string) {
  const names = namesContext(a);
  const os = baseOsFacts[a.baseOs];
  const userTags = Object.fromEntries(Object.entries(a.tags).map(([k, v]) => [k, packerLiteral(v, `tags.${k}`)]));
  const keys = names.amiTagKeys;
  const buildTags = { ...userTags, Name: `${user("project_name")}-packer-build`, [keys.project]: user("project_name") };
  const builder = (arch: Architecture) => {
    const amiName = `${user("ami_name_prefix_" + arch)}{{timestamp}}`;
    const amiTags = {
      ...userTags,
      Name: amiName,
      [keys.project]: user("project_name"),
      [keys.baseOs]: user("base_os"),
      [keys.architecture]: arch,
      [keys.runnerVersion]: user("gitlab_runner_version"),
      [keys.generatorVersion]: user("generator_version"),
      SourceAmi: "{{ .SourceAMI }}",
    };
    return {
      name: arch,
      type: "amazon-ebs",
      region: user("aws_region"),
      instance_type: user("instance_type_" + arch),
      source_ami_filter: {
        owners: [os.owner],
        most_recent: true,
        filters: {
          name: os.namePattern[arch],
          architecture: arch,
          "virtualization-type": "hvm",
          "root-device-type": "ebs",
        },
      },
      communicator: "ssh",
      ssh_username: os.sshUsername,
      ssh_interface: user("ssh_interface"),
      subnet_id: user("subnet_id"),
      associate_public_ip_address: false,
      temporary_security_group_source_cidrs: a.buildAllowedCidrs,
      ...(a.sshInterface === "session_manager"
        ? { temporary_iam_instance_profile_policy_document: sessionManagerPolicy }
        : {}),
      imds_support: "v2.0",
      metadata_options: { http_endpoint: "enabled", http_tokens: "required", http_put_response_hop_limit: 1 },
      launch_block_device_mappings: [
        {
          device_name: os.rootDevice,
          volume_type: "gp3",
          volume_size: user("root_volume_size_" + arch),
          encrypted: true,
          delete_on_termination: true,
        },
      ],
      ami_name: amiName,
      ami_description: `GitLab Runner ${user("gitlab_runner_version")} for ${user("project_name")} (${user("base_os")}, ${arch})`,
      tags: amiTags,
      snapshot_tags: amiTags,
      run_tags: buildTags,
      run_volume_tags: buildTags,
    };
  };
  const archs = architectures(a);
  return {
    variables: {
      aws_region: a.awsRegion,
      subnet_id: a.buildSubnetId,
      ssh_interface: a.sshInterface,
      ...Object.fromEntries(
        archs.flatMap((arch) => [
          ["ami_name_prefix_" + arch, amiNamePrefix(a, arch)],
          ["instance_type_" + arch, buildInstanceType(a, arch)],
          ["root_volume_size_" + arch, String(imageVolumeSize(a, arch))],
        ]),
      ),
      project_name: a.projectName,
      base_os: a.baseOs,
      gitlab_runner_version: a.gitlabRunnerVersion,
      generator_version: generatorVersion,
      executors: executors(a).join(" "),
      extra_packages: a.extraPackages.join(" "),
      aws_cli_version: awsCliVersion(awsCliImage),
      cloudwatch_agent_version: cloudwatchAgentVersion,
    },
    builders: archs.map(builder),
    provisioners: [
      { type: "shell", inline: [`mkdir -p ${amiPaths.uploadDir}`] },
      { type: "file", source: "files/", destination: amiPaths.uploadDir },
      {
        type: "shell",
        script: "provision.sh",
        execute_command: "chmod +x '{{ .Path }}'; sudo env {{ .Vars }} '{{ .Path }}'",
        environment_vars: [
          `GITLAB_RUNNER_VERSION=${user("gitlab_runner_version")}`,
          `EXECUTORS=${user("executors")}`,
          `EXTRA_PACKAGES=${user("extra_packages")}`,
          `AWS_CLI_VERSION=${user("aws_cli_version")}`,
          `CLOUDWATCH_AGENT_VERSION=${user("cloudwatch_agent_version")}`,
          `BASE_OS=${user("base_os")}`,
          "ARCHITECTURE={{ build_name }}",
          `FILES_DIR=${amiPaths.uploadDir}`,
        ],
      },
      { type: "shell", inline: [`rm -rf ${amiPaths.uploadDir}`] },
    ],
  };
}

/** Values derived from the answers for the templates of this layer (ctx.ami). */
export function amiContext(a: Answers) {
  const { runtimeConfigPath } = namesContext(a);
  return {
    paths: {
      ...amiPaths,
      /** Holds the runtime configuration cloud-init writes at boot. */
      runtimeConfigDir: runtimeConfigPath.slice(0, runtimeConfigPath.lastIndexOf("/")),
    },
    /** packer-build.json; takes ctx.generator.version, ctx.pins.images.aws and ctx.pins.cloudwatchAgent, which render() keeps outside the layer contexts. */
    packerTemplate: (generatorVersion: string, awsCliImage: string, cloudwatchAgentVersion: string) =>
      packerTemplate(a, generatorVersion, awsCliImage, cloudwatchAgentVersion),
    /** AWS's key that signs the CloudWatch agent packages (AWS docs, "Verifying the signature of the CloudWatch agent package"). */
    cloudwatchAgentKeyFingerprint: "937616F3450B7D806CBD9725D58167303B789C72",
    /** The drain the baked drop-in allows before register.sh sets the pool's own: the longest any pool has. */
    drainTimeoutSeconds: Math.max(...poolViews(a).map((p) => p.drainTimeoutSeconds)),
    /** Each pool's group and launch template (prune-amis.sh keeps the AMIs they use). */
    pools: poolViews(a).map(poolNames),
    /** The image has Docker: some pool uses the docker executor. */
    docker: executors(a).includes("docker"),
  };
}

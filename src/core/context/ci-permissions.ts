import type { Answers } from "../types.js";
import { poolViews, type PoolView } from "../pools.js";
import { cacheBucketName, namesContext, poolNames } from "./names.js";

/**
 * The CI role's permissions as data: what each Terraform resource and data
 * source type of terraform/ needs (create, read, update, delete, tag), what
 * the Packer build needs, and where each action may act. The README's policy
 * is generated from this table, and a test fails when a rendered template
 * declares a type this table does not know, so the two cannot drift.
 */

/** Where a set of actions may act; each becomes one statement of the policy. */
export type Scope =
  /** Resource "*" in the answered region only (aws:RequestedRegion): EC2 ids are unknown before creation, and Describe* has no resource-level permissions. */
  | "region"
  /** This project's Auto Scaling groups, one per pool. */
  | "group"
  /** This project's launch configurations (name_prefix project-). */
  | "launchConfiguration"
  /** This project's IAM roles (name_prefix project-). */
  | "projectRole"
  /** This project's instance profiles (name_prefix project-). */
  | "projectInstanceProfile"
  /** KMS keys of this account in the region (the token key, given as id, ARN or alias). */
  | "kmsKey"
  /** Packer's temporary build role and instance profile (named packer-<uuid> by the Amazon plugin; Session Manager builds only). */
  | "packerRole"
  | "packerInstanceProfile"
  /** The shared cache bucket (its name holds the account and region) and its objects. */
  | "cacheBucket"
  /** Session Manager sessions of the Packer build (port forwarding to the build instance). */
  | "buildSession"
  /** This project's CloudWatch Logs group. */
  | "logGroup"
  /** This project's CloudWatch alarms (named project-…). */
  | "alarm";

export interface Need {
  actions: string[];
  on: Scope;
}

export interface TypeNeeds {
  needs: Need[];
  /** Why the type needs no permission, for types with no needs. */
  none?: string;
}

const autoscalingDescribe = [
  "autoscaling:DescribeAutoScalingGroups",
  "autoscaling:DescribeScalingActivities",
  "autoscaling:DescribeTags",
];

/** Terraform resource types → what the CI role needs to plan, apply and destroy them. */
export const resourceTypeNeeds: Record<string, TypeNeeds> = {
  aws_autoscaling_group: {
    needs: [
      {
        on: "group",
        actions: [
          "autoscaling:CreateAutoScalingGroup",
          "autoscaling:UpdateAutoScalingGroup",
          "autoscaling:DeleteAutoScalingGroup",
          "autoscaling:CreateOrUpdateTags",
          "autoscaling:DeleteTags",
          "autoscaling:EnableMetricsCollection",
          "autoscaling:DisableMetricsCollection",
          "autoscaling:PutLifecycleHook",
          "autoscaling:DeleteLifecycleHook",
          "autoscaling:StartInstanceRefresh",
          "autoscaling:CancelInstanceRefresh",
        ],
      },
      {
        on: "region",
        actions: [
          ...autoscalingDescribe,
          "autoscaling:DescribeLifecycleHooks",
          "autoscaling:DescribeInstanceRefreshes",
          // Read with the group by the provider (warm pool, load balancers, traffic sources).
          "autoscaling:DescribeWarmPool",
          "autoscaling:DescribeLoadBalancers",
          "autoscaling:DescribeLoadBalancerTargetGroups",
          "autoscaling:DescribeTrafficSources",
          // Deleting the group waits for its instances to terminate.
          "ec2:DescribeInstances",
          // Creating a group that launches from a template is checked against the caller's own launch permissions.
          "ec2:RunInstances",
          "ec2:CreateTags",
          "ec2:DescribeLaunchTemplateVersions",
        ],
      },
    ],
  },
  aws_autoscaling_schedule: {
    needs: [
      { on: "group", actions: ["autoscaling:PutScheduledUpdateGroupAction", "autoscaling:DeleteScheduledAction"] },
      { on: "region", actions: ["autoscaling:DescribeScheduledActions"] },
    ],
  },
  aws_autoscaling_policy: {
    needs: [
      { on: "group", actions: ["autoscaling:PutScalingPolicy", "autoscaling:DeletePolicy"] },
      { on: "region", actions: ["autoscaling:DescribePolicies"] },
    ],
  },
  aws_launch_template: {
    needs: [
      {
        on: "region",
        actions: [
          "ec2:CreateLaunchTemplate",
          "ec2:CreateLaunchTemplateVersion",
          "ec2:ModifyLaunchTemplate",
          "ec2:DeleteLaunchTemplate",
          "ec2:DescribeLaunchTemplates",
          "ec2:DescribeLaunchTemplateVersions",
          "ec2:CreateTags",
        ],
      },
    ],
  },
  aws_launch_configuration: {
    needs: [
      {
        on: "launchConfiguration",
        actions: ["autoscaling:CreateLaunchConfiguration", "autoscaling:DeleteLaunchConfiguration"],
      },
      { on: "region", actions: ["autoscaling:DescribeLaunchConfigurations"] },
    ],
  },
  aws_security_group: {
    needs: [
      {
        on: "region",
        actions: [
          "ec2:CreateSecurityGroup",
          "ec2:DeleteSecurityGroup",
          "ec2:DescribeSecurityGroups",
          // Terraform removes the default allow-all egress rule of a new group.
          "ec2:RevokeSecurityGroupEgress",
          "ec2:RevokeSecurityGroupIngress",
          "ec2:DescribeNetworkInterfaces",
          "ec2:CreateTags",
        ],
      },
    ],
  },
  aws_vpc_security_group_egress_rule: {
    needs: [
      {
        on: "region",
        actions: [
          "ec2:AuthorizeSecurityGroupEgress",
          "ec2:RevokeSecurityGroupEgress",
          "ec2:DescribeSecurityGroupRules",
          "ec2:ModifySecurityGroupRules",
          "ec2:CreateTags",
        ],
      },
    ],
  },
  aws_iam_role: {
    needs: [
      {
        on: "projectRole",
        actions: [
          "iam:CreateRole",
          "iam:GetRole",
          "iam:DeleteRole",
          "iam:UpdateRole",
          "iam:UpdateRoleDescription",
          "iam:UpdateAssumeRolePolicy",
          "iam:TagRole",
          "iam:UntagRole",
          "iam:ListRolePolicies",
          "iam:ListAttachedRolePolicies",
          "iam:ListInstanceProfilesForRole",
        ],
      },
    ],
  },
  aws_iam_instance_profile: {
    needs: [
      {
        on: "projectInstanceProfile",
        actions: [
          "iam:CreateInstanceProfile",
          "iam:GetInstanceProfile",
          "iam:DeleteInstanceProfile",
          "iam:AddRoleToInstanceProfile",
          "iam:RemoveRoleFromInstanceProfile",
          "iam:TagInstanceProfile",
          "iam:UntagInstanceProfile",
        ],
      },
      // Adding the role to the profile, and launching with the profile, passes the role to EC2.
      { on: "projectRole", actions: ["iam:PassRole"] },
    ],
  },
  aws_iam_role_policy: {
    needs: [{ on: "projectRole", actions: ["iam:PutRolePolicy", "iam:GetRolePolicy", "iam:DeleteRolePolicy"] }],
  },
  aws_cloudwatch_log_group: {
    needs: [
      {
        on: "logGroup",
        actions: [
          "logs:CreateLogGroup",
          "logs:DeleteLogGroup",
          "logs:PutRetentionPolicy",
          "logs:DeleteRetentionPolicy",
          "logs:AssociateKmsKey",
          "logs:DisassociateKmsKey",
          "logs:TagResource",
          "logs:UntagResource",
          "logs:ListTagsForResource",
        ],
      },
      { on: "region", actions: ["logs:DescribeLogGroups"] },
    ],
  },
  aws_cloudwatch_metric_alarm: {
    needs: [
      {
        on: "alarm",
        actions: [
          "cloudwatch:PutMetricAlarm",
          "cloudwatch:DeleteAlarms",
          "cloudwatch:TagResource",
          "cloudwatch:UntagResource",
          "cloudwatch:ListTagsForResource",
        ],
      },
      { on: "region", actions: ["cloudwatch:DescribeAlarms"] },
    ],
  },
  aws_s3_bucket: {
    needs: [
      {
        on: "cacheBucket",
        actions: [
          "s3:CreateBucket",
          "s3:DeleteBucket",
          "s3:ListBucket",
          "s3:GetBucketLocation",
          "s3:GetBucketTagging",
          "s3:PutBucketTagging",
          // The provider reads every sub-configuration of a bucket on refresh.
          "s3:GetBucketPolicy",
          "s3:GetBucketAcl",
          "s3:GetBucketCORS",
          "s3:GetBucketWebsite",
          "s3:GetBucketVersioning",
          "s3:GetAccelerateConfiguration",
          "s3:GetBucketRequestPayment",
          "s3:GetBucketLogging",
          "s3:GetLifecycleConfiguration",
          "s3:GetReplicationConfiguration",
          "s3:GetEncryptionConfiguration",
          "s3:GetBucketObjectLockConfiguration",
          // force_destroy empties the bucket first.
          "s3:ListBucketVersions",
          "s3:DeleteObject",
          "s3:DeleteObjectVersion",
        ],
      },
    ],
  },
  aws_s3_bucket_public_access_block: {
    needs: [{ on: "cacheBucket", actions: ["s3:PutBucketPublicAccessBlock", "s3:GetBucketPublicAccessBlock"] }],
  },
  aws_s3_bucket_ownership_controls: {
    needs: [{ on: "cacheBucket", actions: ["s3:PutBucketOwnershipControls", "s3:GetBucketOwnershipControls"] }],
  },
  aws_s3_bucket_server_side_encryption_configuration: {
    needs: [{ on: "cacheBucket", actions: ["s3:PutEncryptionConfiguration", "s3:GetEncryptionConfiguration"] }],
  },
  aws_s3_bucket_lifecycle_configuration: {
    needs: [{ on: "cacheBucket", actions: ["s3:PutLifecycleConfiguration", "s3:GetLifecycleConfiguration"] }],
  },
  aws_s3_bucket_policy: {
    needs: [{ on: "cacheBucket", actions: ["s3:PutBucketPolicy", "s3:GetBucketPolicy", "s3:DeleteBucketPolicy"] }],
  },
};

/** Terraform data source types → what reading them needs. */
export const dataSourceNeeds: Record<string, TypeNeeds> = {
  aws_ami: { needs: [{ on: "region", actions: ["ec2:DescribeImages"] }] },
  aws_kms_key: { needs: [{ on: "kmsKey", actions: ["kms:DescribeKey"] }] },
  aws_caller_identity: { needs: [], none: "sts:GetCallerIdentity needs no permission" },
  aws_partition: { needs: [], none: "computed by the provider, no API call" },
  aws_iam_policy_document: { needs: [], none: "rendered by the provider, no API call" },
};

/** The Packer build (amazon-ebs, packer-plugin-amazon): its instance, volume, snapshot, AMI, key pair and temporary security group. */
export const packerNeeds: Need[] = [
  {
    on: "region",
    actions: [
      "ec2:RunInstances",
      "ec2:StopInstances",
      "ec2:TerminateInstances",
      "ec2:DescribeInstances",
      "ec2:DescribeInstanceStatus",
      "ec2:ModifyInstanceAttribute",
      "ec2:CreateImage",
      "ec2:RegisterImage",
      "ec2:DeregisterImage",
      "ec2:DescribeImages",
      "ec2:DescribeImageAttribute",
      "ec2:ModifyImageAttribute",
      "ec2:CreateSnapshot",
      "ec2:DeleteSnapshot",
      "ec2:DescribeSnapshots",
      "ec2:DescribeVolumes",
      "ec2:DeleteVolume",
      "ec2:CreateKeyPair",
      "ec2:DeleteKeyPair",
      "ec2:DescribeKeyPairs",
      "ec2:CreateSecurityGroup",
      "ec2:DeleteSecurityGroup",
      "ec2:DescribeSecurityGroups",
      "ec2:AuthorizeSecurityGroupIngress",
      "ec2:DescribeSubnets",
      "ec2:DescribeVpcs",
      "ec2:DescribeRegions",
      "ec2:CreateTags",
    ],
  },
];

/**
 * ci/prune-amis.sh after a build: list this project's AMIs, find the ones the
 * launch template, the group and its instances use, deregister the others
 * beyond the newest amiRetentionCount and delete their snapshots.
 */
export const amiRetentionNeeds: Need[] = [
  {
    on: "region",
    actions: [
      "ec2:DescribeImages",
      "ec2:DeregisterImage",
      "ec2:DeleteSnapshot",
      "ec2:DescribeLaunchTemplateVersions",
      "ec2:DescribeInstances",
      "autoscaling:DescribeAutoScalingGroups",
      "autoscaling:DescribeLaunchConfigurations",
    ],
  },
];

/** What only a Session Manager build needs: the temporary instance profile Packer creates, and the session. */
export const packerSessionManagerNeeds: Need[] = [
  {
    on: "packerRole",
    actions: [
      "iam:CreateRole",
      "iam:GetRole",
      "iam:DeleteRole",
      "iam:TagRole",
      "iam:PutRolePolicy",
      "iam:DeleteRolePolicy",
      "iam:PassRole",
    ],
  },
  {
    on: "packerInstanceProfile",
    actions: [
      "iam:CreateInstanceProfile",
      "iam:GetInstanceProfile",
      "iam:DeleteInstanceProfile",
      "iam:TagInstanceProfile",
      "iam:AddRoleToInstanceProfile",
      "iam:RemoveRoleFromInstanceProfile",
    ],
  },
  { on: "region", actions: ["ssm:DescribeInstanceInformation"] },
  { on: "buildSession", actions: ["ssm:StartSession", "ssm:TerminateSession", "ssm:ResumeSession"] },
];

/** The partitions this repo supports, by the answered region. */
export interface PartitionFacts {
  partition: "aws" | "aws-us-gov" | "aws-cn";
  /** DNS suffix of the partition's service endpoints and principals. */
  dnsSuffix: string;
  /** Where the partition's IAM (a global service) is served. */
  iamRegion: string;
  /** The console host, for links in the README. */
  consoleHost: string;
}

/** The partition of a region code; undefined for the ISO partitions, which this repo does not support. */
export function partitionOf(region: string): PartitionFacts | undefined {
  if (/^[a-z]{2}-iso/.test(region)) return undefined;
  if (region.startsWith("us-gov-"))
    return {
      partition: "aws-us-gov",
      dnsSuffix: "amazonaws.com",
      iamRegion: "us-gov-west-1",
      consoleHost: "console.amazonaws-us-gov.com",
    };
  if (region.startsWith("cn-"))
    return {
      partition: "aws-cn",
      dnsSuffix: "amazonaws.com.cn",
      iamRegion: "cn-north-1",
      consoleHost: "console.amazonaws.cn",
    };
  return {
    partition: "aws",
    dnsSuffix: "amazonaws.com",
    iamRegion: "us-east-1",
    consoleHost: "console.aws.amazon.com",
  };
}

interface Statement {
  Sid: string;
  Effect: "Allow";
  Action: string[];
  Resource: string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

const SIDS: Record<Scope, string> = {
  region: "InTheRegion",
  group: "OwnAutoScalingGroup",
  launchConfiguration: "OwnLaunchConfigurations",
  projectRole: "OwnRoles",
  projectInstanceProfile: "OwnInstanceProfiles",
  kmsKey: "DescribeTokenKey",
  cacheBucket: "OwnCacheBucket",
  packerRole: "PackerTemporaryRole",
  packerInstanceProfile: "PackerTemporaryInstanceProfile",
  buildSession: "PackerSession",
  logGroup: "OwnLogGroup",
  alarm: "OwnAlarms",
};

/** The scopes whose statements also carry the answered region as a condition. */
const REGIONAL: Scope[] = ["region", "group", "launchConfiguration", "logGroup", "alarm"];

/** The resource types declared for these answers, as the templates do (checked against the rendered .tf by a test). */
export function declaredResourceTypes(a: { useLaunchConfiguration: boolean }): string[] {
  return Object.keys(resourceTypeNeeds).filter((t) =>
    t === "aws_launch_configuration"
      ? a.useLaunchConfiguration
      : t === "aws_launch_template"
        ? !a.useLaunchConfiguration
        : true,
  );
}

/**
 * The CI role's policy for these answers: every action comes from the tables
 * above; IAM acts on this project's names only, PassRole only towards EC2,
 * and with a permissions boundary no role can be created or given a policy
 * without it.
 */
export function ciPolicy(a: Answers | PoolView, accountId: string) {
  const pools = "pools" in a ? poolViews(a) : [a];
  const p = partitionOf(a.awsRegion);
  if (!p) throw new Error(`awsRegion ${a.awsRegion}: the ISO partitions are not supported`);
  const names = namesContext(pools[0]);
  const { partition: P, dnsSuffix } = p;
  const R = a.awsRegion;
  const arn: Record<Scope, string[]> = {
    region: ["*"],
    group: pools.map(
      (pool) =>
        `arn:${P}:autoscaling:${R}:${accountId}:autoScalingGroup:*:autoScalingGroupName/${poolNames(pool).asgName}`,
    ),
    launchConfiguration: [
      `arn:${P}:autoscaling:${R}:${accountId}:launchConfiguration:*:launchConfigurationName/${a.projectName}-*`,
    ],
    projectRole: [`arn:${P}:iam::${accountId}:role/${a.projectName}-*`],
    projectInstanceProfile: [`arn:${P}:iam::${accountId}:instance-profile/${a.projectName}-*`],
    kmsKey: [`arn:${P}:kms:${R}:${accountId}:key/*`],
    cacheBucket: [`arn:${P}:s3:::${cacheBucketName(a, accountId)}`, `arn:${P}:s3:::${cacheBucketName(a, accountId)}/*`],
    packerRole: [`arn:${P}:iam::${accountId}:role/packer-*`],
    packerInstanceProfile: [`arn:${P}:iam::${accountId}:instance-profile/packer-*`],
    buildSession: [
      `arn:${P}:ec2:${R}:${accountId}:instance/*`,
      `arn:${P}:ssm:${R}::document/AWS-StartPortForwardingSession`,
      `arn:${P}:ssm:${R}:${accountId}:session/*`,
    ],
    logGroup: [
      `arn:${P}:logs:${R}:${accountId}:log-group:${names.logGroupName}`,
      `arn:${P}:logs:${R}:${accountId}:log-group:${names.logGroupName}:*`,
    ],
    alarm: [`arn:${P}:cloudwatch:${R}:${accountId}:alarm:${a.projectName}-*`],
  };
  const needs: Need[] = [
    ...declaredResourceTypes(a).flatMap((t) => resourceTypeNeeds[t].needs),
    ...Object.values(dataSourceNeeds).flatMap((d) => d.needs),
    ...packerNeeds,
    ...amiRetentionNeeds,
    ...(a.sshInterface === "session_manager" ? packerSessionManagerNeeds : []),
  ];
  const byScope = new Map<Scope, Set<string>>();
  for (const n of needs)
    for (const act of n.actions) (byScope.get(n.on) ?? byScope.set(n.on, new Set()).get(n.on)!).add(act);

  // In China the EC2 service principal has been written both ways; accept either there.
  const ec2Principals = P === "aws-cn" ? ["ec2.amazonaws.com", `ec2.${dnsSuffix}`] : `ec2.${dnsSuffix}`;
  const passToEc2 = { StringEquals: { "iam:PassedToService": ec2Principals } };
  const boundary = a.permissionsBoundaryArn;
  const statements: Statement[] = [];
  for (const scope of Object.keys(SIDS) as Scope[]) {
    const actions = [...(byScope.get(scope) ?? [])].sort();
    if (!actions.length) continue;
    const region = REGIONAL.includes(scope) ? { Condition: { StringEquals: { "aws:RequestedRegion": R } } } : {};
    const pass: string[] = actions.filter((x) => x === "iam:PassRole");
    const bounded: string[] =
      boundary && scope === "projectRole"
        ? actions.filter((x) => x === "iam:CreateRole" || x === "iam:PutRolePolicy")
        : [];
    const rest = actions.filter((x) => !pass.includes(x) && !bounded.includes(x));
    const statement = (Sid: string, Action: string[], more: Pick<Statement, "Condition">) =>
      statements.push({ Sid, Effect: "Allow", Action, Resource: arn[scope], ...more });
    if (rest.length) statement(SIDS[scope], rest, region);
    if (bounded.length)
      statement(`${SIDS[scope]}WithBoundary`, bounded, {
        Condition: { StringEquals: { "iam:PermissionsBoundary": boundary } },
      });
    if (pass.length) statement(`${SIDS[scope]}PassToEc2`, pass, { Condition: passToEc2 });
  }
  // The first Auto Scaling group of an account creates Auto Scaling's service-linked role.
  statements.push({
    Sid: "AutoScalingServiceLinkedRole",
    Effect: "Allow",
    Action: ["iam:CreateServiceLinkedRole"],
    Resource: [
      `arn:${P}:iam::${accountId}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`,
    ],
    Condition: { StringEquals: { "iam:AWSServiceName": "autoscaling.amazonaws.com" } },
  });
  return { Version: "2012-10-17", Statement: statements };
}

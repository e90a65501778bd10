import { pins } from "../pins.js";
import type { Answers } from "../types.js";

/**
 * jq program turning `terraform show -json PLAN` into the {create, update,
 * delete} counts GitLab's merge-request widget reads from
 * artifacts:reports:terraform. A replacement counts as one create and one delete.
 */
export const PLAN_SUMMARY_JQ =
  '[.resource_changes[]?.change.actions[]?] | {create: map(select(. == "create")) | length, update: map(select(. == "update")) | length, delete: map(select(. == "delete")) | length}';

/** The tag of an image reference ("repo/name:1.2.3" -> "1.2.3"); throws when it has none. */
export function imageTag(ref: string): string {
  const m = /:([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})$/.exec(ref.replace(/@sha256:[0-9a-f]{64}$/, ""));
  if (!m) throw new Error(`image ${ref} has no tag`);
  return m[1];
}

/** Values derived from the answers for the templates of this layer (ctx.ci). */
export function ciContext(a: Answers) {
  const tofu = a.iacTool === "tofu";
  return {
    /** The binary the pipeline runs (an enum, never free text). */
    iac: a.iacTool,
    iacName: tofu ? "OpenTofu" : "Terraform",
    iacImage: tofu ? pins.images.tofu : pins.images.terraform,
    /** Packer reaches the build instance through Session Manager: the build job needs session-manager-plugin. */
    sessionManager: a.sshInterface === "session_manager",
    packerVersion: imageTag(pins.images.packer),
    sessionManagerPluginVersion: pins.sessionManagerPlugin,
    packerAmazonPluginVersion: pins.packerAmazonPlugin,
    /** Name of the GitLab-managed Terraform state and of the apply/destroy resource group. */
    stateName: a.projectName,
    region: a.awsRegion,
    roleArn: a.ciRoleArn,
    /** Single-quoted, as prettier writes a YAML string holding double quotes (the program has no single quote). */
    planSummaryJqYaml: `'${PLAN_SUMMARY_JQ.replace(/'/g, "''")}'`,
    /** Platforms whose provider hashes the committed lock file must hold: the CI runners' (amd64 and arm64 Linux). */
    lockPlatforms: ["linux_amd64", "linux_arm64"],
    /** The id token's audience: the GitLab URL (normalised by validateAnswers), which is also the OIDC provider's client id in AWS. */
    oidcAudience: a.gitlabUrl,
    /** Tags of every job (default:tags); empty: untagged jobs. */
    jobTags: a.ciJobTags,
    /**
     * Tags of build-ami when they differ from every other job's: with private_ip, the
     * in-VPC runner's tags replace ciJobTags (a job needs all its tags on one runner,
     * so adding them would ask for a runner that has both sets). Undefined: the default.
     */
    buildJobTags: a.sshInterface === "private_ip" ? a.buildJobTags : undefined,
  };
}

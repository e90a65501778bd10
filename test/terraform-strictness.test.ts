/**
 * A double that accepts everything proves nothing. Each case plants one error
 * in a copy of the answers.yaml example's terraform/ folder (its runner-pool module included), and real Terraform
 * with the provider double must report it (with the expected message); the
 * untouched folder must plan clean. A case whose edit no longer applies to the
 * templates fails too: update its text when a template moves.
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { planTerraform, TerraformFailure } from "./support/terraform-plan.js";
import { renderExample, writeTree } from "./support/tools.js";

interface Edit {
  file: string;
  find: string;
  replace: string;
}
interface Case {
  name: string;
  edits: Edit[];
  /** Terraform's report must match; null: it must plan clean. */
  expect: RegExp | null;
  /** A documented limit: wrong, yet it plans clean (see its name). */
  limit?: boolean;
}
const edit = (file: string, find: string, replace: string): Edit => ({
  file,
  find,
  replace,
});

// prettier-ignore
const cases: Case[] = [
  { name: "(control) the unmodified folder", edits: [], expect: null },
  { name: "unknown argument on aws_autoscaling_group", edits: [edit("modules/runner-pool/asg.tf", "  default_instance_warmup   = 180\n", "  default_instance_warmup   = 180\n  warmup_seconds            = 180\n")], expect: /Unsupported argument/ },
  { name: "missing required argument: aws_autoscaling_schedule without scheduled_action_name", edits: [edit("modules/runner-pool/asg.tf", "  scheduled_action_name  = each.key\n", "")], expect: /Missing required argument/ },
  { name: "string where a number is required (aws_autoscaling_group.health_check_grace_period)", edits: [edit("modules/runner-pool/asg.tf", "health_check_grace_period = 300", 'health_check_grace_period = "five minutes"')], expect: /Incorrect attribute value type/ },
  { name: "string where a number is required, inside a block (metadata_options.http_put_response_hop_limit)", edits: [edit("modules/runner-pool/launch.tf", "http_put_response_hop_limit = local.imds_hop_limit", 'http_put_response_hop_limit = "one"')], expect: /Incorrect attribute value type/ },
  { name: "a string where a set of strings is required (vpc_zone_identifier)", edits: [edit("modules/runner-pool/asg.tf", "vpc_zone_identifier       = var.subnet_ids", 'vpc_zone_identifier       = "subnet-0a1b2c3d4e5f60711"')], expect: /Incorrect attribute value type/ },
  { name: "block written as an attribute (iam_instance_profile = { arn = ... })", edits: [edit("modules/runner-pool/launch.tf", "  iam_instance_profile {\n", "  iam_instance_profile = {\n")], expect: /Unsupported argument/ },
  { name: "attribute written as a block (enabled_metrics { ... })", edits: [edit("modules/runner-pool/asg.tf", "  enabled_metrics = [\n", "  enabled_metrics {\n    x = [\n"), edit("modules/runner-pool/asg.tf", '    "GroupTerminatingInstances",\n  ]\n', '    "GroupTerminatingInstances",\n  ]\n  }\n')], expect: /Unsupported block type/ },
  { name: "reference to an undeclared resource attribute (aws_launch_template.runner.latest_versions, in mixed_instances_policy)", edits: [edit("modules/runner-pool/asg.tf", "          version            = aws_launch_template.runner.latest_version\n", "          version            = aws_launch_template.runner.latest_versions\n")], expect: /Unsupported attribute/ },
  { name: "(limit) the same typo in the dynamic launch_template block that this tfvars (2 instance types) never expands", edits: [edit("modules/runner-pool/asg.tf", "      version = aws_launch_template.runner.latest_version\n", "      version = aws_launch_template.runner.latest_versions\n")], expect: null, limit: true },
  { name: "reference to an undeclared attribute of a data source (data.aws_ami.runner[...].root_device)", edits: [edit("pools.tf", "root_device_name = data.aws_ami.runner[each.value.architecture].root_device_name", "root_device_name = data.aws_ami.runner[each.value.architecture].root_device")], expect: /Unsupported attribute/ },
  { name: "reference to an undeclared resource", edits: [edit("modules/runner-pool/asg.tf", "  autoscaling_group_name = aws_autoscaling_group.runner[0].name\n  recurrence", "  autoscaling_group_name = aws_autoscaling_group.runners[0].name\n  recurrence")], expect: /Reference to undeclared resource/ },
  { name: "two blocks where MaxItems is 1 (instance_refresh twice)", edits: [edit("modules/runner-pool/asg.tf", "  instance_refresh {\n", "  instance_refresh {\n    strategy = \"Rolling\"\n  }\n\n  instance_refresh {\n")], expect: /Too many instance_refresh blocks/ },
  { name: "two blocks where MaxItems is 1, nested (metadata_options twice)", edits: [edit("modules/runner-pool/launch.tf", "  metadata_options {\n", "  metadata_options {\n    http_tokens = \"required\"\n  }\n\n  metadata_options {\n")], expect: /Too many metadata_options blocks/ },
  { name: "required block missing (mixed_instances_policy without launch_template, MinItems 1)", edits: [edit("modules/runner-pool/asg.tf", "      launch_template {\n        launch_template_specification {", "      launch_template_x {\n        launch_template_specification {")], expect: /Unsupported block type|Insufficient launch_template blocks/ },
  { name: "unknown resource type", edits: [edit("modules/runner-pool/asg.tf", 'resource "aws_autoscaling_schedule" "runner"', 'resource "aws_autoscaling_schedul" "runner"')], expect: /Invalid resource type/ },
  { name: "unknown argument on a data source (data.aws_ami owner)", edits: [edit("ami.tf", '  owners      = var.ami_id == "" ? ["self"] : null\n', '  owner       = "self"\n')], expect: /Unsupported argument/ },
  { name: "computed-only attribute set in configuration (aws_launch_template.latest_version)", edits: [edit("modules/runner-pool/launch.tf", "  update_default_version = true\n", "  update_default_version = true\n  latest_version         = 3\n")], expect: /Computed attributes cannot be set/ },
  { name: "bad function call (base64encode with two arguments)", edits: [edit("modules/runner-pool/launch.tf", "base64encode(local.user_data)", "base64encode(local.user_data, 2)")], expect: /Too many function arguments|Invalid function argument/ },
  { name: "undefined function", edits: [edit("modules/runner-pool/launch.tf", "base64encode(local.user_data)", "base64enc(local.user_data)")], expect: /Call to unknown function/ },
  { name: "variable validation with the real tfvars (time_zone \"Europe Berlin\")", edits: [edit("terraform.tfvars.json", '"time_zone": "Europe/Berlin"', '"time_zone": "Europe Berlin"')], expect: /Invalid value for variable/ },
  { name: "wrong tfvars type (asg_max_size \"six\")", edits: [edit("terraform.tfvars.json", '"asg_max_size": 6', '"asg_max_size": "six"')], expect: /Invalid value for input variable|a number is required/ },
  { name: "precondition fails at plan (asg_min_size > asg_desired_capacity)", edits: [edit("terraform.tfvars.json", '"asg_min_size": 1', '"asg_min_size": 3')], expect: /Resource precondition failed/ },
  { name: "for_each over a list of objects (not a map or set of strings)", edits: [edit("network.tf", "for_each = toset(var.egress_cidrs)", "for_each = [for c in var.egress_cidrs : { cidr = c }]")], expect: /Invalid for_each argument/ },
  { name: "provider validator: invalid enum (lifecycle_transition)", edits: [edit("modules/runner-pool/asg.tf", '"autoscaling:EC2_INSTANCE_TERMINATING"', '"autoscaling:EC2_INSTANCE_TERMINATE"')], expect: /expected (initial_lifecycle_hook\.\d+\.)?lifecycle_transition to be one of/ },
  { name: "provider validator: out of range (heartbeat_timeout 9000 > 7200)", edits: [edit("modules/runner-pool/asg.tf", "heartbeat_timeout    = local.lifecycle_heartbeat_seconds", "heartbeat_timeout    = 9000")], expect: /expected (initial_lifecycle_hook\.\d+\.)?heartbeat_timeout to be in the range \(30 - 7200\), got 9000/ },
  { name: "provider validator: ExactlyOneOf (launch_configuration next to mixed_instances_policy)", edits: [edit("modules/runner-pool/asg.tf", "  default_instance_warmup   = 180\n", '  default_instance_warmup   = 180\n  launch_configuration      = "legacy-lc"\n')], expect: /only one of `launch_configuration,launch_template,mixed_instances_policy` can be specified/ },
  { name: "provider validator: ConflictsWith (name and name_prefix on aws_security_group)", edits: [edit("network.tf", '  name_prefix = "${local.name}-"\n', '  name_prefix = "${local.name}-"\n  name        = local.name\n')], expect: /conflicts with/ },
  { name: "provider validator: invalid JSON policy (aws_iam_role_policy.policy)", edits: [edit("modules/runner-pool/iam.tf", "  policy      = data.aws_iam_policy_document.session_manager.json\n", '  policy      = "not json"\n')], expect: /invalid JSON policy/ },
];

const tfDir = join(writeTree(renderExample("answers.yaml")), "terraform");

describe("the provider double is strict: real Terraform reports each planted error", () => {
  it.each(cases.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    const dir = join(mkdtempSync(join(tmpdir(), "glra-strict-")), "terraform");
    cpSync(tfDir, dir, { recursive: true });
    for (const e of c.edits) {
      const text = readFileSync(join(dir, e.file), "utf8");
      expect(text.includes(e.find), `the planted edit must apply to ${e.file}: ${JSON.stringify(e.find)}`).toBe(true);
      writeFileSync(join(dir, e.file), text.replace(e.find, e.replace));
    }
    const outcome = await planTerraform(dir).then(
      () => "planned clean",
      (e: unknown) => {
        if (e instanceof TerraformFailure) return e.message;
        throw e;
      },
    );
    if (c.expect === null) expect(outcome).toBe("planned clean");
    else expect(outcome).toMatch(c.expect);
  });
});

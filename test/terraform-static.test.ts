import { format } from "@cdktn/hcl-tools";
import { parse } from "@cdktn/hcl2json";
import { describe, expect, it } from "vitest";
import type { RenderedFile } from "../src/core/types.js";
import { exampleFiles, renderExample } from "./support/tools.js";
import {
  loadAwsSchema,
  parseTerraform,
  referenceProblems,
  schemaProblems,
  TERRAFORM_DIRS,
  terraformSources,
  variablesOf,
} from "./terraform-support.js";

const schema = loadAwsSchema();

/** What terraform fmt rewrites on top of hclwrite's layout. */
function fmtRewrites(src: string): string[] {
  return src.split("\n").flatMap((line, i) => {
    const out: string[] = [];
    if (/^\s*[A-Za-z0-9_-]+\s*=\s*"\$\{[^"{}]*\}"\s*$/.test(line))
      out.push(`${i + 1}: interpolation-only string: ${line.trim()}`);
    if (/^\s*type\s*=\s*"[a-z]+"\s*$/.test(line)) out.push(`${i + 1}: quoted type constraint: ${line.trim()}`);
    return out;
  });
}

describe.each(exampleFiles)("terraform/ of %s", (example) => {
  const files = renderExample(example);

  it("has the expected files, every .tf parses with HashiCorp's parser", async () => {
    const names = terraformSources(files).map((f) => f.name);
    expect(names).toEqual(
      expect.arrayContaining(["versions.tf", "backend.tf", "variables.tf", "outputs.tf", "pools.tf"]),
    );
    expect(terraformSources(files, TERRAFORM_DIRS[1]).map((f) => f.name)).toEqual(
      expect.arrayContaining(["variables.tf", "outputs.tf", "asg.tf", "launch.tf", "iam.tf"]),
    );
    expect(files.map((f) => f.path)).toContain("terraform/terraform.tfvars.json");
    for (const dir of TERRAFORM_DIRS)
      for (const f of terraformSources(files, dir)) await expect(parse(f.name, f.src)).resolves.toBeTypeOf("object");
  });

  it("is already in terraform fmt style", async () => {
    for (const dir of TERRAFORM_DIRS)
      for (const f of terraformSources(files, dir)) {
        expect(await format(f.src), f.name).toBe(f.src);
        expect(fmtRewrites(f.src), f.name).toEqual([]);
      }
  });

  it.each(TERRAFORM_DIRS)(
    "%s uses only resource types, arguments and blocks of the AWS provider schema, with every required one",
    async (dir) => {
      const cfg = await parseTerraform(files, dir);
      expect(schemaProblems(cfg, schema)).toEqual([]);
    },
  );

  it.each(TERRAFORM_DIRS)("%s uses only references that resolve", async (dir) => {
    const cfg = await parseTerraform(files, dir);
    expect(await referenceProblems(cfg, schema)).toEqual([]);
  });

  it("declares every input with a description and a type, and terraform.tfvars.json sets exactly those", async () => {
    const cfg = await parseTerraform(files);
    const vars = variablesOf(cfg);
    for (const [name, v] of Object.entries(vars)) {
      expect(typeof v.description, name).toBe("string");
      expect(v.description.length, name).toBeGreaterThan(10);
      expect(typeof v.type, name).toBe("string");
      expect("default" in v, `${name} takes its value from the tfvars, not a default`).toBe(false);
    }
    expect(Object.keys(cfg.tfvars).sort()).toEqual(Object.keys(vars).sort());
  });
});

describe("the checkers catch what they claim to", () => {
  const files = renderExample("answers.yaml");
  const dirOf = (name: string) =>
    name.includes("/") ? `terraform/${name.slice(0, name.lastIndexOf("/"))}` : "terraform";
  const mutate = (name: string, from: string | RegExp, to: string): RenderedFile[] =>
    files.map((f) => {
      if (f.path !== `terraform/${name}`) return f;
      const contents = f.contents.replace(from, to);
      expect(contents, `mutation of ${name} applies`).not.toBe(f.contents);
      return { ...f, contents };
    });

  it.each([
    [
      "unknown argument",
      "modules/runner-pool/launch.tf",
      "update_default_version = true",
      "update_default_versions = true",
    ],
    ["missing required argument", "modules/runner-pool/asg.tf", /\n  scheduled_action_name  = each.key/, ""],
    [
      "unknown resource type",
      "network.tf",
      'resource "aws_security_group" "runner"',
      'resource "aws_security_groups" "runner"',
    ],
    ["block written as an argument", "modules/runner-pool/launch.tf", "metadata_options {", "metadata_options = {"],
    [
      "two single blocks",
      "modules/runner-pool/asg.tf",
      '  instance_refresh {\n    strategy = "Rolling"',
      '  instance_refresh {\n    strategy = "Rolling"\n  }\n\n  instance_refresh {\n    strategy = "Rolling"',
    ],
  ] as const)("schema check: %s", async (_what, file, from, to) => {
    expect(schemaProblems(await parseTerraform(mutate(file, from, to), dirOf(file)), schema)).not.toEqual([]);
  });

  it.each([
    ["undeclared variable", "modules/runner-pool/launch.tf", "var.image.id", "var.ami.id"],
    ["undeclared local", "modules/runner-pool/asg.tf", "local.lifecycle_hook_name", "local.hook_name"],
    ["unknown attribute", "modules/runner-pool/outputs.tf", "aws_iam_role.runner.arn", "aws_iam_role.runner.role_arn"],
    ["undeclared resource", "modules/runner-pool/outputs.tf", "aws_iam_role.runner.arn", "aws_iam_role.runners.arn"],
    [
      "each without for_each",
      "modules/runner-pool/iam.tf",
      "role        = aws_iam_role.runner.name",
      "role        = each.value",
    ],
    ["undeclared variable in the root", "network.tf", "var.vpc_id", "var.vpc"],
  ] as const)("reference check: %s", async (_what, file, from, to) => {
    expect(await referenceProblems(await parseTerraform(mutate(file, from, to), dirOf(file)), schema)).not.toEqual([]);
  });

  it("fmt check: a misaligned attribute is not in fmt style", async () => {
    const src = files
      .find((f) => f.path === "terraform/network.tf")!
      .contents.replace("vpc_id      = var.vpc_id", "vpc_id = var.vpc_id");
    expect(await format(src)).not.toBe(src);
    expect(fmtRewrites('  value = "${var.x}"\n  type = "string"\n')).toHaveLength(2);
  });
});

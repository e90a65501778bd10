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
    expect(names).toEqual(expect.arrayContaining(["versions.tf", "backend.tf", "variables.tf", "outputs.tf"]));
    expect(files.map((f) => f.path)).toContain("terraform/terraform.tfvars.json");
    for (const f of terraformSources(files)) await expect(parse(f.name, f.src)).resolves.toBeTypeOf("object");
  });

  it("is already in terraform fmt style", async () => {
    for (const f of terraformSources(files)) {
      expect(await format(f.src), f.name).toBe(f.src);
      expect(fmtRewrites(f.src), f.name).toEqual([]);
    }
  });

  it("uses only resource types, arguments and blocks of the AWS provider schema, with every required one", async () => {
    const cfg = await parseTerraform(files);
    expect(schemaProblems(cfg, schema)).toEqual([]);
  });

  it("uses only references that resolve", async () => {
    const cfg = await parseTerraform(files);
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
  const mutate = (name: string, from: string | RegExp, to: string): RenderedFile[] =>
    files.map((f) => {
      if (f.path !== `terraform/${name}`) return f;
      const contents = f.contents.replace(from, to);
      expect(contents, `mutation of ${name} applies`).not.toBe(f.contents);
      return { ...f, contents };
    });

  it.each([
    ["unknown argument", "launch.tf", "update_default_version = true", "update_default_versions = true"],
    ["missing required argument", "asg.tf", /\n  scheduled_action_name  = each.key/, ""],
    [
      "unknown resource type",
      "network.tf",
      'resource "aws_security_group" "runner"',
      'resource "aws_security_groups" "runner"',
    ],
    ["block written as an argument", "launch.tf", "metadata_options {", "metadata_options = {"],
    [
      "two single blocks",
      "asg.tf",
      '  instance_refresh {\n    strategy = "Rolling"',
      '  instance_refresh {\n    strategy = "Rolling"\n  }\n\n  instance_refresh {\n    strategy = "Rolling"',
    ],
  ] as const)("schema check: %s", async (_what, file, from, to) => {
    expect(schemaProblems(await parseTerraform(mutate(file, from, to)), schema)).not.toEqual([]);
  });

  it.each([
    ["undeclared variable", "launch.tf", "var.root_volume_size", "var.root_volume_gib"],
    ["undeclared local", "asg.tf", "local.lifecycle_hook_name", "local.hook_name"],
    ["unknown attribute", "outputs.tf", "aws_iam_role.runner.arn", "aws_iam_role.runner.role_arn"],
    ["undeclared resource", "outputs.tf", "aws_iam_role.runner.arn", "aws_iam_role.runners.arn"],
    ["each without for_each", "iam.tf", "role        = aws_iam_role.runner.name", "role        = each.value"],
  ] as const)("reference check: %s", async (_what, file, from, to) => {
    expect(await referenceProblems(await parseTerraform(mutate(file, from, to)), schema)).not.toEqual([]);
  });

  it("fmt check: a misaligned attribute is not in fmt style", async () => {
    const src = files
      .find((f) => f.path === "terraform/network.tf")!
      .contents.replace("vpc_id      = var.vpc_id", "vpc_id = var.vpc_id");
    expect(await format(src)).not.toBe(src);
    expect(fmtRewrites('  value = "${var.x}"\n  type = "string"\n')).toHaveLength(2);
  });
});

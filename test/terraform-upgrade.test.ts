/**
 * Upgrading a deployed repo: before the hooks moved into the group, the
 * termination hook was a resource of its own (aws_autoscaling_lifecycle_hook.drain).
 * Real Terraform with the provider double applies that layout (the schema-v1
 * root with the old hook) to a local state, then plans this version's
 * terraform/ against it: the old hook must be
 * forgotten, never deleted (deleting it would leave the running group without
 * its drain, since Auto Scaling reads initial_lifecycle_hook at creation only).
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { declaredTypes, terraformSession } from "./support/terraform-plan.js";
import { exampleAnswers, renderAnswers, writeTree, unpackFixture } from "./support/tools.js";

const OLD_HOOK = `
resource "aws_autoscaling_lifecycle_hook" "drain" {
  name                   = local.lifecycle_hook_name
  autoscaling_group_name = aws_autoscaling_group.runner.name
  lifecycle_transition   = "autoscaling:EC2_INSTANCE_TERMINATING"
  heartbeat_timeout      = local.lifecycle_heartbeat_seconds
  default_result         = "CONTINUE"
}
`;

describe("upgrading a group whose termination hook was a resource of its own", () => {
  it("forgets the old hook resource without deleting it", async () => {
    const a = exampleAnswers("answers.yaml");
    const rendered = join(writeTree(renderAnswers(a)), "terraform");
    const movedTf = readFileSync(join(rendered, "moved.tf"), "utf8");
    const removed = /\nremoved \{\n {2}from = aws_autoscaling_lifecycle_hook\.drain\n[\s\S]*?\n\}\n/.exec(movedTf);
    expect(removed, "moved.tf forgets the old hook with a removed block").not.toBeNull();
    // The old layout: the schema-v1 root (test/fixtures/schema-v1) with the hook as a resource of its own.
    const v1 = unpackFixture("schema-v1", "answers");
    const work = mkdtempSync(join(tmpdir(), "glra-upgrade-"));
    const wd = join(work, "terraform");
    cpSync(join(v1, "terraform"), wd, { recursive: true });
    const asgTf = readFileSync(join(wd, "asg.tf"), "utf8");
    const v1Removed = /\nremoved \{\n {2}from = aws_autoscaling_lifecycle_hook\.drain\n[\s\S]*?\n\}\n/.exec(asgTf);
    writeFileSync(join(wd, "asg.tf"), asgTf.replace(v1Removed![0], OLD_HOOK));
    const [old, now] = [declaredTypes(wd), declaredTypes(rendered)];
    const only = {
      resources: [...new Set([...old.resources, ...now.resources])],
      data: [...new Set([...old.data, ...now.data])],
    };
    const { tf, stop } = await terraformSession(work, wd, only);
    try {
      await tf("init", "-input=false", "-no-color");
      await tf("apply", "-auto-approve", "-input=false", "-no-color", "-refresh=false");
      expect(await tf("state", "list")).toContain("aws_autoscaling_lifecycle_hook.drain");
      cpSync(join(wd, "terraform.tfstate"), join(work, "terraform.tfstate"));
      // This version's layout against that state.
      rmSync(wd, { recursive: true });
      cpSync(rendered, wd, { recursive: true });
      writeFileSync(join(wd, "backend_override.tf"), 'terraform {\n  backend "local" {}\n}\n');
      cpSync(join(work, "terraform.tfstate"), join(wd, "terraform.tfstate"));
      await tf("init", "-input=false", "-no-color");
      await tf("plan", "-input=false", "-no-color", "-refresh=false", "-out=plan");
      const plan = JSON.parse(await tf("show", "-json", "plan"));
      const hook = plan.resource_changes.find(
        (c: { address: string }) => c.address === "aws_autoscaling_lifecycle_hook.drain",
      );
      expect(hook?.change.actions).toEqual(["forget"]);
      const deletes = plan.resource_changes.filter((c: { change: { actions: string[] } }) =>
        c.change.actions.includes("delete"),
      );
      expect(deletes.map((c: { address: string }) => c.address)).toEqual([]);
    } finally {
      stop();
      rmSync(work, { recursive: true, force: true });
      rmSync(v1, { recursive: true, force: true });
    }
  }, 120_000);
});

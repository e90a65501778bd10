/**
 * The runner-pool module folder plans on its own: the repo's validators (and an
 * operator trying the module) run `terraform plan` in every folder with *.tf.
 * Its example.auto.tfvars.json holds the first pool and the shared answers, so
 * planned alone it must create what the root plans for that pool.
 */
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { poolViews } from "../src/core/pools.js";
import { planAnswers, planTerraform, type Plan, plannedResources } from "./support/terraform-plan.js";
import { exampleAnswers, renderAnswers, writeTree } from "./support/tools.js";

const MODULE = "terraform/modules/runner-pool";

describe.each(["three-pools.yaml", "ubuntu-arm64-shell-legacy.yaml"])(
  "%s: the runner-pool folder planned alone",
  (file) => {
    const a = exampleAnswers(file);
    const first = poolViews(a)[0];
    let alone: Plan;
    let root: Plan;
    beforeAll(async () => {
      const dir = writeTree(renderAnswers(a));
      // A module instantiated with for_each can hold no provider block; alone, the
      // provider takes its region from the environment, as the AWS CLI does.
      [{ plan: alone }, { plan: root }] = await Promise.all([
        planTerraform(join(dir, MODULE), { env: { AWS_REGION: a.awsRegion } }),
        planAnswers(a),
      ]);
    });

    it("plans the first pool's resources, as the root plans them in module.pool[first]", () => {
      const prefix = `module.pool["${first.name}"].`;
      const managed = (p: Plan, strip: string) =>
        plannedResources(p)
          .filter((r) => r.mode === "managed" && r.address.startsWith(strip))
          .map((r) => r.address.slice(strip.length))
          .sort();
      const fromRoot = managed(root, prefix);
      expect(fromRoot.length).toBeGreaterThan(5);
      expect(managed(alone, "")).toEqual(fromRoot);
    });

    it("gives the group and its launch the first pool's values", () => {
      const byAddress = (p: Plan, address: string) => plannedResources(p).find((r) => r.address === address)?.values;
      const prefix = `module.pool["${first.name}"].`;
      const group = plannedResources(alone).find((r) => r.type === "aws_autoscaling_group")!;
      const same = [
        "name",
        "min_size",
        "max_size",
        "desired_capacity",
        "vpc_zone_identifier",
        "initial_lifecycle_hook",
      ];
      const pick = (v: Record<string, unknown> | undefined) => Object.fromEntries(same.map((k) => [k, v?.[k]]));
      expect(pick(group.values)).toEqual(pick(byAddress(root, prefix + group.address)));
      expect(group.values.min_size).toBe(first.asgMinSize);
    });
  },
);

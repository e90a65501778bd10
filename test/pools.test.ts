import { describe, expect, it } from "vitest";
import { poolViews } from "../src/core/pools.js";
import { validAnswers } from "./support/tools.js";

const required = {
  vpcId: "vpc-0a1b2c3d",
  subnetIds: ["subnet-0a1b2c3d"],
  buildSubnetId: "subnet-0a1b2c3d",
  ciRoleArn: "arn:aws:iam::123456789012:role/ci",
};

describe("poolViews", () => {
  it("gives each pool, in answer order, its fields over the shared answers, its tags over the shared tags", () => {
    const a = validAnswers({
      ...required,
      projectName: "acme",
      tags: { Team: "platform", Tier: "shared" },
      pools: [
        { name: "default", tags: { Tier: "docker" } },
        { name: "arm", architecture: "arm64", instanceTypes: ["t4g.large"], tokenSsmParameter: "/r/arm" },
      ],
    });
    const [first, second] = poolViews(a);
    expect(poolViews(a).map((p) => p.name)).toEqual(["default", "arm"]);
    expect(first).toMatchObject({
      projectName: "acme",
      architecture: "x86_64",
      tags: { Team: "platform", Tier: "docker" },
    });
    expect(second).toMatchObject({
      projectName: "acme",
      architecture: "arm64",
      tags: { Team: "platform", Tier: "shared" },
    });
    expect(second).not.toHaveProperty("pools");
  });

  it("reads answers without pools as the one pool named default", () => {
    expect(poolViews(validAnswers(required)).map((p) => p.name)).toEqual(["default"]);
  });
});

import { describe, expect, it } from "vitest";
import { awsData, instanceTypeProblem, listedArch, listedPartition, regionProblem } from "../src/core/aws-data.js";
import { partitionOf } from "../src/core/context/ci-permissions.js";
import { answersSchema } from "../src/core/schema.js";
import { validateAnswers } from "../src/core/validate.js";
import { exampleAnswers, exampleFiles, minimalRaw, onePoolRaw } from "./support/tools.js";

const errorsOf = (raw: Record<string, unknown>) => validateAnswers({ ...minimalRaw, ...raw }).errors;

describe("typos in facts about AWS (schema/aws-data.json)", () => {
  it("ships its lists with their source and date, every region with its partition", () => {
    const d = awsData();
    for (const list of [d.regions, d.instanceTypes]) {
      expect(list.source.length).toBeGreaterThan(10);
      expect(list.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    }
    expect(listedPartition("eu-central-1")).toBe("aws");
    expect(listedPartition("cn-north-1")).toBe("aws-cn");
    expect(listedPartition("us-gov-west-1")).toBe("aws-us-gov");
    // The partition facts (ARNs, DNS suffix) come from the region's prefix: the list must agree, ISO regions refused.
    for (const [partition, regions] of Object.entries(d.regions.partitions)) {
      for (const r of regions)
        expect(partitionOf(r)?.partition, r).toBe(partition.startsWith("aws-iso") ? undefined : partition);
    }
    const pattern = new RegExp(answersSchema.properties.awsRegion.pattern!);
    for (const r of Object.values(d.regions.partitions).flat()) expect(r, r).toMatch(pattern);
  });

  it("each family's architecture agrees with the Graviton naming rule the unlisted types fall back to", () => {
    const graviton = /^([a-z]+[0-9]+g[a-z0-9-]*|a1)$/;
    for (const [family, f] of Object.entries(awsData().instanceTypes.families))
      expect(graviton.test(family) ? "arm64" : "x86_64", family).toBe(f.arch);
  });

  it("a close miss of a region gets the listed one suggested", () => {
    const [e] = errorsOf({ awsRegion: "eu-centrl-1" });
    expect(e.path).toBe("/awsRegion");
    expect(e.message).toContain('Did you mean "eu-central-1"?');
    expect(e.message).toContain("acceptUnlisted");
    expect(regionProblem("us-east-1")).toBeUndefined();
  });

  it("an unknown size or family gets the closest listed type suggested", () => {
    expect(errorsOf(onePoolRaw({ instanceTypes: ["t3.meduim"] }))).toEqual([
      expect.objectContaining({
        path: "/pools/0/instanceTypes/0",
        message: expect.stringContaining('Did you mean "t3.medium"?'),
      }),
    ]);
    expect(instanceTypeProblem("m7ii.large")).toContain('Did you mean "m7i.large"?');
    expect(errorsOf({ buildInstanceType: "t3.smal" })[0]).toEqual(
      expect.objectContaining({ path: "/buildInstanceType", message: expect.stringContaining('"t3.small"') }),
    );
  });

  it("arm64 needs Graviton types, by the list's architecture", () => {
    expect(listedArch("c7g.large")).toBe("arm64");
    expect(errorsOf(onePoolRaw({ architecture: "arm64", instanceTypes: ["c7g.large", "t4g.micro"] }))).toEqual([]);
    expect(errorsOf(onePoolRaw({ architecture: "arm64", instanceTypes: ["t3.medium"] })).map((e) => e.message)).toEqual(
      [expect.stringContaining("not an arm64 (Graviton) instance type")],
    );
  });

  it("acceptUnlisted lets through types and regions newer than the list, and their architecture is still checked", () => {
    expect(
      errorsOf(
        onePoolRaw(
          { instanceTypes: ["m9g.large"], architecture: "arm64" },
          { awsRegion: "eu-south-3", acceptUnlisted: ["eu-south-3", "m9g.large"] },
        ),
      ),
    ).toEqual([]);
    expect(
      errorsOf(onePoolRaw({ instanceTypes: ["m9g.large"] }, { acceptUnlisted: ["m9g.large"] })).map((e) => e.message),
    ).toEqual([expect.stringContaining("is an arm64 (Graviton) instance type")]);
    expect(errorsOf({ acceptUnlisted: ["not a type"] }).map((e) => e.path)).toEqual(["/acceptUnlisted/0"]);
  });

  it.each(exampleFiles)("example %s uses listed regions and types only", (f) => {
    expect(validateAnswers(exampleAnswers(f)).errors).toEqual([]);
  });
});

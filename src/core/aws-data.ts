import { createRequire } from "node:module";
import { readJson } from "./package-root.js";

/**
 * Facts about AWS shipped with the package (schema/aws-data.json): the regions
 * of each partition and the EC2 instance-type families with their
 * architecture and size class. Answers are checked against them to catch
 * typos; scripts/refresh-aws-data.mjs refreshes the file, and the answer
 * acceptUnlisted lets through what is newer than it.
 */
export interface AwsData {
  regions: { source: string; date: string; partitions: Record<string, string[]> };
  instanceTypes: {
    source: string;
    date: string;
    sizeClasses: Record<string, string[]>;
    families: Record<string, { arch: "x86_64" | "arm64"; sizes: string }>;
  };
}

let data: AwsData | undefined;
export function awsData(): AwsData {
  return (data ??= readJson<AwsData>("schema/aws-data.json"));
}

const require = createRequire(import.meta.url);

/** The closest candidate within a typo's distance, if any. */
export function closest(name: string, candidates: string[]): string | undefined {
  if (!candidates.length) return undefined;
  const { closest: near, distance } = require("fastest-levenshtein") as typeof import("fastest-levenshtein");
  const c = near(name, candidates);
  return distance(name, c) <= Math.max(2, Math.floor(name.length / 4)) ? c : undefined;
}

/** The partition a listed region is listed under, or undefined when the list lacks it. */
export function listedPartition(region: string): string | undefined {
  for (const [partition, regions] of Object.entries(awsData().regions.partitions))
    if (regions.includes(region)) return partition;
  return undefined;
}

/** Why a region code is refused, or undefined when it is listed (or accepted as unlisted). */
export function regionProblem(region: string, accepted: readonly string[] = []): string | undefined {
  if (listedPartition(region) || accepted.includes(region)) return undefined;
  const all = Object.values(awsData().regions.partitions).flat();
  const near = closest(region, all);
  const date = awsData().regions.date;
  return (
    `is not an AWS region the generator knows (its list is of ${date}).` +
    (near ? ` Did you mean "${near}"?` : "") +
    " If it is a region newer than the list, add it to acceptUnlisted."
  );
}

/** Architecture of a listed instance type, or undefined when its family or size is not listed. */
export function listedArch(type: string): "x86_64" | "arm64" | undefined {
  const [family, size] = type.split(".");
  const f = awsData().instanceTypes.families[family];
  if (!f || !awsData().instanceTypes.sizeClasses[f.sizes]?.includes(size)) return undefined;
  return f.arch;
}

/** Why an instance type is refused as unknown, or undefined when it is listed (or accepted as unlisted). */
export function instanceTypeProblem(type: string, accepted: readonly string[] = []): string | undefined {
  if (listedArch(type) || accepted.includes(type)) return undefined;
  const { families, sizeClasses, date } = awsData().instanceTypes;
  const [family, size = ""] = type.split(".");
  let near: string | undefined;
  let what: string;
  if (families[family]) {
    const sizes = sizeClasses[families[family].sizes];
    near = closest(size, sizes);
    near = near && `${family}.${near}`;
    what = `"${size}" is not a size of the ${family} family, which has ${sizes.join(", ")}`;
  } else {
    const candidates = Object.keys(families).filter((f) => sizeClasses[families[f].sizes].includes(size));
    const f = closest(family, candidates.length ? candidates : Object.keys(families));
    near = f && `${f}.${size}`;
    what = `"${family}" is not an instance family the generator knows`;
  }
  return (
    `is not an EC2 instance type the generator knows (its list is of ${date}): ${what}.` +
    (near ? ` Did you mean "${near}"?` : "") +
    " If it is a type newer than the list, add it to acceptUnlisted."
  );
}

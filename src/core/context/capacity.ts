import type { PoolView as Answers } from "../pools.js";
import { cacheBucketName } from "./names.js";
import { usesSpot } from "./terraform.js";

/**
 * The generated README's figures for the shared S3 cache and the Spot mix
 * (ctx.capacity). Prices are AWS's published US East (N. Virginia) list prices of late
 * 2026; other regions differ by a few percent, which the README says.
 */
export const PRICES = {
  /** S3 Standard, per GB-month. */
  s3StorageGbMonth: 0.023,
  /** PUT/POST/LIST per 1,000 requests. */
  s3PutPer1000: 0.005,
  /** GET per 1,000 requests. */
  s3GetPer1000: 0.0004,
  /** A customer managed KMS key, per month. */
  kmsKeyMonth: 1,
  /** NAT gateway data processing, per GB (what a gateway endpoint for S3 saves). */
  natPerGb: 0.045,
  /** What Spot usually saves against On-Demand, in percent (AWS: "up to 90 %"; 60-90 % for common types). */
  spotSavingPercent: [60, 90] as const,
};

/** The cache estimate's assumptions: what a busy small fleet stores and how often jobs use the cache. */
export const CACHE_ASSUMPTIONS = {
  /** Cache archives uploaded per day, each kept cacheExpirationDays. */
  gbPerDay: 2,
  jobsPerMonth: 10_000,
};

const usd = (x: number) => `$${x.toFixed(x < 0.1 && x > 0 ? 3 : x < 10 ? 2 : 0)}`;

/** Instances at a capacity: On-Demand up to the base, then the answered share rounded up, the rest Spot. */
export function spotSplit(a: Answers, capacity: number): { onDemand: number; spot: number } {
  const base = Math.min(capacity, a.onDemandBaseCapacity);
  const above = capacity - base;
  const onDemandAbove = Math.ceil((above * a.onDemandPercentageAboveBase) / 100);
  return { onDemand: base + onDemandAbove, spot: above - onDemandAbove };
}

export function capacityContext(a: Answers) {
  const account = a.ciRoleArn.split(":")[4];
  const storedGb = CACHE_ASSUMPTIONS.gbPerDay * a.cacheExpirationDays;
  const storage = storedGb * PRICES.s3StorageGbMonth;
  // One download and one upload per job.
  const requests = (CACHE_ASSUMPTIONS.jobsPerMonth / 1000) * (PRICES.s3PutPer1000 + PRICES.s3GetPer1000);
  const kms = a.cacheKmsKeyArn ? PRICES.kmsKeyMonth : 0;
  const split = spotSplit(a, a.asgDesiredCapacity);
  const share = a.asgDesiredCapacity ? split.spot / a.asgDesiredCapacity : 0;
  const [low, high] = PRICES.spotSavingPercent;
  return {
    spot: usesSpot(a),
    cache: {
      bucket: cacheBucketName(a, account),
      storedGb,
      storage: usd(storage),
      requests: usd(requests),
      kms: usd(kms),
      total: usd(storage + requests + kms),
      natPerGb: usd(PRICES.natPerGb),
    },
    split,
    /** The saving on the instances' bill at the desired capacity, as a range in percent. */
    spotSaving: [Math.round(share * low), Math.round(share * high)] as const,
    spotSavingPercent: PRICES.spotSavingPercent,
  };
}

import { type PoolView, poolViews } from "../pools.js";
import type { Answers } from "../types.js";
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
  /** EBS gp3, per GB-month (the root volumes, paid while their instances exist). */
  gp3GbMonth: 0.08,
  /**
   * Linux On-Demand, per hour, of the instance types the examples and the
   * interview's suggestions use; a pool whose first type is not listed gets
   * its instance-hours only.
   */
  onDemandHourly: {
    "t3.small": 0.0208,
    "t3.medium": 0.0416,
    "t3.large": 0.0832,
    "t3.xlarge": 0.1664,
    "t3a.medium": 0.0376,
    "t3a.large": 0.0752,
    "t3a.xlarge": 0.1504,
    "t4g.small": 0.0168,
    "t4g.medium": 0.0336,
    "t4g.large": 0.0672,
    "t4g.xlarge": 0.1344,
    "m5.large": 0.096,
    "m5.xlarge": 0.192,
    "m6i.large": 0.096,
    "m6i.xlarge": 0.192,
    "m7i.large": 0.1008,
    "m7i.xlarge": 0.2016,
    "c6i.large": 0.085,
    "c7i.large": 0.08925,
    "m6g.large": 0.077,
    "m6g.xlarge": 0.154,
    "m7g.large": 0.0816,
    "m7g.xlarge": 0.1632,
    "c6g.large": 0.068,
    "c7g.large": 0.0725,
  } as Record<string, number>,
};

const HOURS_PER_MONTH = 730;
const WEEKS_PER_MONTH = 52 / 12;

/** The cache estimate's assumptions: what a busy small fleet stores and how often jobs use the cache. */
export const CACHE_ASSUMPTIONS = {
  /** Cache archives uploaded per day, each kept cacheExpirationDays. */
  gbPerDay: 2,
  jobsPerMonth: 10_000,
};

const usd = (x: number) => `$${x.toFixed(x < 0.1 && x > 0 ? 3 : x < 10 ? 2 : 0)}`;

/** Instances at a capacity: On-Demand up to the base, then the answered share rounded up, the rest Spot. */
export function spotSplit(a: PoolView, capacity: number): { onDemand: number; spot: number } {
  const base = Math.min(capacity, a.onDemandBaseCapacity);
  const above = capacity - base;
  const onDemandAbove = Math.ceil((above * a.onDemandPercentageAboveBase) / 100);
  return { onDemand: base + onDemandAbove, spot: above - onDemandAbove };
}

/** One pool's Spot mix at its desired capacity, and what it saves on the instances' bill, in percent. */
export function poolSpot(p: PoolView) {
  const split = spotSplit(p, p.asgDesiredCapacity);
  const share = p.asgDesiredCapacity ? split.spot / p.asgDesiredCapacity : 0;
  const [low, high] = PRICES.spotSavingPercent;
  return {
    spot: usesSpot(p),
    split,
    /** Spot instances' share of the desired capacity. */
    share,
    /** The saving on the instances' bill at the desired capacity, as a range in percent. */
    saving: [Math.round(share * low), Math.round(share * high)] as const,
  };
}

/** A pool's estimated monthly bill: instances at these instance-hours a week (Spot share at the usual saving) and root volumes; low and high differ by the Spot saving's range. */
export interface PoolCost {
  instanceType: string;
  /** Per hour On-Demand, or undefined when the first instance type is not in the price list. */
  hourly?: number;
  low?: number;
  high?: number;
}

export function poolCost(p: PoolView, instanceHoursPerWeek: number): PoolCost {
  const instanceType = p.instanceTypes[0];
  const hourly = PRICES.onDemandHourly[instanceType];
  if (hourly === undefined) return { instanceType };
  const hours = instanceHoursPerWeek * WEEKS_PER_MONTH;
  const volumes = (hours / HOURS_PER_MONTH) * p.rootVolumeSize * PRICES.gp3GbMonth;
  const onDemand = hours * hourly;
  const { share } = poolSpot(p);
  const [lowSaving, highSaving] = PRICES.spotSavingPercent;
  const round = (x: number) => Math.round(x * 100) / 100;
  return {
    instanceType,
    hourly,
    low: round(onDemand * (1 - (share * highSaving) / 100) + volumes),
    high: round(onDemand * (1 - (share * lowSaving) / 100) + volumes),
  };
}

export function capacityContext(a: Answers) {
  const account = a.ciRoleArn.split(":")[4];
  const storedGb = CACHE_ASSUMPTIONS.gbPerDay * a.cacheExpirationDays;
  const storage = storedGb * PRICES.s3StorageGbMonth;
  // One download and one upload per job.
  const requests = (CACHE_ASSUMPTIONS.jobsPerMonth / 1000) * (PRICES.s3PutPer1000 + PRICES.s3GetPer1000);
  const kms = a.cacheKmsKeyArn ? PRICES.kmsKeyMonth : 0;
  return {
    /** Some pool may run Spot instances. */
    spot: poolViews(a).some(usesSpot),
    cache: {
      bucket: cacheBucketName(a, account),
      storedGb,
      storage: usd(storage),
      requests: usd(requests),
      kms: usd(kms),
      total: usd(storage + requests + kms),
      natPerGb: usd(PRICES.natPerGb),
    },
    spotSavingPercent: PRICES.spotSavingPercent,
  };
}

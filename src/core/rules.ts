import { answersSchema, defaultOf, fieldSchema, isPoolField, poolFieldKeys, whenText } from "./schema.js";
import { cronProblem } from "./cron.js";
import { partitionOf } from "./context/ci-permissions.js";
import { poolResourceName } from "./context/names.js";
import { V1_POOL } from "./pools.js";
import { instanceTypeProblem, listedArch, regionProblem } from "./aws-data.js";
import { loadPrecompiled } from "./precompiled.js";
import type { AnswerError } from "./types.js";

/**
 * The registry of cross-field rules: what JSON Schema cannot say. validate.ts
 * runs every rule on answers the schema accepted; the fuzz arbitraries run the
 * repairs on answers built from the schema alone, so each rule is written once.
 *
 * To add a rule, append it to RULES (order decides the order of messages that
 * share a path). Its check returns problems (JSON pointer path, the value,
 * what is wrong and how to fix it); its repair turns any answers violating it
 * into answers satisfying it, changing as little as it can. test/rules.test.ts
 * wants one violating example per rule id.
 */
export type Raw = Record<string, unknown>;

export interface Rule {
  id: string;
  /**
   * The answers the rule reads. A rule that reads a field of the pools (and not
   * `pools` itself) runs once per pool, on that pool's fields with the shared
   * answers beside them (see forPools): it is written as for one pool.
   */
  reads: readonly string[];
  /** Also judged in the typo-only pass (yo, before the rest is asked): a fact about the answers it reads, alone. */
  alone?: boolean;
  /** Whether the rule applies to these answers; without it, always. */
  when?: (a: Raw) => boolean;
  /**
   * Problems in `a`: the answers with their defaults, less those the schema
   * rejected (a value of the wrong type is judged once). `earlier` holds the
   * problems found before this rule.
   */
  check: (a: Raw, earlier: readonly AnswerError[]) => AnswerError[];
  /** Raw answers (defaults left out) changed to satisfy the rule. */
  repair: (raw: Raw) => Raw;
}

export const ZERO_FLOOR =
  "must not be 0 with load-driven scaling (scalingPolicy jobs or cpu): tracking scales an idle group in to its minimum, and with no instance left no metric scales it out again before the next schedule";

export const GRAVITON = /^([a-z]+[0-9]+g[a-z0-9-]*|a1)\./;

/**
 * Zones of the IANA database named without a slash that follow daylight-saving
 * rules (CET is Central European Time, with summer time): real zones, unlike
 * fixed abbreviations such as "EST", which stay refused.
 */
const IANA_ZONES_WITHOUT_SLASH = new Set(["CET", "EET", "WET", "MET", "CST6CDT", "EST5EDT", "MST7MDT", "PST8PDT"]);
let knownZones: Set<string> | undefined;

function isIanaZone(zone: string): boolean {
  if (zone === "UTC" || zone === "Etc/UTC" || IANA_ZONES_WITHOUT_SLASH.has(zone)) return true;
  // The zones Intl listed when the package was built: checking one costs nothing, while Intl's first use loads ICU's zone data.
  knownZones ??= new Set(loadPrecompiled()?.timeZones ?? []);
  if (knownZones.has(zone)) return true;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
  } catch {
    return false;
  }
  // Intl accepts legacy offsets and abbreviations ("EST", "+01:00"); Auto Scaling wants a zone name.
  return zone.includes("/") || Intl.supportedValuesOf("timeZone").includes(zone);
}

function cidrOk(c: string): boolean {
  return c
    .split("/")[0]
    .split(".")
    .every((o) => Number(o) <= 255);
}

/** The network of an IPv4 CIDR: its address with the host bits cleared, as AWS wants it ("10.1.2.3/8" → "10.0.0.0/8"). */
export function canonicalCidr(c: string): string {
  const [address, prefix] = c.split("/");
  const bits = Number(prefix);
  const n = address.split(".").reduce((acc, o) => acc * 256 + Number(o), 0);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  const net = (n & mask) >>> 0;
  return `${[24, 16, 8, 0].map((sh) => (net >>> sh) & 255).join(".")}/${bits}`;
}

/**
 * Letters and digits that JavaScript's Unicode tables know but Terraform's do
 * not (its Go regexp engine has Unicode 15.0; Node has newer tables): the
 * tags variable's validation would refuse them at plan time. Found by asking
 * Terraform 1.11 about every character the schema's pattern accepts.
 */
export const NEWER_THAN_TERRAFORM =
  /[\u1c89\u1c8a\ua7cb-\ua7cf\ua7d2\ua7d4\ua7da-\ua7dc\ua7f1\u{105c0}-\u{105f3}\u{10940}-\u{10959}\u{10d40}-\u{10d85}\u{10ec2}-\u{10ec7}\u{11380}-\u{113d3}\u{116d0}-\u{116e3}\u{11bc0}-\u{11bf9}\u{11db0}-\u{11de9}\u{13460}-\u{143fa}\u{16100}-\u{16139}\u{16d40}-\u{16d79}\u{16ea0}-\u{16ed3}\u{16ff2}-\u{16ff6}\u{187f8}-\u{187ff}\u{18cff}-\u{18d1e}\u{18d80}-\u{18df2}\u{1ccf0}-\u{1ccf9}\u{1e5d0}-\u{1e5fa}\u{1e6c0}-\u{1e6ff}\u{2b73a}-\u{2b73f}\u{2cea2}-\u{2cead}\u{2ebf0}-\u{2ee5d}\u{323b0}-\u{33479}]/u;

/** Why Terraform would refuse a tag key or value the schema's pattern accepts, if it would (text not in NFC is refused elsewhere). */
export function tagTextProblem(text: string): string | undefined {
  const newer = NEWER_THAN_TERRAFORM.exec(text);
  if (newer)
    return `holds ${JSON.stringify(newer[0])} (U+${newer[0].codePointAt(0)!.toString(16).toUpperCase()}), a character newer than Terraform's Unicode tables; leave it out`;
  return undefined;
}

const isInt = (x: unknown): x is number => Number.isInteger(x);
const strings = (x: unknown): string[] => (Array.isArray(x) ? x.filter((v): v is string => typeof v === "string") : []);
const isMap = (v: unknown): v is Raw => v !== null && typeof v === "object" && !Array.isArray(v);
const poolsOf = (a: Raw): Raw[] => (Array.isArray(a.pools) ? a.pools.map((p) => (isMap(p) ? p : {})) : []);
const schedulesOf = (a: Raw): Raw[] => (Array.isArray(a.schedules) ? a.schedules : []);
const tracking = (a: Raw) => a.scalingPolicy === "jobs" || a.scalingPolicy === "cpu";

/** The fields of one pool, the left-out ones with their defaults. */
export function poolWithDefaults(pool: Raw): Raw {
  const out: Raw = {};
  for (const key of poolFieldKeys) {
    const value = pool[key] === undefined ? defaultOf(key) : pool[key];
    if (value !== undefined) out[key] = value;
  }
  return { ...pool, ...out };
}

/** Every answer, the left-out ones with their defaults, each pool's fields too. */
export function withDefaults(raw: Raw): Raw {
  const out: Raw = {};
  for (const key of Object.keys(answersSchema.properties)) {
    const value = raw[key] === undefined ? defaultOf(key) : raw[key];
    if (value !== undefined) out[key] = value;
  }
  if (Array.isArray(out.pools)) out.pools = out.pools.map((p) => (isMap(p) ? poolWithDefaults(p) : p));
  return { ...raw, ...out };
}

function pointer(path: Array<string | number>): string {
  return "/" + path.map((p) => String(p).replace(/~/g, "~0").replace(/\//g, "~1")).join("/");
}

/** The sizes of schedule s, those left out taken from the ASG's. */
function scheduleSizes(s: Raw, a: Raw): { min: unknown; max: unknown; desired: unknown } {
  return {
    min: s.minSize ?? a.asgMinSize,
    max: s.maxSize ?? a.asgMaxSize,
    desired: s.desiredCapacity ?? a.asgDesiredCapacity,
  };
}

const ordered = (min: unknown, desired: unknown, max: unknown) =>
  isInt(min) && isInt(desired) && isInt(max) && min <= desired && desired <= max;

/** raw with each schedule that fails `bad` replaced by `fix` of it. */
function mapSchedules(raw: Raw, bad: (s: Raw, a: Raw) => boolean, fix: (s: Raw, a: Raw) => Raw): Raw {
  const a = withDefaults(raw);
  return { ...raw, schedules: schedulesOf(a).map((s) => (isMap(s) && bad(s, a) ? fix(s, a) : s)) };
}

const ARCH_DEFAULT_TYPE = { arm64: "t4g.medium", x86_64: "t3.medium" } as const;

/** What is wrong with an instance type of the other architecture than `arch`. */
function wrongArchitecture(arch: string): string {
  return arch === "arm64"
    ? "is not an arm64 (Graviton) instance type; use one such as t4g.medium or m7g.large, or set architecture to x86_64"
    : "is an arm64 (Graviton) instance type; use an x86_64 type such as t3.medium, or set architecture to arm64";
}
const archOf = (t: string) => listedArch(t) ?? (GRAVITON.test(t) ? "arm64" : "x86_64");
const CIDR_KEYS = ["buildAllowedCidrs", "egressCidrs"] as const;
const ARN_KEYS = ["ciRoleArn", "permissionsBoundaryArn", "logKmsKeyArn", "alarmSnsTopicArn", "cacheKmsKeyArn"] as const;
/** ARNs of resources a regional one uses: the log group's key, the alarms' topic. */
const REGIONAL_ARN_KEYS = ["logKmsKeyArn", "alarmSnsTopicArn"] as const;

function cidrProblem(key: string, c: string): string | undefined {
  if (!cidrOk(c)) return "is not an IPv4 CIDR: each octet must be 0-255";
  if (canonicalCidr(c) !== c) return `has host bits set, which AWS refuses; did you mean "${canonicalCidr(c)}"?`;
  if (key === "buildAllowedCidrs" && c.endsWith("/0")) {
    return "must not open SSH to the whole internet; give the CIDR of the network Packer runs from, or use sshInterface session_manager";
  }
  return undefined;
}

/** Why S3 would refuse the cache bucket's name (`<project>-<account>-<region>`, context/names.ts), if it would. */
function cacheBucketProblem(project: string, region: string): string | undefined {
  const reserved = ["xn--", "sthree-", "amzn-s3-demo-"].find((p) => project.startsWith(p));
  if (reserved) {
    return `starts with "${reserved}", which S3 refuses at the start of a bucket name (the cache bucket is named <projectName>-<account id>-<awsRegion>)`;
  }
  const length = project.length + region.length + 14;
  if (length > 63)
    return `makes the cache bucket name <projectName>-<account id>-<awsRegion> ${length} characters long, above S3's 63`;
  return undefined;
}

/** The names of types in `a` that the shipped lists lack and acceptUnlisted does not name, with where they are. */
function unlistedNames(a: Raw): Array<[string, string, string]> {
  const accepted = strings(a.acceptUnlisted);
  const out: Array<[string, string, string]> = [];
  if (typeof a.awsRegion === "string") {
    const problem = regionProblem(a.awsRegion, accepted);
    if (problem) out.push(["/awsRegion", a.awsRegion, problem]);
  }
  strings(a.instanceTypes).forEach((t, i) => {
    const problem = instanceTypeProblem(t, accepted);
    if (problem) out.push([`/instanceTypes/${i}`, t, problem]);
  });
  if (typeof a.buildInstanceType === "string" && a.buildInstanceType !== "") {
    const problem = instanceTypeProblem(a.buildInstanceType, accepted);
    if (problem) out.push(["/buildInstanceType", a.buildInstanceType, problem]);
  }
  return out;
}

/** The tags' keys and values Terraform would refuse, at `at`. */
function tagProblems(tags: unknown, at: Array<string | number>): AnswerError[] {
  if (!isMap(tags)) return [];
  return Object.entries(tags).flatMap(([k, v]) =>
    (
      [
        [k, "key"],
        [v, "value"],
      ] as const
    ).flatMap(([text, what]) => {
      const problem = typeof text === "string" ? tagTextProblem(text) : undefined;
      return problem ? [{ path: pointer([...at, k]), value: text, message: `${what} ${problem}` }] : [];
    }),
  );
}

/** The longest name_prefix Terraform takes for an IAM role: IAM's 64 characters less its 26-character unique suffix. */
const ROLE_NAME_PREFIX_MAX = 38;

/** The longest pool name (other than V1_POOL, which adds nothing) that fits `${projectName}-${name}-` into an IAM role's name_prefix. */
const poolNameMax = (project: string) => Math.min(20, ROLE_NAME_PREFIX_MAX - 2 - project.length);

/**
 * The pools with names unique and short enough for their resource names: a
 * repeated or too long name is cut and numbered (web, web-2, …).
 */
function fitPoolNames(raw: Raw): Raw {
  if (!Array.isArray(raw.pools)) return raw;
  const max = poolNameMax(String(withDefaults(raw).projectName));
  const taken = new Set<string>();
  const pools = raw.pools.map((p) => {
    if (!isMap(p) || typeof p.name !== "string") return p;
    let name = p.name === V1_POOL ? p.name : p.name.slice(0, max);
    for (let k = 2; taken.has(name); k++) name = `${p.name.slice(0, max - 1 - String(k).length)}-${k}`;
    taken.add(name);
    return name === p.name ? p : { ...p, name };
  });
  return { ...raw, pools };
}

/** The indexes of the items whose key repeats an earlier item's, with the index of that first one. */
function repeats(items: Raw[], key: (p: Raw) => unknown): Array<[number, number]> {
  const first = new Map<unknown, number>();
  const out: Array<[number, number]> = [];
  items.forEach((p, i) => {
    const k = key(p);
    if (k === undefined) return;
    if (first.has(k)) out.push([i, first.get(k)!]);
    else first.set(k, i);
  });
  return out;
}

function holds(when: Record<string, string | boolean | string[]>, a: Raw): boolean {
  return Object.entries(when).every(([k, v]) => (Array.isArray(v) ? v.includes(a[k] as string) : a[k] === v));
}

/**
 * An answer with `"x-when-policy": "error"` is refused when its x-when
 * condition is false and its value is not the default (a default, or a stored
 * copy of it, is no choice of the user's). The schema's `x-when-message`, if
 * any, replaces the generic wording.
 */
function whenRule(key: string): Rule {
  const s = fieldSchema(key)!;
  const when = s["x-when"]!;
  const conditions = Object.keys(when);
  return {
    id: `x-when:${key}`,
    reads: [key, ...conditions],
    when: (a) => key in a && conditions.every((k) => k in a) && !holds(when, a),
    check: (a) => {
      if (JSON.stringify(a[key]) === JSON.stringify(defaultOf(key))) return [];
      const { condition, actual } = whenText(key, a);
      const fix = Object.entries(when)
        .map(([k, v]) => `set ${k} to ${Array.isArray(v) ? v.join(" or ") : v}`)
        .join(" and ");
      const message = s["x-when-message"] ?? `applies only with ${condition}, and ${actual}: remove ${key}, or ${fix}`;
      return [{ path: `/${key}`, value: a[key], message }];
    },
    repair: (raw) => {
      const { [key]: _dropped, ...rest } = raw;
      return rest;
    },
  };
}

export const RULES: readonly Rule[] = [
  {
    id: "aws-names-listed",
    reads: ["awsRegion", "instanceTypes", "buildInstanceType", "acceptUnlisted"],
    alone: true,
    check: (a) => unlistedNames(a).map(([path, value, message]) => ({ path, value, message })),
    repair: (raw) => {
      const names = unlistedNames(withDefaults(raw)).map(([, name]) => name);
      return { ...raw, acceptUnlisted: [...new Set([...strings(raw.acceptUnlisted), ...names])] };
    },
  },
  {
    id: "asg-sizes-ordered",
    reads: ["asgMinSize", "asgMaxSize", "asgDesiredCapacity"],
    check: ({ asgMinSize: min, asgMaxSize: max, asgDesiredCapacity: desired }) => {
      if (!isInt(min) || !isInt(max) || !isInt(desired) || ordered(min, desired, max)) return [];
      const also = min > max ? `, and asgMinSize must not be above asgMaxSize` : "";
      return [
        {
          path: "/asgDesiredCapacity",
          value: desired,
          message: `must lie between asgMinSize (${min}) and asgMaxSize (${max})${also}`,
        },
      ];
    },
    repair: (raw) => {
      const a = withDefaults(raw);
      const [asgMinSize, asgDesiredCapacity, asgMaxSize] = [a.asgMinSize, a.asgDesiredCapacity, a.asgMaxSize]
        .map(Number)
        .sort((x, y) => x - y);
      return { ...raw, asgMinSize, asgDesiredCapacity, asgMaxSize };
    },
  },
  {
    // Tracking scales an idle group in to its minimum; at zero no instance publishes the metric, so nothing scales it out again.
    id: "tracking-asg-floor",
    reads: ["scalingPolicy", "asgMinSize"],
    when: tracking,
    check: (a) =>
      a.asgMinSize === 0
        ? [{ path: "/asgMinSize", value: 0, message: `${ZERO_FLOOR}; use 1 or more, or scalingPolicy none` }]
        : [],
    repair: (raw) => {
      const a = withDefaults(raw);
      return {
        ...raw,
        asgMinSize: 1,
        asgDesiredCapacity: Math.max(Number(a.asgDesiredCapacity), 1),
        asgMaxSize: Math.max(Number(a.asgMaxSize), 1),
      };
    },
  },
  {
    id: "schedule-cron",
    reads: ["schedules"],
    check: (a) =>
      schedulesOf(a).flatMap((s, i) => {
        const problem = isMap(s) && typeof s.recurrence === "string" ? cronProblem(s.recurrence) : undefined;
        if (!problem) return [];
        return [
          {
            path: `/schedules/${i}/recurrence`,
            value: s.recurrence,
            message: `is not a valid 5-field cron: ${problem}. Example: "30 19 * * MON-FRI"`,
          },
        ];
      }),
    repair: (raw) =>
      mapSchedules(
        raw,
        (s) => cronProblem(String(s.recurrence)) !== undefined,
        (s) => ({ ...s, recurrence: "30 19 * * MON-FRI" }),
      ),
  },
  {
    id: "schedule-names-unique",
    reads: ["schedules"],
    check: (a) => {
      const names = new Set<unknown>();
      return schedulesOf(a).flatMap((s, i) => {
        if (!isMap(s) || typeof s.name !== "string") return [];
        const seen = names.has(s.name);
        names.add(s.name);
        return seen
          ? [{ path: `/schedules/${i}/name`, value: s.name, message: "must be unique among the schedules" }]
          : [];
      });
    },
    repair: (raw) => {
      const names = new Set<unknown>();
      const schedules = schedulesOf(withDefaults(raw)).filter((s) => !names.has(s.name) && names.add(s.name));
      return { ...raw, schedules };
    },
  },
  {
    id: "schedule-sizes-ordered",
    reads: ["schedules", "asgMinSize", "asgMaxSize", "asgDesiredCapacity"],
    check: (a) =>
      schedulesOf(a).flatMap((s, i) => {
        if (!isMap(s)) return [];
        const { min, max, desired } = scheduleSizes(s, a);
        if (!isInt(min) || !isInt(max) || !isInt(desired) || ordered(min, desired, max)) return [];
        const message = `has minSize ${min}, desiredCapacity ${desired} and maxSize ${max}, but needs minSize ≤ desiredCapacity ≤ maxSize (sizes left out take the ASG's answered sizes)`;
        return [{ path: `/schedules/${i}`, message }];
      }),
    repair: (raw) =>
      mapSchedules(
        raw,
        (s, a) => {
          const { min, max, desired } = scheduleSizes(s, a);
          return !ordered(min, desired, max);
        },
        (s, a) => {
          const { min, max, desired } = scheduleSizes(s, a);
          const [minSize, desiredCapacity, maxSize] = [min, desired, max].map(Number).sort((x, y) => x - y);
          return { ...s, minSize, desiredCapacity, maxSize };
        },
      ),
  },
  {
    id: "tracking-schedule-floor",
    reads: ["schedules", "scalingPolicy", "asgMinSize", "asgMaxSize", "asgDesiredCapacity"],
    when: tracking,
    check: (a) =>
      schedulesOf(a).flatMap((s, i) => {
        if (!isMap(s)) return [];
        const { min, max, desired } = scheduleSizes(s, a);
        if (!ordered(min, desired, max) || min !== 0 || max === 0) return [];
        const message = `${ZERO_FLOOR}; give this schedule a minSize of 1 or more (or maxSize 0 to switch the runners off)`;
        return [{ path: `/schedules/${i}/minSize`, value: 0, message }];
      }),
    repair: (raw) =>
      mapSchedules(
        raw,
        (s, a) => {
          const { min, max, desired } = scheduleSizes(s, a);
          return ordered(min, desired, max) && min === 0 && max !== 0;
        },
        (s, a) => ({ ...s, minSize: 1, desiredCapacity: Math.max(Number(scheduleSizes(s, a).desired), 1) }),
      ),
  },
  {
    id: "time-zone-iana",
    reads: ["timeZone"],
    check: (a) =>
      typeof a.timeZone === "string" && !isIanaZone(a.timeZone)
        ? [
            {
              path: "/timeZone",
              value: a.timeZone,
              message: 'must be an IANA time zone such as "Europe/Berlin" or "America/New_York"',
            },
          ]
        : [],
    repair: (raw) => ({ ...raw, timeZone: "UTC" }),
  },
  {
    id: "instance-types-architecture",
    reads: ["architecture", "instanceTypes"],
    when: (a) => a.architecture === "x86_64" || a.architecture === "arm64",
    check: (a, earlier) => {
      const arm = a.architecture === "arm64";
      // An unknown type was reported once, by aws-names-listed.
      return strings(a.instanceTypes)
        .map((t, i) => [t, `/instanceTypes/${i}`])
        .filter(([t, path]) => !earlier.some((e) => e.path === path) && (archOf(t) === "arm64") !== arm)
        .map(([t, path]) => ({ path, value: t, message: wrongArchitecture(arm ? "arm64" : "x86_64") }));
    },
    repair: (raw) => {
      const a = withDefaults(raw);
      const arch = a.architecture as "x86_64" | "arm64";
      const instanceTypes = [
        ...new Set(strings(a.instanceTypes).map((t) => (archOf(t) === arch ? t : ARCH_DEFAULT_TYPE[arch]))),
      ];
      return { ...raw, instanceTypes };
    },
  },
  {
    // One image per architecture the pools use: the build type is the one of its own architecture.
    id: "build-instance-type-architecture",
    reads: ["buildInstanceType", "pools"],
    when: (a) => typeof a.buildInstanceType === "string" && a.buildInstanceType !== "",
    check: (a, earlier) => {
      const build = a.buildInstanceType as string;
      const archs = new Set(poolsOf(a).map((p) => p.architecture));
      if (archs.has(archOf(build)) || earlier.some((e) => e.path === "/buildInstanceType")) return [];
      const message = archs.size === 1 ? wrongArchitecture([...archs][0] as string) : undefined;
      return message ? [{ path: "/buildInstanceType", value: build, message }] : [];
    },
    repair: (raw) => ({ ...raw, buildInstanceType: "" }),
  },
  {
    id: "launch-configuration-single-type",
    reads: ["useLaunchConfiguration", "instanceTypes"],
    when: (a) => a.useLaunchConfiguration === true,
    check: (a) =>
      Array.isArray(a.instanceTypes) && a.instanceTypes.length > 1
        ? [
            {
              path: "/instanceTypes",
              value: a.instanceTypes,
              message:
                "must hold a single instance type with useLaunchConfiguration: a launch configuration has no mixed-instances policy",
            },
          ]
        : [],
    repair: (raw) => ({ ...raw, instanceTypes: strings(withDefaults(raw).instanceTypes).slice(0, 1) }),
  },
  {
    id: "launch-configuration-no-spot",
    reads: ["useLaunchConfiguration", "onDemandPercentageAboveBase"],
    when: (a) => a.useLaunchConfiguration === true,
    check: (a) =>
      isInt(a.onDemandPercentageAboveBase) && a.onDemandPercentageAboveBase < 100
        ? [
            {
              path: "/onDemandPercentageAboveBase",
              value: a.onDemandPercentageAboveBase,
              message:
                "must be 100 (no Spot) with useLaunchConfiguration: a launch configuration has no mixed-instances policy, so Spot needs the launch template (useLaunchConfiguration: false)",
            },
          ]
        : [],
    repair: (raw) => ({ ...raw, onDemandPercentageAboveBase: 100 }),
  },
  {
    id: "cache-bucket-name",
    reads: ["cacheS3", "projectName", "awsRegion"],
    when: (a) => a.cacheS3 === true && typeof a.projectName === "string" && typeof a.awsRegion === "string",
    check: (a) => {
      const problem = cacheBucketProblem(a.projectName as string, a.awsRegion as string);
      return problem
        ? [
            {
              path: "/projectName",
              value: a.projectName,
              message: `${problem}; choose another projectName, or set cacheS3 false`,
            },
          ]
        : [];
    },
    repair: (raw) => ({ ...raw, cacheS3: false }),
  },
  {
    // S3 encrypts with a KMS key of the bucket's own region only.
    id: "cache-key-region",
    reads: ["cacheKmsKeyArn", "awsRegion"],
    when: (a) => typeof a.cacheKmsKeyArn === "string" && a.cacheKmsKeyArn !== "" && typeof a.awsRegion === "string",
    check: (a) => {
      const region = String(a.cacheKmsKeyArn).split(":")[3];
      if (region === a.awsRegion) return [];
      const message = `is a key in ${region}; the cache bucket is in awsRegion ${a.awsRegion}, and S3 takes a KMS key of its own region only`;
      return [{ path: "/cacheKmsKeyArn", value: a.cacheKmsKeyArn, message }];
    },
    repair: (raw) => {
      const a = withDefaults(raw);
      const parts = String(a.cacheKmsKeyArn).split(":");
      parts[3] = String(a.awsRegion);
      return { ...raw, cacheKmsKeyArn: parts.join(":") };
    },
  },
  {
    id: "cidrs-canonical",
    reads: [...CIDR_KEYS],
    check: (a) =>
      CIDR_KEYS.flatMap((key) =>
        strings(a[key]).flatMap((c, i) => {
          const message = cidrProblem(key, c);
          return message ? [{ path: `/${key}/${i}`, value: c, message }] : [];
        }),
      ),
    repair: (raw) => {
      const a = withDefaults(raw);
      const fix = (key: string, c: string) => {
        const clamped = canonicalCidr(c.replace(/[0-9]+(?=[./])/g, (o) => String(Math.min(Number(o), 255))));
        return key === "buildAllowedCidrs" && clamped.endsWith("/0") ? "10.0.0.0/8" : clamped;
      };
      return { ...raw, ...Object.fromEntries(CIDR_KEYS.map((key) => [key, strings(a[key]).map((c) => fix(key, c))])) };
    },
  },
  {
    id: "tags-terraform-text",
    reads: ["tags", "pools"],
    check: (a) => [
      ...tagProblems(a.tags, ["tags"]),
      ...poolsOf(a).flatMap((p, i) => tagProblems(p.tags, ["pools", i, "tags"])),
    ],
    repair: (raw) => {
      const a = withDefaults(raw);
      const clean = (tags: unknown) =>
        Object.fromEntries(
          Object.entries(isMap(tags) ? tags : {}).filter(([k, v]) => !tagTextProblem(k) && !tagTextProblem(String(v))),
        );
      const pools = Array.isArray(raw.pools)
        ? raw.pools.map((p) => (isMap(p) && p.tags !== undefined ? { ...p, tags: clean(p.tags) } : p))
        : raw.pools;
      return { ...raw, tags: clean(a.tags), ...(pools === undefined ? {} : { pools }) };
    },
  },
  {
    // Packer over the private IP needs a runner inside the VPC: only tags can send the build-ami job there.
    id: "private-ip-build-job-tags",
    reads: ["sshInterface", "buildJobTags"],
    when: (a) => a.sshInterface === "private_ip",
    check: (a) =>
      Array.isArray(a.buildJobTags) && a.buildJobTags.length === 0
        ? [
            {
              path: "/buildJobTags",
              value: a.buildJobTags,
              message:
                "is required with sshInterface private_ip: Packer connects to the build instance's private IP, which a runner outside the VPC (such as GitLab.com's) never reaches, so the build-ami job needs the tags of a runner inside the VPC (in buildAllowedCidrs), e.g. buildJobTags: [aws-vpc]; or use sshInterface session_manager, which needs no such runner",
            },
          ]
        : [],
    repair: (raw) => ({ ...raw, buildJobTags: ["aws-vpc"] }),
  },
  {
    // One partition for everything: the region decides it (GovCloud, China or the commercial one).
    id: "one-partition",
    reads: ["awsRegion", ...ARN_KEYS],
    when: (a) => typeof a.awsRegion === "string",
    check: (a) => {
      const region = a.awsRegion as string;
      const p = partitionOf(region);
      if (!p) {
        const message =
          "is in an ISO partition, which this generator does not support; use a region of the aws, aws-us-gov (us-gov-*) or aws-cn (cn-*) partition";
        return [{ path: "/awsRegion", value: region, message }];
      }
      return ARN_KEYS.flatMap((key) => {
        const v = a[key];
        if (typeof v !== "string" || v === "" || v.split(":")[1] === p.partition) return [];
        return [
          {
            path: `/${key}`,
            value: v,
            message: `must be in the partition of awsRegion ${region} (arn:${p.partition}:…)`,
          },
        ];
      });
    },
    repair: (raw) => {
      const a = withDefaults(raw);
      const awsRegion = String(a.awsRegion).replace(/-iso[a-z]?/, "");
      const { partition } = partitionOf(awsRegion)!;
      const arns = ARN_KEYS.filter((k) => typeof a[k] === "string" && a[k] !== "").map((k) => [
        k,
        String(a[k]).replace(/^arn:[a-z-]+:/, `arn:${partition}:`),
      ]);
      return { ...raw, awsRegion, ...Object.fromEntries(arns) };
    },
  },
  {
    // A log group's key and an alarm's topic must be in the group's and the alarm's own region.
    id: "same-region",
    reads: ["awsRegion", ...REGIONAL_ARN_KEYS],
    when: (a) => typeof a.awsRegion === "string" && partitionOf(a.awsRegion as string) !== undefined,
    check: (a) => {
      const region = a.awsRegion as string;
      const { partition } = partitionOf(region)!;
      return REGIONAL_ARN_KEYS.flatMap((key) => {
        const v = a[key];
        if (typeof v !== "string" || v === "" || v.split(":")[1] !== partition || v.split(":")[3] === region) return [];
        return [
          {
            path: `/${key}`,
            value: v,
            message: `must be in awsRegion ${region} (arn:${partition}:${v.split(":")[2]}:${region}:…)`,
          },
        ];
      });
    },
    repair: (raw) => {
      const a = withDefaults(raw);
      const region = String(a.awsRegion);
      const arns = REGIONAL_ARN_KEYS.filter((k) => typeof a[k] === "string" && a[k] !== "").map((k) => [
        k,
        String(a[k]).replace(/^(arn:[a-z-]+:[a-z]+):[a-z0-9-]+:/, `$1:${region}:`),
      ]);
      return { ...raw, ...Object.fromEntries(arns) };
    },
  },
  {
    id: "pool-names-unique",
    reads: ["pools"],
    check: (a) =>
      repeats(poolsOf(a), (p) => p.name).map(([i]) => ({
        path: `/pools/${i}/name`,
        value: poolsOf(a)[i].name,
        message: "must be unique among the pools: each pool's resources are named after it",
      })),
    repair: fitPoolNames,
  },
  {
    // Each pool registers its own runner in GitLab: one token, one set of tags.
    id: "pool-tokens-unique",
    reads: ["pools"],
    check: (a) => {
      const pools = poolsOf(a);
      return repeats(pools, (p) => p.tokenSsmParameter).map(([i, first]) => ({
        path: `/pools/${i}/tokenSsmParameter`,
        value: pools[i].tokenSsmParameter,
        message: `is also the token parameter of pool ${String(pools[first].name)}: each pool is its own GitLab runner, with its own token and tags; give each pool its own parameter`,
      }));
    },
    repair: (raw) => {
      const pools = poolsOf(withDefaults(raw));
      const retoken = new Set(repeats(pools, (p) => p.tokenSsmParameter).map(([i]) => i));
      return {
        ...raw,
        pools: poolsOf(raw).map((p, i) =>
          retoken.has(i)
            ? { ...p, tokenSsmParameter: `${String(pools[i].tokenSsmParameter)}-${String(p.name)}-${i}` }
            : p,
        ),
      };
    },
  },
  {
    id: "ami-id-one-architecture",
    reads: ["amiId", "pools"],
    when: (a) => typeof a.amiId === "string" && a.amiId !== "",
    check: (a) => {
      const [first, ...rest] = poolsOf(a);
      return rest.flatMap((p, i) =>
        p.architecture === first.architecture || typeof p.architecture !== "string"
          ? []
          : [
              {
                path: `/pools/${i + 1}/architecture`,
                value: p.architecture,
                message: `differs from pool ${String(first.name)}'s ${String(first.architecture)}, but amiId names one image, of one architecture, for every pool: give the pools one architecture, or leave amiId empty (each architecture's newest image of this project)`,
              },
            ],
      );
    },
    repair: (raw) => ({ ...raw, amiId: "" }),
  },
  {
    id: "pool-resource-names",
    reads: ["projectName", "pools"],
    when: (a) => typeof a.projectName === "string",
    check: (a) =>
      poolsOf(a).flatMap((p, i) => {
        if (typeof p.name !== "string") return [];
        const prefix = `${poolResourceName(String(a.projectName), p.name)}-`;
        if (prefix.length <= ROLE_NAME_PREFIX_MAX) return [];
        const message = `makes the name prefix of the pool's IAM role, <projectName>-<name>-, ${prefix.length} characters long, above the ${ROLE_NAME_PREFIX_MAX} IAM allows (64 with the 26-character unique suffix); use at most ${poolNameMax(String(a.projectName))} characters, or a shorter projectName`;
        return [{ path: `/pools/${i}/name`, value: p.name, message }];
      }),
    repair: fitPoolNames,
  },
  // Last, so that on a shared path the other rule's message comes first.
  ...[...Object.keys(answersSchema.properties), ...poolFieldKeys.filter((k) => !(k in answersSchema.properties))]
    .filter((k) => fieldSchema(k)!["x-when-policy"] === "error")
    .map(whenRule),
];

/** Whether the rule runs once per pool: it reads a field only pools have, and not the list of pools. */
export function perPool(rule: Rule): boolean {
  return !rule.reads.includes("pools") && rule.reads.some((k) => isPoolField(k) && !(k in answersSchema.properties));
}

/** One pool's view for the rules: the shared answers and the pool's fields side by side (the pool's own tags left out). */
function poolView(a: Raw, pool: Raw): Raw {
  const { pools: _pools, ...shared } = a;
  const { tags: _tags, ...fields } = pool;
  return { ...shared, ...fields };
}

/** A path in a pool's view as a path in the answers: a pool field's under /pools/i. */
function poolPath(path: string, i: number): string {
  const key = path.split("/")[1] ?? "";
  return isPoolField(key) && key !== "tags" ? `/pools/${i}${path}` : path;
}

/** The problems a rule finds in answers with their defaults (per pool when it reads pool fields). */
export function checkRule(rule: Rule, a: Raw, earlier: readonly AnswerError[] = []): AnswerError[] {
  if (!perPool(rule)) return !rule.when || rule.when(a) ? rule.check(a, earlier) : [];
  return poolsOf(a).flatMap((pool, i) => {
    const view = poolView(a, pool);
    if (rule.when && !rule.when(view)) return [];
    const prefix = `/pools/${i}/`;
    const seen = earlier
      .filter((e) => e.path.startsWith(prefix) || !e.path.startsWith("/pools/"))
      .map((e) => ({ ...e, path: e.path.startsWith(prefix) ? e.path.slice(prefix.length - 1) : e.path }));
    return rule.check(view, seen).map((e) => ({ ...e, path: poolPath(e.path, i) }));
  });
}

/**
 * raw changed by the rule's repair. A per-pool rule's repair runs on the view
 * of each pool that violates it (defaults filled in), and what it changes goes
 * back to that pool or, for a shared answer, to the top.
 */
export function repairRule(rule: Rule, raw: Raw): Raw {
  if (!perPool(rule)) return rule.repair(raw);
  if (raw.pools !== undefined && !Array.isArray(raw.pools)) return raw;
  let shared: Raw = { ...raw };
  const pools = poolsOf({ pools: raw.pools ?? defaultOf("pools") }).map((given) => {
    const full = { ...withDefaults(shared), pools: [poolWithDefaults(given)] };
    if (!checkRule(rule, full).length) return given;
    const view = poolView(full, poolWithDefaults(given));
    const fixed = rule.repair(view);
    const pool: Raw = { ...given };
    for (const k of new Set([...Object.keys(view), ...Object.keys(fixed)])) {
      if (k === "pools" || JSON.stringify(fixed[k]) === JSON.stringify(view[k])) continue;
      const into = isPoolField(k) && k !== "tags" ? pool : (shared = { ...shared });
      if (k in fixed) into[k] = fixed[k];
      else delete into[k];
    }
    return pool;
  });
  return { ...shared, pools };
}

/**
 * Run the rules on answers the schema accepted (the rejected ones left out),
 * appending their problems to `out`. With `alone`, only the rules about one
 * answer alone (typos), for answers judged before the rest is known.
 */
export function runRules(a: Raw, out: AnswerError[], options: { alone?: boolean } = {}): void {
  for (const rule of RULES) {
    if (options.alone && !rule.alone) continue;
    // A shared answer a per-pool rule reads is reported once, not once per pool.
    for (const e of checkRule(rule, a, out))
      if (!out.some((x) => x.path === e.path && x.message === e.message)) out.push(e);
  }
}

/** The rules `raw` (with defaults) violates. */
export function violated(raw: Raw): Rule[] {
  const a = withDefaults(raw);
  return RULES.filter((r) => checkRule(r, a).length > 0);
}

/** Raw answers the schema accepts, changed by the repairs until every rule holds (a repair may break an earlier rule: a few rounds). */
export function repairAll(raw: Raw): Raw {
  let out = raw;
  for (let round = 0; round < 5; round++) {
    const broken = violated(out);
    if (!broken.length) return out;
    for (const rule of broken) if (checkRule(rule, withDefaults(out)).length) out = repairRule(rule, out);
  }
  throw new Error(
    `rules.ts: the repairs do not converge on ${JSON.stringify(raw)}: ${violated(out)
      .map((r) => r.id)
      .join(", ")} still violated`,
  );
}

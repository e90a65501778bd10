import fc from "fast-check";
import { answersSchema, type PropertySchema } from "../../src/core/schema.js";
import { partitionOf } from "../../src/core/context/ci-permissions.js";
import { canonicalCidr, tagTextProblem } from "../../src/core/validate.js";
import { instanceTypeProblem, regionProblem } from "../../src/core/aws-data.js";

/**
 * fast-check arbitraries derived from schema/answers.schema.json: enums,
 * patterns, ranges, array bounds and the tags map come from the schema, so an
 * answer added there is generated without touching this file. The few rules
 * JSON Schema can't express (validate.ts's cross-field checks) are applied on
 * top, so every generated object is valid.
 */

/** Pieces of text that are code in some target language (shell, HCL, YAML, systemd, Markdown) or just unusual. */
export const HOSTILE_FRAGMENTS: readonly string[] = [
  "'", '"', "\\", "$(id)", "`id`", "$HOME", "${HOME}", "${var.x}", "$${", "%{ if true }x%{ endif }", "%%{", "%n", "%%", "%i",
  ": ", " #", "#", "&a", "*a", "!tag", "|", ">", "- ", "-", "?", "[", "]", "{", "}", ",", ";", "&&", "|| true", "<", "<<EOF",
  "$", "$$", "~", "=", "+", "@", ".", "/", "_", " ", "  ", "--", "---", "...", "null", "true", "yes", "no", "0x1F", "1e3",
  "{{", "}}", "{{timestamp}}", "{{ .Vars }}", "{{user `x`}}", "é", "日本語", "🚀", "\u00a0", "\u2028", "\u2029", "\u0085", "\ufeff", "<script>", "](x)", "*", "\u202e",
];

const answers = answersSchema.properties;
const GRAVITON = /^([a-z]+[0-9]+g[a-z0-9-]*|a1)\./;
const X86_TYPES = ["t3.medium", "t3.small", "m5.large", "c6i.xlarge", "t3a.2xlarge", "m7i-flex.large", "c5n.18xlarge", "r6a.metal"];
const ARM_TYPES = ["t4g.small", "t4g.medium", "m7g.large", "c6gn.xlarge", "r8g.2xlarge", "c7gd.metal", "a1.large", "m6gd.16xlarge"];
const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

function regexOf(s: PropertySchema): RegExp | undefined {
  return s.pattern === undefined ? undefined : new RegExp(s.pattern, "u");
}

function lengthOk(s: PropertySchema, v: string): boolean {
  const n = [...v].length;
  return n >= (s.minLength ?? 0) && n <= (s.maxLength ?? Infinity);
}

/** Free text: the pattern accepts some hostile fragments, so the answer must be escaped wherever it lands. */
export function isFreeText(s: PropertySchema): boolean {
  const re = regexOf(s);
  return s.type === "string" && !s.enum && s !== answers.schedules.items?.properties?.recurrence && (re === undefined || HOSTILE_FRAGMENTS.filter((f) => re.test(f)).length >= 5);
}

/** Strings the schema accepts: from its pattern, and for free text also built from the hostile fragments it allows. */
export function stringArb(s: PropertySchema): fc.Arbitrary<string> {
  if (s.enum) return fc.constantFrom(...s.enum);
  const re = regexOf(s);
  const ok = (v: string) => (re === undefined || re.test(v)) && lengthOk(s, v) && v.normalize("NFC") === v;
  const fromPattern = (re ? fc.stringMatching(re) : fc.string({ unit: "grapheme", maxLength: 40 })).filter(ok);
  const fragments = HOSTILE_FRAGMENTS.filter((f) => re === undefined || re.test(f));
  if (fragments.length < 5) return fromPattern;
  const pieces = fc.oneof(fc.constantFrom(...fragments), fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 6 }), fc.string({ unit: "grapheme", minLength: 1, maxLength: 3 }));
  const hostile = fc.array(pieces, { minLength: 1, maxLength: 8 }).map((xs) => xs.join("")).filter(ok);
  return fc.oneof(fromPattern, hostile);
}

/** A value the schema fragment s accepts (no cross-field rules). */
export function schemaArb(s: PropertySchema & { propertyNames?: PropertySchema & { not?: PropertySchema }; maxProperties?: number; uniqueItems?: boolean }): fc.Arbitrary<unknown> {
  switch (s.type) {
    case "string":
      return stringArb(s);
    case "integer":
      return fc.integer({ min: s.minimum ?? -1000, max: s.maximum ?? 1000 });
    case "boolean":
      return fc.boolean();
    case "array": {
      const item = schemaArb(s.items ?? {});
      const bounds = { minLength: s.minItems ?? 0, maxLength: Math.min(s.maxItems ?? 4, Math.max(4, s.minItems ?? 0)) };
      return s.uniqueItems ? fc.uniqueArray(item, { ...bounds, comparator: (a, b) => JSON.stringify(a) === JSON.stringify(b) }) : fc.array(item, bounds);
    }
    case "object": {
      if (s.properties) {
        const record = Object.fromEntries(Object.entries(s.properties).map(([k, v]) => [k, schemaArb(v)]));
        return fc.record(record, { requiredKeys: s.required ?? [] });
      }
      const names = s.propertyNames ?? {};
      const notRe = names.not ? regexOf(names.not) : undefined;
      const key = stringArb({ type: "string", ...names }).filter((k) => !notRe?.test(k) && k !== "__proto__");
      const value = typeof s.additionalProperties === "object" ? schemaArb(s.additionalProperties) : fc.anything();
      return fc.dictionary(key, value, { maxKeys: Math.min(s.maxProperties ?? 4, 4) });
    }
    default:
      throw new Error(`test/support/arbitraries.ts: no generator for schema type ${String(s.type)}; extend schemaArb`);
  }
}

const octet = fc.integer({ min: 0, max: 255 });
/** An IPv4 CIDR whose octets are at most 255; the schema's pattern alone allows 999. */
export const cidrArb = (minPrefix = 0) =>
  fc.tuple(octet, octet, octet, octet, fc.integer({ min: minPrefix, max: 32 })).map(([a, b, c, d, p]) => canonicalCidr(`${a}.${b}.${c}.${d}/${p}`));

function cronField(min: number, max: number, names?: readonly string[]): fc.Arbitrary<string> {
  const n = fc.integer({ min, max });
  const word = names ? fc.oneof(n.map(String), fc.constantFrom(...names)) : n.map(String);
  const range = fc.tuple(n, n).map(([a, b]) => (a <= b ? `${a}-${b}` : `${b}-${a}`));
  const step = fc.tuple(fc.oneof(fc.constant("*"), range), fc.integer({ min: 1, max: max - min + 1 })).map(([b, s]) => `${b}/${s}`);
  const item = fc.oneof(word, range, step);
  return fc.oneof({ weight: 2, arbitrary: fc.constant("*") }, { weight: 3, arbitrary: fc.array(item, { minLength: 1, maxLength: 3 }).map((xs) => xs.join(",")) });
}

/** A 5-field cron expression Auto Scaling accepts. */
export const cronArb: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom("30 19 * * MON-FRI", "30 6 * * MON-FRI", "0 0 1 * *", "*/15 * * * *", "0 8-18/2 * * MON,WED,FRI", "15 7 * JAN-MAR SUN"),
  fc.tuple(cronField(0, 59), cronField(0, 23), cronField(1, 31), cronField(1, 12, MONTHS), cronField(0, 7, DAYS)).map((f) => f.join(" ")),
);

const zones = Intl.supportedValuesOf("timeZone").filter((z) => z.includes("/"));
export const timeZoneArb = fc.constantFrom("UTC", "Etc/UTC", ...zones.filter((z) => regexOf(answers.timeZone)!.test(z)));

function instanceTypeArb(arm: boolean): fc.Arbitrary<string> {
  const re = regexOf(answers.instanceTypes.items!)!;
  if (arm) {
    const built = fc
      .tuple(fc.stringMatching(/^[a-z]{1,3}$/), fc.integer({ min: 1, max: 9 }), fc.stringMatching(/^[a-z0-9-]{0,3}$/), fc.stringMatching(/^[a-z0-9]{1,8}$/))
      .map(([f, g, x, size]) => `${f}${g}g${x}.${size}`)
      .filter((t) => re.test(t) && GRAVITON.test(t));
    return fc.oneof(fc.constantFrom(...ARM_TYPES), built);
  }
  return fc.oneof(fc.constantFrom(...X86_TYPES), fc.stringMatching(re).filter((t) => !GRAVITON.test(t)));
}

const size = (key: string) => {
  const s = answers[key];
  return fc.integer({ min: s.minimum ?? 0, max: s.maximum ?? 1000 });
};

const scheduleProps = answers.schedules.items!.properties!;
const bound = (k: string) => fc.integer({ min: scheduleProps[k].minimum ?? 0, max: scheduleProps[k].maximum ?? 1000 });
const scheduleCandidate = fc
  .record({
    name: stringArb(scheduleProps.name),
    recurrence: cronArb,
    sorted: fc.tuple(bound("minSize"), bound("desiredCapacity"), bound("maxSize")).map((t) => t.sort((a, b) => a - b)),
    give: fc.tuple(fc.boolean(), fc.boolean(), fc.boolean()),
  })
  .map(({ name, recurrence, sorted: [lo, mid, hi], give }) => {
    const s: Record<string, unknown> = { name, recurrence };
    if (give[0]) s.minSize = lo;
    if (give[1]) s.desiredCapacity = mid;
    if (give[2]) s.maxSize = hi;
    return s;
  });

/**
 * Schedules whose sizes, with the ASG's filling the ones left out, keep min ≤ desired ≤ max,
 * and (with load-driven scaling) a minimum of 1 or more wherever the maximum is not 0.
 */
function schedulesArb(sizes: { min: number; max: number; desired: number }, tracking: boolean): fc.Arbitrary<unknown[]> {
  const one = scheduleCandidate.filter((s) => {
    const lo = (s.minSize as number | undefined) ?? sizes.min;
    const mid = (s.desiredCapacity as number | undefined) ?? sizes.desired;
    const hi = (s.maxSize as number | undefined) ?? sizes.max;
    return lo <= mid && mid <= hi && !(tracking && lo === 0 && hi > 0);
  });
  return fc.uniqueArray(one, { maxLength: 3, selector: (s) => s.name });
}

/** Answers whose x-when condition is false are left out (their default applies); validate.ts rejects others there. */
function whenHolds(key: string, given: Record<string, unknown>): boolean {
  const when = answers[key]["x-when"];
  if (!when) return true;
  return Object.entries(when).every(([k, v]) => {
    const actual = given[k] ?? answers[k]?.default;
    return Array.isArray(v) ? v.includes(actual as string) : actual === v;
  });
}

/** Boolean answers some x-when condition names: chosen first, like the enums, so the answers they govern are generated or left out. */
const WHEN_BOOLEANS = new Set(
  Object.values(answers).flatMap((s) => Object.keys(s["x-when"] ?? {}).filter((k) => answers[k]?.type === "boolean")),
);

/** Keys whose valid values depend on other answers, generated by the overrides below. */
const DEPENDENT = new Set(["acceptUnlisted", "tags", "instanceTypes", "buildInstanceType", "asgMinSize", "asgMaxSize", "asgDesiredCapacity", "schedules", "timeZone", "buildAllowedCidrs", "egressCidrs", "buildJobTags"]);
const independent = Object.fromEntries(Object.entries(answers).filter(([k, s]) => !DEPENDENT.has(k) && !s.enum).map(([k, s]) => [k, schemaArb(s)]));
const typesFor = Object.fromEntries(
  [false, true].map((arm) => {
    const one = instanceTypeArb(arm);
    return [String(arm), { list: fc.uniqueArray(one, { minLength: answers.instanceTypes.minItems ?? 1, maxLength: 4 }), build: fc.oneof(fc.constant(""), one) }];
  }),
);
const fixed = {
  // Letters newer than Terraform's Unicode tables are refused (validate.ts tagTextProblem).
  tags: schemaArb(answers.tags).filter((t) => Object.entries(t as Record<string, string>).every(([k, v]) => !tagTextProblem(k) && !tagTextProblem(v))),
  timeZone: timeZoneArb,
  buildAllowedCidrs: fc.uniqueArray(cidrArb(1), { minLength: 1, maxLength: 3 }),
  egressCidrs: fc.uniqueArray(cidrArb(0), { minLength: 1, maxLength: 3 }),
  // Required (non-empty) where it applies, with sshInterface private_ip.
  buildJobTags: fc.uniqueArray(stringArb(answers.buildJobTags.items!), { minLength: 1, maxLength: 3 }),
};

/** One partition for the region and every ARN answer (validate.ts refuses the ISO partitions and a mix). */
function samePartition(r: Record<string, unknown>): Record<string, unknown> {
  const out = { ...r };
  if (typeof out.awsRegion === "string" && !partitionOf(out.awsRegion)) out.awsRegion = out.awsRegion.replace(/-iso[a-z]?/, "");
  const partition = partitionOf((out.awsRegion as string | undefined) ?? (answers.awsRegion.default as string))!.partition;
  for (const key of ["ciRoleArn", "permissionsBoundaryArn"]) {
    if (typeof out[key] === "string" && out[key] !== "") out[key] = (out[key] as string).replace(/^arn:[a-z-]+:/, `arn:${partition}:`);
  }
  return out;
}

/**
 * Raw answers as a user would write them: required answers always present,
 * others sometimes left out (defaults apply). Each one passes validateAnswers.
 */
export const answersArb: fc.Arbitrary<Record<string, unknown>> = fc
  .record({
    sizes: fc.tuple(size("asgMinSize"), size("asgDesiredCapacity"), size("asgMaxSize")).map((t) => t.sort((a, b) => a - b)).filter(([, , hi]) => hi >= (answers.asgMaxSize.minimum ?? 0)),
    conditions: fc.record(Object.fromEntries(Object.entries(answers).filter(([k, s]) => s.enum || WHEN_BOOLEANS.has(k)).map(([k, s]) => [k, s.enum ? fc.constantFrom(...s.enum) : fc.boolean()]))),
  })
  .filter(({ sizes: [min], conditions }) => !(min === 0 && conditions.scalingPolicy !== "none"))
  .chain(({ sizes: [min, desired, max], conditions }) => {
    const arm = conditions.architecture === "arm64";
    const overrides: Record<string, fc.Arbitrary<unknown>> = {
      ...fixed,
      instanceTypes: typesFor[String(arm)].list,
      buildInstanceType: typesFor[String(arm)].build,
      asgMinSize: fc.constant(min),
      asgMaxSize: fc.constant(max),
      asgDesiredCapacity: fc.constant(desired),
      schedules: schedulesArb({ min, max, desired }, conditions.scalingPolicy !== "none"),
    };
    const record: Record<string, fc.Arbitrary<unknown>> = {};
    for (const key of Object.keys(answers)) {
      if (!whenHolds(key, conditions)) continue;
      record[key] = key in conditions ? fc.constant(conditions[key]) : DEPENDENT.has(key) ? overrides[key] : independent[key];
    }
    // Enums are always given because other answers were chosen for them; the three sizes go
    // together, or min ≤ desired ≤ max could break against a default; the default instance type is x86_64.
    const required = [...answersSchema.required, ...Object.keys(conditions), "asgMinSize", "asgMaxSize", "asgDesiredCapacity", ...(arm ? ["instanceTypes"] : []), "buildJobTags"];
    delete record.acceptUnlisted;
    // A launch configuration takes a single instance type and no Spot.
    return fc
      .record(record, { requiredKeys: required.filter((k) => k in record) })
      .map((r) => (r.useLaunchConfiguration === true && Array.isArray(r.instanceTypes) ? { ...r, instanceTypes: r.instanceTypes.slice(0, 1) } : r))
      .map((r) => (r.useLaunchConfiguration === true && "onDemandPercentageAboveBase" in r ? { ...r, onDemandPercentageAboveBase: 100 } : r))
      .map(cacheBucketNameable)
      .map(samePartition)
      .map(withUnlistedAccepted);
  });

/** The cache bucket is named <projectName>-<account>-<awsRegion>: a name S3 would refuse turns the cache off (validate.ts). */
function cacheBucketNameable(r: Record<string, unknown>): Record<string, unknown> {
  const project = (r.projectName ?? answers.projectName.default) as string;
  const region = (r.awsRegion ?? answers.awsRegion.default) as string;
  if (r.cacheS3 === false || (project.length + region.length + 14 <= 63 && !/^(xn--|sthree-|amzn-s3-demo-)/.test(project))) return r;
  const { cacheExpirationDays: _days, cacheKmsKeyArn: _key, ...rest } = r;
  return { ...rest, cacheS3: false };
}

/** Random regions and instance types are not in schema/aws-data.json: they go in acceptUnlisted, as a user with newer ones would write. */
function withUnlistedAccepted(r: Record<string, unknown>): Record<string, unknown> {
  const names = [r.awsRegion, ...(Array.isArray(r.instanceTypes) ? r.instanceTypes : []), r.buildInstanceType].filter((x): x is string => typeof x === "string" && x !== "");
  const unlisted = [...new Set(names.filter((n) => (n === r.awsRegion ? regionProblem(n) : instanceTypeProblem(n))))];
  return unlisted.length ? { ...r, acceptUnlisted: unlisted } : r;
}

export interface FreeText {
  /** Keys and indexes from the answers object to the value (or, for a key, to the key itself). */
  segs: Array<string | number>;
  value: string;
  isKey: boolean;
}

/** Every string in raw answers that the schema calls free text (see isFreeText), keys of maps included. */
export function freeTextValues(raw: Record<string, unknown>): FreeText[] {
  const out: FreeText[] = [];
  const walk = (s: PropertySchema & { propertyNames?: PropertySchema }, v: unknown, segs: Array<string | number>) => {
    if (typeof v === "string" && isFreeText(s)) out.push({ segs, value: v, isKey: false });
    else if (Array.isArray(v) && s.items) v.forEach((x, i) => walk(s.items!, x, [...segs, i]));
    else if (v && typeof v === "object") {
      for (const [k, x] of Object.entries(v)) {
        const sub = s.properties?.[k] ?? (typeof s.additionalProperties === "object" ? s.additionalProperties : undefined);
        if (!s.properties && s.propertyNames && isFreeText({ type: "string", ...s.propertyNames })) out.push({ segs: [...segs, k], value: k, isKey: true });
        if (sub) walk(sub, x, [...segs, k]);
      }
    }
  };
  walk({ type: "object", properties: answers }, raw, []);
  return out;
}

/**
 * fast-check run parameters: NUM_RUNS (npm run fuzz sets thousands) or the
 * bounded default of npm test; FUZZ_SEED (and FUZZ_PATH) replay a run.
 */
export function fuzzParams<T>(defaultRuns: number): fc.Parameters<T> {
  const numRuns = Number(process.env.NUM_RUNS ?? defaultRuns);
  const seed = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
  return { numRuns, ...(seed === undefined ? {} : { seed, path: process.env.FUZZ_PATH }) };
}

/**
 * Per-property time budget for vitest. None for a run whose size was asked for
 * (NUM_RUNS, as npm run fuzz sets): on a busy machine its thousands of cases
 * took five times as long, and a slow run is not a failing one.
 */
export function fuzzTimeout(perRunMs: number, defaultRuns: number): number {
  if (process.env.NUM_RUNS !== undefined) return 0;
  return Math.max(60_000, defaultRuns * perRunMs * 3);
}

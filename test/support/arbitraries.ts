import fc from "fast-check";
import { answersSchema, poolSchema, type PropertySchema } from "../../src/core/schema.js";
import { canonicalCidr, GRAVITON, repairAll } from "../../src/core/rules.js";

/**
 * fast-check arbitraries derived from schema/answers.schema.json: enums,
 * patterns, ranges, array bounds and the tags map come from the schema, so an
 * answer added there is generated without touching this file. The rules
 * JSON Schema can't express are made to hold by their repairs (src/core/rules.ts).
 */

/** Pieces of text that are code in some target language (shell, HCL, YAML, systemd, Markdown) or just unusual. */
export const HOSTILE_FRAGMENTS: readonly string[] = [
  "'",
  '"',
  "\\",
  "$(id)",
  "`id`",
  "$HOME",
  "${HOME}",
  "${var.x}",
  "$${",
  "%{ if true }x%{ endif }",
  "%%{",
  "%n",
  "%%",
  "%i",
  ": ",
  " #",
  "#",
  "&a",
  "*a",
  "!tag",
  "|",
  ">",
  "- ",
  "-",
  "?",
  "[",
  "]",
  "{",
  "}",
  ",",
  ";",
  "&&",
  "|| true",
  "<",
  "<<EOF",
  "$",
  "$$",
  "~",
  "=",
  "+",
  "@",
  ".",
  "/",
  "_",
  " ",
  "  ",
  "--",
  "---",
  "...",
  "null",
  "true",
  "yes",
  "no",
  "0x1F",
  "1e3",
  "{{",
  "}}",
  "{{timestamp}}",
  "{{ .Vars }}",
  "{{user `x`}}",
  "é",
  "日本語",
  "🚀",
  "\u00a0",
  "\u2028",
  "\u2029",
  "\u0085",
  "\ufeff",
  "<script>",
  "](x)",
  "*",
  "\u202e",
];

const answers = answersSchema.properties;
const poolFields = poolSchema.properties!;
const X86_TYPES = [
  "t3.medium",
  "t3.small",
  "m5.large",
  "c6i.xlarge",
  "t3a.2xlarge",
  "m7i-flex.large",
  "c5n.18xlarge",
  "r6a.metal",
];
const ARM_TYPES = [
  "t4g.small",
  "t4g.medium",
  "m7g.large",
  "c6gn.xlarge",
  "r8g.2xlarge",
  "c7gd.metal",
  "a1.large",
  "m6gd.16xlarge",
];
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
  return (
    s.type === "string" &&
    !s.enum &&
    s !== poolFields.schedules.items?.properties?.recurrence &&
    (re === undefined || HOSTILE_FRAGMENTS.filter((f) => re.test(f)).length >= 5)
  );
}

/** Strings the schema accepts: from its pattern, and for free text also built from the hostile fragments it allows. */
export function stringArb(s: PropertySchema): fc.Arbitrary<string> {
  if (s.enum) return fc.constantFrom(...s.enum);
  const re = regexOf(s);
  const ok = (v: string) => (re === undefined || re.test(v)) && lengthOk(s, v) && v.normalize("NFC") === v;
  const fromPattern = (re ? fc.stringMatching(re) : fc.string({ unit: "grapheme", maxLength: 40 })).filter(ok);
  const fragments = HOSTILE_FRAGMENTS.filter((f) => re === undefined || re.test(f));
  if (fragments.length < 5) return fromPattern;
  const pieces = fc.oneof(
    fc.constantFrom(...fragments),
    fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 6 }),
    fc.string({ unit: "grapheme", minLength: 1, maxLength: 3 }),
  );
  const hostile = fc
    .array(pieces, { minLength: 1, maxLength: 8 })
    .map((xs) => xs.join(""))
    .filter(ok);
  return fc.oneof(fromPattern, hostile);
}

/** A value the schema fragment s accepts (no cross-field rules). */
export function schemaArb(
  s: PropertySchema & {
    propertyNames?: PropertySchema & { not?: PropertySchema };
    maxProperties?: number;
    uniqueItems?: boolean;
  },
): fc.Arbitrary<unknown> {
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
      return s.uniqueItems
        ? fc.uniqueArray(item, { ...bounds, comparator: (a, b) => JSON.stringify(a) === JSON.stringify(b) })
        : fc.array(item, bounds);
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
  fc
    .tuple(octet, octet, octet, octet, fc.integer({ min: minPrefix, max: 32 }))
    .map(([a, b, c, d, p]) => canonicalCidr(`${a}.${b}.${c}.${d}/${p}`));

function cronField(min: number, max: number, names?: readonly string[]): fc.Arbitrary<string> {
  const n = fc.integer({ min, max });
  const word = names ? fc.oneof(n.map(String), fc.constantFrom(...names)) : n.map(String);
  const range = fc.tuple(n, n).map(([a, b]) => (a <= b ? `${a}-${b}` : `${b}-${a}`));
  const step = fc
    .tuple(fc.oneof(fc.constant("*"), range), fc.integer({ min: 1, max: max - min + 1 }))
    .map(([b, s]) => `${b}/${s}`);
  const item = fc.oneof(word, range, step);
  return fc.oneof(
    { weight: 2, arbitrary: fc.constant("*") },
    { weight: 3, arbitrary: fc.array(item, { minLength: 1, maxLength: 3 }).map((xs) => xs.join(",")) },
  );
}

/** A 5-field cron expression Auto Scaling accepts. */
export const cronArb: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    "30 19 * * MON-FRI",
    "30 6 * * MON-FRI",
    "0 0 1 * *",
    "*/15 * * * *",
    "0 8-18/2 * * MON,WED,FRI",
    "15 7 * JAN-MAR SUN",
  ),
  fc
    .tuple(cronField(0, 59), cronField(0, 23), cronField(1, 31), cronField(1, 12, MONTHS), cronField(0, 7, DAYS))
    .map((f) => f.join(" ")),
);

const zones = Intl.supportedValuesOf("timeZone").filter((z) => z.includes("/"));
export const timeZoneArb = fc.constantFrom(
  "UTC",
  "Etc/UTC",
  ...zones.filter((z) => regexOf(answers.timeZone)!.test(z)),
);

function instanceTypeArb(arm: boolean): fc.Arbitrary<string> {
  const re = regexOf(poolFields.instanceTypes.items!)!;
  if (arm) {
    const built = fc
      .tuple(
        fc.stringMatching(/^[a-z]{1,3}$/),
        fc.integer({ min: 1, max: 9 }),
        fc.stringMatching(/^[a-z0-9-]{0,3}$/),
        fc.stringMatching(/^[a-z0-9]{1,8}$/),
      )
      .map(([f, g, x, size]) => `${f}${g}g${x}.${size}`)
      .filter((t) => re.test(t) && GRAVITON.test(t));
    return fc.oneof(fc.constantFrom(...ARM_TYPES), built);
  }
  return fc.oneof(
    fc.constantFrom(...X86_TYPES),
    fc.stringMatching(re).filter((t) => !GRAVITON.test(t)),
  );
}

const scheduleProps = poolFields.schedules.items!.properties!;
const bound = (k: string) => fc.integer({ min: scheduleProps[k].minimum ?? 0, max: scheduleProps[k].maximum ?? 1000 });
/** Schedules with valid cron (rules.ts repairs any other) and sizes of their own or the ASG's. */
const schedulesArb = fc.array(
  fc.record(
    {
      name: stringArb(scheduleProps.name),
      recurrence: cronArb,
      minSize: bound("minSize"),
      desiredCapacity: bound("desiredCapacity"),
      maxSize: bound("maxSize"),
    },
    { requiredKeys: ["name", "recurrence"] },
  ),
  { maxLength: 3 },
);

/** Generators of valid values where the schema alone rarely finds one (an IANA zone, a listed instance type); rules.ts still judges them. */
const typesFor = Object.fromEntries(
  [false, true].map((arm) => {
    const one = instanceTypeArb(arm);
    const list = fc.uniqueArray(one, { minLength: poolFields.instanceTypes.minItems ?? 1, maxLength: 4 });
    return [String(arm), { list, build: fc.oneof(fc.constant(""), one) }];
  }),
);
const fixed: Record<string, fc.Arbitrary<unknown>> = {
  timeZone: timeZoneArb,
  buildAllowedCidrs: fc.uniqueArray(cidrArb(1), { minLength: 1, maxLength: 3 }),
  egressCidrs: fc.uniqueArray(cidrArb(0), { minLength: 1, maxLength: 3 }),
  buildJobTags: fc.uniqueArray(stringArb(answers.buildJobTags.items!), { minLength: 1, maxLength: 3 }),
  buildInstanceType: fc.oneof(typesFor.false.build, typesFor.true.build),
  schedules: schedulesArb,
};

/**
 * Raw fields of an object schema as a user would write them: the required ones
 * and the enums always present (so the fields that depend on an enum are
 * generated against it), others sometimes left out (defaults apply), every
 * value one the schema accepts; the cross-field rules may not hold.
 */
function fieldsArb(
  props: Record<string, PropertySchema>,
  required: readonly string[],
  pick: (key: string, conditions: Record<string, unknown>) => fc.Arbitrary<unknown> | undefined,
): fc.Arbitrary<Record<string, unknown>> {
  const values = Object.fromEntries(Object.entries(props).map(([k, s]) => [k, schemaArb(s)]));
  return fc
    .record(
      Object.fromEntries(
        Object.entries(props)
          .filter(([, s]) => s.enum)
          .map(([k, s]) => [k, fc.constantFrom(...s.enum!)]),
      ),
    )
    .chain((conditions) => {
      const record: Record<string, fc.Arbitrary<unknown>> = {};
      for (const key of Object.keys(props)) {
        if (key === "acceptUnlisted") continue;
        record[key] = key in conditions ? fc.constant(conditions[key]) : (pick(key, conditions) ?? values[key]);
      }
      return fc.record(record, { requiredKeys: [...required, ...Object.keys(conditions)] });
    });
}

/** One pool's raw fields; its instance types of its architecture. */
const poolArb = fieldsArb(poolFields, poolSchema.required ?? [], (key, conditions) =>
  key === "instanceTypes" ? typesFor[String(conditions.architecture === "arm64")].list : fixed[key],
);

const defaultToken = poolFields.tokenSsmParameter.default as string;
/** 1 to 3 pools, a repeated name or token parameter made distinct (each pool is its own runner). */
const poolsArb = fc.array(poolArb, { minLength: 1, maxLength: 3 }).map((pools) => {
  const names = new Set<unknown>();
  const tokens = new Set<unknown>();
  return pools.map((p, i) => {
    const name = names.has(p.name) ? `${String(p.name).slice(0, 17)}-${i}` : p.name;
    const token = p.tokenSsmParameter ?? defaultToken;
    names.add(name);
    const out = { ...p, name, ...(tokens.has(token) ? { tokenSsmParameter: `${String(token)}-${i}` } : {}) };
    tokens.add(out.tokenSsmParameter ?? defaultToken);
    return out;
  });
});

/**
 * Raw answers as a user would write them: required answers always present,
 * others sometimes left out (defaults apply), 1 to 3 pools, every value one
 * the schema accepts; the cross-field rules may not hold.
 */
export const schemaAnswersArb: fc.Arbitrary<Record<string, unknown>> = fieldsArb(
  answers,
  answersSchema.required,
  (key) => (key === "pools" ? poolsArb : fixed[key]),
).map(withoutSharedTagKeys);

/**
 * A pool's tag on a key the shared tags have too replaces the shared value
 * (test/pools.test.ts): the free-text fuzz, which follows each value by a
 * stand-in of its own, would lose the shared one. Pools keep their other tags.
 */
function withoutSharedTagKeys(raw: Record<string, unknown>): Record<string, unknown> {
  if (!Array.isArray(raw.pools) || !raw.tags) return raw;
  const shared = raw.tags as Record<string, unknown>;
  const pools = (raw.pools as Array<Record<string, unknown>>).map((p) =>
    p.tags ? { ...p, tags: Object.fromEntries(Object.entries(p.tags).filter(([k]) => !(k in shared))) } : p,
  );
  return { ...raw, pools };
}

/** schemaAnswersArb made to satisfy every cross-field rule by the repairs of src/core/rules.ts: each one passes validateAnswers. */
export const answersArb: fc.Arbitrary<Record<string, unknown>> = schemaAnswersArb.map(repairAll);

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
        const sub =
          s.properties?.[k] ?? (typeof s.additionalProperties === "object" ? s.additionalProperties : undefined);
        if (!s.properties && s.propertyNames && isFreeText({ type: "string", ...s.propertyNames }))
          out.push({ segs: [...segs, k], value: k, isKey: true });
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

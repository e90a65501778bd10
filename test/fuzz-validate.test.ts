import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { answerKeys, answersSchema, poolFieldKeys, poolFieldSchema, type PropertySchema } from "../src/core/schema.js";
import { answersAjv, formatError, PRECOMPILED_VALIDATOR, validateAnswers } from "../src/core/validate.js";
import { answersArb, fuzzParams, fuzzTimeout } from "./support/arbitraries.js";

/**
 * Invalid answers: a valid object with one thing broken is rejected with a
 * message at the broken answer's path; nothing at all ever makes validation throw.
 */

const RUNS = 150;
const props = answersSchema.properties;

/** A value of another JSON type than the schema's. */
function wrongType(s: PropertySchema): fc.Arbitrary<unknown> {
  const all: Record<string, fc.Arbitrary<unknown>> = {
    string: fc.string({ minLength: 1 }),
    integer: fc.oneof(fc.integer(), fc.constantFrom(1.5, -0.25, 1e21)),
    boolean: fc.boolean(),
    array: fc.array(fc.string(), { maxLength: 2 }),
    object: fc.dictionary(fc.string(), fc.string(), { maxKeys: 2 }),
    null: fc.constant(null),
  };
  return fc
    .oneof(
      ...Object.entries(all)
        .filter(([t]) => t !== s.type && !(s.type === "integer" && t === "number"))
        .map(([, a]) => a),
    )
    .filter((v) => !(s.type === "integer" && Number.isInteger(v)));
}

/** A value of the right type that breaks the schema's enum, pattern, length or range. */
function outOfBounds(s: PropertySchema): fc.Arbitrary<unknown> | undefined {
  if (s.type === "integer") {
    const bad: fc.Arbitrary<number>[] = [];
    if (s.minimum !== undefined) bad.push(fc.integer({ min: s.minimum - 1000, max: s.minimum - 1 }));
    if (s.maximum !== undefined) bad.push(fc.integer({ min: s.maximum + 1, max: s.maximum + 1000 }));
    return bad.length ? fc.oneof(...bad) : undefined;
  }
  if (s.type === "string") {
    if (s.enum) return fc.string().filter((v) => !s.enum!.includes(v));
    const re = s.pattern ? new RegExp(s.pattern, "u") : undefined;
    const tooLong =
      s.maxLength !== undefined
        ? fc.string({ minLength: s.maxLength + 1, maxLength: s.maxLength + 5, unit: "binary-ascii" })
        : undefined;
    const control = fc
      .tuple(fc.string({ maxLength: 5 }), fc.integer({ min: 0, max: 0x1f }), fc.string({ maxLength: 5 }))
      .map(([a, c, b]) => a + String.fromCharCode(c) + b);
    const arbs = [
      tooLong,
      re
        ? fc.oneof(control, fc.string(), fc.constantFrom("$(id)", "a b", "'", "${x}")).filter((v) => !re.test(v))
        : undefined,
    ].filter((a) => a !== undefined);
    return arbs.length ? fc.oneof(...arbs) : undefined;
  }
  if (s.type === "array" && s.maxItems !== undefined)
    return fc.constant(Array.from({ length: s.maxItems + 1 }, (_, i) => `x${i}`));
  return undefined;
}

type Mutation = {
  key: string;
  why: string;
  apply: (raw: Record<string, unknown>) => Record<string, unknown>;
  pathPrefix: string;
};

const TOKENS = fc.oneof(
  fc.stringMatching(/^glrt-[A-Za-z0-9_-]{20}$/),
  fc.stringMatching(/^GR1348941[A-Za-z0-9_-]{20}$/),
  fc.stringMatching(/^glpat-[A-Za-z0-9_-]{20}$/),
  fc.stringMatching(/^AKIA[A-Z0-9]{16}$/),
);

type Raw = Record<string, unknown>;

/** Where a mutation lands: a shared answer at the top, or a field of the first pool. */
interface Place {
  key: string;
  schema: PropertySchema;
  path: string;
  set: (r: Raw, value: unknown) => Raw;
  get: (r: Raw) => unknown;
}

/** raw with its first pool changed by f (the default pool when raw gives no pools). */
const firstPool = (r: Raw, f: (p: Raw) => Raw): Raw => {
  const [first = { name: "default" }, ...rest] = (r.pools as Raw[] | undefined) ?? [];
  return { ...r, pools: [f(first), ...rest] };
};

const places: Place[] = [
  ...answerKeys.map((key) => ({
    key,
    schema: props[key],
    path: `/${key}`,
    set: (r: Raw, v: unknown) => ({ ...r, [key]: v }),
    get: (r: Raw) => r[key],
  })),
  ...poolFieldKeys.map((key) => ({
    key,
    schema: poolFieldSchema(key),
    path: `/pools/0/${key}`,
    set: (r: Raw, v: unknown) => firstPool(r, (p) => ({ ...p, [key]: v })),
    get: (r: Raw) => ((r.pools as Raw[] | undefined)?.[0] ?? {})[key],
  })),
];
const inPool = (key: string) => places.find((p) => p.path === `/pools/0/${key}`)!;

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.constantFrom(...places).chain((place) =>
    wrongType(place.schema).map((v) => ({
      key: place.key,
      why: "wrong type",
      pathPrefix: place.path,
      apply: (r: Raw) => place.set(r, v),
    })),
  ),
  fc.constantFrom(...places.filter((p) => outOfBounds(p.schema))).chain((place) =>
    outOfBounds(place.schema)!.map((v) => ({
      key: place.key,
      why: "out of bounds",
      pathPrefix: place.path,
      apply: (r: Raw) => place.set(r, v),
    })),
  ),
  fc
    .constantFrom(...places.filter((p) => p.schema.type === "array" && p.schema.items && outOfBounds(p.schema.items!)))
    .chain((place) =>
      outOfBounds(place.schema.items!)!.map((v) => ({
        key: place.key,
        why: "bad item",
        pathPrefix: `${place.path}/0`,
        apply: (r: Raw) => place.set(r, [v]),
      })),
    ),
  fc.tuple(fc.constantFrom(...places), fc.constantFrom("x", "s", "_", "Id", "2")).map(([place, suffix]) => ({
    key: place.key + suffix,
    why: "unknown key",
    pathPrefix: place.path + suffix,
    apply: (r: Raw) =>
      place.path.startsWith("/pools/")
        ? firstPool(r, (p) => ({ ...p, [place.key + suffix]: p[place.key] ?? 1 }))
        : { ...r, [place.key + suffix]: r[place.key] ?? 1 },
  })),
  fc.constant({
    key: "pools",
    why: "a pool name repeated",
    pathPrefix: "/pools/1/name",
    apply: (r: Raw) => {
      const [first = { name: "default" }] = (r.pools as Raw[] | undefined) ?? [];
      return { ...r, pools: [first, { ...first, tokenSsmParameter: "/another/token" }] };
    },
  }),
  TOKENS.map((t) => ({
    key: "runnerDescription",
    why: "token",
    pathPrefix: "/pools/0/runnerDescription",
    apply: (r: Raw) => inPool("runnerDescription").set(r, `runner ${t}`),
  })),
  TOKENS.map((t) => ({
    key: "tags",
    why: "token in a pool's tag",
    pathPrefix: "/pools/0/tags/Token",
    apply: (r: Raw) => inPool("tags").set(r, { Token: t }),
  })),
  TOKENS.map((t) => ({
    key: "tags",
    why: "token in a tag",
    pathPrefix: "/tags/Token",
    apply: (r: Record<string, unknown>) => ({ ...r, tags: { ...(r.tags as object), Token: t } }),
  })),
  fc.constantFrom("{{timestamp}}", "a {{ .Vars }}").map((v) => ({
    key: "tags",
    why: "Packer template in a tag value",
    pathPrefix: "/tags/Name",
    apply: (r: Record<string, unknown>) => ({ ...r, tags: { Name: v } }),
  })),
  fc.constantFrom("aws:cloudformation", "bad\nkey", "").map((k) => ({
    key: "tags",
    why: "bad tag key",
    pathPrefix: "/tags/",
    apply: (r: Record<string, unknown>) => ({ ...r, tags: { [k]: "v" } }),
  })),
  fc.constantFrom("Mars/Olympus_Mons", "EST", "+01:00", "Europe/Nowhere").map((z) => ({
    key: "timeZone",
    why: "not an IANA zone",
    pathPrefix: "/timeZone",
    apply: (r: Record<string, unknown>) => ({ ...r, timeZone: z }),
  })),
  fc
    .constantFrom(
      "* * * *",
      "60 * * * *",
      "0 24 * * *",
      "0 0 0 * *",
      "0 0 * 13 *",
      "0 0 * * 8",
      "5-1 * * * *",
      "*/0 * * * *",
      "0 0 ? * MON",
      "@daily",
    )
    .map((c) => ({
      key: "schedules",
      why: "bad cron",
      pathPrefix: "/pools/0/schedules/0/recurrence",
      apply: (r: Raw) => inPool("schedules").set(r, [{ name: "s", recurrence: c }]),
    })),
  fc.constant({
    key: "asgDesiredCapacity",
    why: "desired > max",
    pathPrefix: "/pools/0/asgDesiredCapacity",
    apply: (r: Raw) => firstPool(r, (p) => ({ ...p, asgMinSize: 1, asgMaxSize: 2, asgDesiredCapacity: 3 })),
  }),
  fc.constant({
    key: "instanceTypes",
    why: "x86 types on arm64",
    pathPrefix: "/pools/0/instanceTypes/0",
    apply: (r: Raw) => firstPool(r, (p) => ({ ...p, architecture: "arm64", instanceTypes: ["t3.medium"] })),
  }),
  fc.constantFrom("300.0.0.0/8", "10.0.0.256/24").map((c) => ({
    key: "egressCidrs",
    why: "octet > 255",
    pathPrefix: "/egressCidrs/0",
    apply: (r: Record<string, unknown>) => ({ ...r, egressCidrs: [c] }),
  })),
  fc.constantFrom(...answersSchema.required).map((key) => ({
    key,
    why: "required answer left out",
    pathPrefix: `/${key}`,
    apply: (r: Record<string, unknown>) => Object.fromEntries(Object.entries(r).filter(([k]) => k !== key)),
  })),
);

function expectRejected(result: ReturnType<typeof validateAnswers>, pathPrefix: string, why: string) {
  expect(result.answers, why).toBeUndefined();
  expect(result.errors.length, why).toBeGreaterThan(0);
  for (const e of result.errors) {
    expect(typeof e.path).toBe("string");
    expect(e.message.length).toBeGreaterThan(5);
    expect(typeof formatError(e)).toBe("string");
  }
  expect(
    result.errors.some(
      (e) => e.path === pathPrefix || e.path.startsWith(pathPrefix.endsWith("/") ? pathPrefix : pathPrefix + "/"),
    ),
    `${why}: no error at ${pathPrefix}, only at ${result.errors.map((e) => e.path).join(", ")}`,
  ).toBe(true);
}

describe("fuzz: invalid answers", () => {
  it(
    "a valid object with one answer broken is rejected with a message at that answer, never a throw",
    () => {
      fc.assert(
        fc.property(answersArb, mutationArb, (raw, m) => {
          expectRejected(validateAnswers(m.apply(raw)), m.pathPrefix, `${m.why} (${m.key})`);
        }),
        fuzzParams(RUNS),
      );
    },
    fuzzTimeout(5, RUNS),
  );

  it(
    "anything at all (any JSON value, answer names with any values) gives answers or errors, never a throw",
    () => {
      const junk = fc.oneof(
        fc.jsonValue(),
        fc.anything(),
        fc.dictionary(fc.constantFrom(...answerKeys), fc.jsonValue(), { maxKeys: answerKeys.length }),
        fc.tuple(answersArb, fc.constantFrom(...answerKeys), fc.anything()).map(([r, k, v]) => ({ ...r, [k]: v })),
      );
      fc.assert(
        fc.property(junk, (raw) => {
          const r = validateAnswers(raw);
          expect(r.answers === undefined).toBe(r.errors.length > 0);
          for (const e of r.errors) expect(formatError(e)).toMatch(/^\/.*: /s);
        }),
        fuzzParams(RUNS * 2),
      );
    },
    fuzzTimeout(5, RUNS * 2),
  );

  it("rejects strings that are not well-formed Unicode, or not in NFC (Terraform would change them), wherever they are", () => {
    fc.assert(
      fc.property(
        answersArb,
        fc.constantFrom("\ud800", "a\udfffb", "\udc00\ud800", "e\u0301", "\uf9f1", "\u212b"),
        (raw, lone) => {
          expectRejected(
            validateAnswers(inPool("runnerDescription").set(raw, `runner ${lone}`)),
            "/pools/0/runnerDescription",
            "lone surrogate",
          );
          expectRejected(validateAnswers({ ...raw, tags: { [`k${lone}`]: "v" } }), "/tags/", "lone surrogate in a key");
        },
      ),
      fuzzParams(RUNS / 3),
    );
  });
});

describe("the validator the build precompiles", () => {
  it("is current and judges like ajv compiling the schema at run time, errors included", () => {
    expect(
      existsSync(PRECOMPILED_VALIDATOR),
      `${PRECOMPILED_VALIDATOR} is missing: run "npm run build" (npm test does it first)`,
    ).toBe(true);
    const pre = createRequire(import.meta.url)(PRECOMPILED_VALIDATOR) as ((d: unknown) => boolean) & {
      errors?: unknown;
      schemaText: string;
      timeZones: string[];
    };
    expect(pre.schemaText, "dist/answers-validator.cjs is stale: run npm run build").toBe(
      JSON.stringify(answersSchema),
    );
    expect(pre.timeZones.length).toBeGreaterThan(300);
    for (const zone of pre.timeZones)
      expect(() => new Intl.DateTimeFormat("en-US", { timeZone: zone }), zone).not.toThrow();
    const runtime = answersAjv().compile(answersSchema);
    const inputs = fc.oneof(
      answersArb,
      fc.tuple(answersArb, mutationArb).map(([r, m]) => m.apply(r)),
      fc.dictionary(fc.constantFrom(...answerKeys), fc.jsonValue()),
    );
    fc.assert(
      fc.property(inputs, (data) => {
        expect(pre(data)).toBe(runtime(data));
        expect(pre.errors ?? null).toEqual(runtime.errors ?? null);
      }),
      fuzzParams(RUNS),
    );
  });
});

import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  checkRule,
  perPool,
  repairAll,
  repairRule,
  RULES,
  violated,
  withDefaults,
  type Raw,
  type Rule,
} from "../src/core/rules.js";
import { resolveAnswers } from "../src/core/pipeline.js";
import { answersSchema, poolFieldKeys, poolFieldSchema } from "../src/core/schema.js";
import { formatError, validateAnswers } from "../src/core/validate.js";
import { fuzzParams, fuzzTimeout, schemaAnswersArb } from "./support/arbitraries.js";

/**
 * The registry of cross-field rules (src/core/rules.ts): each rule has an
 * answers set that violates it, and its repair turns that set into one the
 * validator accepts; repairing answers built from the schema alone always
 * ends valid, which is what the fuzz arbitraries rely on.
 */

const base: Raw = JSON.parse(readFileSync("examples/minimal.json", "utf8"));
const schedule = (s: Raw) => ({ name: "night", recurrence: "30 19 * * MON-FRI", ...s });
/** Answers whose second pool (after a pool named default of defaults) has these fields, and these shared answers. */
const second = (fields: Raw, shared: Raw = {}): Raw => ({
  ...shared,
  pools: [
    { name: "default", tokenSsmParameter: "/runners/default" },
    { name: "web", tokenSsmParameter: "/runners/web", ...fields },
  ],
});

/** One violating change of examples/minimal.json per rule id; a new rule without one fails below. */
const VIOLATIONS: Record<string, Raw> = {
  "aws-names-listed": second({ instanceTypes: ["t3.medium", "zz9.large"] }, { awsRegion: "eu-central-9" }),
  "asg-sizes-ordered": second({ asgMinSize: 3, asgMaxSize: 2, asgDesiredCapacity: 5 }),
  "tracking-asg-floor": second({ scalingPolicy: "cpu", asgMinSize: 0, asgDesiredCapacity: 0 }),
  "schedule-cron": second({ schedules: [schedule({ recurrence: "0 24 * * *" })] }),
  "schedule-names-unique": second({ schedules: [schedule({}), schedule({ recurrence: "30 6 * * MON-FRI" })] }),
  "schedule-sizes-ordered": second({ schedules: [schedule({ minSize: 3, maxSize: 2 })] }),
  "tracking-schedule-floor": second({ schedules: [schedule({ minSize: 0, desiredCapacity: 0, maxSize: 2 })] }),
  "time-zone-iana": { timeZone: "EST" },
  "instance-types-architecture": second({ architecture: "arm64", instanceTypes: ["t4g.large", "m5.large"] }),
  "build-instance-type-architecture": {
    pools: [{ name: "default", architecture: "arm64", instanceTypes: ["t4g.large"] }],
    buildInstanceType: "t3.small",
  },
  "launch-configuration-single-type": second(
    { instanceTypes: ["t3.medium", "t3.large"] },
    { useLaunchConfiguration: true },
  ),
  "launch-configuration-no-spot": second({ onDemandPercentageAboveBase: 50 }, { useLaunchConfiguration: true }),
  "cache-bucket-name": { projectName: "xn--runners" },
  "cache-key-region": { cacheKmsKeyArn: "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab" },
  "cidrs-canonical": {
    sshInterface: "private_ip",
    buildJobTags: ["vpc"],
    buildAllowedCidrs: ["0.0.0.0/0", "10.1.2.3/8"],
    egressCidrs: ["300.0.0.0/8"],
  },
  "tags-terraform-text": { tags: { Team: "a\u1c89b", Keep: "yes" }, ...second({ tags: { Pool: "\u1c89" } }) },
  "private-ip-build-job-tags": { sshInterface: "private_ip" },
  "one-partition": { awsRegion: "us-gov-west-1" },
  "same-region": {
    alarmSnsTopicArn: "arn:aws:sns:eu-west-1:123456789012:runner-alarms",
    logKmsKeyArn: "arn:aws:kms:us-east-1:123456789012:key/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b",
  },
  "pool-names-unique": {
    pools: [
      { name: "web", tokenSsmParameter: "/a" },
      { name: "web", tokenSsmParameter: "/b" },
    ],
  },
  "pool-tokens-unique": { pools: [{ name: "default" }, { name: "web" }] },
  "ami-id-one-architecture": {
    ...second({ architecture: "arm64", instanceTypes: ["t4g.large"] }),
    amiId: "ami-0123456789abcdef0",
  },
  "pool-resource-names": { projectName: "a".repeat(30), ...second({ name: "webserver" }) },
  "x-when:dockerPrivileged": second({ executor: "shell", dockerPrivileged: true }),
  "x-when:buildJobTags": { buildJobTags: ["vpc"] },
  "x-when:permissionsBoundaryArn": { permissionsBoundaryArn: "arn:aws:iam::111122223333:policy/boundary" },
};

const errorsOf = (raw: Raw) => validateAnswers(raw).errors.map(formatError);

describe("the cross-field rules", () => {
  it("have unique ids, and each one has a violating example here", () => {
    const ids = RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(Object.keys(VIOLATIONS).sort()).toEqual([...ids].sort());
    expect(errorsOf(base)).toEqual([]);
  });

  it("declare the answers they read, each one an answer or a pool field of the schema", () => {
    for (const rule of RULES) {
      expect(rule.reads.length, rule.id).toBeGreaterThan(0);
      for (const key of rule.reads)
        expect([...Object.keys(answersSchema.properties), ...poolFieldKeys], `${rule.id} reads ${key}`).toContain(key);
    }
  });

  /** The answer a problem's path names: a pool's field, or the pools themselves for a rule that reads them whole. */
  const readAt = (rule: Rule, path: string) => {
    const [, key, , field] = path.split("/");
    return key === "pools" && !rule.reads.includes("pools") ? field : key;
  };

  for (const rule of RULES) {
    it(`${rule.id}: the example is refused by this rule, at an answer it reads, and its repair is accepted`, () => {
      const raw = { ...base, ...VIOLATIONS[rule.id] };
      expect(violated(raw).map((r) => r.id)).toContain(rule.id);
      const problems = checkRule(rule, withDefaults(raw));
      for (const p of problems) expect(rule.reads, p.path).toContain(readAt(rule, p.path));
      if (perPool(rule) && rule.reads.some((k) => poolFieldKeys.includes(k) && k !== "tags"))
        expect(
          problems.some((p) => p.path.startsWith("/pools/1/")),
          "a per-pool rule names the pool",
        ).toBe(true);
      const messages = errorsOf(raw);
      for (const p of problems) expect(messages).toContain(formatError(p));
      const repaired = repairRule(rule, raw);
      expect(violated(repaired).map((r) => r.id)).not.toContain(rule.id);
      expect(errorsOf(repaired)).toEqual([]);
    });
  }

  it(
    "repair any answers the schema accepts into answers the validator accepts, each repair fixing its own rule",
    () => {
      fc.assert(
        fc.property(schemaAnswersArb, (raw) => {
          for (const rule of violated(raw))
            expect(
              violated(repairRule(rule, raw)).map((r) => r.id),
              rule.id,
            ).not.toContain(rule.id);
          expect(errorsOf(repairAll(raw))).toEqual([]);
        }),
        fuzzParams(100),
      );
    },
    fuzzTimeout(20, 100),
  );
});

describe("x-when", () => {
  it("every answer with x-when declares what a value given while it does not apply does: error or ignore", () => {
    const fields = [
      ...Object.entries(answersSchema.properties),
      ...poolFieldKeys.map((k) => [k, poolFieldSchema(k)] as const),
    ];
    for (const [key, s] of fields) {
      if (s["x-when"]) expect(["error", "ignore"], key).toContain(s["x-when-policy"]);
      else expect(s["x-when-policy"], key).toBeUndefined();
    }
  });
});

describe("x-when policies in the pipeline", () => {
  const stored = (answers: Raw) => ({
    answers,
    generatorVersion: "0.0.1",
    schemaVersion: answersSchema["x-schema-version"],
  });

  const pools = (...fields: Raw[]) => ({ ...base, pools: fields.map((f, i) => ({ name: `p${i}`, ...f })) });
  const shell = (more: Raw = {}) =>
    pools({ tokenSsmParameter: "/r/docker" }, { executor: "shell", tokenSsmParameter: "/r/shell", ...more });

  it("error: a default value, stored or given, is no choice and passes; another value is refused, wherever it comes from", () => {
    expect(resolveAnswers({ file: { name: "a.yaml", answers: shell({ dockerPrivileged: false }) } }).errors).toEqual(
      [],
    );
    expect(resolveAnswers({ stored: stored(withDefaults(shell())) }).errors).toEqual([]);
    for (const src of [
      { file: { name: "a.yaml", answers: shell({ dockerPrivileged: true }) } },
      { stored: stored(shell({ dockerPrivileged: true })) },
    ]) {
      expect(resolveAnswers(src).errors.map((e) => e.path)).toEqual(["/pools/1/dockerPrivileged"]);
    }
  });

  it("an answer typed in the interview whose condition was changed afterwards is dropped, not refused", () => {
    const r = resolveAnswers({
      file: { name: "a.yaml", answers: base },
      asked: { pools: [{ name: "default", dockerPrivileged: true, executor: "shell" }] },
    });
    expect(r.errors).toEqual([]);
    expect(r.answers?.pools[0].dockerPrivileged).toBe(false);
  });

  it("ignore: the value is kept and stored, and a note says it is not used, naming the pool when there are several", () => {
    const unused = { executor: "shell", dockerImage: "debian:12", scalingTargetValue: 70 };
    const one = resolveAnswers({
      file: { name: "a.yaml", answers: { ...base, pools: [{ name: "default", ...unused }] } },
    });
    expect(one.errors).toEqual([]);
    expect(one.answers?.pools[0].dockerImage).toBe("debian:12");
    expect(one.notes).toEqual(["dockerImage is not used: it applies only with executor docker, and executor is shell"]);
    const two = resolveAnswers({ file: { name: "a.yaml", answers: shell({ dockerImage: "debian:12" }) } });
    expect(two.notes).toEqual([
      "pool p1: dockerImage is not used: it applies only with executor docker, and executor is shell",
    ]);
    expect(resolveAnswers({ file: { name: "a.yaml", answers: pools({ dockerImage: "debian:12" }) } }).notes).toEqual(
      [],
    );
  });
});

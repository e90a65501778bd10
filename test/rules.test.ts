import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { RULES, repairAll, violated, withDefaults, type Raw } from "../src/core/rules.js";
import { resolveAnswers } from "../src/core/pipeline.js";
import { answersSchema } from "../src/core/schema.js";
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

/** One violating change of examples/minimal.json per rule id; a new rule without one fails below. */
const VIOLATIONS: Record<string, Raw> = {
  "aws-names-listed": { awsRegion: "eu-central-9", instanceTypes: ["t3.medium", "zz9.large"] },
  "asg-sizes-ordered": { asgMinSize: 3, asgMaxSize: 2, asgDesiredCapacity: 5 },
  "tracking-asg-floor": { scalingPolicy: "cpu", asgMinSize: 0, asgDesiredCapacity: 0 },
  "schedule-cron": { schedules: [schedule({ recurrence: "0 24 * * *" })] },
  "schedule-names-unique": { schedules: [schedule({}), schedule({ recurrence: "30 6 * * MON-FRI" })] },
  "schedule-sizes-ordered": { schedules: [schedule({ minSize: 3, maxSize: 2 })] },
  "tracking-schedule-floor": { schedules: [schedule({ minSize: 0, desiredCapacity: 0, maxSize: 2 })] },
  "time-zone-iana": { timeZone: "EST" },
  "instance-types-architecture": {
    architecture: "arm64",
    instanceTypes: ["t4g.large", "m5.large"],
    buildInstanceType: "t3.small",
  },
  "launch-configuration-single-type": { useLaunchConfiguration: true, instanceTypes: ["t3.medium", "t3.large"] },
  "launch-configuration-no-spot": { useLaunchConfiguration: true, onDemandPercentageAboveBase: 50 },
  "cache-bucket-name": { projectName: "xn--runners" },
  "cache-key-region": { cacheKmsKeyArn: "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab" },
  "cidrs-canonical": {
    sshInterface: "private_ip",
    buildJobTags: ["vpc"],
    buildAllowedCidrs: ["0.0.0.0/0", "10.1.2.3/8"],
    egressCidrs: ["300.0.0.0/8"],
  },
  "tags-terraform-text": { tags: { Team: "a\u1c89b", Keep: "yes" } },
  "private-ip-build-job-tags": { sshInterface: "private_ip" },
  "one-partition": { awsRegion: "us-gov-west-1" },
  "same-region": {
    alarmSnsTopicArn: "arn:aws:sns:eu-west-1:123456789012:runner-alarms",
    logKmsKeyArn: "arn:aws:kms:us-east-1:123456789012:key/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b",
  },
  "x-when:dockerPrivileged": { executor: "shell", dockerPrivileged: true },
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

  it("declare the answers they read, each one an answer of the schema", () => {
    for (const rule of RULES) {
      expect(rule.reads.length, rule.id).toBeGreaterThan(0);
      for (const key of rule.reads)
        expect(Object.keys(answersSchema.properties), `${rule.id} reads ${key}`).toContain(key);
    }
  });

  for (const rule of RULES) {
    it(`${rule.id}: the example is refused by this rule, at an answer it reads, and its repair is accepted`, () => {
      const raw = { ...base, ...VIOLATIONS[rule.id] };
      expect(violated(raw).map((r) => r.id)).toContain(rule.id);
      const problems = rule.check(withDefaults(raw), []);
      for (const p of problems) expect(rule.reads, p.path).toContain(p.path.split("/")[1]);
      const messages = errorsOf(raw);
      for (const p of problems) expect(messages).toContain(formatError(p));
      const repaired = rule.repair(raw);
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
              violated(rule.repair(raw)).map((r) => r.id),
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
    for (const [key, s] of Object.entries(answersSchema.properties)) {
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

  it("error: a default value, stored or given, is no choice and passes; another value is refused, wherever it comes from", () => {
    const shell = { ...base, executor: "shell" };
    expect(resolveAnswers({ file: { name: "a.yaml", answers: { ...shell, dockerPrivileged: false } } }).errors).toEqual(
      [],
    );
    expect(resolveAnswers({ stored: stored(withDefaults(shell)) }).errors).toEqual([]);
    for (const src of [
      { file: { name: "a.yaml", answers: { ...shell, dockerPrivileged: true } } },
      { stored: stored({ ...shell, dockerPrivileged: true }) },
    ]) {
      expect(resolveAnswers(src).errors.map((e) => e.path)).toEqual(["/dockerPrivileged"]);
    }
  });

  it("an answer typed in the interview whose condition was changed afterwards is dropped, not refused", () => {
    const r = resolveAnswers({
      file: { name: "a.yaml", answers: base },
      asked: { dockerPrivileged: true, executor: "shell" },
    });
    expect(r.errors).toEqual([]);
    expect(r.answers?.dockerPrivileged).toBe(false);
  });

  it("ignore: the value is kept and stored, and a note says it is not used", () => {
    const r = resolveAnswers({
      file: {
        name: "a.yaml",
        answers: { ...base, executor: "shell", dockerImage: "debian:12", scalingTargetValue: 70 },
      },
    });
    expect(r.errors).toEqual([]);
    expect(r.answers?.dockerImage).toBe("debian:12");
    expect(r.notes).toEqual(["dockerImage is not used: it applies only with executor docker, and executor is shell"]);
    expect(resolveAnswers({ file: { name: "a.yaml", answers: { ...base, dockerImage: "debian:12" } } }).notes).toEqual(
      [],
    );
  });
});

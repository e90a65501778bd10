import { describe, expect, it } from "vitest";
import { essentials, runInterview, type InterviewIo } from "../src/core/interview.js";
import type { Question } from "../src/core/prompts.js";
import { formatError, validateAnswers } from "../src/core/validate.js";
import { resolveAnswers } from "../src/core/pipeline.js";

/** The interview loop with a scripted io: answers by question name, in order; the validate messages seen are kept. */
function scripted(answers: Record<string, unknown[]>) {
  const seen: Question[] = [];
  const problems: string[] = [];
  const said: string[] = [];
  const io: InterviewIo = {
    ask: async (q) => {
      seen.push(q);
      if (seen.length > 200)
        throw new Error(
          `loops: ${seen
            .slice(-5)
            .map((x) => x.name)
            .join(", ")}`,
        );
      const queue = answers[q.name];
      let a = queue?.length ? queue.shift() : q.default;
      // As a terminal does: an invalid answer is shown its message and asked again (the next scripted one).
      while (q.validate && q.validate(a) !== true) {
        problems.push(String(q.validate(a)));
        if (!queue?.length) throw new Error(`${q.name}: ${problems.at(-1)}`);
        a = queue?.length ? queue.shift() : q.default;
      }
      return a;
    },
    say: (t) => said.push(t),
  };
  return { io, seen, problems, said };
}

const required = () => ({
  vpcId: ["vpc-0a1b2c3d"],
  subnetIds: ["subnet-0a1b2c3d"],
  buildSubnetId: ["subnet-0a1b2c3d"],
  ciRoleArn: ["arn:aws:iam::123456789012:role/ci"],
});
const input = (asked: Record<string, unknown> = {}) => ({
  known: {},
  origins: {},
  asked,
  check: (a: Record<string, unknown>) => resolveAnswers({ asked: a }).errorText,
});

describe("the interview", () => {
  it("60GB for a whole number gets a readable message, not NaN", async () => {
    const { io, problems } = scripted({ ...required(), advanced: [true], rootVolumeSize: ["60GB", "60"] });
    const asked = await runInterview(io, input());
    expect(problems).toContain('"60GB" is not a whole number: type digits only, such as 40');
    expect(problems.join()).not.toContain("NaN");
    expect(asked!.rootVolumeSize).toBe(60);
  });

  it("checks between answers wait for the summary: asgMinSize 0 is taken, then the summary names the rule and lets the user change it", async () => {
    const { io, problems, said, seen } = scripted({
      ...required(),
      advanced: [true],
      asgMinSize: ["0"],
      summary: ["change", "write"],
      change: ["scalingPolicy"],
      scalingPolicy: ["jobs", "none"],
    });
    const asked = await runInterview(io, input());
    expect(problems).toEqual([]);
    expect(said.join("\n"), said.join("\n")).toMatch(
      /2 problems with the answers:\n {2}\/asgMinSize: 0 must not be 0 with load-driven scaling/,
    );
    expect(seen.filter((q) => q.name === "summary").map((q) => q.choices!.map((c) => c.value))).toEqual([
      ["change", "cancel"],
      ["write", "change", "cancel"],
    ]);
    expect(validateAnswers(asked!).errors).toEqual([]);
  });

  it("essentials first; No to the advanced settings keeps every other default; the summary lists all answers with their origin", async () => {
    const { io, seen, said } = scripted({ ...required() });
    await runInterview(io, input());
    expect(seen.map((q) => q.name)).toEqual([...essentials, "advanced", "summary"]);
    expect(said.join("\n")).toMatch(/^ {2}drainTimeoutSeconds +3600 +\(default\)$/m);
    expect(said.join("\n")).toMatch(/^ {2}vpcId +vpc-0a1b2c3d +\(answered\)$/m);
  });

  it("schedules as a list: add one, edit one, remove one", async () => {
    const { io } = scripted({
      ...required(),
      advanced: [true],
      scheduleAction: ["add", "edit:0", "remove:1", "done"],
      scheduleName: ["night-off", "evening-off"],
      scheduleDays: ["MON-FRI", "MON-THU"],
      scheduleTime: ["22:00", "20:30"],
      scheduleSizes: ["0,0,0", "0,0,0"],
    });
    const asked = await runInterview(io, input());
    expect(asked!.schedules).toEqual([
      { name: "evening-off", recurrence: "30 20 * * MON-THU", minSize: 0, maxSize: 0, desiredCapacity: 0 },
      { name: "night-off", recurrence: "0 22 * * MON-FRI", minSize: 0, maxSize: 0, desiredCapacity: 0 },
    ]);
  });

  it("a typo in an instance type: the listed one is offered; it can be typed again, taken, or kept as newer than the list", async () => {
    const { io, seen } = scripted({
      ...required(),
      instanceTypes: ["t3.meduim, m5.large", "t3.smal"],
      instanceTypesSuggestion: ["retype", "use"],
    });
    const asked = await runInterview(io, input());
    expect(seen.filter((q) => q.name === "instanceTypesSuggestion").map((q) => q.message)).toEqual([
      expect.stringContaining("Did you mean t3.medium?"),
      expect.stringContaining("Did you mean t3.small?"),
    ]);
    expect(asked!.instanceTypes).toEqual(["t3.small"]);

    const kept = scripted({ ...required(), instanceTypes: ["m9z.large"], instanceTypesSuggestion: ["keep"] });
    const answers = await runInterview(kept.io, input());
    expect(answers!.instanceTypes).toEqual(["m9z.large"]);
    expect(answers!.acceptUnlisted).toEqual(["m9z.large"]);
    expect(validateAnswers(answers!).errors).toEqual([]);
  });

  it("the desired-size error reads as a sentence, not a JSON object", () => {
    const base = Object.fromEntries(Object.entries(required()).map(([k, v]) => [k, k === "subnetIds" ? v : v[0]]));
    const [e] = validateAnswers({ ...base, asgMinSize: 1, asgMaxSize: 3, asgDesiredCapacity: 5 }).errors;
    expect(formatError(e)).toBe("/asgDesiredCapacity: 5 must lie between asgMinSize (1) and asgMaxSize (3)");
    const [s] = validateAnswers({
      ...base,
      schedules: [{ name: "x", recurrence: "0 7 * * *", minSize: 2, desiredCapacity: 1, maxSize: 3 }],
    }).errors;
    expect(formatError(s)).toBe(
      "/schedules/0: has minSize 2, desiredCapacity 1 and maxSize 3, but needs minSize ≤ desiredCapacity ≤ maxSize (sizes left out take the ASG's answered sizes)",
    );
  });

  it("CET is an IANA zone", () => {
    expect(
      validateAnswers({
        ...Object.fromEntries(Object.entries(required()).map(([k, v]) => [k, k === "subnetIds" ? v : v[0]])),
        timeZone: "CET",
      }).errors,
    ).toEqual([]);
  });
});

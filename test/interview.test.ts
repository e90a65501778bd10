import { describe, expect, it } from "vitest";
import { essentials, poolEssentials, POOLS, runInterview, type InterviewIo } from "../src/core/interview.js";
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

/** The questions of the default interview: the essentials, with one pool's in the place of "pools". */
const defaultPath = () =>
  essentials.flatMap((k) => (k === POOLS ? [...poolEssentials, "poolAdvanced", "addPool"] : [k]));

describe("the interview", () => {
  it("60GB for a whole number gets a readable message, not NaN", async () => {
    const { io, problems } = scripted({ ...required(), poolAdvanced: [true], rootVolumeSize: ["60GB", "60"] });
    const asked = await runInterview(io, input());
    expect(problems).toContain('"60GB" is not a whole number: type digits only, such as 40');
    expect(problems.join()).not.toContain("NaN");
    expect((asked!.pools as Array<Record<string, unknown>>)[0].rootVolumeSize).toBe(60);
  });

  it("checks between answers wait for the summary: asgMinSize 0 is taken, then the summary names the rule and lets the user change it", async () => {
    const { io, problems, said, seen } = scripted({
      ...required(),
      poolAdvanced: [true],
      asgMinSize: ["0"],
      summary: ["change", "write"],
      change: ["pool:0"],
      changePool: ["scalingPolicy"],
      scalingPolicy: ["jobs", "none"],
    });
    const asked = await runInterview(io, input());
    expect(problems).toEqual([]);
    expect(said.join("\n"), said.join("\n")).toMatch(
      /2 problems with the answers:\n {2}\/pools\/0\/asgMinSize: 0 must not be 0 with load-driven scaling/,
    );
    expect(seen.filter((q) => q.name === "summary").map((q) => q.choices!.map((c) => c.value))).toEqual([
      ["change", "addPool", "cancel"],
      ["write", "change", "addPool", "cancel"],
    ]);
    expect(validateAnswers(asked!).errors).toEqual([]);
  });

  it("essentials first, one pool's among them; No to the advanced settings keeps every other default; the summary lists all answers with their origin", async () => {
    const { io, seen, said } = scripted({ ...required() });
    const asked = await runInterview(io, input());
    expect(seen.map((q) => q.name)).toEqual([...defaultPath(), "advanced", "summary"]);
    expect(said.join("\n")).toMatch(/^ {2}pool default:\n {4}name +default +\(answered\)$/m);
    expect(said.join("\n")).toMatch(/^ {4}drainTimeoutSeconds +3600 +\(default\)$/m);
    expect(said.join("\n")).toMatch(/^ {2}vpcId +vpc-0a1b2c3d +\(answered\)$/m);
    expect(asked!.pools).toEqual([{ name: "default", architecture: "x86_64", instanceTypes: ["t3.medium"] }]);
  });

  it("schedules as a list: add one, edit one, remove one", async () => {
    const { io } = scripted({
      ...required(),
      poolAdvanced: [true],
      scheduleAction: ["add", "edit:0", "remove:1", "done"],
      scheduleName: ["night-off", "evening-off"],
      scheduleDays: ["MON-FRI", "MON-THU"],
      scheduleTime: ["22:00", "20:30"],
      scheduleSizes: ["0,0,0", "0,0,0"],
    });
    const asked = await runInterview(io, input());
    expect((asked!.pools as Array<Record<string, unknown>>)[0].schedules).toEqual([
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
    expect((asked!.pools as Array<Record<string, unknown>>)[0].instanceTypes).toEqual(["t3.small"]);

    const kept = scripted({ ...required(), instanceTypes: ["m9z.large"], instanceTypesSuggestion: ["keep"] });
    const answers = await runInterview(kept.io, input());
    expect((answers!.pools as Array<Record<string, unknown>>)[0].instanceTypes).toEqual(["m9z.large"]);
    expect(answers!.acceptUnlisted).toEqual(["m9z.large"]);
    expect(validateAnswers(answers!).errors).toEqual([]);
  });

  it("two pools: the first is named default, Add another pool? asks a second pool's questions, whose token parameter defaults to one of its own", async () => {
    const { io, seen } = scripted({
      ...required(),
      name: ["default", "arm64-large"],
      architecture: ["x86_64", "arm64"],
      instanceTypes: ["t3.large", "m7g.xlarge,m6g.xlarge"],
      poolAdvanced: [false, true],
      executor: ["shell"],
      runnerTags: ["heavy"],
      addPool: [true, false],
    });
    const asked = await runInterview(io, input());
    const names = seen.map((q) => q.name);
    const first = names.indexOf("name");
    expect(names.slice(first, first + 2 * poolEssentials.length + 3)).toEqual([
      ...poolEssentials,
      "poolAdvanced",
      "addPool",
      ...poolEssentials,
      "poolAdvanced",
    ]);
    expect(seen.find((q) => q.name === "name")!.default).toBe("default");
    expect(seen.filter((q) => q.name === "addPool").map((q) => q.message)).toEqual([
      expect.stringMatching(/^Add another pool\? \(so far: default;/),
      expect.stringMatching(/^Add another pool\? \(so far: default, arm64-large;/),
    ]);
    // The second pool is arm64: the instance types offered are Graviton ones.
    expect(seen.filter((q) => q.name === "instanceTypes").map((q) => q.default)).toEqual(["t3.medium", "t4g.medium"]);
    // The docker questions of the shell pool are not asked.
    expect(names.filter((n) => n === "dockerImage")).toEqual([]);
    const pools = asked!.pools as Array<Record<string, unknown>>;
    expect(pools.map((p) => [p.name, p.architecture, p.instanceTypes])).toEqual([
      ["default", "x86_64", ["t3.large"]],
      ["arm64-large", "arm64", ["m7g.xlarge", "m6g.xlarge"]],
    ]);
    expect(pools[1]).toMatchObject({ executor: "shell", runnerTags: ["heavy"] });
    const { answers, errors } = resolveAnswers({ asked: asked! });
    expect(errors).toEqual([]);
    expect(answers!.pools.map((p) => p.tokenSsmParameter)).toEqual([
      "/gitlab-runner/token",
      "/gitlab-runner/arm64-large/token",
    ]);
  });

  it("a pool's answer is checked at once by the validator, at its pool's path, and asked again; a name taken by another pool too", async () => {
    const { io, problems } = scripted({
      ...required(),
      addPool: [true, false],
      name: ["default", "default", "Big_Pool", "big"],
      poolAdvanced: [false, true],
      rootVolumeSize: ["4", "80"],
    });
    const asked = await runInterview(io, input());
    expect(problems).toEqual([
      "another pool is named default",
      expect.stringMatching(/^\/pools\/1\/name: "Big_Pool" must be 1 to 20 lowercase letters/),
      expect.stringMatching(/^\/pools\/1\/rootVolumeSize: 4 must be/),
    ]);
    expect((asked!.pools as Array<Record<string, unknown>>)[1]).toMatchObject({ name: "big", rootVolumeSize: 80 });
  });

  it("the summary shows one block per pool and changes a pool's answer, adds a pool, removes one (never the last)", async () => {
    const { io, seen, said } = scripted({
      ...required(),
      addPool: [true, false],
      name: ["default", "heavy", "deploy"],
      summary: ["change", "removePool", "addPool", "write"],
      change: ["pool:1"],
      changePool: ["executor"],
      executor: ["shell"],
      removePool: ["0"],
    });
    const asked = await runInterview(io, input());
    const summaries = seen.filter((q) => q.name === "summary").map((q) => q.choices!.map((c) => c.value));
    expect(summaries).toEqual([
      ["write", "change", "addPool", "removePool", "cancel"],
      ["write", "change", "addPool", "removePool", "cancel"],
      ["write", "change", "addPool", "cancel"],
      ["write", "change", "addPool", "removePool", "cancel"],
    ]);
    const last = said.filter((t) => t.includes("Summary of the answers")).at(-1)!;
    expect(last).toMatch(/^ {2}pool heavy:\n {4}name +heavy +\(answered\)$/m);
    expect(last).toMatch(/^ {2}pool deploy:\n {4}name +deploy +\(answered\)$/m);
    expect(last).toMatch(/^ {4}executor +shell +\(answered\)$/m);
    const pools = asked!.pools as Array<Record<string, unknown>>;
    expect(pools.map((p) => [p.name, p.executor ?? "docker", p.tokenSsmParameter ?? "/gitlab-runner/token"])).toEqual([
      // The first pool now, heavy takes the default token parameter back; deploy, added after it, gets its own.
      ["heavy", "shell", "/gitlab-runner/token"],
      ["deploy", "docker", "/gitlab-runner/deploy/token"],
    ]);
    expect(resolveAnswers({ asked: asked! }).errors).toEqual([]);
  });

  it("a rule's error on a pool's answer leads the summary's change to that pool and that answer", async () => {
    const { io, seen, said } = scripted({
      ...required(),
      addPool: [true, false],
      name: ["default", "spot"],
      poolAdvanced: [false, true],
      asgMinSize: ["0", "1"],
      summary: ["change", "write"],
    });
    const asked = await runInterview(io, input());
    expect(said.join("\n")).toMatch(/^ {2}\/pools\/1\/asgMinSize: 0 must not be 0 with load-driven scaling/m);
    // "change" and "changePool" are not scripted: their defaults are taken.
    expect(seen.find((q) => q.name === "change")!.default).toBe("pool:1");
    expect(seen.find((q) => q.name === "changePool")!.default).toBe("asgMinSize");
    expect((asked!.pools as Array<Record<string, unknown>>)[1].asgMinSize).toBe(1);
    expect(resolveAnswers({ asked: asked! }).errors).toEqual([]);
  });

  it("a pool's answer typed, then hidden by a change at the summary (executor shell hides dockerPrivileged), is dropped, not refused", async () => {
    const { io } = scripted({
      ...required(),
      poolAdvanced: [true],
      dockerPrivileged: [true],
      summary: ["change", "write"],
      change: ["pool:0"],
      changePool: ["executor"],
      executor: ["docker", "shell"],
    });
    const asked = await runInterview(io, input());
    const [pool] = asked!.pools as Array<Record<string, unknown>>;
    expect(pool.executor).toBe("shell");
    expect(pool).not.toHaveProperty("dockerPrivileged");
    expect(resolveAnswers({ asked: asked! }).errors).toEqual([]);
  });

  it("an interview resumed with a pool half answered asks only that pool's missing questions, with defaults that fit it", async () => {
    const { io, seen } = scripted({ ...required() });
    const asked = await runInterview(
      io,
      input({ projectName: "resumed", pools: [{ name: "arm", architecture: "arm64" }] }),
    );
    const names = seen.map((q) => q.name);
    expect(names.filter((n) => poolEssentials.includes(n))).toEqual(["instanceTypes"]);
    // The instance types offered follow the pool's architecture.
    expect(seen.find((q) => q.name === "instanceTypes")!.default).toBe("t4g.medium");
    expect(names).toContain("addPool");
    expect((asked!.pools as Array<Record<string, unknown>>)[0]).toMatchObject({ name: "arm", architecture: "arm64" });
  });

  it("regeneration: stored pools are kept without a question; --ask-answered offers each stored pool's values as defaults", async () => {
    const stored = {
      ...Object.fromEntries(Object.entries(required()).map(([k, v]) => [k, k === "subnetIds" ? v : v[0]])),
      pools: [
        { name: "default", instanceTypes: ["t3.large"] },
        { name: "arm", architecture: "arm64", instanceTypes: ["m7g.large"], tokenSsmParameter: "/gl/arm" },
      ],
    };
    const full = resolveAnswers({ asked: stored }).answers!;
    const known = {
      known: full as unknown as Record<string, unknown>,
      origins: { pools: "stored" as const },
      check: (a: Record<string, unknown>) =>
        resolveAnswers({ file: { name: "a.yaml", answers: full }, asked: a }).errorText,
    };
    const quiet = scripted({});
    expect(await runInterview(quiet.io, { ...input(), ...known })).toEqual({});
    expect(quiet.seen).toEqual([]);

    const again = scripted({});
    const asked = await runInterview(again.io, { ...input(), ...known, askAnswered: true });
    expect(again.seen.filter((q) => q.name === "instanceTypes").map((q) => q.default)).toEqual([
      "t3.large",
      "m7g.large",
    ]);
    expect(again.seen.filter((q) => q.name === "name").map((q) => q.default)).toEqual(["default", "arm"]);
    expect(asked!.pools).toEqual(full.pools);
  });

  it("the desired-size error reads as a sentence, not a JSON object", () => {
    const base = Object.fromEntries(Object.entries(required()).map(([k, v]) => [k, k === "subnetIds" ? v : v[0]]));
    const [e] = validateAnswers({
      ...base,
      pools: [{ name: "default", asgMinSize: 1, asgMaxSize: 3, asgDesiredCapacity: 5 }],
    }).errors;
    expect(formatError(e)).toBe("/pools/0/asgDesiredCapacity: 5 must lie between asgMinSize (1) and asgMaxSize (3)");
    const [s] = validateAnswers({
      ...base,
      pools: [
        {
          name: "default",
          schedules: [{ name: "x", recurrence: "0 7 * * *", minSize: 2, desiredCapacity: 1, maxSize: 3 }],
        },
      ],
    }).errors;
    expect(formatError(s)).toBe(
      "/pools/0/schedules/0: has minSize 2, desiredCapacity 1 and maxSize 3, but needs minSize ≤ desiredCapacity ≤ maxSize (sizes left out take the ASG's answered sizes)",
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

import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { essentials, poolEssentials, POOLS, questionText } from "../src/core/interview.js";
import { packageRoot } from "../src/core/package-root.js";
import { GENERATOR_NAME } from "../src/core/render.js";
import { answersSchema } from "../src/core/schema.js";
import {
  asUser,
  chownTree,
  CTRL_C,
  DOWN,
  ENTER,
  isRoot,
  USER,
  workspace,
  yoSession,
  type Rule,
} from "./support/pty.js";

/** The interview in the real `yo`, in a real terminal, as a normal user (see support/pty.ts). */
const ESSENTIAL_RULES: Rule[] = [
  [/^VPC id/, "vpc-0a1b2c3d\r"],
  [/^Private subnet ids for the runners/, "subnet-0a1b2c3d,subnet-0a1b2c3e\r"],
  [/^Private subnet id for the Packer build/, "subnet-0a1b2c3d\r"],
  [/^IAM role ARN/, "arn:aws:iam::123456789012:role/ci\r"],
];
const stored = (dir: string) => JSON.parse(readFileSync(join(dir, ".yo-rc.json"), "utf8"))[GENERATOR_NAME].answers;
const poolProps = answersSchema.properties[POOLS].items!.properties!;
const poolPrompt = (key: string) => poolProps[key]["x-prompt"]!;
const bin = join(packageRoot, "dist/src/bin/gitlab-runner-aws.js");

describe("yo gitlab-runner-aws interview, for real", () => {
  const user = asUser();

  it("the short default interview: essentials with their explanations, the advanced question, the summary; one line per file", async () => {
    const out = workspace(user);
    const s = await yoSession(out, user, "", [[/^Project name/, "tty-runners\r"], ...ESSENTIAL_RULES]);
    expect(s.code, s.screen).toBe(0);
    expect(s.questions.length).toBeLessThanOrEqual(15);
    for (const k of essentials.filter((k) => k !== POOLS))
      expect(
        s.questions.some((q) => q.startsWith(questionText(k))),
        k,
      ).toBe(true);
    for (const k of poolEssentials)
      expect(
        s.questions.some((q) => q.startsWith(questionText(k, poolProps))),
        k,
      ).toBe(true);
    expect(s.questions.some((q) => q.startsWith("Customise the advanced settings of pool default?"))).toBe(true);
    expect(s.questions.some((q) => q.startsWith("Add another pool?"))).toBe(true);
    expect(s.questions.some((q) => q.startsWith("Customise the advanced settings?"))).toBe(true);
    expect(s.screen).toMatch(/Summary of the answers \(nothing is written yet\):/);
    expect(s.screen).toMatch(/ drainTimeoutSeconds +\d+ +\(default\)/);
    expect(stored(out).projectName).toBe("tty-runners");
    expect(stored(out).pools.map((p: { name: string }) => p.name)).toEqual(["default"]);
    expect(stored(out).subnetIds).toEqual(["subnet-0a1b2c3d", "subnet-0a1b2c3e"]);
    // Quiet: one line per file, no Yeoman conflicter or package.json noise.
    expect(s.screen).not.toMatch(/^\s*(force|identical|conflict)\s/m);
    expect(s.screen).not.toContain("package.json");
    expect(s.screen.match(/^created +README\.md/gm)).toHaveLength(1);
    if (isRoot)
      expect(spawnSync("stat", ["-c", "%U", join(out, "README.md")], { encoding: "utf8" }).stdout.trim()).toBe(USER);
  });

  it("a typo in the region: the suggestion is offered and accepted", async () => {
    const out = workspace(user);
    const s = await yoSession(out, user, "", [
      [/^AWS region/, "eu-centrl-1\r"],
      [/Did you mean eu-central-1\?/, ENTER],
      ...ESSENTIAL_RULES,
    ]);
    expect(s.code, s.screen).toBe(0);
    expect(stored(out).awsRegion).toBe("eu-central-1");
  });

  it("a pool's advanced path, with a schedule added in the list prompt", async () => {
    const out = workspace(user);
    const s = await yoSession(out, user, "", [
      ...ESSENTIAL_RULES,
      [/^Customise the advanced settings of pool default\?/, "y\r"],
      [/^Schedules: .*What now\?/, DOWN + ENTER],
      [/^Schedule name/, "weekend-off\r"],
      [/^Days \[/, "SAT,SUN\r"],
      [/^Time \[HH:MM/, "00:15\r"],
      [/^Sizes from then on/, "0,0,0\r"],
    ]);
    expect(s.code, s.screen).toBe(0);
    expect(s.questions.some((q) => q.startsWith(poolPrompt("drainTimeoutSeconds")))).toBe(true);
    expect(s.questions.filter((q) => q.startsWith("Schedules:"))).toHaveLength(2);
    expect(stored(out).pools[0].schedules).toContainEqual({
      name: "weekend-off",
      recurrence: "15 0 * * SAT,SUN",
      minSize: 0,
      maxSize: 0,
      desiredCapacity: 0,
    });
  });

  it("a second pool added in the terminal: its own questions and defaults; .yo-rc.json and terraform.tfvars.json hold both pools", async () => {
    const out = workspace(user);
    const s = await yoSession(out, user, "", [
      ...ESSENTIAL_RULES,
      // Rules are used once, in order: the first of each pair answers the first pool, the second the new one.
      [/^Pool name/, ENTER],
      [/^Pool name/, "arm64-large\r"],
      [/^CPU architecture/, ENTER],
      [/^CPU architecture/, DOWN + ENTER],
      [/^Instance types/, ENTER],
      [/^Instance types/, "m7g.xlarge,m6g.xlarge\r"],
      [/^Add another pool\?/, "y\r"],
      [/^Customise the advanced settings of pool arm64-large\?/, "y\r"],
      [/^Executor/, DOWN + ENTER],
      [/^Runner tags/, "heavy\r"],
    ]);
    expect(s.code, s.screen).toBe(0);
    expect(s.questions.filter((q) => q.startsWith(poolPrompt("name")))).toHaveLength(2);
    expect(s.questions.filter((q) => q.startsWith("Add another pool?"))).toHaveLength(2);
    // The arm64 pool is offered Graviton instance types, and a token parameter of its own.
    expect(s.questions.filter((q) => q.startsWith(poolPrompt("instanceTypes")))[1]).toMatch(/\(t4g\.medium\)\s*$/);
    expect(s.questions.find((q) => q.startsWith(poolPrompt("tokenSsmParameter")))).toMatch(
      /\(\/gitlab-runner\/arm64-large\/token\)\s*$/,
    );
    expect(s.screen).toMatch(/^ {2}pool arm64-large:$/m);
    const pools = stored(out).pools;
    expect(pools.map((p: Record<string, unknown>) => [p.name, p.architecture, p.instanceTypes, p.executor])).toEqual([
      ["default", "x86_64", ["t3.medium"], "docker"],
      ["arm64-large", "arm64", ["m7g.xlarge", "m6g.xlarge"], "shell"],
    ]);
    expect(pools[1]).toMatchObject({ runnerTags: ["heavy"], tokenSsmParameter: "/gitlab-runner/arm64-large/token" });
    const tfvars = JSON.parse(readFileSync(join(out, "terraform/terraform.tfvars.json"), "utf8"));
    expect(Object.keys(tfvars.pools)).toEqual(["arm64-large", "default"]);
    expect(tfvars.pools["arm64-large"]).toMatchObject({
      architecture: "arm64",
      instance_types: ["m7g.xlarge", "m6g.xlarge"],
      executor: "shell",
      token_ssm_parameter: "/gitlab-runner/arm64-large/token",
    });
    expect(tfvars.pools.default).toMatchObject({
      instance_types: ["t3.medium"],
      token_ssm_parameter: "/gitlab-runner/token",
    });
  });

  it("Ctrl-C ends cleanly, keeps the answers given, and the next run continues from them", async () => {
    const out = workspace(user);
    const first = await yoSession(out, user, "", [
      [/^Project name/, "resume-me\r"],
      [/^VPC id/, CTRL_C],
    ]);
    expect(first.code).toBe(130);
    expect(first.screen).toContain(
      "Interrupted: nothing was written. The 2 answers given so far are kept in .gitlab-runner-aws/partial-answers.json",
    );
    expect(first.screen).not.toMatch(/\n\s+at |Error|✖/);
    expect(readdirSync(out)).toEqual([".gitlab-runner-aws"]);
    const second = await yoSession(out, user, "", [
      [/^Continue the interview you left \(2 answers given/, ENTER],
      ...ESSENTIAL_RULES,
    ]);
    expect(second.code, second.screen).toBe(0);
    expect(second.questions.some((q) => q.startsWith(answersSchema.properties.projectName["x-prompt"]!))).toBe(false);
    expect(stored(out).projectName).toBe("resume-me");
    expect(existsSync(join(out, ".gitlab-runner-aws/partial-answers.json"))).toBe(false);
  });

  it("the summary: one answer changed from there", async () => {
    const out = workspace(user);
    const s = await yoSession(out, user, "", [
      ...ESSENTIAL_RULES,
      [/^Write the repository with these answers\?/, DOWN + ENTER],
      [/^Which answer\?/, ENTER],
      [/^Project name/, "changed-name\r"],
    ]);
    expect(s.code, s.screen).toBe(0);
    expect(s.questions.filter((q) => q.startsWith("Write the repository"))).toHaveLength(2);
    expect(stored(out).projectName).toBe("changed-name");
  });

  it("an upgrade conflict answered n: the file is kept, and the change is offered again on the next run", async () => {
    const out = workspace(user);
    const gen = spawnSync(
      process.execPath,
      [bin, "--answers", join(packageRoot, "examples/answers.yaml"), "--out", out],
      { encoding: "utf8" },
    );
    expect(gen.status, gen.stderr).toBe(0);
    const tfvars = join(out, "terraform/terraform.tfvars.json");
    const mine = readFileSync(tfvars, "utf8").replace('"cache_expiration_days": 7', '"cache_expiration_days": 8');
    expect(mine).toContain('"cache_expiration_days": 8');
    writeFileSync(tfvars, mine);
    chownTree(out, user);
    const conflict = /^terraform\/terraform\.tfvars\.json: your edits and the generator's change touch the same lines/;
    const first = await yoSession(out, user, "--cacheExpirationDays 3", [[conflict, "n\r"]]);
    expect(first.code, first.screen).toBe(0);
    expect(first.questions.filter((q) => conflict.test(q))).toHaveLength(1);
    expect(first.screen).toMatch(/^kept +terraform\/terraform\.tfvars\.json +\(you kept your version/m);
    // No Yeoman conflicter: no "force", "identical" or mode lines, no Overwrite? prompt.
    expect(first.screen).not.toMatch(/^\s*(force|identical|conflict) /m);
    expect(first.screen).not.toMatch(/Overwrite|old mode|new mode/);
    expect(readFileSync(tfvars, "utf8")).toBe(mine);
    const check = spawnSync(process.execPath, [bin, "--check", "--out", out], { encoding: "utf8" });
    expect(check.status).toBe(1);
    const second = await yoSession(out, user, "", [[conflict, "n\r"]]);
    expect(second.code, second.screen).toBe(0);
    expect(second.questions.filter((q) => conflict.test(q))).toHaveLength(1);
    expect(readFileSync(tfvars, "utf8")).toBe(mine);
  });

  it("a bad answers file stops yo before any question, with exactly the bin's message and no Yeoman noise; a mistyped flag gets 'did you mean'; a pool's answer as a flag is refused", async () => {
    const out = workspace(user);
    const file = join(out, "..", "three-mistakes.yaml");
    writeFileSync(
      file,
      [
        "vpcId: vpc-nope",
        "subnetIds: [subnet-0a1b2c3d]",
        "buildSubnetId: subnet-0a1b2c3d",
        "ciRoleArn: arn:aws:iam::123456789012:role/ci",
        "rootVolumeSize: 60GB",
        "awsRegion: eu-centrl-1",
        "",
      ].join("\n"),
    );
    chmodSync(file, 0o644);
    const fromBin = spawnSync(process.execPath, [bin, "--answers", file, "--out", out], { encoding: "utf8" });
    expect(fromBin.stderr).toMatch(/^3 problems with the answers:/);
    const s = await yoSession(out, user, `--answers ${file}`, []);
    expect(s.code).toBe(1);
    expect(s.screen.replace(/\r\n/g, "\n").trim()).toBe(fromBin.stderr.trim());
    expect(readdirSync(out)).toEqual([]);
    const typo = await yoSession(out, user, `--answer ${file}`, []);
    expect(typo.code).toBe(1);
    expect(typo.screen.trim()).toBe("error: unknown option --answer. Did you mean --answers?");
    const poolFlag = await yoSession(out, user, "--concurrent 3", []);
    expect(poolFlag.code).toBe(1);
    expect(poolFlag.screen.trim()).toBe(
      "error: --concurrent: concurrent is an answer of each pool, given in the interview or under pools: in an answers file (--answers FILE), not as an option.",
    );
  });
});

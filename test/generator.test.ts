import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import helpers from "yeoman-test";
import { describe, expect, it } from "vitest";
import { packageRoot } from "../src/core/package-root.js";
import { GENERATOR_NAME } from "../src/core/render.js";
import { essentials, poolEssentials, poolKeys, POOLS } from "../src/core/interview.js";
import { answerKeys, answersSchema, applies, defaultOf, schemaVersion } from "../src/core/schema.js";
import { exampleAnswers, renderAnswers } from "./support/tools.js";

const generator = join(packageRoot, "dist/generators/app/index.js");
const poolProps = answersSchema.properties[POOLS].items!.properties!;

/** The default interview's questions: the essentials, with one pool's (its essentials, its advanced question, "Add another pool?") where "pools" is. */
const defaultPath = () =>
  essentials.flatMap((k) => (k === POOLS ? [...poolEssentials, "poolAdvanced", "addPool"] : [k]));

const required = {
  vpcId: "vpc-0a1b2c3d",
  subnetIds: "subnet-0a1b2c3d,subnet-0a1b2c3e",
  buildSubnetId: "subnet-0a1b2c3d",
  ciRoleArn: "arn:aws:iam::123456789012:role/ci",
};

describe("yo gitlab-runner-aws (yeoman-test, mocked prompts)", () => {
  it("the default interview asks the essentials (one pool's among them), whether to customise the rest, and confirms at the summary: at most 15 questions", async () => {
    const messages: string[] = [];
    const result = await helpers.run(generator).withAnswers(
      { ...required, projectName: "team-runners", timeZone: "Europe/Berlin" },
      {
        throwOnMissingAnswer: false,
        callback: (a: unknown, { question }: { question: { message?: unknown } }) => (
          messages.push(String(question.message)),
          a
        ),
      },
    );
    const asked = result.askedQuestions.map((q) => q.name);
    expect(asked).toEqual([...defaultPath(), "advanced", "summary"]);
    expect(asked.length).toBeLessThanOrEqual(15);
    // Every question shows its explanation from the schema.
    for (const k of essentials.filter((k) => k !== POOLS))
      expect(messages[asked.indexOf(k)]).toContain(answersSchema.properties[k].description!);
    for (const k of poolEssentials) expect(messages[asked.indexOf(k)]).toContain(poolProps[k].description!);
    const stored = JSON.parse(readFileSync(join(result.cwd, ".yo-rc.json"), "utf8"))[GENERATOR_NAME];
    expect(stored.answers.subnetIds).toEqual(["subnet-0a1b2c3d", "subnet-0a1b2c3e"]);
    expect(stored.answers.projectName).toBe("team-runners");
    for (const f of renderAnswers(stored.answers)) {
      expect(readFileSync(join(result.cwd, f.path), "utf8"), f.path).toBe(f.contents);
    }
  });

  it("the advanced path asks every other applicable answer, in schema order", async () => {
    const result = await helpers
      .run(generator)
      .withAnswers({ ...required, advanced: true, poolAdvanced: true }, { throwOnMissingAnswer: false });
    // Schedules are asked as a list: its first question is what to do with them.
    const asked = result.askedQuestions.map((q) => (q.name === "scheduleAction" ? "schedules" : q.name));
    const defaults = Object.fromEntries(answerKeys.map((k) => [k, defaultOf(k)]));
    const advanced = answerKeys.filter(
      (k) => !essentials.includes(k) && applies(k, defaults) && answersSchema.properties[k]["x-ask"] !== "never",
    );
    const poolDefaults = Object.fromEntries(poolKeys.map((k) => [k, poolProps[k].default]));
    const poolAdvanced = poolKeys.filter(
      (k) => !poolEssentials.includes(k) && applies(k, poolDefaults) && poolProps[k]["x-ask"] !== "never",
    );
    const withPool = defaultPath().flatMap((k) => (k === "poolAdvanced" ? [k, ...poolAdvanced] : [k]));
    expect(asked).toEqual([...withPool, "advanced", ...advanced, "summary"]);
  });

  it("on a rerun asks only the questions the stored answers lack", async () => {
    const stored = structuredClone(exampleAnswers("answers.yaml")) as unknown as Record<string, unknown>;
    const pools = stored.pools as Array<Record<string, unknown>>;
    delete pools[0].drainTimeoutSeconds;
    delete stored.iacTool;
    const result = await helpers
      .run(generator)
      .withYoRcConfig(GENERATOR_NAME, { answers: stored, generatorVersion: "0.0.1", schemaVersion })
      .withAnswers(
        { advanced: true, poolAdvanced: true, drainTimeoutSeconds: "1200" },
        { throwOnMissingAnswer: false },
      );
    expect(result.askedQuestions.map((q) => q.name)).toEqual([
      "poolAdvanced",
      "drainTimeoutSeconds",
      "advanced",
      "iacTool",
      "summary",
    ]);
    const after = JSON.parse(readFileSync(join(result.cwd, ".yo-rc.json"), "utf8"))[GENERATOR_NAME].answers;
    expect(after.pools[0].drainTimeoutSeconds).toBe(1200);
    expect(after.pools[0].instanceTypes).toEqual(pools[0].instanceTypes);
    expect(after.iacTool).toBe(answersSchema.properties.iacTool.default);
    expect(after.projectName).toBe(stored.projectName);
  });

  it("--ask-answered asks the stored answers again, with the stored values as defaults", async () => {
    const stored = { ...exampleAnswers("answers.yaml") } as Record<string, unknown>;
    const defaults: Record<string, unknown> = {};
    const result = await helpers
      .run(generator)
      .withYoRcConfig(GENERATOR_NAME, { answers: stored, generatorVersion: "0.0.1", schemaVersion })
      .withOptions({ "ask-answered": true } as never)
      .withAnswers(
        { projectName: "renamed-runners" },
        {
          throwOnMissingAnswer: false,
          callback: (a: unknown, { question }: { question: { name?: unknown; default?: unknown } }) => (
            (defaults[String(question.name)] = question.default),
            a
          ),
        },
      );
    expect(result.askedQuestions.map((q) => q.name)).toEqual([...defaultPath(), "advanced", "summary"]);
    expect(defaults.projectName).toBe(stored.projectName);
    expect(defaults.instanceTypes).toBe(
      (stored.pools as Array<{ instanceTypes: string[] }>)[0].instanceTypes.join(","),
    );
    expect(defaults.awsRegion).toBe(stored.awsRegion);
    expect(defaults.subnetIds).toBe((stored.subnetIds as string[]).join(","));
    const after = JSON.parse(readFileSync(join(result.cwd, ".yo-rc.json"), "utf8"))[GENERATOR_NAME].answers;
    expect(after.projectName).toBe("renamed-runners");
    expect(after.pools).toEqual(stored.pools);
  });

  it("regenerates a generated repo: merges the user's edits, asks nothing, prompts for no handled file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "glra-gen-"));
    const first = spawnSync(
      process.execPath,
      [
        join(packageRoot, "dist/src/bin/gitlab-runner-aws.js"),
        "--answers",
        join(packageRoot, "examples/answers.yaml"),
        "--out",
        dir,
      ],
      { encoding: "utf8" },
    );
    expect(first.status, first.stderr).toBe(0);
    const readme = join(dir, "README.md");
    writeFileSync(readme, readFileSync(readme, "utf8") + "\nOur team's note, kept across upgrades.\n");
    const result = await helpers
      .run(generator)
      .cd(dir)
      .withOptions({ cacheExpirationDays: "3" } as never);
    expect(result.askedQuestions).toEqual([]);
    const stored = JSON.parse(readFileSync(join(dir, ".yo-rc.json"), "utf8"))[GENERATOR_NAME].answers;
    expect(stored.cacheExpirationDays).toBe(3);
    const merged = readFileSync(readme, "utf8");
    expect(merged).toContain("Our team's note, kept across upgrades.");
    expect(merged).not.toContain("<<<<<<<");
    const expected = renderAnswers(stored).find((f) => f.path === "terraform/terraform.tfvars.json")!;
    expect(readFileSync(join(dir, expected.path), "utf8")).toBe(expected.contents);
  });

  it("takes an answers file and --defaults without prompting", async () => {
    const result = await helpers
      .run(generator)
      .withOptions({ answers: join(packageRoot, "examples/answers.yaml"), defaults: true } as never);
    expect(result.askedQuestions).toEqual([]);
    result.assertFile(["README.md", ".editorconfig", ".gitignore", ".yo-rc.json"]);
  });

  it("prompt validation rejects a bad value with the schema's message", async () => {
    await expect(
      helpers.run(generator).withAnswers({ ...required, vpcId: "vpc-nope" }, { throwOnMissingAnswer: false }),
    ).rejects.toThrow(/\/vpcId: "vpc-nope" must be vpc- followed by 8 or 17 hex digits/);
  });

  it("fails without writing anything when the answers are invalid", async () => {
    const ctx = helpers.run(generator).withOptions({ defaults: true } as never);
    await expect(ctx).rejects.toThrow(/is required and has no default/);
  });
});

import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  answersFileToCurrent,
  migrateAnswers,
  migrations,
  MigrationError,
  type Migration,
} from "../src/core/migrations.js";
import { GENERATOR_NAME, STORE_FILE } from "../src/core/render.js";
import { schemaVersion } from "../src/core/schema.js";
import { loadStored } from "../src/core/store.js";
import { validateAnswers } from "../src/core/validate.js";
import { fixtures } from "./support/regen.js";
import { renderAnswers, validAnswers } from "./support/tools.js";

const stored = (v: number) => join(fixtures, "stored", `v${v}.yo-rc.json`);
const pastVersions = Array.from({ length: schemaVersion + 1 }, (_, v) => v);

function repoWith(yorc: string): string {
  const dir = mkdtempSync(join(tmpdir(), "glra-mig-"));
  writeFileSync(join(dir, STORE_FILE), yorc);
  return dir;
}

/** What every fixture version stores, in the current layout. */
const expected = validAnswers(JSON.parse(readFileSync(stored(schemaVersion), "utf8"))[GENERATOR_NAME].answers);

describe("the migration registry", () => {
  it("has exactly one step from each past version to the next, ending at the current schema version", () => {
    expect(migrations.map((m) => [m.from, m.to])).toEqual(pastVersions.slice(0, -1).map((v) => [v, v + 1]));
  });

  it("applies the steps in order and refuses a gap", () => {
    const trace: Migration[] = [
      { from: 0, to: 1, migrate: (a) => ({ ...a, seen: [...((a.seen as number[]) ?? []), 0] }) },
      { from: 1, to: 2, migrate: (a) => ({ ...a, seen: [...((a.seen as number[]) ?? []), 1] }) },
    ];
    expect(migrateAnswers({}, 0, 2, trace)).toEqual({ seen: [0, 1] });
    expect(migrateAnswers({}, 1, 2, trace)).toEqual({ seen: [1] });
    expect(() => migrateAnswers({}, 0, 2, [trace[1]])).toThrow(/no migration from answers-schema version 0 to 1/);
    expect(() => migrateAnswers({}, 3, 2, trace)).toThrow(MigrationError);
  });
});

describe.each(pastVersions)("a .yo-rc.json written with answers-schema version %i", (v) => {
  it("loads, migrates to the current layout and validates to the same answers", () => {
    const s = loadStored(repoWith(readFileSync(stored(v), "utf8")))!;
    expect(s.schemaVersion).toBe(v);
    const r = validateAnswers(s.answers);
    expect(r.errors).toEqual([]);
    expect(r.answers).toEqual(expected);
  });

  it("renders exactly what the current layout renders", () => {
    const s = loadStored(repoWith(readFileSync(stored(v), "utf8")))!;
    expect(renderAnswers(validAnswers(s.answers))).toEqual(renderAnswers(expected));
  });
});

describe("version 0 → 1", () => {
  const v0 = JSON.parse(readFileSync(stored(0), "utf8"))[GENERATOR_NAME];

  it("renames the ASG sizes and turns the schedule object into timeZone + a schedules list", () => {
    const { generatorVersion: _v, ...flat } = v0;
    const out = migrateAnswers(flat, 0, 1);
    expect(out).toMatchObject({ asgMinSize: 1, asgMaxSize: 6, asgDesiredCapacity: 2, timeZone: "Europe/Berlin" });
    expect(out.schedules).toEqual([
      { name: "scale-down-evening", recurrence: "0 20 * * MON-FRI", minSize: 0, maxSize: 0, desiredCapacity: 0 },
      { name: "scale-up-morning", recurrence: "0 7 * * MON-FRI" },
    ]);
    for (const old of ["asgMin", "asgMax", "asgDesired", "schedule"]) expect(out).not.toHaveProperty(old);
  });

  it("does not change its input, and leaves what it does not know for validation to name", () => {
    const input = { asgMin: 1, schedule: "daily", concurrnt: 3 };
    const copy = structuredClone(input);
    const out = migrateAnswers(input, 0);
    expect(input).toEqual(copy);
    const errors = validateAnswers({
      ...out,
      vpcId: "vpc-0a1b2c3d",
      subnetIds: ["subnet-0a1b2c3d"],
      buildSubnetId: "subnet-0a1b2c3d",
      ciRoleArn: "arn:aws:iam::123456789012:role/ci",
    }).errors;
    expect(errors.map((e) => e.path).sort()).toEqual(["/concurrnt", "/schedule"]);
  });

  it("keeps the generator version of a v0 file and never passes it on as an answer", () => {
    const s = loadStored(repoWith(readFileSync(stored(0), "utf8")))!;
    expect(s.generatorVersion).toBe("0.0.3");
    expect(s.answers).not.toHaveProperty("generatorVersion");
  });
});

describe("loadStored refuses what it cannot read, clearly", () => {
  it("returns undefined without a .yo-rc.json or without this generator's entry", () => {
    expect(loadStored(mkdtempSync(join(tmpdir(), "glra-mig-")))).toBeUndefined();
    expect(loadStored(repoWith('{"generator-other": {"x": 1}}'))).toBeUndefined();
  });

  it("refuses a future schema version, naming both versions and saying to upgrade", () => {
    const future = schemaVersion + 1;
    const dir = repoWith(
      JSON.stringify({ [GENERATOR_NAME]: { answers: {}, generatorVersion: "9.0.0", schemaVersion: future } }),
    );
    expect(() => loadStored(dir)).toThrow(
      new RegExp(
        `9\\.0\\.0 with answers-schema version ${future}, but this generator understands answers-schema version ${schemaVersion} at most\\. Upgrade the generator`,
      ),
    );
  });

  it.each([
    ["not JSON", "{ nope", /is not valid JSON/],
    ["not an object", "[]", /must hold a JSON object/],
    ["an entry that is not an object", `{"${GENERATOR_NAME}": 3}`, /must be an object/],
    [
      "a schemaVersion that is not a number",
      `{"${GENERATOR_NAME}": {"answers": {}, "schemaVersion": "1"}}`,
      /schemaVersion" must be a whole number, not "1"/,
    ],
    [
      "answers that are not an object",
      `{"${GENERATOR_NAME}": {"answers": [], "schemaVersion": 1}}`,
      /answers" must be an object of answers/,
    ],
  ])("%s", (_what, text, message) => {
    expect(() => loadStored(repoWith(text))).toThrow(message);
  });

  it("keeps the answers of a file copied from the fixtures byte for byte (no hidden rewrite on read)", () => {
    const dir = mkdtempSync(join(tmpdir(), "glra-mig-"));
    copyFileSync(stored(0), join(dir, STORE_FILE));
    loadStored(dir);
    expect(readFileSync(join(dir, STORE_FILE), "utf8")).toBe(readFileSync(stored(0), "utf8"));
  });
});

describe("version 1 → 2", () => {
  const v1 = JSON.parse(readFileSync(stored(1), "utf8"))[GENERATOR_NAME].answers;

  it("moves the pool answers into the single pool default and keeps the shared ones at the top", () => {
    const out = migrateAnswers(v1, 1, 2);
    expect(out.pools).toEqual([
      { name: "default", asgDesiredCapacity: 2, asgMaxSize: 6, asgMinSize: 1, schedules: v1.schedules },
    ]);
    expect(Object.keys(out).sort()).toEqual(
      ["buildSubnetId", "ciRoleArn", "pools", "projectName", "subnetIds", "timeZone", "vpcId"].sort(),
    );
  });

  it("keeps the shared tags shared: the pool gets no tags of its own", () => {
    const out = migrateAnswers({ tags: { Team: "x" }, executor: "shell" }, 1, 2);
    expect(out).toEqual({ tags: { Team: "x" }, pools: [{ name: "default", executor: "shell" }] });
  });

  it("reads an answers file without pools but with a pool answer at the top as version 1, and leaves others alone", () => {
    expect(answersFileToCurrent({ projectName: "p", executor: "shell" })).toEqual({
      answers: { projectName: "p", pools: [{ name: "default", executor: "shell" }] },
      migrated: true,
    });
    for (const current of [{ projectName: "p" }, { pools: [{ name: "a" }], executor: "shell" }])
      expect(answersFileToCurrent(current)).toEqual({ answers: current, migrated: false });
  });
});

import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { answersTable, helpText } from "../src/core/help.js";
import { essentials, poolEssentials, poolKeys, POOLS, questionText } from "../src/core/interview.js";
import { packageRoot } from "../src/core/package-root.js";
import { replaceAnswersTable } from "../src/core/readme-table.js";
import { answerKeys, answersSchema, poolFieldKeys, poolFieldSchema, poolSchema } from "../src/core/schema.js";

const readme = readFileSync(join(packageRoot, "README.md"), "utf8");

describe("documentation derived from the schema", () => {
  it("README's answers table is the one the schema gives (run `npm run docs` when this fails)", () => {
    expect(replaceAnswersTable(readme, answersTable())).toBe(readme);
  });

  it("every answer has a description and a prompt, and x-order lists each exactly once", () => {
    expect([...answerKeys].sort()).toEqual(Object.keys(answersSchema.properties).sort());
    for (const key of answerKeys) {
      expect(answersSchema.properties[key].description, key).toBeTruthy();
      expect(answersSchema.properties[key]["x-prompt"], key).toBeTruthy();
      expect(answersTable()).toContain(`| \`${key}\` |`);
      expect(helpText("0")).toContain(`  ${key} (`);
    }
  });

  it("every pool field has a description and a prompt, is listed once in the pools' x-order, in --help and the table", () => {
    expect([...poolFieldKeys].sort()).toEqual(Object.keys(poolSchema.properties!).sort());
    const table = answersTable().split("| pool field |")[1];
    const help = helpText("0").split("Pool fields")[1];
    for (const key of poolFieldKeys) {
      expect(poolFieldSchema(key).description, key).toBeTruthy();
      expect(poolFieldSchema(key)["x-prompt"], key).toBeTruthy();
      expect(table).toContain(`| \`${key}\` |`);
      expect(help).toContain(`  ${key} (`);
    }
  });

  it("README's recorded interview shows each essential question as the interview asks it", () => {
    const session = /recorded session of the default interview[\s\S]*?```console\n([\s\S]*?)```/.exec(readme)![1];
    const poolProps = answersSchema.properties[POOLS].items!.properties!;
    for (const key of essentials.filter((k) => k !== POOLS)) expect(session, key).toContain(`? ${questionText(key)} `);
    for (const key of poolEssentials) expect(session, key).toContain(`? ${questionText(key, poolProps)} `);
    expect(session).toContain("? Customise the advanced settings of pool default?");
    expect(session).toContain("? Add another pool?");
    expect(session).toContain("? Customise the advanced settings?");
    expect(session).toContain("Summary of the answers (nothing is written yet):");
    for (const key of answerKeys.filter(
      (k) => k !== POOLS && answersSchema.properties[k]["x-ask"] !== "never" && !answersSchema.properties[k]["x-when"],
    ))
      expect(session, key).toMatch(new RegExp(`^  ${key} `, "m"));
    expect(session).toMatch(/^ {2}pool default:$/m);
    for (const key of poolKeys.filter((k) => poolProps[k]["x-ask"] !== "never" && !poolProps[k]["x-when"]))
      expect(session, key).toMatch(new RegExp(`^    ${key} `, "m"));
  });

  it("README's example error output is what the bin prints for that file", () => {
    const text = readFileSync(join(packageRoot, "examples/answers.yaml"), "utf8")
      .replace(/^vpcId: .*$/m, "vpcId: vpc-XYZ")
      .replace(/^( *)asgMaxSize: .*$/m, "$1asgMaxSize: 0")
      .replace(/^( *)concurrent: .*$/m, "$1concurrnt: 4");
    const dir = mkdtempSync(join(tmpdir(), "glra-docs-"));
    writeFileSync(join(dir, "bad.yaml"), text);
    const r = spawnSync(
      process.execPath,
      [
        join(packageRoot, "dist/src/bin/gitlab-runner-aws.js"),
        "--answers",
        join(dir, "bad.yaml"),
        "--out",
        join(dir, "x"),
      ],
      { encoding: "utf8" },
    );
    const shown = /```text\n([\s\S]*?)```/.exec(readme)![1];
    expect(r.stderr).toBe(shown);
  });
});

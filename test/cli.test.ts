import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { packageRoot } from "../src/core/package-root.js";
import { answerKeys, answersSchema } from "../src/core/schema.js";
import { exampleFiles, examplesDir, readTree } from "./support/tools.js";

const bin = join(packageRoot, "dist/src/bin/gitlab-runner-aws.js");

function run(args: string[], cwd = tmpdir()) {
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 30_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, signal: r.signal };
}

const tmp = () => mkdtempSync(join(tmpdir(), "glra-cli-"));

beforeAll(() => {
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run "npm run build" (npm test does it first)`);
});

describe("gitlab-runner-aws bin", () => {
  it("runs as the current user (root in CI) with no TTY and never prompts", () => {
    const out = join(tmp(), "repo");
    const r = run(["--answers", join(examplesDir, "answers.yaml"), "--out", out]);
    expect(r.signal).toBeNull();
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(existsSync(join(out, ".yo-rc.json"))).toBe(true);
  });

  it("gives the same tree from a YAML and a JSON answers file", () => {
    const yamlFile = join(examplesDir, "answers.yaml");
    const jsonFile = join(tmp(), "answers.json");
    writeFileSync(jsonFile, JSON.stringify(parse(readFileSync(yamlFile, "utf8"))));
    const a = join(tmp(), "a"),
      b = join(tmp(), "b");
    expect(run(["--answers", yamlFile, "--out", a]).code).toBe(0);
    expect(run(["--answers", jsonFile, "--out", b]).code).toBe(0);
    expect(readTree(b)).toEqual(readTree(a));
  });

  it.each(exampleFiles)("generates byte-identical trees twice from %s, and a rerun changes nothing", (file) => {
    const a = join(tmp(), "a"),
      b = join(tmp(), "b");
    expect(run(["--answers", join(examplesDir, file), "--out", a]).code).toBe(0);
    expect(run(["--answers", join(examplesDir, file), "--out", b]).code).toBe(0);
    const first = readTree(a);
    expect(readTree(b)).toEqual(first);
    const again = run(["--out", a]);
    expect(again.code).toBe(0);
    expect(readTree(a)).toEqual(first);
    expect(again.stdout).not.toMatch(/^(create|update|updated|merged)\b/m);
  });

  it("prints all three mistakes of a bad file with their JSON paths, exits non-zero and creates nothing", () => {
    const dir = tmp();
    const bad = join(dir, "bad.yaml");
    const text = readFileSync(join(examplesDir, "answers.yaml"), "utf8")
      .replace(/^vpcId: .*$/m, "vpcId: vpc-XYZ")
      .replace(/^( *)asgMaxSize: .*$/m, "$1asgMaxSize: 0")
      .replace(/^( *)concurrent: .*$/m, "$1concurrnt: 4");
    writeFileSync(bad, text);
    const out = join(dir, "x");
    const r = run(["--answers", bad, "--out", out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("/vpcId:");
    expect(r.stderr).toContain("/pools/0/asgMaxSize:");
    expect(r.stderr).toMatch(/\/pools\/0\/concurrnt: unknown pool field "concurrnt". Did you mean "concurrent"\?/);
    expect(r.stderr).toContain("Nothing was written.");
    expect(existsSync(out)).toBe(false);
  });

  it("lists every required answer that is missing, and --defaults alone fills the rest", () => {
    const dir = tmp();
    const r = run(["--defaults", "--out", join(dir, "x")]);
    expect(r.code).toBe(1);
    for (const key of answersSchema.required) expect(r.stderr).toContain(`/${key}: is required`);
    expect(r.stderr.match(/is required/g)).toHaveLength(answersSchema.required.length);
    const partial = join(dir, "partial.yaml");
    writeFileSync(
      partial,
      "vpcId: vpc-0a1b2c3d\nsubnetIds: [subnet-0a1b2c3d]\nbuildSubnetId: subnet-0a1b2c3d\nciRoleArn: arn:aws:iam::123456789012:role/ci\n",
    );
    expect(run(["--answers", partial, "--out", join(dir, "y")]).code).toBe(0);
    expect(
      JSON.parse(readFileSync(join(dir, "y/.yo-rc.json"), "utf8"))["generator-gitlab-runner-aws"].answers.projectName,
    ).toBe("gitlab-runner");
  });

  it("explains malformed files with line and column", () => {
    const dir = tmp();
    writeFileSync(join(dir, "bad.yaml"), "projectName: a\nsubnetIds: [subnet-1\nvpcId: x\n");
    writeFileSync(join(dir, "bad.json"), '{\n  "projectName": "a",\n  "vpcId": \n}\n');
    writeFileSync(join(dir, "dup.yaml"), "vpcId: vpc-0a1b2c3d\nvpcId: vpc-0a1b2c3e\n");
    writeFileSync(join(dir, "empty.yaml"), "\n");
    const yaml = run(["--answers", join(dir, "bad.yaml"), "--out", join(dir, "o")]);
    expect(yaml.code).toBe(1);
    expect(yaml.stderr).toMatch(/not valid YAML:\n {2}line \d+, column \d+: /);
    const json = run(["--answers", join(dir, "bad.json"), "--out", join(dir, "o")]);
    expect(json.stderr).toMatch(/not valid JSON:\n {2}line 4, column 1: value expected/);
    expect(run(["--answers", join(dir, "dup.yaml"), "--out", join(dir, "o")]).stderr).toMatch(
      /line 2, column 1: Map keys must be unique/,
    );
    expect(run(["--answers", join(dir, "empty.yaml"), "--out", join(dir, "o")]).stderr).toMatch(/is empty/);
    expect(run(["--answers", join(dir, "missing.yaml"), "--out", join(dir, "o")]).stderr).toMatch(/does not exist/);
    expect(existsSync(join(dir, "o"))).toBe(false);
  });

  it("--dry-run lists what it would create and writes nothing", () => {
    const out = join(tmp(), "x");
    const r = run(["--answers", join(examplesDir, "answers.yaml"), "--out", out, "--dry-run"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\.yo-rc\.json/);
    expect(r.stdout).toMatch(/README\.md/);
    expect(existsSync(out)).toBe(false);
  });

  it("--help lists every option and every answer from the schema", () => {
    const r = run(["--help"]);
    expect(r.code).toBe(0);
    for (const opt of ["--answers", "--out", "--defaults", "--dry-run", "--check", "--help"])
      expect(r.stdout).toContain(opt);
    for (const key of answerKeys) expect(r.stdout).toMatch(new RegExp(`^  ${key} \\(`, "m"));
  });

  it("rejects unknown options as a usage error", () => {
    const r = run(["--answer", "x.yaml"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/usage:/);
  });

  it("refuses to generate inside its own package", () => {
    const r = run(["--answers", join(examplesDir, "answers.yaml"), "--out", join(packageRoot, "generated-inside")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/inside the generator package/);
    expect(existsSync(join(packageRoot, "generated-inside"))).toBe(false);
  });
});

describe("warnings", () => {
  it("warns about a legacy launch configuration but still generates", () => {
    const out = join(tmp(), "x");
    const r = run(["--answers", join(examplesDir, "ubuntu-arm64-shell-legacy.yaml"), "--out", out]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^warning: useLaunchConfiguration: .*2024-10-01/m);
    expect(existsSync(join(out, "terraform"))).toBe(true);
  });
});

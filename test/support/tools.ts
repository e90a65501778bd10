import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { readAnswersFile } from "../../src/core/answers-file.js";
import { answersFileToCurrent } from "../../src/core/migrations.js";
import { readPackageJson, packageRoot } from "../../src/core/package-root.js";
import { render } from "../../src/core/render.js";
import { loadTemplates } from "../../src/core/templates.js";
import type { Answers, RenderedFile } from "../../src/core/types.js";
import { formatError, validateAnswers } from "../../src/core/validate.js";

/**
 * The path of a command the tests need. Never skips: a missing tool fails the
 * test with the command that installs it (.ci/run installs them all).
 */
export function requireTool(cmd: string, debianPackage: string = cmd): string {
  const r = spawnSync("sh", ["-c", `command -v ${cmd}`], { encoding: "utf8" });
  if (r.status !== 0)
    throw new Error(`${cmd} is not installed; install it with: apt-get update && apt-get install -y ${debianPackage}`);
  return r.stdout.trim();
}

export const examplesDir = join(packageRoot, "examples");
export const exampleFiles: string[] = readdirSync(examplesDir)
  .filter((f) => /\.(ya?ml|json)$/.test(f))
  .sort();

export function exampleAnswers(file: string): Answers {
  const r = validateAnswers(answersFileToCurrent(readAnswersFile(join(examplesDir, file))).answers);
  if (!r.answers) throw new Error(`${file}: ${r.errors.map(formatError).join("; ")}`);
  return r.answers;
}

/** Valid answers from raw ones, which may be in the flat shape of an answers file of schema version 1. */
export function validAnswers(raw: Record<string, unknown>): Answers {
  const r = validateAnswers(answersFileToCurrent(raw).answers);
  if (!r.answers) throw new Error(r.errors.map(formatError).join("; "));
  return r.answers;
}

export const generatorVersion = readPackageJson().version;

export function renderAnswers(answers: Answers): RenderedFile[] {
  return render(answers, { templates: loadTemplates(), generatorVersion });
}

export function renderExample(file: string): RenderedFile[] {
  return renderAnswers(exampleAnswers(file));
}

/** Write rendered files into a new temporary folder and return its path. */
export function writeTree(files: RenderedFile[], dir: string = mkdtempSync(join(tmpdir(), "glra-"))): string {
  for (const f of files) {
    mkdirSync(dirname(join(dir, f.path)), { recursive: true });
    writeFileSync(join(dir, f.path), f.contents, { mode: f.mode });
  }
  return dir;
}

/** Every file under dir, by path relative to it, as its octal mode, a space and its text. */
export function readTree(dir: string, base = dir, out: Record<string, string> = {}): Record<string, string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) readTree(p, base, out);
    else out[p.slice(base.length + 1)] = `${(statSync(p).mode & 0o777).toString(8)} ${readFileSync(p, "utf8")}`;
  }
  return out;
}

export function fileOf(files: RenderedFile[], path: string): RenderedFile {
  const f = files.find((x) => x.path === path);
  if (!f) throw new Error(`${path} was not generated (have: ${files.map((x) => x.path).join(", ")})`);
  return f;
}

/** The answers no default covers: with these, every other answer may be left out. */
export const minimalRaw = {
  vpcId: "vpc-0a1b2c3d",
  subnetIds: ["subnet-0a1b2c3d"],
  buildSubnetId: "subnet-0a1b2c3d",
  ciRoleArn: "arn:aws:iam::123456789012:role/ci",
};

/** Raw answers: minimalRaw and these shared answers, with one pool named default holding these fields. */
export const onePoolRaw = (fields: Record<string, unknown>, shared: Record<string, unknown> = {}) => ({
  ...minimalRaw,
  ...shared,
  pools: [{ name: "default", ...fields }],
});

/** Raw answers: these with one pool's fields (the first's unless index says otherwise) replaced, for validAnswers. */
export function withPool(a: Answers, fields: Record<string, unknown>, index = 0): Record<string, unknown> {
  return { ...a, pools: a.pools.map((p, i) => (i === index ? { ...p, ...fields } : p)) };
}

/** A generated repo kept as a tarball under test/fixtures/FOLDER (see test/fixtures/README.md), unpacked into a fresh folder. */
export function unpackFixture(folder: "release-0.1" | "schema-v1", name: string): string {
  requireTool("tar");
  const dir = mkdtempSync(join(tmpdir(), `glra-${folder}-`));
  const tarball = join(packageRoot, "test/fixtures", folder, `${name}.tar.gz`);
  const r = spawnSync("tar", ["-xzf", tarball, "-C", dir], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`tar -xzf ${tarball}: ${r.stderr}`);
  return dir;
}

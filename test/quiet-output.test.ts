import { spawnSync } from "node:child_process";
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { packageRoot } from "../src/core/package-root.js";
import { answerKeys, answersSchema, poolFieldKeys } from "../src/core/schema.js";
import { BASE_FILE } from "../src/core/store.js";
import { asUser, isRoot, USER, workspace } from "./support/pty.js";
import { generatorVersion } from "./support/tools.js";

const bin = join(packageRoot, "dist/src/bin/gitlab-runner-aws.js");
const example = join(packageRoot, "examples/answers.yaml");

function run(args: string[], options: { asUser?: boolean } = {}) {
  const argv = [process.execPath, bin, ...args];
  const [cmd, ...rest] = options.asUser && isRoot ? ["runuser", "-u", USER, "--", ...argv] : argv;
  const r = spawnSync(cmd, rest, { encoding: "utf8", timeout: 20_000, cwd: tmpdir() });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, signal: r.signal };
}

function generated(): string {
  const dir = mkdtempSync(join(tmpdir(), "glra-quiet-"));
  expect(run(["--answers", example, "--out", dir]).code).toBe(0);
  return dir;
}

describe("honest, quiet output", () => {
  it("--check and --dry-run say what they would do; a real run says what it did", () => {
    const dir = generated();
    writeFileSync(join(dir, "answers.yaml"), readFileSync(example, "utf8").replace("concurrent: 4", "concurrent: 3"));
    for (const flag of ["--check", "--dry-run"]) {
      const r = run(["--answers", join(dir, "answers.yaml"), "--out", dir, flag]);
      expect(r.stdout, flag).toMatch(/^would update +terraform\/terraform\.tfvars\.json$/m);
      expect(r.stdout, flag).toMatch(/^summary if written: /m);
      expect(r.stdout, flag).not.toMatch(/^updated /m);
    }
    const r = run(["--answers", join(dir, "answers.yaml"), "--out", dir]);
    expect(r.stdout).toMatch(/^updated +terraform\/terraform\.tfvars\.json$/m);
  });

  it("a regeneration names the versions", () => {
    const dir = generated();
    const base = JSON.parse(readFileSync(join(dir, BASE_FILE), "utf8"));
    writeFileSync(join(dir, BASE_FILE), JSON.stringify({ ...base, generatorVersion: "0.0.1" }));
    const r = run(["--out", dir, "--dry-run"]);
    expect(r.stdout).toContain(`upgrading: generator-gitlab-runner-aws 0.0.1 → ${generatorVersion}\n`);
  });

  it("one line per file on a first run", () => {
    const dir = mkdtempSync(join(tmpdir(), "glra-quiet-"));
    const r = run(["--answers", example, "--out", dir]);
    const lines = r.stdout.trim().split("\n");
    const files = lines.filter((l) => l.startsWith("created "));
    expect(new Set(files).size).toBe(files.length);
    expect(lines.length).toBe(files.length + 2); // the summary and the total
  });

  it("an unknown flag gets the closest known one", () => {
    const r = run(["--answer", "x.yaml"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: unknown option --answer\. Did you mean --answers\?$/m);
    expect(run(["--dryrun"]).stderr).toMatch(/Did you mean --dry-run\?/);
  });

  it("pseudo-filesystems are refused at once, naming the folder given", () => {
    const r = run(["--answers", example, "--out", "/proc/acme"]);
    expect(r.signal).toBeNull();
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      "error: --out /proc/acme: /proc is a kernel pseudo-filesystem, not a place for files; choose a folder in your home or workspace\n",
    );
    expect(run(["--answers", example, "--out", "/sys/x/y"]).stderr).toMatch(
      /--out \/sys\/x\/y: \/sys is a kernel pseudo-filesystem/,
    );
  });

  it("a folder under one the user can't write to is refused at once, naming it and the reason", () => {
    asUser();
    const parent = mkdtempSync(join(tmpdir(), "glra-quiet-"));
    chmodSync(parent, 0o755);
    const ro = join(parent, "ro");
    mkdirSync(ro);
    if (isRoot) chownSync(ro, Number(spawnSync("id", ["-u", USER], { encoding: "utf8" }).stdout), 0);
    chmodSync(ro, 0o555);
    const below = run(["--answers", example, "--out", join(ro, "new")], { asUser: true });
    expect(below.stderr).toBe(
      `error: --out ${join(ro, "new")}: it would be created in ${ro}, which is not writable by you; choose a folder you can write to\n`,
    );
    const itself = run(["--answers", example, "--out", ro], { asUser: true });
    expect(itself.stderr).toBe(`error: --out ${ro}: it is not writable by you; choose a folder you can write to\n`);
    if (isRoot)
      expect(run(["--answers", example, "--out", "/root/acme"], { asUser: true }).stderr).toMatch(
        /^error: --out \/root\/acme: it would be created in \/root, which is not writable by you/,
      );
  });

  it("yo --help shows each shared answer's type, default and allowed values, and no pool field (a pool's answers are no options)", () => {
    const user = asUser();
    const out = workspace(user);
    const yo = [
      process.execPath,
      join(packageRoot, "node_modules/yo/lib/cli.js"),
      "gitlab-runner-aws",
      "--help",
      "--no-insight",
    ];
    const env = ["env", `HOME=${user.home}`, "NO_UPDATE_NOTIFIER=1", `PATH=${process.env.PATH}`];
    const [cmd, ...args] = isRoot ? ["runuser", "-u", USER, "--", ...env, ...yo] : [...env, ...yo];
    const r = spawnSync(cmd, args, { cwd: out, encoding: "utf8", timeout: 60_000 });
    const text = r.stdout.replace(/\s+/g, " ");
    for (const key of answerKeys.filter((k) => k !== "pools")) {
      const s = answersSchema.properties[key];
      expect(text, key).toMatch(new RegExp(`--${key} # \\S.*?; default `));
      if (s.enum) expect(text).toContain(`--${key} # ${s.enum.join(" | ")}; default`);
    }
    for (const key of ["pools", ...poolFieldKeys.filter((k) => !answerKeys.includes(k))])
      expect(text, key).not.toContain(`--${key} `);
    expect(text).toContain('--awsRegion # string; default "eu-central-1"; an AWS region code such as eu-central-1.');
  });

  it.runIf(isRoot)("yo as root stops with one sentence that points to the bin", () => {
    const user = asUser();
    const out = workspace(user);
    const r = spawnSync(
      process.execPath,
      [join(packageRoot, "node_modules/yo/lib/cli.js"), "gitlab-runner-aws", "--no-insight"],
      { cwd: out, encoding: "utf8", timeout: 60_000, env: { ...process.env, HOME: "/root", NO_UPDATE_NOTIFIER: "1" } },
    );
    expect(r.status).toBe(1);
    expect(r.stdout + r.stderr).toBe(
      "yo does not run as root (it drops to the user \"nobody\", who can't read /root); as root, use this package's bin instead: gitlab-runner-aws --answers FILE --out DIR (same answers, same output), or run yo as a normal user.\n",
    );
  });
});

import { spawn, spawnSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { packageRoot } from "../src/core/package-root.js";
import { questionsFor } from "../src/core/prompts.js";
import { GENERATOR_NAME } from "../src/core/render.js";
import { applies, defaultOf, answerKeys } from "../src/core/schema.js";
import { requireTool } from "./support/tools.js";

/**
 * The real `yo`, in a real pseudo-terminal, as a normal user: yo refuses to
 * run as root, so when the suite runs as root (CI) a test user is created.
 */
const USER = "glra-yo";
const isRoot = process.getuid?.() === 0;

function asUser(): { uid: number; gid: number; home: string } {
  if (!isRoot) return { uid: process.getuid!(), gid: process.getgid!(), home: process.env.HOME ?? tmpdir() };
  requireTool("runuser", "util-linux");
  if (spawnSync("id", ["-u", USER]).status !== 0) {
    requireTool("useradd", "passwd");
    const r = spawnSync("useradd", ["-m", "-s", "/bin/sh", USER], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`useradd ${USER} failed: ${r.stderr}`);
  }
  const id = (flag: string) => Number(spawnSync("id", [flag, USER], { encoding: "utf8" }).stdout.trim());
  return { uid: id("-u"), gid: id("-g"), home: `/home/${USER}` };
}

function workspace(user: { uid: number; gid: number }) {
  const root = mkdtempSync(join(tmpdir(), "glra-yo-"));
  chmodSync(root, 0o755);
  mkdirSync(join(root, "node_modules"));
  symlinkSync(packageRoot, join(root, "node_modules", GENERATOR_NAME));
  const out = join(root, "repo");
  mkdirSync(out);
  chownSync(out, user.uid, user.gid);
  return out;
}

function yoCommand(args: string, home: string): [string, string[]] {
  const yo = `${process.execPath} ${join(packageRoot, "node_modules/yo/lib/cli.js")} gitlab-runner-aws --no-insight ${args}`;
  const env = ["env", `HOME=${home}`, "NO_UPDATE_NOTIFIER=1", "TERM=dumb", `PATH=${process.env.PATH}`];
  const inPty = ["script", "-qfec", `stty cols 1000 rows 50; ${yo}`, "/dev/null"];
  return isRoot ? ["runuser", ["-u", USER, "--", ...env, ...inPty]] : [env[0], [...env.slice(1), ...inPty]];
}

describe("yo gitlab-runner-aws for real", () => {
  it("answers every prompt in a terminal as a non-root user and generates the repo", async () => {
    requireTool("script", "bsdutils");
    const user = asUser();
    const out = workspace(user);
    const given: Record<string, string> = {
      projectName: "tty-runners",
      vpcId: "vpc-0a1b2c3d",
      subnetIds: "subnet-0a1b2c3d, subnet-0a1b2c3e",
      buildSubnetId: "subnet-0a1b2c3d",
      ciRoleArn: "arn:aws:iam::123456789012:role/ci",
      timeZone: "Europe/Vienna",
    };
    const defaults = Object.fromEntries(answerKeys.map((k) => [k, defaultOf(k)]));
    const questions = questionsFor({}).filter((q) => applies(q.name, defaults));
    const [cmd, args] = yoCommand("", user.home);
    const child = spawn(cmd, args, { cwd: out, stdio: ["pipe", "pipe", "pipe"] });
    let screen = "";
    let next = 0;
    const onData = (d: Buffer) => {
      screen += d.toString("utf8");
      while (next < questions.length && screen.includes(`? ${questions[next].message}`)) {
        const q = questions[next];
        screen = screen.slice(screen.indexOf(`? ${q.message}`) + q.message.length);
        // Typing an answer replaces the shown default of input prompts; Enter alone keeps it.
        child.stdin.write((given[q.name] ?? "") + "\r");
        next++;
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
      child.on("close", (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    expect({ code, answered: next }).toEqual({ code: 0, answered: questions.length });
    const stored = JSON.parse(readFileSync(join(out, ".yo-rc.json"), "utf8"))[GENERATOR_NAME].answers;
    expect(stored.projectName).toBe("tty-runners");
    expect(stored.subnetIds).toEqual(["subnet-0a1b2c3d", "subnet-0a1b2c3e"]);
    expect(stored.timeZone).toBe("Europe/Vienna");
    expect(existsSync(join(out, "README.md"))).toBe(true);
    if (isRoot) expect(spawnSync("stat", ["-c", "%U", join(out, "README.md")], { encoding: "utf8" }).stdout.trim()).toBe(USER);
  });
});

import { spawn, spawnSync } from "node:child_process";
import { chmodSync, chownSync, mkdirSync, mkdtempSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { packageRoot } from "../../src/core/package-root.js";
import { GENERATOR_NAME } from "../../src/core/render.js";
import { requireTool } from "./tools.js";

/**
 * The real `yo`, in a real pseudo-terminal (util-linux `script`), as a normal
 * user: yo refuses to run as root, so when the suite runs as root (CI) a test
 * user is created. A session answers each question it sees by the first rule
 * whose pattern matches the question's text (Enter, the default, otherwise).
 */
export const USER = "glra-yo";
export const isRoot = process.getuid?.() === 0;

export interface User {
  uid: number;
  gid: number;
  home: string;
}

export function asUser(): User {
  requireTool("script", "bsdutils");
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

/** An empty folder the user owns, where yo finds this package as an installed generator. */
export function workspace(user: User): string {
  const root = mkdtempSync(join(tmpdir(), "glra-yo-"));
  chmodSync(root, 0o755);
  mkdirSync(join(root, "node_modules"));
  symlinkSync(packageRoot, join(root, "node_modules", GENERATOR_NAME));
  const out = join(root, "repo");
  mkdirSync(out);
  chownSync(out, user.uid, user.gid);
  return out;
}

export function chownTree(dir: string, user: User): void {
  if (isRoot) spawnSync("chown", ["-R", `${user.uid}:${user.gid}`, dir]);
}

function yoCommand(args: string, home: string): [string, string[]] {
  const yo = `${process.execPath} ${join(packageRoot, "node_modules/yo/lib/cli.js")} gitlab-runner-aws --no-insight ${args}`;
  const env = ["env", `HOME=${home}`, "NO_UPDATE_NOTIFIER=1", "TERM=dumb", `PATH=${process.env.PATH}`];
  const inPty = ["script", "-qfec", `stty cols 1000 rows 50; ${yo}`, "/dev/null"];
  return isRoot ? ["runuser", ["-u", USER, "--", ...env, ...inPty]] : [env[0], [...env.slice(1), ...inPty]];
}

/** Keys: Enter, the arrow down of a list, Ctrl-C. */
export const ENTER = "\r";
export const DOWN = "\x1b[B";
export const CTRL_C = "\x03";

export type Rule = [pattern: RegExp, keys: string];

export interface Session {
  code: number | null;
  /** Every question seen, as the terminal first showed it (without colours). */
  questions: string[];
  /** The whole terminal output, without colours and cursor moves. */
  screen: string;
}

const ANSI = /\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]/g;

/**
 * Run yo in the pty and answer: each question (a line starting "? ") is
 * answered once, by the first unused rule that matches its text (a rule is
 * used once), else by Enter; the next question is looked for only after the
 * terminal confirmed the answer (✔).
 */
export async function yoSession(
  cwd: string,
  user: User,
  args: string,
  rules: Rule[],
  timeoutMs = 90_000,
): Promise<Session> {
  const [cmd, argv] = yoCommand(args, user.home);
  const child = spawn(cmd, argv, { cwd, stdio: ["pipe", "pipe", "pipe"] });
  let raw = "";
  let pos = 0;
  let waitingForAnswer = false;
  const questions: string[] = [];
  const pending = [...rules];
  const onData = (d: Buffer) => {
    raw += d.toString("utf8").replace(ANSI, "");
    for (;;) {
      if (waitingForAnswer) {
        const done = raw.indexOf("✔", pos);
        const eol = done < 0 ? -1 : raw.indexOf("\n", done);
        if (eol < 0) return;
        pos = eol + 1;
        waitingForAnswer = false;
      }
      const at = raw.indexOf("? ", pos);
      if (at < 0) return;
      const end = raw.indexOf("\n", at);
      // Wait for the question to be shown whole (a select lists its choices on the next lines).
      const text = raw.slice(at + 2, end < 0 ? undefined : end);
      if (end < 0 && !/\)\s*$|\(Y\/n\)|\(y\/N\)|\]\s*$/.test(text)) return;
      questions.push(text);
      const i = pending.findIndex(([re]) => re.test(text));
      const keys = i < 0 ? ENTER : pending.splice(i, 1)[0][1];
      pos = at + 2;
      waitingForAnswer = keys !== CTRL_C;
      setTimeout(() => child.stdin.write(keys), 100);
      if (keys === CTRL_C) {
        pos = raw.length;
        return;
      }
    }
  };
  child.stdout.on("data", onData);
  child.stderr.on("data", onData);
  const code = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("close", (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  return { code, questions, screen: raw };
}

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { packageRoot } from "../../src/core/package-root.js";
import { requireTool } from "./tools.js";

/**
 * Real systemd for the boot tests: a Debian rootfs (scripts/build-rootfs.sh,
 * cached) booted with systemd-nspawn in its own network namespace. Commands
 * run inside through nsenter (this machine's PID 1 is not systemd, so there is
 * no machined and no `systemd-run -M`).
 */

export type Suite = "bookworm" | "trixie";
export const SYSTEMD_OF: Record<Suite, number> = { bookworm: 252, trixie: 257 };

/** Fails (never skips) without root or a tool, saying how to get it. */
export function requireBootTools(): void {
  if (process.getuid?.() !== 0) {
    throw new Error(
      "the systemd boot tests must run as root (systemd-nspawn boots a container); CI runs as root: run `npm test` as root",
    );
  }
  requireTool("systemd-nspawn", "systemd-container");
  requireTool("mmdebstrap");
  requireTool("nsenter", "util-linux");
  requireTool("ip", "iproute2");
}

/** The cached rootfs tarball of a suite, built on first use (about a minute). */
export async function rootfsTarball(suite: Suite): Promise<string> {
  const r = await run("bash", [join(packageRoot, "scripts/build-rootfs.sh"), suite], 600_000);
  if (r.status !== 0) throw new Error(`scripts/build-rootfs.sh ${suite} failed:\n${r.stderr}`);
  return r.stdout.trim().split("\n").at(-1)!;
}

export interface Event {
  t: number;
  event: string;
}

export interface Exec {
  status: number | null;
  stdout: string;
  stderr: string;
}

const PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/**
 * A command run without blocking the event loop: the scenarios of one file
 * run concurrently, and a synchronous tar, cp or rm of a rootfs would stall
 * every other scenario's timers.
 */
export function run(cmd: string, args: string[], timeoutMs = 300_000): Promise<Exec> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("close", (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

export class Machine {
  readonly root: string;
  private nspawn?: ChildProcess;
  private exited?: Promise<number | null>;
  private pid1 = 0;
  boots = 0;

  private constructor(readonly dir: string) {
    this.root = join(dir, "root");
  }

  /** A new machine from a rootfs tarball. */
  static async fromTarball(tar: string): Promise<Machine> {
    const m = new Machine(mkdtempSync(join(tmpdir(), "glra-boot-")));
    mkdirSync(m.root);
    const r = await run("tar", ["-xf", tar, "-C", m.root]);
    if (r.status !== 0) throw new Error(`tar -xf ${tar}: ${r.stderr}`);
    return m;
  }

  /** A copy of this (powered-off) machine's disk: an AMI's next instance. */
  async clone(): Promise<Machine> {
    const m = new Machine(mkdtempSync(join(tmpdir(), "glra-boot-")));
    const r = await run("cp", ["-a", "--reflink=auto", this.root, m.root]);
    if (r.status !== 0) throw new Error(`cp -a: ${r.stderr}`);
    return m;
  }

  path(p: string): string {
    return join(this.root, p);
  }

  write(p: string, text: string, mode = 0o644): void {
    mkdirSync(dirname(this.path(p)), { recursive: true });
    writeFileSync(this.path(p), text, { mode });
  }

  read(p: string): string {
    return existsSync(this.path(p)) ? readFileSync(this.path(p), "utf8") : "";
  }

  copyIn(from: string, to: string): void {
    cpSync(from, this.path(to), { recursive: true });
  }

  get running(): boolean {
    return this.nspawn !== undefined;
  }

  /** Boots and waits until PID 1 answers (not for the boot to finish: units may be retrying on purpose). */
  async boot(): Promise<void> {
    const log = openSync(join(this.dir, `console-${++this.boots}.log`), "w");
    const child = spawn(
      "systemd-nspawn",
      ["-q", "-D", this.root, "--register=no", "--keep-unit", "--private-network", "-b", "--console=pipe"],
      { stdio: ["ignore", log, log] },
    );
    this.nspawn = child;
    this.exited = new Promise((resolve) => child.on("exit", (code) => resolve(code)));
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (Date.now() > deadline) throw new Error(`the container did not boot: ${this.console()}`);
      if (child.exitCode !== null) throw new Error(`systemd-nspawn exited with ${child.exitCode}: ${this.console()}`);
      const children = (() => {
        try {
          return readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, "utf8")
            .trim()
            .split(/\s+/)
            .filter(Boolean);
        } catch {
          return [];
        }
      })();
      if (children.length === 1) {
        this.pid1 = Number(children[0]);
        const s = await this.exec("systemctl is-system-running", 10_000);
        if (/^(initializing|starting|running|degraded)/.test(s.stdout.trim())) return;
      }
      await sleep(100);
    }
  }

  console(): string {
    return readFileSync(join(this.dir, `console-${this.boots}.log`), "utf8").slice(-4000);
  }

  /** A shell command inside the running container, as root (never blocking the event loop). */
  exec(cmd: string, timeoutMs = 60_000): Promise<Exec> {
    if (!this.running) throw new Error("the machine is not running");
    return run(
      "nsenter",
      ["-t", String(this.pid1), "-a", "/usr/bin/env", "-i", `PATH=${PATH}`, "/bin/bash", "-c", cmd],
      timeoutMs,
    );
  }

  /** Like exec, failing on a non-zero exit. */
  async sh(cmd: string, timeoutMs?: number): Promise<string> {
    const r = await this.exec(cmd, timeoutMs);
    if (r.status !== 0) throw new Error(`${cmd}: exit ${r.status}\n${r.stdout}${r.stderr}`);
    return r.stdout;
  }

  /** Waits for systemd-nspawn to exit; its exit code (133 is a reboot). */
  async waitExit(timeoutMs: number): Promise<number | null> {
    const timer = sleep(timeoutMs).then(() => "timeout" as const);
    const code = await Promise.race([this.exited!, timer]);
    if (code === "timeout") throw new Error(`the container did not stop within ${timeoutMs} ms`);
    this.nspawn = undefined;
    return code;
  }

  async poweroff(timeoutMs = 90_000): Promise<number | null> {
    await this.exec("systemctl poweroff --no-block", 30_000);
    return this.waitExit(timeoutMs);
  }

  /** systemctl reboot: systemd-nspawn exits with 133, and the same disk boots again. */
  async reboot(timeoutMs = 90_000): Promise<void> {
    await this.exec("systemctl reboot --no-block", 30_000);
    const code = await this.waitExit(timeoutMs);
    if (code !== 133) throw new Error(`reboot: systemd-nspawn exited with ${code}, expected 133`);
    await this.boot();
  }

  /** The end of the persistent journal of every boot so far (for failure messages). */
  journal(lines = 120): string {
    const r = spawnSync(
      "journalctl",
      ["-D", this.path("/var/log/journal"), "--no-pager", "-q", "-o", "short-monotonic", "-n", String(lines)],
      {
        encoding: "utf8",
      },
    );
    return `${r.stdout}${r.stderr}`;
  }

  timeline(): Event[] {
    return this.read("/var/log/timeline")
      .split("\n")
      .filter(Boolean)
      .map((l) => {
        const i = l.indexOf(" ");
        return { t: Number(l.slice(0, i)), event: l.slice(i + 1) };
      });
  }

  async waitFor(what: string, pred: (tl: Event[]) => boolean, timeoutMs: number): Promise<Event[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const tl = this.timeline();
      if (pred(tl)) return tl;
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${what}; timeline:\n${tl.map((e) => `${e.t} ${e.event}`).join("\n")}`);
      await sleep(200);
    }
  }

  /** Stops a container still running (SIGKILL to its PID 1, which ends its PID namespace) and removes the disk. */
  async destroy(): Promise<void> {
    if (this.nspawn) {
      try {
        process.kill(this.pid1, "SIGKILL");
        await this.waitExit(30_000);
      } catch {
        // already gone
      }
    }
    await run("rm", ["-rf", "--one-file-system", this.dir]);
    if (existsSync(this.dir)) rmSync(this.dir, { recursive: true, force: true });
  }
}

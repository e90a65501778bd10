import { spawnSync } from "node:child_process";
import { chmodSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { amiPaths } from "../src/core/context/ami.js";
import { poolViews } from "../src/core/pools.js";
import type { RenderedFile } from "../src/core/types.js";
import { exampleAnswers, exampleFiles, fileOf, renderExample, requireTool } from "./support/tools.js";

type Unit = Record<string, Record<string, string[]>>;

/** systemd's unit syntax: [Section], Key=value (a key may repeat; values hold space-separated lists). */
function parseUnit(text: string): Unit {
  const unit: Unit = {};
  let section = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const s = /^\[(.+)\]$/.exec(line);
    if (s) {
      section = s[1];
      unit[section] ??= {};
      continue;
    }
    const [key, ...rest] = line.split("=");
    (unit[section][key] ??= []).push(rest.join("="));
  }
  return unit;
}
const list = (u: Unit, section: string, key: string) =>
  (u[section]?.[key] ?? []).flatMap((v) => v.split(/\s+/)).filter(Boolean);

/** The packaged unit as `gitlab-runner install` writes it (the drop-in must not need anything else). */
const PACKAGED_GITLAB_RUNNER = `[Unit]
Description=GitLab Runner
ConditionFileIsExecutable=/usr/bin/gitlab-runner
After=network.target

[Service]
StartLimitInterval=5
StartLimitBurst=10
ExecStart=/usr/bin/gitlab-runner "run" "--config" "/etc/gitlab-runner/config.toml" "--working-directory" "/home/gitlab-runner" "--service" "gitlab-runner" "--user" "gitlab-runner"
Restart=always
RestartSec=120

[Install]
WantedBy=multi-user.target
`;

/**
 * `systemd-analyze verify` on the units laid out as provision.sh installs
 * them, in a throw-away root holding this machine's stock units, the packaged
 * gitlab-runner.service and stub executables. Any diagnostic is a failure
 * (systemd-analyze exits 0 on "Unknown key ..., ignoring").
 */
function verify(files: RenderedFile[], extra: Record<string, string> = {}) {
  const root = mkdtempSync(join(tmpdir(), "glra-systemd-"));
  const etc = join(root, "etc/systemd/system");
  const write = (p: string, text: string, mode = 0o644) => {
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, text);
    chmodSync(p, mode);
  };
  cpSync("/usr/lib/systemd/system", join(root, "usr/lib/systemd/system"), { recursive: true, verbatimSymlinks: true });
  write(join(etc, "gitlab-runner.service"), PACKAGED_GITLAB_RUNNER);
  write(join(root, "usr/bin/gitlab-runner"), "#!/bin/sh\n", 0o755);
  write(join(root, "bin/sleep"), "#!/bin/sh\n", 0o755);
  const units: string[] = [join(etc, "gitlab-runner.service")];
  for (const f of files) {
    if (f.path.startsWith("files/libexec/"))
      write(join(root, amiPaths.libexecDir, basename(f.path)), f.contents, 0o755);
    else if (f.path.startsWith("files/systemd/")) {
      const p = join(etc, f.path.slice("files/systemd/".length));
      write(p, f.contents);
      if (!f.path.endsWith(".conf")) units.push(p);
    }
  }
  for (const [p, text] of Object.entries(extra)) write(join(etc, p), text);
  const r = spawnSync("systemd-analyze", ["verify", "--man=no", "--generators=no", `--root=${root}`, ...units], {
    encoding: "utf8",
  });
  rmSync(root, { recursive: true, force: true });
  return { status: r.status, output: `${r.stdout}${r.stderr}`.split(root).join("").trim() };
}

describe.each(exampleFiles)("systemd units of %s", (file) => {
  const a = exampleAnswers(file);
  const files = renderExample(file);
  const unit = (name: string) => parseUnit(fileOf(files, `files/systemd/${name}`).contents);

  it("pass systemd-analyze verify as installed next to the packaged gitlab-runner.service", () => {
    requireTool("systemd-analyze", "systemd");
    expect(verify(files)).toEqual({ status: 0, output: "" });
    // and the check can fail
    const bad = verify(files, { "gitlab-runner.service.d/99-typo.conf": "[Service]\nKillSignl=SIGQUIT\n" });
    expect(bad.output).toContain("KillSignl");
  });

  it("leave the packaged gitlab-runner.service alone and extend it with a drop-in", () => {
    expect(files.some((f) => /(^|\/)gitlab-runner\.service$/.test(f.path))).toBe(false);
    const dropin = unit("gitlab-runner.service.d/50-gitlab-runner-aws.conf");
    expect(list(dropin, "Service", "KillSignal")).toEqual(["SIGQUIT"]);
    // Only the main process gets SIGQUIT: the shell executor's jobs live in the same cgroup.
    expect(list(dropin, "Service", "KillMode")).toEqual(["mixed"]);
    expect(list(dropin, "Service", "TimeoutStopSec")).toEqual([
      String(Math.max(...poolViews(a).map((p) => p.drainTimeoutSeconds))),
    ]);
    expect(list(dropin, "Unit", "Requires")).toContain("gitlab-runner-aws.service");
    // no PropagatesStopTo=: it ignores restarts before systemd 253, and a unit stop must not unregister anyway
    expect(list(dropin, "Unit", "PropagatesStopTo")).toEqual([]);
    // After= makes systemd stop gitlab-runner (drain) before it stops the unit that unregisters
    expect(list(dropin, "Unit", "After")).toContain("gitlab-runner-aws.service");
    // on shutdown Docker must outlive the drain of the docker executor's jobs
    expect(list(dropin, "Unit", "After").includes("docker.service")).toBe(
      poolViews(a).some((p) => p.executor === "docker"),
    );
    expect(list(dropin, "Unit", "Wants").includes("docker.service")).toBe(
      poolViews(a).some((p) => p.executor === "docker"),
    );
  });

  it("register on start and unregister on stop, after the network and cloud-init's runtime configuration", () => {
    const hooks = unit("gitlab-runner-aws.service");
    // registration before the unit counts as started; a live main process keeps its control group for ExecStop
    expect(list(hooks, "Service", "Type")).toEqual(["exec"]);
    expect(list(hooks, "Service", "ExecStartPre")).toEqual([`${amiPaths.libexecDir}/register.sh`]);
    expect(list(hooks, "Service", "ExecStart")).toEqual(["/bin/sleep", "infinity"]);
    expect(list(hooks, "Service", "ExecStop")).toEqual([`${amiPaths.libexecDir}/unregister.sh`, "--on-stop"]);
    // a stop during registration signals register.sh only, which lets a register in flight finish
    expect(list(hooks, "Service", "KillMode")).toEqual(["mixed"]);
    expect(list(hooks, "Unit", "After")).toEqual(
      expect.arrayContaining(["network-online.target", "cloud-init.service", "cloud-config.service"]),
    );
    expect(list(hooks, "Unit", "Wants")).toContain("network-online.target");
    expect(list(hooks, "Install", "WantedBy")).toEqual(["multi-user.target"]);
    // never ordered before gitlab-runner's own stop, which would unregister while jobs still run
    expect(list(hooks, "Unit", "After")).not.toContain("gitlab-runner.service");
  });

  it("run only scripts the image carries", () => {
    const scripts = new Set(
      files.filter((f) => f.path.startsWith("files/libexec/")).map((f) => `${amiPaths.libexecDir}/${basename(f.path)}`),
    );
    for (const f of files.filter((x) => x.path.startsWith("files/systemd/"))) {
      for (const [key, values] of Object.entries(parseUnit(f.contents).Service ?? {})) {
        if (!key.startsWith("Exec")) continue;
        // the registration unit's main process only holds it up
        for (const v of values)
          if (v !== "/bin/sleep infinity") expect(scripts, `${f.path} ${key}`).toContain(v.split(/\s+/)[0]);
      }
    }
    expect(list(unit("gitlab-runner-aws-lifecycle.service"), "Install", "WantedBy")).toEqual(["multi-user.target"]);
    // the watcher must act while registration still retries
    expect(list(unit("gitlab-runner-aws-lifecycle.service"), "Unit", "After")).not.toContain(
      "gitlab-runner-aws.service",
    );
  });

  it("schedule the busy-slot publisher every minute only for job-based scaling", () => {
    const timer = files.find((f) => f.path === "files/systemd/gitlab-runner-aws-metrics.timer");
    expect(timer !== undefined).toBe(poolViews(a).some((p) => p.scalingPolicy === "jobs"));
    if (!timer) return;
    const t = parseUnit(timer.contents);
    expect(list(t, "Timer", "OnUnitActiveSec")).toEqual(["1min"]);
    expect(list(t, "Install", "WantedBy")).toEqual(["timers.target"]);
    expect(list(unit("gitlab-runner-aws-metrics.service"), "Service", "Type")).toEqual(["oneshot"]);
  });
});

import { spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PoolView, poolViews } from "../src/core/pools.js";
import type { Answers } from "../src/core/types.js";
import { runtimeConfig } from "./fixtures/ami/runtime-config.js";
import { exampleAnswers, renderAnswers, requireTool, withPool, writeTree } from "./support/tools.js";

// The hook scripts run for real (bash, jq) in a temporary root; gitlab-runner,
// aws, curl (IMDS and the metrics endpoint) and systemctl are stubs on PATH
// that record every call as a JSON array in the call log.
const STUB_PREAMBLE = `#!/usr/bin/env bash
set -euo pipefail
printf '%s\\n' "\${0##*/}" "$@" | jq -Rsc 'split("\\n")[:-1]' >>"$STUB_LOG"
`;

const STUBS: Record<string, string> = {
  curl: `
url="\${*: -1}"
has() { local a; for a in "$@"; do [ "$a" = "$WANT" ] && return 0; done; return 1; }
case "$url" in
  http://169.254.169.254/latest/api/token)
    WANT=PUT has "$@" || exit 22
    echo imds-session-token
    ;;
  http://169.254.169.254/latest/meta-data/*)
    WANT="X-aws-ec2-metadata-token: imds-session-token" has "$@" || exit 22
    case "\${url#*/meta-data/}" in
      placement/region) echo "$STUB_REGION" ;;
      instance-id) echo i-0abc123def4567890 ;;
      spot/instance-action)
        [ -s "$STUB_DIR/spot" ] || exit 22
        n="$(cat "$STUB_DIR/spot-later" 2>/dev/null || echo 0)"
        if [ "$n" -gt 0 ]; then echo $((n - 1)) >"$STUB_DIR/spot-later"; exit 22; fi
        cat "$STUB_DIR/spot"
        ;;
      autoscaling/target-lifecycle-state)
        f="$STUB_DIR/lifecycle"
        [ -s "$f" ] || exit 22
        head -n 1 "$f"
        if [ "$(wc -l <"$f")" -gt 1 ]; then sed -i 1d "$f"; fi
        ;;
      *) exit 22 ;;
    esac
    ;;
  http://127.0.0.1:9252/metrics) cat "$STUB_DIR/metrics" ;;
  *) exit 7 ;;
esac
`,
  aws: `
case "$1 $2" in
  "ssm get-parameter")
    if [ -f "$STUB_DIR/ssm-error" ]; then cat "$STUB_DIR/ssm-error" >&2; exit 254; fi
    if [ -f "$STUB_DIR/ssm-transient" ]; then
      n="$(cat "$STUB_DIR/ssm-transient")"
      if [ "$n" -gt 0 ]; then
        echo $((n - 1)) >"$STUB_DIR/ssm-transient"
        echo "An error occurred (\${STUB_SSM_ERROR:-ThrottlingException}) when calling the GetParameter operation: \${STUB_SSM_MESSAGE:-Rate exceeded}" >&2
        exit 254
      fi
    fi
    printf '%s\\n' "$STUB_TOKEN"
    ;;
  "autoscaling complete-lifecycle-action")
    if [ -f "$STUB_DIR/hook-timed-out" ]; then
      echo "An error occurred (ValidationError) when calling the CompleteLifecycleAction operation: No active Lifecycle Action found with instance ID i-0abc123def4567890" >&2
      exit 254
    fi
    if [ -f "$STUB_DIR/no-launch-hook" ] && printf '%s\n' "$@" | grep -qx -- '.*-launch'; then
      echo "An error occurred (ValidationError) when calling the CompleteLifecycleAction operation: No active Lifecycle Action found with instance ID i-0abc123def4567890" >&2
      exit 254
    fi
    ;;
  "autoscaling set-instance-health" | "ec2 create-tags" | "cloudwatch put-metric-data") ;;
  *) exit 252 ;;
esac
`,
  "gitlab-runner": `
config=""
template=""
prev=""
for a in "$@"; do
  case "$prev" in
    --config) config="$a" ;;
    --template-config) template="$a" ;;
  esac
  prev="$a"
done
case "$1" in
  register)
    jq -cn '{env: {
      CI_SERVER_TOKEN: (if env.CI_SERVER_TOKEN == null then "unset" elif env.CI_SERVER_TOKEN == env.STUB_TOKEN then "token" else "other" end),
      REGISTRATION_TOKEN: (if env.REGISTRATION_TOKEN == null then "unset" elif env.REGISTRATION_TOKEN == env.STUB_TOKEN then "token" else "other" end)
    }}' >>"$STUB_LOG"
    cp "$template" "$STUB_DIR/template.toml"
    cp "$config" "$STUB_DIR/config-before-register.toml"
    if [ -f "$STUB_DIR/register-fail" ]; then
      n="$(cat "$STUB_DIR/register-fail")"
      if [ -z "$n" ] || [ "$n" -gt 0 ]; then
        [ -z "$n" ] || echo $((n - 1)) >"$STUB_DIR/register-fail"
        echo "PANIC: Failed to register the runner: 502 Bad Gateway" >&2
        exit 1
      fi
    fi
    [ -s "$(dirname "$config")/.runner_system_id" ] || echo s_0123456789ab >"$(dirname "$config")/.runner_system_id"
    cat "$template" >>"$config"
    printf '  name = "stub"\\n  token = "stub-runner-auth-token"\\n' >>"$config"
    ;;
  unregister)
    # like gitlab-runner on an API failure: logs it, keeps the runner, exits 0
    if [ -f "$STUB_DIR/unregister-api-fails" ]; then echo "ERROR: Failed to unregister runner: 500" >&2; exit 0; fi
    sed -i '/^\\[\\[runners\\]\\]/,$d' "$config"
    ;;
  *) exit 1 ;;
esac
`,
  // Each call takes the next line of $STUB_DIR/disk (the last one stays) as the root volume's usage.
  df: `
f="$STUB_DIR/disk"
used="$(head -n 1 "$f")"
if [ "$(wc -l <"$f")" -gt 1 ]; then sed -i 1d "$f"; fi
printf 'Filesystem 1024-blocks Used Available Capacity Mounted on\n/dev/root 1000 %s 0 %s%% /\n' "$used" "$used"
`,
  docker: `
:
`,
  pgrep: `
[ -f "$STUB_DIR/job-running" ]
`,
  iptables: `
case "$1" in
  -C) [ -f "$STUB_DIR/iptables-rule" ] ;;
  -I) printf '%s\\n' "\${*:2}" >"$STUB_DIR/iptables-rule" ;;
  *) exit 2 ;;
esac
`,
  systemctl: `
case "$1" in
  is-active) [ -f "$STUB_DIR/active-\${*: -1}" ] ;;
  stop) for u in "\${@:2}"; do rm -f "$STUB_DIR/active-$u"; done ;;
  show) if [ -f "$STUB_DIR/active-\${*: -1}" ]; then echo active; else echo inactive; fi ;;
  list-jobs) cat "$STUB_DIR/jobs" 2>/dev/null || true ;;
  daemon-reload) ;;
  *) exit 1 ;;
esac
`,
};

const TOKENS: Record<Answers["registrationMode"], string> = {
  "authentication-token": "glrt-t3_S3cr3tAuthTok3nValue",
  "registration-token": "GR1348941S3cr3tLegacyTok3n",
};
const FORBIDDEN_WITH_AUTH_TOKEN = [
  "--tag-list",
  "--run-untagged",
  "--locked",
  "--access-level",
  "--maximum-timeout",
  "--paused",
  "--maintenance-note",
];

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  calls: string[][];
}

class Host {
  readonly dir = mkdtempSync(join(tmpdir(), "glra-ami-host-"));
  readonly root = join(this.dir, "root");
  readonly stubs = join(this.dir, "stubs");
  readonly bin = join(this.dir, "bin");
  readonly log = join(this.dir, "calls.jsonl");
  readonly token: string;
  private outputs: string[] = [];

  constructor(
    readonly tree: string,
    readonly answers: Answers,
    readonly pool: PoolView = poolViews(answers)[0],
  ) {
    this.token = TOKENS[answers.registrationMode];
    for (const d of [this.root, this.stubs, this.bin]) mkdirSync(d, { recursive: true });
    for (const [name, body] of Object.entries(STUBS)) {
      writeFileSync(join(this.bin, name), STUB_PREAMBLE + body);
      chmodSync(join(this.bin, name), 0o755);
    }
    this.writeRuntimeConfig(runtimeConfig(answers, pool));
  }

  writeRuntimeConfig(config: object) {
    mkdirSync(join(this.root, "etc/gitlab-runner-aws"), { recursive: true });
    writeFileSync(this.path("/etc/gitlab-runner-aws/runner.json"), JSON.stringify(config));
  }

  path(p: string) {
    return join(this.root, p);
  }

  stub(name: string, contents: string) {
    writeFileSync(join(this.stubs, name), contents);
  }

  stubExists(name: string) {
    return existsSync(join(this.stubs, name));
  }

  run(script: string, env: Record<string, string> = {}, args: string[] = []): Run {
    writeFileSync(this.log, "");
    const r = spawnSync("bash", [join(this.tree, "files/libexec", script), ...args], {
      encoding: "utf8",
      timeout: 20_000,
      env: {
        PATH: `${this.bin}:/usr/bin:/bin`,
        GITLAB_RUNNER_AWS_ROOT: this.root,
        GITLAB_RUNNER_AWS_RETRIES: "3",
        GITLAB_RUNNER_AWS_RETRY_DELAY: "0",
        GITLAB_RUNNER_AWS_POLL_SECONDS: "0",
        STUB_LOG: this.log,
        STUB_DIR: this.stubs,
        STUB_TOKEN: this.token,
        STUB_REGION: this.answers.awsRegion,
        ...env,
      },
    });
    this.outputs.push(r.stdout, r.stderr);
    const calls = readFileSync(this.log, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as string[] | { env: Record<string, string> })
      .map((c) => (Array.isArray(c) ? c : ["env", c.env.CI_SERVER_TOKEN, c.env.REGISTRATION_TOKEN]));
    return { status: r.status, stdout: r.stdout, stderr: r.stderr, calls };
  }

  /** Every file under the host's directory and every output so far, with the token's occurrences. */
  tokenLeaks(): string[] {
    const leaks = this.outputs.filter((o) => o.includes(this.token)).map(() => "stdout/stderr");
    const walk = (d: string) => {
      for (const e of readdirSync(d)) {
        const p = join(d, e);
        if (statSync(p).isDirectory()) walk(p);
        else if (readFileSync(p, "utf8").includes(this.token)) leaks.push(p);
      }
    };
    walk(this.dir);
    return leaks;
  }
}

const registerCalls = (r: Run) => r.calls.filter((c) => c[0] === "gitlab-runner" && c[1] === "register");
const flagValue = (args: string[], flag: string) => {
  const i = args.indexOf(flag);
  return i < 0 ? undefined : args[i + 1];
};
/** key = value lines of the TOML the scripts write; values are JSON-compatible literals. */
const tomlValues = (text: string) =>
  Object.fromEntries(
    text
      .split("\n")
      .map((l) => /^\s*([a-z_]+) = (.*)$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1], JSON.parse(m[2]) as unknown]),
  );

// The scripts are the same for every pool of an image: an instance of the three-pool image's
// shell-deploy pool (not the first, not named default) gets only its own runtime config.
const examples = [
  { file: "answers.yaml", pool: "default", label: "AL2023/x86_64/docker/authentication token/jobs" },
  {
    file: "ubuntu-arm64-shell-legacy.yaml",
    pool: "default",
    label: "Ubuntu/arm64/shell/legacy registration token/cpu",
  },
  { file: "three-pools.yaml", pool: "shell-deploy", label: "AL2023/x86_64/shell/authentication token/no scaling" },
];

describe.each(examples)("hook scripts of $file, pool $pool ($label)", ({ file, pool: poolName }) => {
  const answers = exampleAnswers(file);
  const pool = poolViews(answers).find((p) => p.name === poolName)!;
  const config = runtimeConfig(answers, pool);
  let tree: string;
  const hosts: Host[] = [];
  const host = () => {
    const h = new Host(tree, answers, pool);
    hosts.push(h);
    return h;
  };

  beforeAll(() => {
    requireTool("jq");
    requireTool("bash");
    tree = writeTree(renderAnswers(answers));
  });
  afterAll(() => {
    for (const h of hosts) rmSync(h.dir, { recursive: true, force: true });
    rmSync(tree, { recursive: true, force: true });
  });

  it("registers exactly once on first start, with the flags of its registration mode", () => {
    const h = host();
    const r = h.run("register.sh");
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.status).toBe(0);
    const calls = registerCalls(r);
    expect(calls).toHaveLength(1);
    const args = calls[0].slice(1);
    expect(args).toContain("--non-interactive");
    expect(flagValue(args, "--url")).toBe(answers.gitlabUrl);
    expect(flagValue(args, "--name")).toBe(`${pool.runnerDescription} i-0abc123def4567890`);
    expect(flagValue(args, "--executor")).toBe(pool.executor);
    expect(flagValue(args, "--docker-image")).toBe(pool.executor === "docker" ? pool.dockerImage : undefined);
    expect(args.some((a) => a.startsWith("--token") || a.startsWith("--registration-token"))).toBe(false);
    const env = r.calls.find((c) => c[0] === "env")!;
    if (answers.registrationMode === "authentication-token") {
      expect(env.slice(1)).toEqual(["token", "unset"]);
      for (const f of FORBIDDEN_WITH_AUTH_TOKEN)
        expect(args.filter((a) => a === f || a.startsWith(`${f}=`))).toEqual([]);
    } else {
      expect(env.slice(1)).toEqual(["unset", "token"]);
      expect(flagValue(args, "--tag-list")?.split(",")).toEqual(pool.runnerTags);
      expect(args).toContain(`--run-untagged=${pool.runUntagged}`);
      expect(args).toContain(`--locked=${pool.runnerLocked}`);
    }

    // the SSM read went through the instance role: region from IMDSv2, decrypted
    const ssm = r.calls.find((c) => c[0] === "aws" && c[2] === "get-parameter")!;
    expect(flagValue(ssm, "--name")).toBe(pool.tokenSsmParameter);
    expect(flagValue(ssm, "--region")).toBe(answers.awsRegion);
    expect(ssm).toContain("--with-decryption");

    const globals = tomlValues(readFileSync(join(h.stubs, "config-before-register.toml"), "utf8"));
    expect(globals.concurrent).toBe(pool.concurrent);
    expect(globals.listen_address).toBe(pool.scalingPolicy === "jobs" ? "127.0.0.1:9252" : undefined);
    const template = readFileSync(join(h.stubs, "template.toml"), "utf8");
    expect(template.match(/^\[\[runners\]\]$/gm)).toHaveLength(1);
    expect(tomlValues(template).limit).toBe(pool.concurrent);
    expect(tomlValues(template).privileged).toBe(pool.executor === "docker" ? pool.dockerPrivileged : undefined);
    // the shared cache: S3 with the instance role's credentials, no keys
    const cache = /^  \[runners\.cache\]\n((?: {4}.*\n?)*)/m.exec(template)?.[1];
    if (config.cache_s3_bucket) {
      expect(cache?.split("\n").filter(Boolean)).toEqual([
        '    Type = "s3"',
        "    Shared = true",
        "    [runners.cache.s3]",
        `      BucketName = ${JSON.stringify(config.cache_s3_bucket)}`,
        `      BucketLocation = ${JSON.stringify(answers.awsRegion)}`,
        '      AuthenticationType = "iam"',
      ]);
    } else expect(cache).toBeUndefined();
    expect(template).not.toMatch(/AccessKey|SecretKey/);

    expect(readFileSync(h.path("/run/systemd/system/gitlab-runner.service.d/60-drain-timeout.conf"), "utf8")).toBe(
      `[Service]\nTimeoutStopSec=${pool.drainTimeoutSeconds}\n`,
    );
    expect(r.calls.filter((c) => c[0] === "systemctl")).toEqual([["systemctl", "daemon-reload"]]);
    expect(statSync(h.path("/etc/gitlab-runner/config.toml")).mode & 0o077).toBe(0);
    expect(h.tokenLeaks()).toEqual([]);
  });

  it("keeps the shell executor's jobs off the instance metadata service before registering, once per boot", () => {
    const h = host();
    const r = h.run("register.sh");
    expect(r.status).toBe(0);
    const iptables = r.calls.filter((c) => c[0] === "iptables");
    if (pool.executor !== "shell") {
      expect(iptables).toEqual([]);
      return;
    }
    const rule = ["OUTPUT", "-d", "169.254.169.254", "-m", "owner", "--uid-owner", "gitlab-runner", "-j", "REJECT"];
    expect(iptables).toEqual([
      ["iptables", "-C", ...rule],
      ["iptables", "-I", ...rule],
    ]);
    expect(r.calls.findIndex((c) => c[0] === "iptables")).toBeLessThan(
      r.calls.findIndex((c) => c[0] === "gitlab-runner"),
    );
    const again = h.run("register.sh");
    expect(again.calls.filter((c) => c[0] === "iptables")).toEqual([["iptables", "-C", ...rule]]);
  });

  it("does not register again on a restart or a second boot", () => {
    const h = host();
    expect(h.run("register.sh").status).toBe(0);
    const again = h.run("register.sh");
    expect(again.status).toBe(0);
    expect(registerCalls(again)).toEqual([]);
    expect(again.calls.some((c) => c[0] === "aws")).toBe(false);
    expect(readFileSync(h.path("/etc/gitlab-runner/config.toml"), "utf8").match(/^\[\[runners\]\]$/gm)).toHaveLength(1);
    expect(h.tokenLeaks()).toEqual([]);
  });

  it("stops gitlab-runner (drain) before unregistering, then completes the lifecycle action on scale-in", () => {
    const h = host();
    expect(h.run("register.sh").status).toBe(0);
    h.stub("active-gitlab-runner.service", "");
    h.stub("lifecycle", "Terminated\n");
    const r = h.run("unregister.sh");
    expect(r.status).toBe(0);
    const order = r.calls.map((c) => c.slice(0, 3).join(" "));
    const stop = order.indexOf("systemctl stop gitlab-runner.service");
    const unregister = order.findIndex((c) => c.startsWith("gitlab-runner unregister"));
    const complete = order.indexOf("aws autoscaling complete-lifecycle-action");
    expect(stop).toBeGreaterThanOrEqual(0);
    expect(unregister).toBeGreaterThan(stop);
    expect(complete).toBeGreaterThan(unregister);
    const c = r.calls[complete];
    expect(flagValue(c, "--auto-scaling-group-name")).toBe(config.asg_name);
    expect(flagValue(c, "--lifecycle-hook-name")).toBe(config.lifecycle_hook_name);
    expect(flagValue(c, "--instance-id")).toBe("i-0abc123def4567890");
    expect(flagValue(c, "--lifecycle-action-result")).toBe("CONTINUE");
    expect(r.calls.find((x) => x[1] === "unregister")).toContain("--all-runners");
    expect(readFileSync(h.path("/etc/gitlab-runner/config.toml"), "utf8")).not.toContain("[[runners]]");

    // the next boot of the same host registers again
    expect(registerCalls(h.run("register.sh"))).toHaveLength(1);
    expect(h.tokenLeaks()).toEqual([]);
  });

  it("on a plain stop or shutdown unregisters without a lifecycle action", () => {
    const h = host();
    expect(h.run("register.sh").status).toBe(0);
    h.stub("lifecycle", "InService\n");
    const r = h.run("unregister.sh");
    expect(r.status).toBe(0);
    expect(r.calls.filter((c) => c[1] === "unregister")).toHaveLength(1);
    expect(r.calls.some((c) => c[1] === "autoscaling")).toBe(false);
    // systemd already stopped gitlab-runner: nothing to stop here
    expect(r.calls.some((c) => c[0] === "systemctl" && c[1] === "stop")).toBe(false);
  });

  it("fails clearly on a missing SSM parameter and leaves no config.toml", () => {
    const h = host();
    h.stub(
      "ssm-error",
      `An error occurred (ParameterNotFound) when calling the GetParameter operation: Parameter ${pool.tokenSsmParameter} not found.\n`,
    );
    const r = h.run("register.sh");
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(pool.tokenSsmParameter);
    expect(r.stderr).toContain("ParameterNotFound");
    expect(r.calls.filter((c) => c[2] === "get-parameter")).toHaveLength(1);
    expect(registerCalls(r)).toEqual([]);
    expect(existsSync(h.path("/etc/gitlab-runner/config.toml"))).toBe(false);
  });

  it("retries a transient SSM error with backoff, and gives up after the last attempt", () => {
    const ok = host();
    ok.stub("ssm-transient", "2\n");
    const r = ok.run("register.sh");
    expect(r.status).toBe(0);
    expect(r.calls.filter((c) => c[2] === "get-parameter")).toHaveLength(3);
    expect(registerCalls(r)).toHaveLength(1);
    expect(ok.tokenLeaks()).toEqual([]);

    const down = host();
    down.stub("ssm-transient", "99\n");
    const d = down.run("register.sh");
    expect(d.status).not.toBe(0);
    expect(d.calls.filter((c) => c[2] === "get-parameter")).toHaveLength(3);
    expect(existsSync(down.path("/etc/gitlab-runner/config.toml"))).toBe(false);
  });

  it("leaves no config.toml when gitlab-runner register fails", () => {
    const h = host();
    h.stub("register-fail", "");
    const r = h.run("register.sh");
    expect(r.status).not.toBe(0);
    expect(existsSync(h.path("/etc/gitlab-runner/config.toml"))).toBe(false);
    expect(h.tokenLeaks()).toEqual([]);
  });

  it("fails clearly without the runtime configuration, before touching SSM", () => {
    const h = host();
    rmSync(h.path("/etc/gitlab-runner-aws/runner.json"));
    const r = h.run("register.sh");
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("/etc/gitlab-runner-aws/runner.json is missing");
    expect(r.calls).toEqual([]);

    const partial = host();
    const { concurrent: _dropped, ...rest } = config;
    partial.writeRuntimeConfig({ ...rest, locked: "yes" });
    const p = partial.run("register.sh");
    expect(p.status).not.toBe(0);
    expect(p.stderr).toContain("concurrent must be a number, got null");
    expect(p.stderr).toContain("locked must be a boolean, got string");
    expect(p.calls).toEqual([]);
  });

  it("the lifecycle watcher stops the runner unit once the instance is terminating (its ExecStop drains, unregisters, completes)", () => {
    const h = host();
    h.stub("active-gitlab-runner-aws.service", "");
    h.stub("lifecycle", "InService\nInService\nTerminated\n");
    const r = h.run("lifecycle-watch.sh");
    expect(r.status).toBe(0);
    const polls = r.calls.filter((c) => c[0] === "curl" && c.at(-1)!.endsWith("/autoscaling/target-lifecycle-state"));
    expect(polls).toHaveLength(3);
    expect(r.calls.filter((c) => c[0] === "systemctl")).toEqual([
      ["systemctl", "show", "-P", "ActiveState", "gitlab-runner-aws.service"],
      ["systemctl", "is-active", "--quiet", "gitlab-runner-aws.service"],
      // queued, so that a Spot interruption notice during the drain is still acted on
      ["systemctl", "stop", "--no-block", "gitlab-runner-aws.service"],
      // ... until the stop has ended
      ["systemctl", "show", "-P", "ActiveState", "gitlab-runner-aws.service"],
    ]);
    // register.sh (if still retrying) and unregister.sh see that the instance is leaving
    expect(existsSync(h.path("/run/gitlab-runner-aws/leaving"))).toBe(true);
    expect(r.calls.filter((c) => c[0] === "aws")).toEqual([]);
  });

  it("on a Spot interruption notice the watcher stops gitlab-runner (no new jobs) at once, then unregisters, even during a drain", () => {
    for (const duringDrain of [false, true]) {
      const h = host();
      expect(h.run("register.sh").status).toBe(0);
      h.stub("active-gitlab-runner-aws.service", "");
      h.stub("active-gitlab-runner.service", "");
      const reclaim = new Date(Date.now() + 120_000).toISOString().replace(/\.\d+Z$/, "Z");
      h.stub("spot", JSON.stringify({ action: "terminate", time: reclaim }));
      // during a drain: the group terminates first (the stop is queued), the notice comes at the next poll
      if (duringDrain) {
        h.stub("lifecycle", "Terminated\n");
        h.stub("spot-later", "1\n");
      }
      const r = h.run("lifecycle-watch.sh");
      expect(r.status, r.stderr).toBe(0);
      const steps = r.calls
        .filter((c) => (c[0] === "systemctl" && c[1] === "stop") || (c[0] === "gitlab-runner" && c[1] === "unregister"))
        .map((c) => c.slice(0, c[0] === "systemctl" ? 4 : 2).join(" "));
      expect(steps).toEqual([
        ...(duringDrain ? ["systemctl stop --no-block gitlab-runner-aws.service"] : []),
        "systemctl stop --no-block gitlab-runner.service",
        "gitlab-runner unregister",
      ]);
      expect(r.stderr).toContain(`Spot interruption notice`);
      expect(readFileSync(h.path("/etc/gitlab-runner/config.toml"), "utf8")).not.toMatch(/^\[\[runners\]\]/m);
      // register.sh (if still retrying) and a later ExecStop see why the instance is leaving
      expect(readFileSync(h.path("/run/gitlab-runner-aws/leaving"), "utf8")).toBe("EC2 reclaims this Spot instance\n");
      // the notice is read with an IMDSv2 token, like every metadata read
      const notice = r.calls.filter((c) => c[0] === "curl" && c.at(-1)!.endsWith("/spot/instance-action"));
      expect(notice.length).toBeGreaterThan(0);
      for (const c of notice) expect(c).toContain("X-aws-ec2-metadata-token: imds-session-token");
    }
  });

  it("when registration failed (the unit is not active, so systemd runs no ExecStop), the watcher completes the lifecycle action itself", () => {
    const h = host();
    h.stub("ssm-error", "An error occurred (ParameterNotFound) when calling the GetParameter operation: \n");
    expect(h.run("register.sh").status).not.toBe(0);
    h.stub("lifecycle", "Terminated\n");
    const r = h.run("lifecycle-watch.sh");
    expect(r.status).toBe(0);
    expect(r.calls.filter((c) => c[0] === "gitlab-runner")).toEqual([]);
    const complete = r.calls.filter((c) => c[0] === "aws" && c[1] === "autoscaling");
    expect(complete).toHaveLength(1);
    expect(flagValue(complete[0], "--lifecycle-hook-name")).toBe(config.lifecycle_hook_name);
    expect(flagValue(complete[0], "--lifecycle-action-result")).toBe("CONTINUE");
  });

  it("retries gitlab-runner register with backoff, then completes the launch action and tags the instance with its system_id", () => {
    const h = host();
    h.stub("register-fail", "2\n");
    const r = h.run("register.sh");
    expect(r.status, r.stderr).toBe(0);
    expect(registerCalls(r)).toHaveLength(3);
    expect(r.stderr).toContain("gitlab-runner register failed (attempt 1 of 3)");
    expect(readFileSync(h.path("/etc/gitlab-runner/config.toml"), "utf8").match(/^\[\[runners\]\]$/gm)).toHaveLength(1);
    const tags = r.calls.filter((c) => c[0] === "aws" && c[2] === "create-tags");
    expect(tags).toHaveLength(1);
    expect(flagValue(tags[0], "--resources")).toBe("i-0abc123def4567890");
    expect(flagValue(tags[0], "--tags")).toBe("Key=GitLabRunnerSystemId,Value=s_0123456789ab");
    expect(r.stderr).toMatch(/instance i-0abc123def4567890 is runner manager s_0123456789ab/);
    const launch = r.calls.filter((c) => c[2] === "complete-lifecycle-action");
    expect(launch).toHaveLength(1);
    expect(flagValue(launch[0], "--lifecycle-hook-name")).toBe(config.launch_lifecycle_hook_name);
    expect(flagValue(launch[0], "--lifecycle-action-result")).toBe("CONTINUE");
    // automatic token rotation is off in the runner's configuration
    expect(readFileSync(join(h.stubs, "template.toml"), "utf8")).toMatch(
      /^ {2}\[runners\.feature_flags\]\n {4}FF_DISABLE_AUTOMATIC_TOKEN_ROTATION = true$/m,
    );
    // a restart completes no launch action again
    const again = h.run("register.sh");
    expect(again.calls.filter((c) => c[0] === "aws")).toEqual([]);
    // but a restart that came between registering and completing it does (IMDS shows no Pending:Wait, so the script remembers)
    rmSync(h.path("/var/lib/gitlab-runner-aws/launch-completed"));
    const resumed = h.run("register.sh");
    expect(registerCalls(resumed)).toEqual([]);
    expect(
      resumed.calls
        .filter((c) => c[2] === "complete-lifecycle-action")
        .map((c) => flagValue(c, "--lifecycle-action-result")),
    ).toEqual(["CONTINUE"]);
    expect(h.tokenLeaks()).toEqual([]);
  });

  it("after the last failed registration abandons the launch action, or marks the instance Unhealthy where no launch hook is pending", () => {
    const h = host();
    h.stub("register-fail", "");
    const r = h.run("register.sh");
    expect(r.status).not.toBe(0);
    expect(registerCalls(r)).toHaveLength(3);
    const complete = r.calls.filter((c) => c[2] === "complete-lifecycle-action");
    expect(
      complete.map((c) => [flagValue(c, "--lifecycle-hook-name"), flagValue(c, "--lifecycle-action-result")]),
    ).toEqual([[config.launch_lifecycle_hook_name, "ABANDON"]]);
    expect(r.calls.some((c) => c[2] === "set-instance-health")).toBe(false);

    const nohook = host();
    nohook.stub("register-fail", "");
    nohook.stub("no-launch-hook", "");
    const n = nohook.run("register.sh");
    expect(n.status).not.toBe(0);
    const health = n.calls.filter((c) => c[2] === "set-instance-health");
    expect(health).toHaveLength(1);
    expect(flagValue(health[0], "--instance-id")).toBe("i-0abc123def4567890");
    expect(flagValue(health[0], "--health-status")).toBe("Unhealthy");
    expect(health[0]).toContain("--no-should-respect-grace-period");
  });

  it("retries AccessDenied on the token (IAM propagates for a while after the first apply) and logs it", () => {
    const h = host();
    h.stub("ssm-transient", "2\n");
    const r = h.run("register.sh", {
      STUB_SSM_ERROR: "AccessDeniedException",
      STUB_SSM_MESSAGE:
        "User: arn:aws:sts::123456789012:assumed-role/x/i-0abc is not authorized to perform: ssm:GetParameter",
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.calls.filter((c) => c[2] === "get-parameter")).toHaveLength(3);
    expect(r.stderr).toContain("access denied (the instance role may not have propagated yet)");
    expect(registerCalls(r)).toHaveLength(1);
  });

  it("unregisters on a stop only when the host leaves: poweroff or halt, or termination; not on a reboot or a unit restart", () => {
    const cases: [string, string, boolean][] = [
      ["no shutdown job (systemctl stop or restart)", "", false],
      ["reboot", "  312 reboot.target start waiting\n", false],
      ["kexec", "  312 kexec.target start waiting\n", false],
      ["poweroff", "  311 systemd-poweroff.service start waiting\n  312 poweroff.target start waiting\n", true],
      ["halt", "  312 halt.target start waiting\n", true],
    ];
    for (const [label, jobs, leaves] of cases) {
      const h = host();
      expect(h.run("register.sh").status).toBe(0);
      h.stub("jobs", jobs);
      h.stub("lifecycle", "InService\n");
      const r = h.run("unregister.sh", {}, ["--on-stop"]);
      expect(r.status, label).toBe(0);
      expect(r.calls.filter((c) => c[1] === "unregister").length, label).toBe(leaves ? 1 : 0);
      expect(readFileSync(h.path("/etc/gitlab-runner/config.toml"), "utf8").includes("[[runners]]"), label).toBe(
        !leaves,
      );
    }
    const t = host();
    expect(t.run("register.sh").status).toBe(0);
    t.stub("lifecycle", "Terminated\n");
    const r = t.run("unregister.sh", {}, ["--on-stop"]);
    expect(r.calls.filter((c) => c[1] === "unregister")).toHaveLength(1);
  });

  it("counts an unregister that leaves the runner in config.toml (gitlab-runner's exit 0 on an API failure) as failed: retries, then says so loudly", () => {
    const h = host();
    expect(h.run("register.sh").status).toBe(0);
    h.stub("unregister-api-fails", "");
    h.stub("lifecycle", "Terminated\n");
    const r = h.run("unregister.sh");
    expect(r.status).toBe(1);
    expect(r.calls.filter((c) => c[1] === "unregister")).toHaveLength(3);
    expect(r.stderr).toContain("ERROR: could not unregister runner manager s_0123456789ab");
    // the lifecycle action still completes: the instance goes, the stale manager is cleaned in GitLab
    expect(r.calls.filter((c) => c[2] === "complete-lifecycle-action")).toHaveLength(1);
  });

  it("publishes busy job slots as a percentage of concurrent, with job-based scaling only", () => {
    // The image has the publisher when some pool scales on busy slots; an instance of another pool publishes nothing.
    const imageHasIt = poolViews(answers).some((p) => p.scalingPolicy === "jobs");
    expect(existsSync(join(tree, "files/libexec/publish-metrics.sh"))).toBe(imageHasIt);
    expect(existsSync(join(tree, "files/systemd/gitlab-runner-aws-metrics.timer"))).toBe(imageHasIt);
    if (pool.scalingPolicy !== "jobs") {
      if (!imageHasIt) return;
      const h = host();
      h.stub("active-gitlab-runner.service", "");
      const r = h.run("publish-metrics.sh");
      expect(r.status).toBe(0);
      expect(config.metrics_enabled).toBe(false);
      expect(r.calls.filter((c) => c[0] === "aws" || c[0] === "curl")).toEqual([]);
      return;
    }
    const h = host();
    h.stub("active-gitlab-runner.service", "");
    h.stub(
      "metrics",
      [
        "# HELP gitlab_runner_jobs The current number of running builds.",
        "# TYPE gitlab_runner_jobs gauge",
        'gitlab_runner_jobs{executor_stage="docker_run",runner="abc",stage="step_script",state="running",system_id="s_1"} 2',
        'gitlab_runner_jobs{executor_stage="docker_pull",runner="abc",stage="prepare",state="running",system_id="s_1"} 1',
        'gitlab_runner_jobs_total{runner="abc",system_id="s_1"} 57',
        "gitlab_runner_concurrent 4",
        "",
      ].join("\n"),
    );
    const r = h.run("publish-metrics.sh");
    expect(r.status).toBe(0);
    const put = r.calls.find((c) => c[0] === "aws" && c[1] === "cloudwatch")!;
    expect(flagValue(put, "--namespace")).toBe(config.metrics_namespace);
    expect(flagValue(put, "--metric-name")).toBe(config.metric_name);
    expect(flagValue(put, "--dimensions")).toBe(`${config.metric_dimension}=${config.asg_name}`);
    expect(flagValue(put, "--unit")).toBe("Percent");
    expect(flagValue(put, "--value")).toBe(String(Math.floor((3 * 100) / pool.concurrent)));

    const off = host();
    off.writeRuntimeConfig({ ...config, metrics_enabled: false });
    off.stub("active-gitlab-runner.service", "");
    const o = off.run("publish-metrics.sh");
    expect(o.status).toBe(0);
    expect(o.calls).toEqual([]);
  });

  const metricCalls = (r: Run, name: string) =>
    r.calls.filter((c) => c[0] === "aws" && c[2] === "put-metric-data" && flagValue(c, "--metric-name") === name);

  it("counts a registration that failed for good in RegistrationFailures, once, and a successful one not at all", () => {
    const h = host();
    h.stub("register-fail", "");
    const failed = metricCalls(h.run("register.sh"), config.registration_failure_metric);
    expect(failed).toHaveLength(1);
    expect(flagValue(failed[0], "--namespace")).toBe(config.metrics_namespace);
    expect(flagValue(failed[0], "--dimensions")).toBe(`${config.metric_dimension}=${config.asg_name}`);
    expect(flagValue(failed[0], "--value")).toBe("1");
    expect(metricCalls(host().run("register.sh"), config.registration_failure_metric)).toEqual([]);
  });

  it("counts a lifecycle action that timed out before the hooks completed it in LifecycleActionTimeouts", () => {
    // Termination: the drain and unregister outlasted the heartbeat.
    const late = host();
    expect(late.run("register.sh").status).toBe(0);
    late.stub("lifecycle", "Terminated\n");
    late.stub("hook-timed-out", "");
    const t = late.run("unregister.sh");
    expect(metricCalls(t, config.lifecycle_timeout_metric).map((c) => flagValue(c, "--value"))).toEqual(["1"]);
    expect(t.stderr).toMatch(/timed out/);
    const onTime = host();
    expect(onTime.run("register.sh").status).toBe(0);
    onTime.stub("lifecycle", "Terminated\n");
    expect(metricCalls(onTime.run("unregister.sh"), config.lifecycle_timeout_metric)).toEqual([]);
    // Launch: registered after the launch hook's heartbeat ran out (the group is terminating the instance) ...
    const slow = host();
    slow.stub("no-launch-hook", "");
    slow.stub("lifecycle", "Terminated\n");
    expect(metricCalls(slow.run("register.sh"), config.lifecycle_timeout_metric)).toHaveLength(1);
    // ... but a group without a launch hook (created by an older version) is no timeout.
    const nohook = host();
    nohook.stub("no-launch-hook", "");
    nohook.stub("lifecycle", "InService\n");
    expect(metricCalls(nohook.run("register.sh"), config.lifecycle_timeout_metric)).toEqual([]);
  });

  it("publishes the root volume's usage for the disk alarm, and prunes nothing below the threshold", () => {
    const h = host();
    h.stub("disk", `${config.disk_prune_threshold_percent - 1}\n`);
    const r = h.run("prune-disk.sh");
    expect(r.status, r.stderr).toBe(0);
    expect(r.calls.filter((c) => c[0] === "docker" || c[0] === "clear-docker-cache")).toEqual([]);
    const [put, ...more] = metricCalls(r, config.disk_metric_name);
    expect(more).toEqual([]);
    expect(flagValue(put, "--value")).toBe(String(config.disk_prune_threshold_percent - 1));
    expect(flagValue(put, "--unit")).toBe("Percent");
    expect(flagValue(put, "--dimensions")).toBe(`${config.metric_dimension}=${config.asg_name}`);
  });

  it("above the threshold removes only what no running job uses, then publishes the usage after pruning", () => {
    const h = host();
    h.stub("disk", `${config.disk_prune_threshold_percent}\n42\n`);
    if (pool.executor === "docker") {
      const clear = h.path("/usr/share/gitlab-runner/clear-docker-cache");
      mkdirSync(join(clear, ".."), { recursive: true });
      writeFileSync(clear, `${STUB_PREAMBLE}:\n`);
      chmodSync(clear, 0o755);
      const r = h.run("prune-disk.sh");
      expect(r.status, r.stderr).toBe(0);
      // gitlab-runner's own cleanup first, then docker's prunes, which never touch a running container or what it uses.
      expect(r.calls.filter((c) => c[0] === "docker" || c[0] === "clear-docker-cache").map((c) => c.join(" "))).toEqual(
        [
          "clear-docker-cache prune-volumes",
          "docker container prune --force --filter until=1h",
          "docker image prune --all --force --filter until=24h",
          "docker volume prune --all --force",
        ],
      );
      expect(metricCalls(r, config.disk_metric_name).map((c) => flagValue(c, "--value"))).toEqual(["42"]);
      return;
    }
    const old = h.path("/home/gitlab-runner/builds/t0ken/0/group/project");
    const fresh = h.path("/home/gitlab-runner/builds/t0ken/1/group/project");
    for (const d of [old, fresh]) {
      mkdirSync(d, { recursive: true });
      writeFileSync(join(d, "file"), "x");
    }
    const twoDaysAgo = new Date(Date.now() - 2 * 86400_000);
    for (const p of [join(old, "file"), old, join(old, ".."), join(old, "../..")])
      utimesSync(p, twoDaysAgo, twoDaysAgo);
    // While a job runs nothing is removed ...
    h.stub("job-running", "");
    expect(h.run("prune-disk.sh").status).toBe(0);
    expect(existsSync(old)).toBe(true);
    // ... otherwise the build directories untouched for a day go.
    rmSync(join(h.stubs, "job-running"));
    h.stub("disk", `${config.disk_prune_threshold_percent}\n42\n`);
    const r = h.run("prune-disk.sh");
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(h.path("/home/gitlab-runner/builds/t0ken/0"))).toBe(false);
    expect(existsSync(join(fresh, "file"))).toBe(true);
    expect(metricCalls(r, config.disk_metric_name).map((c) => flagValue(c, "--value"))).toEqual(["42"]);
  });
});

describe("hook scripts with hostile answers", () => {
  it("pass free text through as data: the runner name is the description, byte for byte", () => {
    requireTool("jq");
    const description = `Ops "runner" $(touch /tmp/pwned) ; \`id\` 'q' \\ ${"${HOME}"} — Zürich %s`;
    const answers = withPool(exampleAnswers("ubuntu-arm64-shell-legacy.yaml"), {
      runnerDescription: description,
    }) as unknown as Answers;
    const tree = writeTree(renderAnswers(answers));
    const h = new Host(tree, answers);
    try {
      const r = h.run("register.sh");
      expect(r.status).toBe(0);
      const args = registerCalls(r)[0];
      expect(flagValue(args, "--name")).toBe(`${description} i-0abc123def4567890`);
      expect(r.stderr).toContain(description);
      expect(existsSync("/tmp/pwned")).toBe(false);
    } finally {
      rmSync(h.dir, { recursive: true, force: true });
      rmSync(tree, { recursive: true, force: true });
    }
  });
});

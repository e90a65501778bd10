import { readFileSync } from "node:fs";
import { join } from "node:path";
import { amiContext } from "../../src/core/context/ami.js";
import { packageRoot } from "../../src/core/package-root.js";
import type { Answers } from "../../src/core/types.js";
import { runtimeConfig } from "../fixtures/ami/runtime-config.js";
import { type Event, Machine, type Suite, rootfsTarball } from "./nspawn.js";
import { exampleAnswers, renderAnswers, writeTree } from "./tools.js";

/**
 * The generated AMI, baked the way Packer bakes it: the real provision.sh runs
 * in a booted container, with only package downloads and installs stubbed
 * (test/fixtures/boot). The powered-off disk is the image; every scenario
 * boots a copy of it as a new instance, with the runtime configuration the
 * launch template's cloud-init would write.
 */

const FAKE = join(packageRoot, "test/fixtures/boot");
export const TOKENS: Record<Answers["registrationMode"], string> = {
  "authentication-token": "glrt-t3_S3cr3tAuthTok3nValue",
  "registration-token": "GR1348941S3cr3tLegacyTok3n",
};
const OS_RELEASE: Record<Answers["baseOs"], string> = {
  al2023: 'NAME="Amazon Linux"\nVERSION="2023"\nID="amzn"\nVERSION_ID="2023"\nPRETTY_NAME="Amazon Linux 2023 (fake)"\n',
  "ubuntu-24.04":
    'NAME="Ubuntu"\nVERSION="24.04 LTS (Noble Numbat)"\nID=ubuntu\nVERSION_ID="24.04"\nPRETTY_NAME="Ubuntu 24.04 LTS (fake)"\n',
};

export interface Image {
  suite: Suite;
  file: string;
  answers: Answers;
  machine: Machine;
  /** The provision.sh run: its timeline and output. */
  provision: { timeline: Event[]; output: string };
}

/** Packer's environment for provision.sh, from the generated packer-build.json. */
function packerEnv(tree: string): Record<string, string> {
  const t = JSON.parse(readFileSync(join(tree, "packer-build.json"), "utf8")) as {
    variables: Record<string, string>;
    provisioners: { type: string; environment_vars?: string[] }[];
  };
  const shell = t.provisioners.find((p) => p.type === "shell" && p.environment_vars)!;
  return Object.fromEntries(
    shell.environment_vars!.map((v) => {
      const i = v.indexOf("=");
      return [v.slice(0, i), v.slice(i + 1).replace(/\{\{user `([a-z_]+)`\}\}/g, (_, k: string) => t.variables[k])];
    }),
  );
}

export async function bake(suite: Suite, file: string): Promise<Image> {
  await acquire();
  try {
    return await bakeNow(suite, file);
  } finally {
    release();
  }
}

async function bakeNow(suite: Suite, file: string): Promise<Image> {
  const answers = exampleAnswers(file);
  const tree = writeTree(renderAnswers(answers));
  const m = await Machine.fromTarball(await rootfsTarball(suite));
  m.copyIn(FAKE, "/opt/fake");
  // a persistent journal, for the failure messages
  m.write("/var/log/journal/.keep", "");
  m.write("/opt/fake/os-release", OS_RELEASE[answers.baseOs]);
  m.write("/opt/fake/gitlab-runner-version", `${answers.gitlabRunnerVersion}\n`);
  const env = packerEnv(tree);
  m.write("/opt/fake/aws-cli-version", `${env.AWS_CLI_VERSION}\n`);
  m.write("/opt/fake/cloudwatch-agent-version", `${env.CLOUDWATCH_AGENT_VERSION}\n`);
  m.write("/opt/fake/cloudwatch-agent-signer", `${amiContext(answers).cloudwatchAgentKeyFingerprint}\n`);
  // The test world outside the machine: IMDS, the token in SSM.
  m.write("/etc/systemd/system/fake-imds.service", readFileSync(join(FAKE, "units/fake-imds.service"), "utf8"));
  m.write("/var/lib/fake/region", `${answers.awsRegion}\n`);
  m.write("/var/lib/fake/token", `${TOKENS[answers.registrationMode]}\n`);
  m.write("/var/lib/fake/launch-hook", `${runtimeConfig(answers).launch_lifecycle_hook_name}\n`);
  m.copyIn(join(tree, "files"), "/var/tmp/upload/files");
  m.copyIn(join(tree, "provision.sh"), "/var/tmp/upload/provision.sh");
  await m.boot();
  try {
    await m.sh("systemctl enable --now fake-imds.service");
    // Packer's file provisioner uploads files/ to FILES_DIR on the running build instance.
    await m.sh(`rm -rf ${env.FILES_DIR} && cp -a /var/tmp/upload/files ${env.FILES_DIR} && rm -f /var/log/timeline`);
    // This machine is x86_64: the arm64 example's provision.sh checks the build instance it runs on.
    const vars = { ...env, ARCHITECTURE: "x86_64" };
    const assignments = Object.entries(vars)
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join(" ");
    // The fake os-release only for provision.sh (a private mount namespace); the stubbed package tools first on PATH.
    const r = await m.exec(
      `unshare -m /bin/bash -c 'mount --bind /opt/fake/os-release /etc/os-release && exec env PATH=/opt/fake/provision-bin:$PATH ${assignments.replace(/'/g, "'\\''")} bash /var/tmp/upload/provision.sh'`,
      300_000,
    );
    const output = `${r.stdout}${r.stderr}`;
    if (r.status !== 0) throw new Error(`provision.sh failed (${r.status}):\n${output}`);
    const timeline = m.timeline();
    await m.sh("rm -f /var/log/timeline");
    const code = await m.poweroff();
    if (code !== 0) throw new Error(`poweroff after provisioning: exit ${code}`);
    return { suite, file, answers, machine: m, provision: { timeline, output } };
  } catch (e) {
    await m.destroy();
    throw e;
  }
}

export interface LaunchOptions {
  /** Overrides of the runtime configuration (drain_timeout_seconds, …). */
  config?: Record<string, unknown>;
  /** Files of the fake world (/var/lib/fake/…) and test drop-ins, by absolute path. */
  files?: Record<string, string>;
  retries?: number;
  retryDelay?: number;
}

/** A new instance of the image: its disk, the runtime configuration cloud-init writes, booted. */
export async function launch(image: Image, o: LaunchOptions = {}): Promise<Machine> {
  const m = await image.machine.clone();
  m.write("/etc/gitlab-runner-aws/runner.json", JSON.stringify({ ...runtimeConfig(image.answers), ...o.config }));
  const env = `[Service]\nEnvironment=GITLAB_RUNNER_AWS_RETRIES=${o.retries ?? 3} GITLAB_RUNNER_AWS_RETRY_DELAY=${o.retryDelay ?? 1} GITLAB_RUNNER_AWS_POLL_SECONDS=1\n`;
  m.write("/etc/systemd/system/gitlab-runner-aws.service.d/90-test-knobs.conf", env);
  m.write("/etc/systemd/system/gitlab-runner-aws-lifecycle.service.d/90-test-knobs.conf", env);
  for (const [p, text] of Object.entries(o.files ?? {})) m.write(p, text);
  try {
    await m.boot();
  } catch (e) {
    await m.destroy();
    throw e;
  }
  return m;
}

/**
 * At most this many containers run at once (CI has 2 cores; they mostly wait
 * on sleeps, but many more slow every timeline down).
 */
const SLOTS = Number(process.env.GITLAB_RUNNER_AWS_BOOT_SLOTS ?? 4);
let free = SLOTS;
const waiting: (() => void)[] = [];
async function acquire(): Promise<void> {
  if (free > 0) {
    free--;
    return;
  }
  await new Promise<void>((resolve) => waiting.push(resolve));
}
function release(): void {
  const next = waiting.shift();
  if (next) next();
  else free++;
}

/** Runs a scenario on a new instance; a failure carries the instance's journal; the instance is removed after. */
export async function withInstance<T>(image: Image, o: LaunchOptions, fn: (m: Machine) => Promise<T>): Promise<T> {
  await acquire();
  try {
    const m = await launch(image, o);
    try {
      return await fn(m);
    } catch (e) {
      const journal = m.running
        ? (await m.exec("journalctl -b --no-pager -q -o short-monotonic -n 150")).stdout
        : m.journal();
      if (e instanceof Error) e.message += `\n--- journal of the instance ---\n${journal}`;
      throw e;
    } finally {
      await m.destroy();
    }
  } finally {
    release();
  }
}

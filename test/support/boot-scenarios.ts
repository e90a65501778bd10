import { existsSync, readlinkSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { poolViews } from "../../src/core/pools.js";
import { namesContext } from "../../src/core/context/names.js";
import { pins as ctxPins } from "../../src/core/pins.js";
import { runtimeConfig } from "../fixtures/ami/runtime-config.js";
import { type Image, type LaunchOptions, bake, withInstance } from "./boot-image.js";
import { type Event, type Machine, SYSTEMD_OF, type Suite, requireBootTools } from "./nspawn.js";

/**
 * The register → drain → unregister lifecycle of the generated AMI under a
 * real systemd, asserted on the timeline every stub writes (test/fixtures/boot).
 * Each check returns its violations, so that the controls (broken units) can
 * show that the same check fails.
 */

export const BOOT_EXAMPLES = [
  { file: "answers.yaml", label: "AL2023, docker executor, authentication token" },
  { file: "ubuntu-arm64-shell-legacy.yaml", label: "Ubuntu 24.04, shell executor, legacy registration token" },
];

const count = (tl: Event[], re: RegExp) => tl.filter((e) => re.test(e.event)).length;
const first = (tl: Event[], re: RegExp) => tl.findIndex((e) => re.test(e.event));
const last = (tl: Event[], re: RegExp) => tl.findLastIndex((e) => re.test(e.event));
const show = (tl: Event[]) => tl.map((e) => `${e.t.toFixed(2)} ${e.event}`).join("\n");
const has = (re: RegExp) => (tl: Event[]) => tl.some((e) => re.test(e.event));
const hasN = (re: RegExp, n: number) => (tl: Event[]) => count(tl, re) >= n;

export const drainHook = (image: Image) => runtimeConfig(image.answers).lifecycle_hook_name;
export const launchHook = (image: Image) => runtimeConfig(image.answers).launch_lifecycle_hook_name;
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const completeRe = (hook: string, result = "CONTINUE") =>
  new RegExp(`^aws complete-lifecycle-action ${esc(hook)} ${result} instance=`);

/**
 * The drain order from the moment a job runs: SIGQUIT (never SIGTERM), the job
 * completes, gitlab-runner exits, then (if expected) one unregister, then (if
 * expected) one completion of the terminating hook.
 */
export function drainViolations(
  all: Event[],
  o: { unregister: boolean; complete?: string; docker: boolean },
): string[] {
  const v: string[] = [];
  // from the last job on (earlier restarts drained an idle runner)
  const tl = all.slice(Math.max(0, last(all, /^job start/)));
  const job = first(tl, /^job start/);
  const quit = first(tl, /^run SIGQUIT$/);
  const done = first(tl, /^job done$/);
  const exit = last(tl, /^run exit$/);
  if (job < 0) v.push("no job ran");
  if (count(tl, /^run SIGTERM$/) > 0 || count(tl, /^job aborted$/) > 0)
    v.push("gitlab-runner got SIGTERM: the job was aborted");
  if (quit < 0 || quit < job) v.push("gitlab-runner got no SIGQUIT while the job ran");
  if (done < 0 || done < quit) v.push("the job did not complete after SIGQUIT");
  if (exit < 0 || exit < done) v.push("gitlab-runner did not exit after the job completed");
  const unregisters = tl.flatMap((e, i) => (/^unregister ok$/.test(e.event) ? [i] : []));
  if (o.unregister) {
    if (unregisters.length !== 1) v.push(`unregistered ${unregisters.length} times, expected once`);
    else if (unregisters[0] < exit || exit < 0) v.push("unregistered before gitlab-runner exited");
  } else if (unregisters.length) v.push("unregistered although the host stays");
  if (o.complete) {
    const completes = tl.flatMap((e, i) => (completeRe(o.complete!).test(e.event) ? [i] : []));
    if (completes.length !== 1)
      v.push(`completed the terminating lifecycle action ${completes.length} times, expected once`);
    else if (completes[0] < (unregisters[0] ?? Infinity)) v.push("completed the lifecycle action before unregistering");
  }
  if (o.docker) {
    const dockerStop = first(tl, /^dockerd stop$/);
    if (dockerStop >= 0 && dockerStop < exit) v.push("Docker stopped before the drain ended");
  }
  return v;
}

/**
 * The Spot interruption order: the notice is read, gitlab-runner gets SIGQUIT
 * (no new jobs; never SIGTERM) within a poll or two, the running job is left
 * alone, and the runner unregisters once, after waiting for the job until the
 * watcher's reserve before the reclaim time (`lead` seconds after the notice).
 */
export function spotViolations(tl: Event[], o: { lead: number }): string[] {
  const v: string[] = [];
  const notice = first(tl, /^imds spot\/instance-action served$/);
  const quit = first(tl, /^run SIGQUIT$/);
  const unregisters = tl.flatMap((e, i) => (/^unregister ok$/.test(e.event) ? [i] : []));
  if (notice < 0) return ["the interruption notice was never read"];
  if (quit < notice) v.push("gitlab-runner got no SIGQUIT after the notice");
  else if (tl[quit].t - tl[notice].t > 5)
    v.push(`gitlab-runner got SIGQUIT ${(tl[quit].t - tl[notice].t).toFixed(1)} s after the notice, not at once`);
  if (count(tl, /^run SIGTERM$/) > 0 || count(tl, /^job aborted$/) > 0)
    v.push("gitlab-runner got SIGTERM: the job was aborted");
  if (count(tl, /^job start/) !== 1)
    v.push(`${count(tl, /^job start/)} jobs started, expected the one running before the notice`);
  if (unregisters.length !== 1) v.push(`unregistered ${unregisters.length} times, expected once`);
  else {
    const at = tl[unregisters[0]].t - tl[notice].t;
    if (unregisters[0] < quit) v.push("unregistered before gitlab-runner was told to take no new jobs");
    if (at >= o.lead) v.push(`unregistered ${at.toFixed(1)} s after the notice, after the reclaim time (${o.lead} s)`);
    if (at < o.lead - 30 - 3)
      v.push(`unregistered ${at.toFixed(1)} s after the notice: did not let the running job go on until the reserve`);
  }
  if (count(tl, /^job done$/) > 0 && first(tl, /^job done$/) < (unregisters[0] ?? Infinity)) {
    v.push("the job finished before the unregister: the scenario proves nothing");
  }
  return v;
}

/** A job of `seconds` for the stub runner, and its start on the timeline. */
export async function runJob(m: Machine, seconds: number): Promise<void> {
  const before = count(m.timeline(), /^job start/);
  m.write("/var/lib/fake/job", `${seconds}\n`);
  await m.waitFor("the job to start", hasN(/^job start/, before + 1), 15_000);
}

/** Registered, and gitlab-runner started `runs` times. */
export async function up(m: Machine, runs = 1): Promise<Event[]> {
  const registered = /^aws complete-lifecycle-action \S+-launch CONTINUE /;
  return m.waitFor(
    `gitlab-runner to run (${runs})`,
    (tl) => has(registered)(tl) && hasN(/^run start$/, runs)(tl),
    60_000,
  );
}

/**
 * Powers the instance off with a job of `job` seconds running, the drain
 * timeout `drain`, and systemd's shutdown cap (JobTimeoutSec of poweroff.target,
 * 30 min on a real host) scaled down to `cap` seconds as a test drop-in that
 * the runtime one must override. Returns the timeline.
 */
export async function poweroffWithJob(
  image: Image,
  o: { job: number; drain: number; cap: number; files?: LaunchOptions["files"] },
): Promise<Event[]> {
  const files = {
    "/etc/systemd/system/poweroff.target.d/10-test-cap.conf": `[Unit]\nJobTimeoutSec=${o.cap}s\n`,
    ...o.files,
  };
  return withInstance(image, { config: { drain_timeout_seconds: o.drain }, files }, async (m) => {
    await up(m);
    await runJob(m, o.job);
    await m.poweroff(120_000);
    return m.timeline();
  });
}

/** Bakes the image before the enclosing describe's tests (handing it to onBaked) and destroys its machine after them. */
function bakeAround(suite: Suite, file: string, onBaked: (image: Image) => void): void {
  let image: Image | undefined;
  beforeAll(async () => {
    requireBootTools();
    image = await bake(suite, file);
    onBaked(image);
  }, 600_000);
  afterAll(async () => {
    await image?.machine.destroy();
  });
}

export function defineBootSuite(suite: Suite): void {
  describe.concurrent.each(BOOT_EXAMPLES)(
    `under systemd ${SYSTEMD_OF[suite]} (Debian ${suite}): $file ($label)`,
    ({ file }) => {
      let image!: Image;
      bakeAround(suite, file, (baked) => (image = baked));
      // The image has Docker when some pool uses it; each instance here is the first pool's.
      const docker = () => poolViews(image.answers).some((p) => p.executor === "docker");

      it("provision.sh bakes the image: pinned gitlab-runner, units enabled, no identity, no automatic upgrades", () => {
        const tl = image.provision.timeline;
        const m = image.machine;
        expect(
          count(tl, new RegExp(`package install gitlab-runner[=-]${esc(image.answers.gitlabRunnerVersion)}-1$`)),
        ).toBe(1);
        expect(count(tl, /^package install (docker|docker\.io)$/)).toBe(docker() ? 1 : 0);
        expect(m.read("/etc/machine-id")).toBe("");
        expect(existsSync(m.path("/etc/gitlab-runner/config.toml"))).toBe(false);
        for (const u of [
          "gitlab-runner.service",
          "gitlab-runner-aws.service",
          "gitlab-runner-aws-lifecycle.service",
          "gitlab-runner-aws-journal.service",
          "gitlab-runner-aws-logs.service",
        ]) {
          expect(readlinkSync(m.path(`/etc/systemd/system/multi-user.target.wants/${u}`)), u).toBe(
            `/etc/systemd/system/${u}`,
          );
        }
        expect(readlinkSync(m.path("/etc/systemd/system/timers.target.wants/gitlab-runner-aws-prune.timer"))).toBe(
          "/etc/systemd/system/gitlab-runner-aws-prune.timer",
        );
        // The pinned CloudWatch agent, installed only after its signature checked out against AWS's key.
        const pin = ctxPins.cloudwatchAgent;
        const pkg =
          image.answers.baseOs === "al2023"
            ? `amazon_linux/amd64/${pin}/amazon-cloudwatch-agent.rpm`
            : `ubuntu/amd64/${pin}/amazon-cloudwatch-agent.deb`;
        const fetched = first(tl, new RegExp(`^curl cloudwatch-agent ${esc(pkg)}$`));
        const signature = first(tl, new RegExp(`^curl cloudwatch-agent ${esc(pkg)}\\.sig$`));
        const verified = first(tl, /^gpg \S+package\.sig \S+amazon-cloudwatch-agent\.(rpm|deb)$/);
        const installed = first(tl, /^package install \S+\/amazon-cloudwatch-agent\.(rpm|deb)$/);
        expect(
          [fetched, signature, verified].every((i) => i >= 0 && i < installed),
          show(tl),
        ).toBe(true);
        expect(m.read("/opt/aws/amazon-cloudwatch-agent/bin/CWAGENT_VERSION").trim()).toBe(pin);
        expect(m.read("/etc/logrotate.d/gitlab-runner-aws")).toMatch(/^\/var\/log\/gitlab-runner-aws\/\*\.log \{$/m);
        // Job containers' logs are capped, with the docker executor.
        expect(m.read("/etc/docker/daemon.json") ? JSON.parse(m.read("/etc/docker/daemon.json")) : undefined).toEqual(
          docker() ? { "log-driver": "json-file", "log-opts": { "max-file": "3", "max-size": "10m" } } : undefined,
        );
        if (image.answers.baseOs === "ubuntu-24.04") {
          // unattended upgrades could restart dockerd under running jobs: off, the monthly rebuild brings updates
          for (const u of ["apt-daily.timer", "apt-daily-upgrade.timer", "unattended-upgrades.service"]) {
            expect(readlinkSync(m.path(`/etc/systemd/system/${u}`)), u).toBe("/dev/null");
          }
          expect(tl.some((e) => e.event === "apt-mark hold gitlab-runner gitlab-runner-helper-images")).toBe(true);
          expect(tl.some((e) => /^apt-mark hold docker\.io/.test(e.event))).toBe(docker());
        }
      });

      it("boot registers exactly once; restarting either unit and a reboot (which drains a running job) keep that registration", async () => {
        await withInstance(image, { config: { drain_timeout_seconds: 30 } }, async (m) => {
          let tl = await up(m);
          const mode = image.answers.registrationMode === "authentication-token" ? "authentication" : "registration";
          expect(
            count(
              tl,
              new RegExp(
                `^register ok token=${mode} executor=${poolViews(image.answers)[0].executor} rotation-disabled=on `,
              ),
            ),
            show(tl),
          ).toBe(1);
          const systemId = m.read("/etc/gitlab-runner/.runner_system_id").trim();
          expect(systemId).toMatch(/^s_/);
          expect(
            count(tl, new RegExp(`^aws create-tags i-0fake0000000000001 Key=GitLabRunnerSystemId,Value=${systemId}$`)),
            show(tl),
          ).toBe(1);
          expect(count(tl, completeRe(launchHook(image))), show(tl)).toBe(1);
          // Logs off the box: the agent ships the journal copy to the project's group, and the copy has the registration.
          const names = namesContext(image.answers);
          const agent = new RegExp(
            `^cloudwatch-agent -a fetch-config file=${esc(names.journalLogPath)} group=${esc(names.logGroupName)} stream=\\{instance_id\\}$`,
          );
          await m.waitFor("the CloudWatch agent to be configured", has(agent), 30_000);
          const copied = (re: RegExp) => (m.read(names.journalLogPath).match(re) ?? []).length;
          await m.sh(
            `timeout 30 sh -c 'until grep -q "is runner manager" ${names.journalLogPath}; do sleep 0.5; done'`,
          );

          await m.sh("systemctl restart gitlab-runner.service");
          await up(m, 2);
          await m.sh("systemctl restart gitlab-runner-aws.service");
          await up(m, 3);
          await runJob(m, 3);
          await m.reboot();
          tl = await up(m, 4);
          expect(count(tl, /^register/), show(tl)).toBe(1);
          expect(count(tl, /^aws ssm get-parameter/), show(tl)).toBe(1);
          expect(count(tl, /^unregister/), show(tl)).toBe(0);
          expect(count(tl, completeRe(launchHook(image))), show(tl)).toBe(1);
          // the reboot drained the job like any stop
          expect(drainViolations(tl, { unregister: false, docker: docker() }), show(tl)).toEqual([]);
          expect(m.read("/etc/gitlab-runner/config.toml").match(/^\[\[runners\]\]$/gm), show(tl)).toHaveLength(1);
          expect(m.read("/etc/gitlab-runner/.runner_system_id").trim()).toBe(systemId);
          // The copy resumes after the reboot where it stopped: the registration once, both later starts of the register unit.
          await m.sh(
            `timeout 30 sh -c 'until [ "$(grep -c "already has a runner" ${names.journalLogPath})" -ge 2 ]; do sleep 0.5; done'`,
          );
          expect(copied(/is runner manager/g), m.read(names.journalLogPath)).toBe(1);
          expect(copied(/already has a runner/g), m.read(names.journalLogPath)).toBe(2);
          tl = await m.waitFor("the CloudWatch agent to be configured again", hasN(agent, 2), 30_000);
          expect(count(tl, agent), show(tl)).toBe(2);
        });
      });

      it("poweroff with a job running longer than systemd's shutdown cap: SIGQUIT, the job completes, then unregister", async () => {
        const tl = await poweroffWithJob(image, { job: 6, drain: 20, cap: 3 });
        expect(drainViolations(tl, { unregister: true, docker: docker() }), show(tl)).toEqual([]);
        expect(count(tl, /^aws complete-lifecycle-action/), show(tl)).toBe(1); // the launch action only
      });

      it("the Auto Scaling Group terminates the instance while a job runs: drain, unregister, complete-lifecycle-action, once each in order", async () => {
        await withInstance(image, { config: { drain_timeout_seconds: 30 } }, async (m) => {
          await up(m);
          await runJob(m, 3);
          m.write("/var/lib/fake/lifecycle-state", "Terminated\n");
          let tl = await m.waitFor("the lifecycle action", has(completeRe(drainHook(image))), 60_000);
          expect(
            drainViolations(tl, { unregister: true, complete: drainHook(image), docker: docker() }),
            show(tl),
          ).toEqual([]);
          // the Auto Scaling Group then shuts the instance down: nothing happens twice
          await m.poweroff();
          tl = m.timeline();
          expect(count(tl, /^unregister/), show(tl)).toBe(1);
          expect(count(tl, completeRe(drainHook(image))), show(tl)).toBe(1);
        });
      });

      it("a Spot interruption notice while a job runs: no new jobs at once, then one unregister before the reclaim time", async () => {
        // the drain timeout is far beyond the notice's two minutes: only the notice's deadline may bound the wait
        await withInstance(image, { config: { drain_timeout_seconds: 600 } }, async (m) => {
          await up(m);
          // longer than the wait the notice allows (lead - 30 s), shorter than the poweroff below may take
          await runJob(m, 40);
          const lead = 45; // seconds from the notice to the reclaim time; the watcher keeps 30 for unregistering
          const reclaim = new Date(Date.now() + lead * 1000).toISOString().replace(/\.\d+Z$/, "Z");
          m.write("/var/lib/fake/spot-instance-action", JSON.stringify({ action: "terminate", time: reclaim }));
          let tl = await m.waitFor("the unregister", has(/^unregister/), 90_000);
          expect(spotViolations(tl, { lead }), show(tl)).toEqual([]);
          // the ASG's termination (after EC2's reclaim) or a poweroff repeats nothing
          m.write("/var/lib/fake/lifecycle-state", "Terminated\n");
          await m.poweroff();
          tl = m.timeline();
          expect(count(tl, /^unregister/), show(tl)).toBe(1);
          expect(count(tl, /^register ok/), show(tl)).toBe(1);
        });
      });

      it("a job that outlives the drain timeout is killed; the runner is unregistered and the lifecycle action completed anyway", async () => {
        const drain = 3;
        await withInstance(image, { config: { drain_timeout_seconds: drain } }, async (m) => {
          await up(m);
          await runJob(m, 120);
          m.write("/var/lib/fake/lifecycle-state", "Terminated\n");
          const tl = await m.waitFor("the lifecycle action", has(completeRe(drainHook(image))), 60_000);
          const quit = tl[first(tl, /^run SIGQUIT$/)];
          const unregister = tl[first(tl, /^unregister ok$/)];
          expect(quit, show(tl)).toBeDefined();
          expect(count(tl, /^job done$/), show(tl)).toBe(0);
          expect(count(tl, /^run exit$/), show(tl)).toBe(0); // SIGKILL at the drain timeout
          expect(unregister.t - quit.t, show(tl)).toBeGreaterThanOrEqual(drain - 0.1);
          expect(unregister.t - quit.t, show(tl)).toBeLessThan(drain + 15);
          expect(first(tl, completeRe(drainHook(image))), show(tl)).toBeGreaterThan(first(tl, /^unregister ok$/));
        });
      });

      it("registration fails: the launch lifecycle action is abandoned within the retry budget; a termination then completes at once", async () => {
        await withInstance(
          image,
          { files: { "/var/lib/fake/register-fail": "99\n" }, retries: 3, retryDelay: 1 },
          async (m) => {
            let tl = await m.waitFor(
              "the launch action to be abandoned",
              has(completeRe(launchHook(image), "ABANDON")),
              60_000,
            );
            expect(count(tl, /^register failed/), show(tl)).toBe(3);
            expect(count(tl, /^run start$/), show(tl)).toBe(0);
            expect(count(tl, /^aws set-instance-health/), show(tl)).toBe(0);
            let state = "";
            for (let i = 0; i < 50 && state !== "failed"; i++) {
              state = (await m.exec("systemctl is-failed gitlab-runner-aws.service")).stdout.trim();
              if (state !== "failed") await new Promise((r) => setTimeout(r, 200));
            }
            expect(state).toBe("failed");
            m.write("/var/lib/fake/lifecycle-state", "Terminated\n");
            const flipped = Date.now();
            tl = await m.waitFor("the terminating lifecycle action", has(completeRe(drainHook(image))), 30_000);
            expect(Date.now() - flipped).toBeLessThan(30_000);
            expect(count(tl, /^unregister/), show(tl)).toBe(0);
          },
        );
      });

      it("registration fails without a launch hook in place: the instance marks itself Unhealthy", async () => {
        const files = { "/var/lib/fake/register-fail": "99\n", "/var/lib/fake/no-launch-hook": "" };
        await withInstance(image, { files, retries: 2, retryDelay: 1 }, async (m) => {
          const tl = await m.waitFor("set-instance-health", has(/^aws set-instance-health/), 60_000);
          expect(
            count(tl, /^aws set-instance-health i-0fake0000000000001 Unhealthy .*--no-should-respect-grace-period/),
            show(tl),
          ).toBe(1);
        });
      });

      it("a termination while registration still retries is acted on at once, not after the retry budget", async () => {
        // SSM throttles every read; 8 attempts, pauses of 5 s doubling up to a minute: more than 4 minutes of retries
        const files = { "/var/lib/fake/ssm-fail": "99\n", "/var/lib/fake/ssm-error": "ThrottlingException\n" };
        await withInstance(image, { files, retries: 8, retryDelay: 5 }, async (m) => {
          await m.waitFor("the first failed token read", has(/^aws ssm get-parameter failed/), 30_000);
          m.write("/var/lib/fake/lifecycle-state", "Terminated\n");
          const flipped = Date.now();
          const tl = await m.waitFor("the terminating lifecycle action", has(completeRe(drainHook(image))), 60_000);
          expect(Date.now() - flipped, show(tl)).toBeLessThan(45_000);
          expect(count(tl, /^register ok/), show(tl)).toBe(0);
          expect(count(tl, completeRe(launchHook(image), "ABANDON")), show(tl)).toBe(0);
        });
      });
    },
  );
}

/**
 * Controls: a deliberately broken copy of the gitlab-runner drop-in must fail
 * the matching scenario, or the scenario proves nothing.
 */
export function defineBootControls(suite: Suite, file: string): void {
  describe.concurrent(`controls under systemd ${SYSTEMD_OF[suite]}: a broken unit fails its scenario (${file})`, () => {
    let image!: Image;
    bakeAround(suite, file, (baked) => (image = baked));
    const dropin = "/etc/systemd/system/gitlab-runner.service.d/50-gitlab-runner-aws.conf";
    const broken = (from: RegExp, to: string) => {
      const text = image.machine.read(dropin);
      expect(text).toMatch(from);
      return { [dropin]: text.replace(from, to) };
    };

    it("KillSignal left as SIGTERM: the poweroff scenario sees the job aborted", async () => {
      const tl = await poweroffWithJob(image, {
        job: 4,
        drain: 20,
        cap: 60,
        files: broken(/^KillSignal=SIGQUIT$/m, "KillSignal=SIGTERM"),
      });
      const v = drainViolations(tl, { unregister: true, docker: poolViews(image.answers)[0].executor === "docker" });
      expect(v, show(tl)).toContain("gitlab-runner got SIGTERM: the job was aborted");
    });

    it("unregister ordered before the drain: the poweroff scenario sees the unregister before gitlab-runner exits", async () => {
      const tl = await poweroffWithJob(image, {
        job: 4,
        drain: 20,
        cap: 60,
        files: broken(/^After=gitlab-runner-aws\.service$/m, "Before=gitlab-runner-aws.service"),
      });
      const v = drainViolations(tl, { unregister: true, docker: poolViews(image.answers)[0].executor === "docker" });
      expect(v, show(tl)).toContain("unregistered before gitlab-runner exited");
    });
  });
}

/**
 * An instance of a pool other than the first, on the image of a several-pool
 * example: the image and its scripts are every pool's, and the instance gets
 * only its own pool's runtime configuration (as its launch template writes it).
 */
export function defineBootPool(suite: Suite, file: string, poolName: string): void {
  describe(`under systemd ${SYSTEMD_OF[suite]} (Debian ${suite}): an instance of pool ${poolName} of ${file}`, () => {
    let image!: Image;
    bakeAround(suite, file, (baked) => (image = baked));

    it("registers once with its pool's runner, token and launch hook; a termination drains, unregisters and completes its pool's hook", async () => {
      const pool = poolViews(image.answers).find((p) => p.name === poolName)!;
      expect(poolViews(image.answers)[0].name).not.toBe(poolName);
      const config = runtimeConfig(image.answers, pool);
      const files = { "/var/lib/fake/launch-hook": `${config.launch_lifecycle_hook_name}\n` };
      await withInstance(image, { config: { ...config, drain_timeout_seconds: 30 }, files }, async (m) => {
        let tl = await up(m);
        const mode = image.answers.registrationMode === "authentication-token" ? "authentication" : "registration";
        const registered = new RegExp(`^register ok token=${mode} executor=${pool.executor} rotation-disabled=on `);
        expect(count(tl, registered), show(tl)).toBe(1);
        expect(count(tl, new RegExp(`^aws ssm get-parameter ${esc(pool.tokenSsmParameter)} region=`)), show(tl)).toBe(
          1,
        );
        expect(count(tl, completeRe(config.launch_lifecycle_hook_name)), show(tl)).toBe(1);
        expect(m.read("/etc/gitlab-runner/config.toml")).toContain(`name = "${pool.runnerDescription} i-`);
        await runJob(m, 3);
        m.write("/var/lib/fake/lifecycle-state", "Terminated\n");
        tl = await m.waitFor("the lifecycle action", has(completeRe(config.lifecycle_hook_name)), 60_000);
        expect(
          drainViolations(tl, { unregister: true, complete: config.lifecycle_hook_name, docker: false }),
          show(tl),
        ).toEqual([]);
        expect(
          tl.filter((e) => /^aws complete-lifecycle-action /.test(e.event)).map((e) => e.event.split(" asg=")[1]),
          show(tl),
        ).toEqual([config.asg_name, config.asg_name]);
      });
    });
  });
}

/**
 * ci/prune-amis.sh (AMI retention) run for real (bash, jq) against a stub
 * `aws` that answers from a described account (this project's AMIs, the launch
 * template's versions, the group, its instances) and records every call.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import YAML from "yaml";
import { describe, expect, it } from "vitest";
import { namesContext, poolNames } from "../src/core/context/names.js";
import { poolViews } from "../src/core/pools.js";
import { exampleAnswers, fileOf, renderAnswers, requireTool, validAnswers } from "./support/tools.js";

interface Account {
  /** AMI id → creation date; each has one snapshot, snap-<id without ami->. */
  images: Record<string, string>;
  /** AMI id → its Architecture tag (none: untagged). */
  architectures?: Record<string, string>;
  /** Launch templates by name: id and the AMI of each version (numbers, $Default, $Latest). */
  templates?: Record<string, { id: string; versions: Record<string, string> }>;
  /** The group as describe-auto-scaling-groups returns it; absent: no group yet. */
  group?: Record<string, unknown>;
  /** Several pools' groups by name (describe-auto-scaling-groups returns those asked for). */
  groups?: Record<string, Record<string, unknown>>;
  configurations?: Record<string, string>;
  /** The AMIs of the group's instances. */
  instances?: string[];
  /** An API call (service and operation, "autoscaling describe-auto-scaling-groups") that fails with AccessDenied. */
  denied?: string;
}

// The stub reads the account from $STUB_ACCOUNT and appends each call (argv as JSON) to $STUB_LOG.
const STUB = `#!/usr/bin/env node
const fs = require("fs");
const argv = process.argv.slice(2);
fs.appendFileSync(process.env.STUB_LOG, JSON.stringify(argv) + "\\n");
const acct = JSON.parse(fs.readFileSync(process.env.STUB_ACCOUNT, "utf8"));
const op = argv[0] + " " + argv[1];
const flag = (f) => { const i = argv.indexOf(f); return i < 0 ? undefined : argv[i + 1]; };
const list = (f) => { const i = argv.indexOf(f); if (i < 0) return []; const out = []; for (const a of argv.slice(i + 1)) { if (a.startsWith("--")) break; out.push(a); } return out; };
const fail = (code, msg) => { process.stderr.write("An error occurred (" + code + ") when calling the operation: " + msg + "\\n"); process.exit(254); };
const print = (o) => process.stdout.write(JSON.stringify(o) + "\\n");
if (acct.denied === op) fail("AccessDenied", "not authorized");
switch (op) {
  case "ec2 describe-images":
    print({ Images: Object.entries(acct.images).map(([id, date]) => ({ ImageId: id, CreationDate: date, Tags: acct.architectures?.[id] ? [{ Key: "Name", Value: "x" }, { Key: process.env.STUB_ARCH_TAG, Value: acct.architectures[id] }] : [], BlockDeviceMappings: [{ DeviceName: "/dev/xvda", Ebs: { SnapshotId: "snap-" + id.slice(4) } }] })) });
    break;
  case "ec2 describe-launch-template-versions": {
    const templates = Object.entries(acct.templates ?? {});
    const found = flag("--launch-template-name") !== undefined ? templates.find(([n]) => n === flag("--launch-template-name")) : templates.find(([, t]) => t.id === flag("--launch-template-id"));
    if (!found) fail("InvalidLaunchTemplateName.NotFoundException", "not found");
    print({ LaunchTemplateVersions: list("--versions").map((v) => ({ LaunchTemplateData: { ImageId: found[1].versions[v] } })) });
    break;
  }
  case "autoscaling describe-auto-scaling-groups":
    print({ AutoScalingGroups: acct.groups ? list("--auto-scaling-group-names").filter((n) => acct.groups[n]).map((n) => acct.groups[n]) : acct.group ? [acct.group] : [] });
    break;
  case "autoscaling describe-launch-configurations":
    print({ LaunchConfigurations: list("--launch-configuration-names").map((n) => ({ LaunchConfigurationName: n, ImageId: acct.configurations[n] })) });
    break;
  case "ec2 describe-instances":
    print({ Reservations: [{ Instances: (acct.instances ?? []).map((id) => ({ ImageId: id })) }] });
    break;
  case "ec2 deregister-image":
  case "ec2 delete-snapshot":
    break;
  default:
    fail("StubUnknownOperation", op);
}
`;

const answers = exampleAnswers("answers.yaml");
const names = namesContext(answers);

function run(account: Account, a = answers, env: Record<string, string> = {}) {
  requireTool("jq");
  const dir = mkdtempSync(join(tmpdir(), "glra-prune-"));
  mkdirSync(join(dir, "bin"));
  writeFileSync(join(dir, "bin/aws"), STUB);
  chmodSync(join(dir, "bin/aws"), 0o755);
  const script = join(dir, "prune-amis.sh");
  writeFileSync(script, fileOf(renderAnswers(a), "ci/prune-amis.sh").contents);
  chmodSync(script, 0o755);
  writeFileSync(join(dir, "account.json"), JSON.stringify(account));
  writeFileSync(join(dir, "calls"), "");
  const r = spawnSync("bash", [script], {
    encoding: "utf8",
    env: {
      ...process.env,
      PATH: `${join(dir, "bin")}:${process.env.PATH}`,
      AWS_REGION: a.awsRegion,
      AMI_RETENTION_COUNT: String(a.amiRetentionCount),
      STUB_ACCOUNT: join(dir, "account.json"),
      STUB_LOG: join(dir, "calls"),
      STUB_ARCH_TAG: names.amiTagKeys.architecture,
      ...env,
    },
  });
  const calls = readFileSync(join(dir, "calls"), "utf8")
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as string[]);
  const of = (op: string) =>
    calls
      .filter((c) => `${c[0]} ${c[1]}` === op)
      .map((c) => c[c.indexOf(op === "ec2 deregister-image" ? "--image-id" : "--snapshot-id") + 1]);
  return { ...r, calls, deregistered: of("ec2 deregister-image"), deletedSnapshots: of("ec2 delete-snapshot") };
}

/** ami-0…01 (oldest) to ami-0…08 (newest), one day apart, listed out of order. */
const images: Record<string, string> = Object.fromEntries(
  [5, 1, 8, 3, 2, 7, 6, 4].map((n) => [
    `ami-${String(n).padStart(17, "0")}`,
    `2026-11-${String(10 + n).padStart(2, "0")}T06:00:00.000Z`,
  ]),
);
const ami = (n: number) => `ami-${String(n).padStart(17, "0")}`;
const snap = (n: number) => `snap-${String(n).padStart(17, "0")}`;

describe("ci/prune-amis.sh", () => {
  it("keeps the newest amiRetentionCount AMIs and every one in use, deregisters the rest and deletes their snapshots", () => {
    const r = run({
      images,
      // The default version still launches the oldest AMI; the latest is the newest.
      templates: {
        [names.launchTemplateName]: { id: "lt-0abc", versions: { $Default: ami(1), $Latest: ami(8), "7": ami(4) } },
      },
      // The group launches from version 7 (an instance refresh in progress) ...
      group: {
        AutoScalingGroupName: names.asgName,
        LaunchTemplate: { LaunchTemplateId: "lt-0abc", Version: "7" },
        Instances: [],
      },
      // ... and one instance still runs the third oldest.
      instances: [ami(3), ami(8)],
    });
    expect(r.stderr).toMatch(/kept the newest 3 AMIs \(at most 3 per architecture\) and any in use; deregistered 2/);
    expect(r.status).toBe(0);
    expect(r.deregistered.sort()).toEqual([ami(2), ami(5)]);
    expect(r.deletedSnapshots.sort()).toEqual([snap(2), snap(5)]);
    // Each snapshot goes after its AMI: a snapshot of a registered AMI cannot be deleted.
    const at = (op: string, id: string) => r.calls.findIndex((c) => c[1] === op && c.includes(id));
    for (const n of [2, 5]) expect(at("deregister-image", ami(n))).toBeLessThan(at("delete-snapshot", snap(n)));
    for (const n of [2, 5]) expect(at("deregister-image", ami(n))).toBeGreaterThan(-1);
    // Only this project's AMIs, by its tag, from this account.
    const list = r.calls.find((c) => c[1] === "describe-images")!;
    expect(list).toEqual(
      expect.arrayContaining([
        "--owners",
        "self",
        `Name=tag:${names.amiTagKeys.project},Values=${answers.projectName}`,
      ]),
    );
  });

  it("counts the newest per architecture: one build of two architectures does not push out the other's images", () => {
    // Odd AMIs are x86_64, even ones arm64: the newest three of each stay.
    const architectures = Object.fromEntries(
      Object.keys(images).map((id) => [id, Number(id.slice(-1)) % 2 ? "x86_64" : "arm64"]),
    );
    const r = run({ images, architectures });
    expect(r.status, r.stderr).toBe(0);
    expect(r.deregistered.sort()).toEqual([ami(1), ami(2)]);
    expect(r.stderr).toMatch(/keeping ami-0+3 \(.*, x86_64\): one of the newest 3 of x86_64/);
  });

  it("keeps the AMI of a mixed instances policy's template version and of a legacy launch configuration", () => {
    const mixed = run({
      images,
      templates: {
        [names.launchTemplateName]: { id: "lt-0abc", versions: { $Default: ami(8), $Latest: ami(8), "2": ami(2) } },
      },
      group: {
        MixedInstancesPolicy: {
          LaunchTemplate: { LaunchTemplateSpecification: { LaunchTemplateId: "lt-0abc", Version: "2" } },
        },
      },
    });
    expect(mixed.status, mixed.stderr).toBe(0);
    expect(mixed.deregistered.sort()).toEqual([ami(1), ami(3), ami(4), ami(5)]);
    const legacy = run({
      images,
      group: { LaunchConfigurationName: "acme-runners-20261101" },
      configurations: { "acme-runners-20261101": ami(1) },
    });
    expect(legacy.status, legacy.stderr).toBe(0);
    expect(legacy.deregistered.sort()).toEqual([ami(2), ami(3), ami(4), ami(5)]);
  });

  it("before the first apply (no template, no group) keeps the newest and deregisters the rest", () => {
    const r = run({
      images: {
        [ami(1)]: images[ami(1)],
        [ami(2)]: images[ami(2)],
        [ami(3)]: images[ami(3)],
        [ami(4)]: images[ami(4)],
      },
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.deregistered).toEqual([ami(1)]);
    expect(r.stderr).toMatch(/no launch template/);
  });

  it.each([
    "autoscaling describe-auto-scaling-groups",
    "ec2 describe-launch-template-versions",
    "ec2 describe-instances",
  ])("deregisters nothing when %s fails: what is in use is unknown", (denied) => {
    const r = run({
      images,
      templates: { [names.launchTemplateName]: { id: "lt-0abc", versions: { $Default: ami(8), $Latest: ami(8) } } },
      denied,
    });
    expect(r.status).not.toBe(0);
    expect(r.deregistered).toEqual([]);
    expect(r.stderr).toMatch(/no AMI was deregistered/);
  });

  it("takes the count from the answer through the job, and refuses a count below 1", () => {
    const five = validAnswers({ ...answers, amiRetentionCount: 5 });
    expect(run({ images }, five).deregistered.sort()).toEqual([ami(1), ami(2), ami(3)]);
    const zero = run({ images }, answers, { AMI_RETENTION_COUNT: "0" });
    expect(zero.status).not.toBe(0);
    expect(zero.deregistered).toEqual([]);
  });
});

describe("ci/prune-amis.sh with several pools", () => {
  const three = exampleAnswers("three-pools.yaml");
  const groups = poolViews(three).map(poolNames);

  it("keeps what any pool's launch template, group or instances use, and the newest of each architecture", () => {
    // Odd AMIs x86_64, even ones arm64; each pool launches an old one of its architecture.
    const architectures = Object.fromEntries(
      Object.keys(images).map((id) => [id, Number(id.slice(-1)) % 2 ? "x86_64" : "arm64"]),
    );
    const [small, large, deploy] = groups;
    const r = run(
      {
        images,
        architectures,
        templates: {
          [small.launchTemplateName]: { id: "lt-0small", versions: { $Default: ami(1), $Latest: ami(7) } },
          [large.launchTemplateName]: { id: "lt-0large", versions: { $Default: ami(8), $Latest: ami(8), "3": ami(2) } },
          [deploy.launchTemplateName]: { id: "lt-0deploy", versions: { $Default: ami(7), $Latest: ami(7) } },
        },
        groups: {
          [small.asgName]: { LaunchTemplate: { LaunchTemplateId: "lt-0small", Version: "$Default" } },
          [large.asgName]: {
            MixedInstancesPolicy: {
              LaunchTemplate: { LaunchTemplateSpecification: { LaunchTemplateId: "lt-0large", Version: "3" } },
            },
          },
          [deploy.asgName]: { LaunchTemplate: { LaunchTemplateId: "lt-0deploy", Version: "$Latest" } },
        },
      },
      three,
    );
    expect(r.status, r.stderr).toBe(0);
    // Newest three of each: x86_64 7, 5, 3; arm64 8, 6, 4. In use: 1 (small's default), 2 (large's group).
    expect(r.deregistered).toEqual([]);
    const asked = r.calls.find((c) => c[1] === "describe-auto-scaling-groups")!;
    for (const g of groups) expect(asked).toContain(g.asgName);
    const templatesRead = r.calls
      .filter((c) => c[1] === "describe-launch-template-versions" && c.includes("--launch-template-name"))
      .map((c) => c[c.indexOf("--launch-template-name") + 1]);
    expect(templatesRead.sort()).toEqual(groups.map((g) => g.launchTemplateName).sort());
    const instances = r.calls.find((c) => c[1] === "describe-instances")!;
    expect(instances).toContain(`Name=tag:aws:autoscaling:groupName,Values=${groups.map((g) => g.asgName).join(",")}`);

    // Without the pools' use, the two old ones go.
    const unused = run({ images, architectures }, three);
    expect(unused.deregistered.sort()).toEqual([ami(1), ami(2)]);
  });
});

describe("the prune-amis job", () => {
  it.each(["answers.yaml", "ubuntu-arm64-shell-legacy.yaml"])(
    "%s: runs after build-ami whenever build-ami is in the pipeline, with the answered count",
    (file) => {
      const a = exampleAnswers(file);
      const ci = YAML.parse(fileOf(renderAnswers(a), ".gitlab-ci.yml").contents);
      const job = ci["prune-amis"];
      expect(job.stage).toBe("build-ami");
      expect(job.needs).toEqual([{ job: "build-ami", artifacts: false }]);
      expect(job.variables.AMI_RETENTION_COUNT).toBe(String(a.amiRetentionCount));
      expect(job.script).toContain("ci/prune-amis.sh");
      // The same conditions as build-ami's (never manual itself: it follows the build).
      const conditions = (rules: { if: string; changes?: string[] }[]) => rules.map((r) => [r.if, r.changes ?? null]);
      expect(conditions(job.rules)).toEqual(conditions(ci["build-ami"].rules));
      expect(job.rules.every((r: { when?: string }) => r.when === undefined)).toBe(true);
    },
  );
});

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { amiNamePrefix, architectures, buildInstanceType, executors } from "../src/core/context/ami.js";
import { namesContext } from "../src/core/context/names.js";
import { pins } from "../src/core/pins.js";
import { poolViews } from "../src/core/pools.js";
import type { Answers } from "../src/core/types.js";
import {
  exampleAnswers,
  exampleFiles,
  fileOf,
  renderAnswers,
  requireTool,
  validAnswers,
  withPool,
  writeTree,
} from "./support/tools.js";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const packerOf = (a: Answers): Json => JSON.parse(fileOf(renderAnswers(a), "packer-build.json").contents);

/** Resolve {{user `x`}} references the way Packer does, from the template's own variables. */
function resolve(t: Json, s: string): string {
  return s.replace(/\{\{user `([^`]+)`\}\}/g, (_, name: string) => {
    if (!(name in t.variables)) throw new Error(`undeclared variable ${name}`);
    return t.variables[name];
  });
}

/**
 * Packer 1.6.6 (Debian's, the one here) predates two keys current
 * packer-plugin-amazon has and wants gp3 iops/throughput spelled out. Drop
 * the former and add the defaults current Packer applies, in a copy; the
 * property tests below check the dropped keys' values.
 */
const NEWER_THAN_1_6_6 = ["imds_support", "metadata_options"];
function packerValidate(tree: string, t: Json) {
  const copy = structuredClone(t);
  for (const b of copy.builders) {
    for (const k of NEWER_THAN_1_6_6) delete b[k];
    for (const d of b.launch_block_device_mappings ?? [])
      if (d.volume_type === "gp3") Object.assign(d, { iops: 3000, throughput: 125 });
  }
  const dir = mkdtempSync(join(tmpdir(), "glra-packer-"));
  const file = join(dir, "packer-build.json");
  writeFileSync(file, JSON.stringify(copy));
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: dir, CHECKPOINT_DISABLE: "1" };
  // packer resolves provisioner paths (provision.sh, files/) against its working directory: the repo root in CI
  const r = spawnSync("packer", ["validate", file], { cwd: tree, env, encoding: "utf8" });
  rmSync(dir, { recursive: true, force: true });
  return { status: r.status, output: `${r.stdout}${r.stderr}`.trim() };
}

const trees: string[] = [];
afterAll(() => {
  for (const t of trees) rmSync(t, { recursive: true, force: true });
});

describe.each(exampleFiles)("packer-build.json of %s", (file) => {
  const a = exampleAnswers(file);
  const files = renderAnswers(a);
  const t = JSON.parse(fileOf(files, "packer-build.json").contents) as Json;
  const archs = architectures(a);

  it("passes packer validate (1.6.6, offline)", () => {
    requireTool("packer");
    const tree = writeTree(files);
    trees.push(tree);
    const r = packerValidate(tree, t);
    expect(r.output).toBe("");
    expect(r.status).toBe(0);

    // the check can fail: an unknown key and a missing provisioner script are reported
    const broken = structuredClone(t);
    broken.builders[0].not_a_packer_key = true;
    expect(packerValidate(tree, broken).output).toContain("not_a_packer_key");
    rmSync(join(tree, "provision.sh"));
    expect(packerValidate(tree, t).status).not.toBe(0);
  });

  it("has one source per architecture the pools use, named after it", () => {
    expect(t.builders.map((b: Json) => b.name)).toEqual(archs);
    expect(new Set(poolViews(a).map((p) => p.architecture))).toEqual(new Set(archs));
  });

  it.each(archs)("%s: builds privately from the answered subnet, hardened, from one base AMI", (arch) => {
    const b = t.builders.find((x: Json) => x.name === arch);
    expect(b.type).toBe("amazon-ebs");
    expect(resolve(t, b.region)).toBe(a.awsRegion);
    expect(resolve(t, b.subnet_id)).toBe(a.buildSubnetId);
    expect(b.associate_public_ip_address).toBe(false);
    expect(resolve(t, b.ssh_interface)).toBe(a.sshInterface);
    expect(b.temporary_security_group_source_cidrs).toEqual(a.buildAllowedCidrs);
    expect(b.temporary_security_group_source_cidrs).not.toContain("0.0.0.0/0");
    expect("temporary_iam_instance_profile_policy_document" in b).toBe(a.sshInterface === "session_manager");
    expect(b.imds_support).toBe("v2.0");
    expect(b.metadata_options.http_tokens).toBe("required");
    expect(b.source_ami_filter.most_recent).toBe(true);
    expect(b.source_ami_filter.owners).toHaveLength(1);
    expect(b.source_ami_filter.filters.architecture).toBe(arch);
    const [root] = b.launch_block_device_mappings;
    expect(root).toMatchObject({ volume_type: "gp3", encrypted: true, delete_on_termination: true });
    // The launch templates can only grow the image's volume: the smallest of the pools of this architecture.
    const sizes = poolViews(a)
      .filter((p) => p.architecture === arch)
      .map((p) => p.rootVolumeSize);
    expect(Number(resolve(t, root.volume_size))).toBe(Math.min(...sizes));
    for (const size of sizes) expect(size).toBeGreaterThanOrEqual(Number(resolve(t, root.volume_size)));
  });

  it.each(archs)(
    "%s: opens SSH on the temporary security group only for private_ip builds, from the answered CIDRs",
    (arch) => {
      const b = t.builders.find((x: Json) => x.name === arch);
      // packer-plugin-amazon (schema/pins.json packerAmazonPlugin, 1.8.0) creates the temporary
      // security group for every build, and adds its one ingress rule (the SSH port from
      // temporary_security_group_source_cidrs) unless SkipSSHRuleCreation, which is
      // SSMAgentEnabled(): ssh_interface "session_manager" with iam_instance_profile or
      // temporary_iam_instance_profile_policy_document set (builder/ebs/builder.go,
      // builder/common/run_config.go, builder/common/step_security_group.go at v1.8.0).
      // The CIDRs stay narrow even when unused: without them the plugin would default to 0.0.0.0/0.
      const sessionManager =
        resolve(t, b.ssh_interface) === "session_manager" &&
        (Boolean(b.iam_instance_profile) || b.temporary_iam_instance_profile_policy_document !== undefined);
      const ownGroup = "security_group_id" in b || "security_group_ids" in b || "security_group_filter" in b;
      expect(ownGroup).toBe(false);
      const sshRule = sessionManager ? [] : (b.temporary_security_group_source_cidrs ?? ["0.0.0.0/0"]);
      expect(sshRule).toEqual(a.sshInterface === "session_manager" ? [] : a.buildAllowedCidrs);
      expect(pins.packerAmazonPlugin).toMatch(/^1\.8\./);
    },
  );

  it.each(archs)("%s: names and tags the AMI so Terraform finds the newest one of its architecture", (arch) => {
    const b = t.builders.find((x: Json) => x.name === arch);
    const names = namesContext(a);
    expect(b.ami_name).toContain("{{timestamp}}");
    expect(resolve(t, b.ami_name)).toBe(`${a.projectName}-${a.baseOs}-${arch}-{{timestamp}}`);
    expect(amiNamePrefix(a, arch)).toBe(`${a.projectName}-${a.baseOs}-${arch}-`);
    const tags = Object.fromEntries(
      Object.entries(b.tags as Record<string, string>).map(([k, v]) => [k, resolve(t, v)]),
    );
    const k = names.amiTagKeys;
    expect(tags[k.project]).toBe(a.projectName);
    expect(tags[k.baseOs]).toBe(a.baseOs);
    expect(tags[k.architecture]).toBe(arch);
    expect(tags[k.runnerVersion]).toBe(a.gitlabRunnerVersion);
    expect(tags[k.generatorVersion]).toMatch(/^\d+\.\d+\.\d+/);
    for (const [key, value] of Object.entries(a.tags)) {
      expect(tags[key]).toBe(value);
      expect(b.run_tags[key]).toBe(value);
    }
  });

  it("runs provision.sh with the versions as environment variables, after uploading files/", () => {
    const [mkdir, upload, shell, cleanup] = t.provisioners;
    expect(mkdir.type).toBe("shell");
    expect(upload).toMatchObject({ type: "file", source: "files/" });
    expect(files.some((f) => f.path.startsWith("files/"))).toBe(true);
    expect(shell.type).toBe("shell");
    expect(shell.script).toBe("provision.sh");
    const env = Object.fromEntries(
      (shell.environment_vars as string[])
        .map((v) => v.split(/=(.*)/s).slice(0, 2))
        .map(([k, v]) => [k, resolve(t, v)]),
    );
    expect(env).toMatchObject({
      GITLAB_RUNNER_VERSION: a.gitlabRunnerVersion,
      EXECUTORS: [...new Set(poolViews(a).map((p) => p.executor))].sort().join(" "),
      EXTRA_PACKAGES: a.extraPackages.join(" "),
      BASE_OS: a.baseOs,
      // Packer's name of the build that runs it: its architecture
      ARCHITECTURE: "{{ build_name }}",
      FILES_DIR: upload.destination,
    });
    expect(env.EXECUTORS).toBe(executors(a).join(" "));
    expect(env.AWS_CLI_VERSION).toMatch(/^2\.\d+\.\d+$/);
    // provision.sh requires exactly the variables Packer passes
    const provision = fileOf(files, "provision.sh").contents;
    const required = [...provision.matchAll(/"\$\{([A-Z_]+):\?\}"/g)].map((m) => m[1]);
    expect(required.sort()).toEqual(
      Object.keys(env)
        .filter((k) => k !== "EXTRA_PACKAGES")
        .sort(),
    );
    expect(cleanup).toEqual({ type: "shell", inline: [`rm -rf ${upload.destination}`] });
  });
});

describe("packer-build.json across answers", () => {
  const base = exampleAnswers("answers.yaml");
  const expected = {
    al2023: {
      owner: "amazon",
      user: "ec2-user",
      device: "/dev/xvda",
      name: { x86_64: /^al2023-ami-2023\.\*-kernel-\*-x86_64$/, arm64: /^al2023-ami-2023\.\*-kernel-\*-arm64$/ },
    },
    "ubuntu-24.04": {
      owner: "099720109477",
      user: "ubuntu",
      device: "/dev/sda1",
      name: {
        x86_64: /^ubuntu\/images\/hvm-ssd-gp3\/ubuntu-noble-24\.04-amd64-server-\*$/,
        arm64: /^ubuntu\/images\/hvm-ssd-gp3\/ubuntu-noble-24\.04-arm64-server-\*$/,
      },
    },
  } as const;

  for (const baseOs of ["al2023", "ubuntu-24.04"] as const) {
    for (const architecture of ["x86_64", "arm64"] as const) {
      it(`${baseOs} ${architecture}: base image filter, login, root device and build type`, () => {
        const t = packerOf(
          validAnswers({
            ...withPool(base, { architecture, instanceTypes: [architecture === "arm64" ? "m7g.large" : "t3.large"] }),
            baseOs,
            buildInstanceType: "",
          }),
        );
        expect(t.builders).toHaveLength(1);
        const b = t.builders[0];
        expect(b.name).toBe(architecture);
        const e = expected[baseOs];
        expect(b.source_ami_filter.owners).toEqual([e.owner]);
        expect(b.source_ami_filter.filters.name).toMatch(e.name[architecture]);
        expect(b.ssh_username).toBe(e.user);
        expect(b.launch_block_device_mappings[0].device_name).toBe(e.device);
        expect(resolve(t, b.instance_type)).toBe(architecture === "arm64" ? "t4g.small" : "t3.small");
      });
    }
  }

  it("an answered build instance type wins", () => {
    const t = packerOf(validAnswers({ ...base, buildInstanceType: "c7i.large" }));
    expect(resolve(t, t.builders[0].instance_type)).toBe("c7i.large");
    // It applies to its own architecture; the other one builds on its default type.
    const answered = (type: string) => ({ ...validAnswers(base), buildInstanceType: type });
    expect(buildInstanceType(answered("c7i.large"), "arm64")).toBe("t4g.small");
    expect(buildInstanceType(answered("c7g.large"), "arm64")).toBe("c7g.large");
    expect(buildInstanceType(answered("c7g.large"), "x86_64")).toBe("t3.small");
  });

  it("carries tag values as data, exactly", () => {
    const tags = { "Cost Center": "ünïcode Zürich 日本 a=b+c @x /y:z", "team:owner": "- lead", "1e3": "null" };
    const t = packerOf(validAnswers({ ...base, tags }));
    for (const [k, v] of Object.entries(tags)) {
      expect(t.builders[0].tags[k]).toBe(v);
      expect(t.builders[0].run_volume_tags[k]).toBe(v);
    }
  });

  it("refuses a tag value Packer would evaluate as a template", () => {
    expect(() => validAnswers({ ...base, tags: { Team: "{{timestamp}}" } })).toThrow(
      /\/tags\/Team: "\{\{timestamp\}\}" must be letters, digits/,
    );
    // and render() still refuses it when handed unvalidated answers
    expect(() => packerOf({ ...validAnswers(base), tags: { Team: "{{timestamp}}" } })).toThrow(/tags\.Team.*\{\{/);
  });

  it("every {{user}} reference is declared, and every variable is used", () => {
    for (const file of exampleFiles) {
      const text = fileOf(renderAnswers(exampleAnswers(file)), "packer-build.json").contents;
      const t = JSON.parse(text);
      const used = new Set([...text.matchAll(/\{\{user `([^`]+)`\}\}/g)].map((m) => m[1]));
      expect([...used].sort()).toEqual(Object.keys(t.variables).sort());
    }
  });
});

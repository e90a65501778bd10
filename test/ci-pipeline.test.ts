import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Ajv from "ajv";
import addFormats from "ajv-formats";
import * as prettier from "prettier";
import { describe, expect, it } from "vitest";
import { parseDocument, YAMLSeq, type Tags } from "yaml";
import { imageTag, PLAN_SUMMARY_JQ } from "../src/core/context/ci.js";
import { packageRoot } from "../src/core/package-root.js";
import { pins } from "../src/core/pins.js";
import type { Answers } from "../src/core/types.js";
import { exampleAnswers, exampleFiles, fileOf, renderAnswers, requireTool, validAnswers } from "./support/tools.js";

type Job = Record<string, unknown> & {
  image?: string | { name: string; entrypoint?: string[] };
  rules?: Array<Record<string, unknown>>;
  script?: unknown[];
  before_script?: unknown[];
  needs?: Array<string | { job: string; artifacts?: boolean; optional?: boolean }>;
  extends?: string | string[];
};
type Pipeline = Record<string, unknown> & {
  stages: string[];
  workflow?: { rules: unknown[] };
  variables: Record<string, string>;
};

/** GitLab's `!reference [job, key]`: read as the plain list (what the schema sees), or marked for resolved(). */
class Reference extends YAMLSeq {
  override toJSON(...args: Parameters<YAMLSeq["toJSON"]>): unknown[] {
    return { "!reference": super.toJSON(...args) } as unknown as unknown[];
  }
}
const plainReference: Tags[number] = { tag: "!reference", collection: "seq", resolve: (seq) => seq };
const markedReference: Tags[number] = {
  tag: "!reference",
  collection: "seq",
  nodeClass: Reference,
  resolve: (seq) => Object.assign(new Reference(), seq),
};

function parseCi(text: string, marked = false): Pipeline {
  const doc = parseDocument(text, { customTags: [marked ? markedReference : plainReference], uniqueKeys: true });
  expect(doc.errors.map((e) => e.message)).toEqual([]);
  return doc.toJS({ maxAliasCount: 100 }) as Pipeline;
}

function expandReferences(ci: Pipeline, list: unknown): unknown {
  if (!Array.isArray(list)) return list;
  return list.flatMap((item) => {
    const ref =
      item && typeof item === "object" && !Array.isArray(item)
        ? (item as { "!reference"?: [string, string] })["!reference"]
        : undefined;
    return ref ? [resolved(ci, ref[0])[ref[1]]].flat() : [item];
  });
}

/** A job with its extends resolved (GitLab merges hashes deeply, later wins). */
function resolved(ci: Pipeline, name: string): Job {
  const own = ci[name] as Job;
  const parents = own.extends === undefined ? [] : [own.extends].flat();
  const merge = (a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> => {
    const out: Record<string, unknown> = { ...a };
    for (const [k, v] of Object.entries(b)) {
      const prev = out[k];
      out[k] =
        prev && v && typeof prev === "object" && typeof v === "object" && !Array.isArray(prev) && !Array.isArray(v)
          ? merge(prev as Record<string, unknown>, v as Record<string, unknown>)
          : v;
    }
    return out;
  };
  let job: Record<string, unknown> = {};
  for (const p of parents) job = merge(job, resolved(ci, p));
  const { extends: _drop, ...rest } = own;
  const out = merge(job, rest) as Job;
  for (const k of ["before_script", "script", "after_script"]) if (k in out) out[k] = expandReferences(ci, out[k]);
  return out;
}

const jobNames = (ci: Pipeline) =>
  Object.keys(ci).filter(
    (k) => !k.startsWith(".") && !["stages", "workflow", "variables", "default", "include"].includes(k),
  );

const schema = JSON.parse(readFileSync(join(packageRoot, "test/fixtures/gitlab-ci.schema.json"), "utf8"));
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
const validateCi = ajv.compile(schema);

function ciOf(answers: Answers) {
  const text = fileOf(renderAnswers(answers), ".gitlab-ci.yml").contents;
  return { text, ci: parseCi(text, true), plain: parseCi(text) };
}

describe.each(exampleFiles)(".gitlab-ci.yml of examples/%s", (example) => {
  const answers = exampleAnswers(example);
  const { text, ci, plain } = ciOf(answers);
  const jobs = jobNames(ci);

  it("passes GitLab's CI JSON schema (trimmed copy, ajv draft-07)", () => {
    const ok = validateCi(plain);
    expect(validateCi.errors ?? [], JSON.stringify(validateCi.errors, null, 1)).toEqual([]);
    expect(ok).toBe(true);
  });

  it("passes yamllint -d relaxed", () => {
    const yamllint = requireTool("yamllint");
    const dir = mkdtempSync(join(tmpdir(), "glra-ci-"));
    writeFileSync(join(dir, ".gitlab-ci.yml"), text);
    const r = spawnSync(yamllint, ["-d", "relaxed", "-f", "parsable", ".gitlab-ci.yml"], {
      cwd: dir,
      encoding: "utf8",
    });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/\[error\]/);
  });

  it("is formatted as prettier formats YAML", async () => {
    expect(await prettier.format(text, { parser: "yaml" })).toBe(text);
  });

  it("has the stages validate, build-ami, plan, apply in that order, and every job in one of them", () => {
    expect(ci.stages).toEqual(["validate", "build-ami", "plan", "apply"]);
    for (const j of jobs) expect(ci.stages, j).toContain(resolved(ci, j).stage);
  });

  it("has the jobs each stage needs", () => {
    const byStage = (s: string) => jobs.filter((j) => resolved(ci, j).stage === s).sort();
    expect(byStage("validate")).toEqual(
      ["generator-drift", "packer-validate", "shellcheck", "tflint", `${answers.iacTool}-validate`].sort(),
    );
    expect(byStage("build-ami")).toEqual(["build-ami", "prune-amis"]);
    expect(byStage("plan")).toEqual(["plan"]);
    expect(byStage("apply")).toEqual(["apply", "destroy"]);
  });

  it("apply and destroy are manual, on the default branch only, serialized by one resource_group", () => {
    for (const name of ["apply", "destroy"]) {
      const job = resolved(ci, name);
      expect(job.rules?.length, name).toBeGreaterThan(0);
      for (const rule of job.rules!) {
        if (rule.when === "never") continue;
        expect(rule.when, name).toBe("manual");
        expect(String(rule.if), name).toMatch(/\$CI_COMMIT_BRANCH == \$CI_DEFAULT_BRANCH/);
        expect(rule.changes, name).toBeUndefined();
      }
    }
    expect(resolved(ci, "apply").resource_group).toBeTruthy();
    expect(resolved(ci, "apply").resource_group).toBe(resolved(ci, "destroy").resource_group);
  });

  it("apply uses the saved plan of the plan job; plan reports its summary to the merge request", () => {
    const apply = resolved(ci, "apply");
    expect(apply.needs).toEqual([{ job: "plan", artifacts: true }]);
    expect(apply.script!.join("\n")).toMatch(new RegExp(`^${answers.iacTool} apply .*plan\\.cache$`, "m"));
    const plan = resolved(ci, "plan") as Job & { artifacts: { paths: string[]; reports: { terraform: string } } };
    expect(plan.artifacts.paths).toContain("terraform/plan.cache");
    expect(plan.artifacts.reports.terraform).toBe("terraform/plan.json");
    expect(plan.script!.join("\n")).toMatch(/-out=plan\.cache/);
    expect(plan.script!.join("\n")).toMatch(/show -json plan\.cache \| jq -c "\$PLAN_SUMMARY_JQ" >plan\.json/);
    expect((plan.variables as Record<string, string>).PLAN_SUMMARY_JQ).toBe(PLAN_SUMMARY_JQ);
    expect(plan.dependencies).toEqual([]);
  });

  it("runs the answered Terraform/OpenTofu binary against GitLab-managed state", () => {
    const other = answers.iacTool === "tofu" ? "terraform" : "tofu";
    for (const j of ["plan", "apply", "destroy", `${answers.iacTool}-validate`]) {
      const job = resolved(ci, j);
      const lines = [...(job.before_script ?? []), ...(job.script ?? [])].flat(2).map(String);
      expect(
        lines.some((l) => l.startsWith(`${answers.iacTool} `)),
        j,
      ).toBe(true);
      expect(
        lines.some((l) => l.startsWith(`${other} `)),
        j,
      ).toBe(false);
    }
    const before = resolved(ci, "plan").before_script!.flat(2).join("\n");
    expect(before).toContain(
      'TF_HTTP_ADDRESS="${CI_API_V4_URL}/projects/${CI_PROJECT_ID}/terraform/state/${TF_STATE_NAME}"',
    );
    expect(before).toContain("TF_HTTP_USERNAME=gitlab-ci-token");
    expect(before).toContain('TF_HTTP_PASSWORD="$CI_JOB_TOKEN"');
    expect(ci.variables.TF_STATE_NAME).toBe(answers.projectName);
    const validate = resolved(ci, `${answers.iacTool}-validate`).script!.join("\n");
    expect(validate).toMatch(/fmt -check/);
    expect(validate).toMatch(/init -input=false -backend=false/);
  });

  it("pins every image by tag or digest, never latest, and includes nothing", () => {
    expect(ci.include).toBeUndefined();
    expect(text).not.toMatch(/^include:/m);
    expect(text).not.toMatch(/Terraform(\.latest)?\.gitlab-ci\.yml|Terraform\/Base/);
    const images = jobs.map((j) => resolved(ci, j).image).filter((i) => i !== undefined);
    expect(images.length).toBe(jobs.length);
    for (const image of images) {
      const ref = typeof image === "string" ? image : image!.name;
      expect(ref).toMatch(/(:[A-Za-z0-9_][A-Za-z0-9_.-]*|@sha256:[0-9a-f]{64})$/);
      expect(ref).not.toMatch(/:latest($|@)/);
      expect(Object.values(pins.images)).toContain(ref);
    }
  });

  it("gets AWS credentials only through OIDC id_tokens for the jobs that touch AWS", () => {
    expect(text).not.toMatch(/AWS_SECRET_ACCESS_KEY|AWS_ACCESS_KEY_ID|AWS_SESSION_TOKEN/);
    expect(ci.variables.CI_ROLE_ARN).toBe(answers.ciRoleArn);
    for (const j of ["build-ami", "plan", "apply", "destroy"]) {
      const job = resolved(ci, j) as Job & { id_tokens: Record<string, { aud: string }> };
      expect(job.id_tokens.AWS_ID_TOKEN.aud, j).toBe(answers.gitlabUrl);
      const before = job.before_script!.flat(2).join("\n");
      expect(before, j).toContain('printf \'%s\' "$AWS_ID_TOKEN" >"$AWS_WEB_IDENTITY_TOKEN_FILE"');
      expect(before, j).toContain('export AWS_ROLE_ARN="$CI_ROLE_ARN"');
    }
    for (const j of ["packer-validate", "shellcheck", "tflint", `${answers.iacTool}-validate`])
      expect(resolved(ci, j).id_tokens, j).toBeUndefined();
  });

  it("builds the AMI on input changes on the default branch, on its schedule, or by hand", () => {
    const rules = resolved(ci, "build-ami").rules!;
    expect(rules.find((r) => String(r.if).includes('$SCHEDULED_JOB == "build-ami"'))).toBeTruthy();
    const onChange = rules.find((r) => r.changes)!;
    expect(String(onChange.if)).toMatch(/\$CI_COMMIT_BRANCH == \$CI_DEFAULT_BRANCH/);
    expect(onChange.changes).toEqual(["packer-build.json", "provision.sh", "files/**/*"]);
    expect(rules.some((r) => r.when === "manual")).toBe(true);
    const script = resolved(ci, "build-ami").script!.join("\n");
    expect(script).toContain('packer plugins install github.com/hashicorp/amazon "v${PACKER_AMAZON_PLUGIN_VERSION}"');
    expect(script).toMatch(/^packer build .*packer-build\.json$/m);
    expect(ci.variables.PACKER_AMAZON_PLUGIN_VERSION).toBe(pins.packerAmazonPlugin);
    expect(script.includes("session-manager-plugin")).toBe(answers.sshInterface === "session_manager");
  });

  it("runs every job on a runner with ciJobTags, and build-ami on the in-VPC runner of buildJobTags with private_ip", () => {
    const defaultTags = (ci.default as { tags?: string[] } | undefined)?.tags ?? [];
    const tagsOf = (j: string) => (resolved(ci, j).tags as string[] | undefined) ?? defaultTags;
    for (const j of jobs)
      expect(tagsOf(j), j).toEqual(
        j === "build-ami" && answers.sshInterface === "private_ip" ? answers.buildJobTags : answers.ciJobTags,
      );
    if (answers.sshInterface === "private_ip") expect(tagsOf("build-ami").length).toBeGreaterThan(0);
  });

  it("avoids duplicate branch and merge-request pipelines", () => {
    const rules = ci.workflow!.rules as Array<Record<string, string>>;
    const never = rules.findIndex((r) => r.when === "never");
    expect(never).toBeGreaterThan(0);
    expect(rules[never].if).toMatch(/\$CI_OPEN_MERGE_REQUESTS/);
    expect(rules.findIndex((r) => /merge_request_event/.test(r.if))).toBeLessThan(never);
  });

  it("jobs fetch only the artifacts they use", () => {
    for (const j of jobs) {
      const job = resolved(ci, j);
      if (j === "apply") continue;
      const fetches = (job.needs ?? []).some((n) => typeof n === "string" || n.artifacts !== false);
      expect(fetches, j).toBe(false);
      if (job.needs === undefined) expect(job.dependencies, j).toEqual([]);
    }
  });
});

describe("the provider lock file", () => {
  const COMPLETE =
    'provider "registry.terraform.io/hashicorp/aws" {\n  version = "6.25.0"\n  hashes  = ["h1:linux_amd64", "h1:linux_arm64"]\n}\n';

  /** Runs the validate job's script as GitLab would (one shell, stop at the first failure) with a stub binary that logs its calls; `providers lock` writes COMPLETE. */
  function runValidate(answers: Answers, committed: string | undefined) {
    const { ci } = ciOf(answers);
    const job = resolved(ci, `${answers.iacTool}-validate`);
    const dir = mkdtempSync(join(tmpdir(), "glra-lock-"));
    const bin = join(dir, "bin");
    const tf = join(dir, "repo", "terraform");
    spawnSync("mkdir", ["-p", bin, tf]);
    const log = join(dir, "calls.log");
    writeFileSync(join(dir, "complete.lock"), COMPLETE);
    writeFileSync(
      join(bin, answers.iacTool),
      `#!/bin/sh\necho "$*" >>"${log}"\nif [ "$1" = providers ]; then cp "${join(dir, "complete.lock")}" .terraform.lock.hcl; fi\n`,
      { mode: 0o755 },
    );
    if (committed !== undefined) writeFileSync(join(tf, ".terraform.lock.hcl"), committed);
    const r = spawnSync("sh", ["-e", "-c", (job.script as string[]).join("\n")], {
      cwd: join(dir, "repo"),
      encoding: "utf8",
      env: {
        ...process.env,
        PATH: `${bin}:${process.env.PATH}`,
        TF_ROOT: "terraform",
        CI_PROJECT_DIR: join(dir, "repo"),
      },
    });
    const calls = spawnSync("cat", [log], { encoding: "utf8" }).stdout.trim().split("\n");
    return { status: r.status, stderr: r.stderr, calls, job };
  }

  it.each(exampleFiles)(
    "%s: validate fails without a committed lock file or with an incomplete one, and passes with the complete one",
    (example) => {
      const answers = exampleAnswers(example);
      const missing = runValidate(answers, undefined);
      expect(missing.status).not.toBe(0);
      expect(missing.stderr).toMatch(
        /terraform\/\.terraform\.lock\.hcl is missing or lacks provider hashes for linux_amd64, linux_arm64: commit the one in this job's artifacts/,
      );
      expect(missing.calls).toContain("providers lock -platform=linux_amd64 -platform=linux_arm64");
      expect(missing.calls.some((c) => c.startsWith("init"))).toBe(false);
      const incomplete = runValidate(answers, COMPLETE.replace(', "h1:linux_arm64"', ""));
      expect(incomplete.status).not.toBe(0);
      const complete = runValidate(answers, COMPLETE);
      expect(complete.status, complete.stderr).toBe(0);
      expect(complete.calls).toEqual([
        "fmt -check -diff -recursive",
        "providers lock -platform=linux_amd64 -platform=linux_arm64",
        "init -input=false -backend=false -lockfile=readonly",
        "validate",
      ]);
      // The job keeps the complete lock file to commit when it fails.
      expect(complete.job.artifacts).toEqual({
        when: "on_failure",
        expire_in: "1 week",
        paths: ["terraform/.terraform.lock.hcl"],
      });
    },
  );

  it.each(exampleFiles)(
    "%s: plan, apply and destroy never change the lock file (init -lockfile=readonly); the plan carries it to apply",
    (example) => {
      const answers = exampleAnswers(example);
      const { ci } = ciOf(answers);
      for (const j of ["plan", "apply", "destroy"]) {
        const inits = [...(resolved(ci, j).before_script ?? []), ...(resolved(ci, j).script ?? [])]
          .map(String)
          .filter((l) => / init( |$)/.test(l));
        expect(inits, j).toEqual([`${answers.iacTool} init -input=false -lockfile=readonly`]);
      }
      expect((resolved(ci, "plan").artifacts as { paths: string[] }).paths).toContain("terraform/.terraform.lock.hcl");
      const readme = fileOf(renderAnswers(answers), "README.md").contents;
      expect(readme).toMatch(/^### Provider lock file$/m);
      expect(readme).toContain(`${answers.iacTool} providers lock -platform=linux_amd64 -platform=linux_arm64`);
    },
  );
});

describe("the CI schema check can fail", () => {
  const { plain: ci } = ciOf(exampleAnswers("answers.yaml"));
  it("accepts the unchanged file", () => expect(validateCi(ci)).toBe(true));
  it.each([
    ["an unknown job keyword", (c: Pipeline) => ((c.apply as Job).deploy_now = true)],
    ["a bad when", (c: Pipeline) => ((c.apply as Job).rules![0].when = "sometimes")],
    ["a script that is a number", (c: Pipeline) => ((c.plan as Job).script = 5 as never)],
  ])("rejects %s", (_what, mutate) => {
    const copy = structuredClone(ci);
    mutate(copy);
    expect(validateCi(copy)).toBe(false);
  });
});

describe("user values stay data in .gitlab-ci.yml", () => {
  it("a role ARN and URL with every character their patterns allow arrive unchanged and only in variables or id_tokens", () => {
    const answers = validAnswers({
      ...exampleAnswers("answers.yaml"),
      ciRoleArn: "arn:aws:iam::123456789012:role/a+b=c,d.e@f_g/h-i",
      gitlabUrl: "https://git.example.com:8443/a_b~c.d-e/",
      projectName: "p-1",
    });
    const { text, ci, plain } = ciOf(answers);
    expect(ci.variables.CI_ROLE_ARN).toBe(answers.ciRoleArn);
    expect(
      (resolved(ci, "plan") as Job & { id_tokens: Record<string, { aud: string }> }).id_tokens.AWS_ID_TOKEN.aud,
    ).toBe(answers.gitlabUrl);
    for (const j of jobNames(ci)) {
      const job = resolved(ci, j);
      const lines = [...(job.before_script ?? []), ...(job.script ?? [])].flat(2).map(String);
      for (const l of lines) {
        expect(l).not.toContain(answers.ciRoleArn);
        expect(l).not.toContain(answers.gitlabUrl);
      }
    }
    expect(validateCi(plain)).toBe(true);
    return prettier.format(text, { parser: "yaml" }).then((f) => expect(f).toBe(text));
  });
});

describe("job tags", () => {
  const tagsOf = (answers: Answers) => {
    const { ci, plain } = ciOf(answers);
    expect(validateCi(plain), JSON.stringify(validateCi.errors)).toBe(true);
    const defaults = (ci.default as { tags?: string[] } | undefined)?.tags ?? [];
    return Object.fromEntries(jobNames(ci).map((j) => [j, (resolved(ci, j).tags as string[] | undefined) ?? defaults]));
  };
  const base = exampleAnswers("answers.yaml");

  it("are absent by default (untagged jobs), with session_manager too", () => {
    for (const tags of Object.values(tagsOf(base))) expect(tags).toEqual([]);
  });

  it("ciJobTags tag every job, build-ami included with session_manager; values arrive as data", () => {
    const ciJobTags = ["docker", "null", "1e3", "a:b/c-d_e.f"];
    for (const tags of Object.values(tagsOf(validAnswers({ ...base, ciJobTags })))) expect(tags).toEqual(ciJobTags);
  });

  it("with private_ip, build-ami takes buildJobTags instead of ciJobTags", () => {
    const t = tagsOf(
      validAnswers({ ...base, sshInterface: "private_ip", buildJobTags: ["aws-vpc", "yes"], ciJobTags: ["docker"] }),
    );
    expect(t["build-ami"]).toEqual(["aws-vpc", "yes"]);
    for (const [j, tags] of Object.entries(t)) if (j !== "build-ami") expect(tags, j).toEqual(["docker"]);
    const untagged = tagsOf(validAnswers({ ...base, sshInterface: "private_ip", buildJobTags: ["aws-vpc"] }));
    expect(untagged["build-ami"]).toEqual(["aws-vpc"]);
    expect(untagged.plan).toEqual([]);
  });
});

describe("plan summary", () => {
  it("jq turns a plan's resource changes into GitLab's {create, update, delete} counts", () => {
    const jq = requireTool("jq");
    const plan = {
      resource_changes: [
        { change: { actions: ["create"] } },
        { change: { actions: ["create"] } },
        { change: { actions: ["update"] } },
        { change: { actions: ["delete", "create"] } },
        { change: { actions: ["no-op"] } },
        { change: { actions: ["read"] } },
      ],
    };
    const r = spawnSync(jq, ["-c", PLAN_SUMMARY_JQ], { input: JSON.stringify(plan), encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ create: 3, update: 1, delete: 1 });
    const empty = spawnSync(jq, ["-c", PLAN_SUMMARY_JQ], {
      input: JSON.stringify({ format_version: "1.2" }),
      encoding: "utf8",
    });
    expect(JSON.parse(empty.stdout)).toEqual({ create: 0, update: 0, delete: 0 });
  });

  it("imageTag reads the tag of a pinned image and refuses one without", () => {
    expect(imageTag("hashicorp/packer:1.14.3")).toBe("1.14.3");
    expect(imageTag("registry.example.com:5000/a/b:v1@sha256:" + "a".repeat(64))).toBe("v1");
    expect(() => imageTag("registry.example.com:5000/a/b")).toThrow(/no tag/);
  });
});

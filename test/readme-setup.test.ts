import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { packageRoot } from "../src/core/package-root.js";
import { poolViews } from "../src/core/pools.js";
import type { Answers } from "../src/core/types.js";
import { pins } from "../src/core/pins.js";
import {
  exampleAnswers,
  exampleFiles,
  fileOf,
  generatorVersion,
  renderAnswers,
  requireTool,
  validAnswers,
  withPool,
} from "./support/tools.js";

/**
 * The generated README's first-time setup, run as written: its shell blocks, in
 * order, in one bash with `set -u`, under strace, with stub `aws`, `curl` and
 * `git` on PATH that record what they were given. Secrets come on standard
 * input, as a person types them at `read -rs`.
 */

/** The body of a Markdown section: from its heading line to the next heading of the same or a higher level. */
function section(text: string, heading: string): string {
  const lines = text.split("\n");
  const start = lines.indexOf(heading);
  if (start < 0) throw new Error(`no heading ${JSON.stringify(heading)}`);
  const level = heading.match(/^#+/)![0].length;
  const end = lines.findIndex((l, i) => i > start && /^#+ /.test(l) && l.match(/^#+/)![0].length <= level);
  return lines.slice(start + 1, end < 0 ? undefined : end).join("\n");
}

/** The fenced `sh` blocks of some Markdown, in order (any fence of three or more backticks). */
function shBlocks(md: string): string[] {
  return [...md.matchAll(/^(`{3,})sh\n([\s\S]*?)^\1$/gm)].map((m) => m[2]);
}

const STUB = readFileSync(join(packageRoot, "test/support/setup-stub.sh"), "utf8");

interface Call {
  tool: string;
  argv: string[];
  modes: string[];
  paths: string[];
  files: string;
  stdin: string;
}

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  calls: Call[];
  /** Every execve of the run (strace -f): what the process list showed. */
  execs: string;
  cwd: string;
  tmp: string;
}

function runBlocks(blocks: string[], stdin: string, apiToken = ""): Run {
  const strace = requireTool("strace");
  requireTool("jq");
  const dir = mkdtempSync(join(tmpdir(), "glra-setup-"));
  const bin = join(dir, "bin"),
    log = join(dir, "log"),
    cwd = join(dir, "repo"),
    tmp = join(dir, "tmp");
  for (const d of [bin, log, cwd, tmp]) mkdirSync(d);
  for (const tool of ["aws", "curl", "git", "npx", "packer", "terraform", "tofu"]) {
    writeFileSync(join(bin, tool), STUB);
    chmodSync(join(bin, tool), 0o755);
  }
  const script = [
    "set -u",
    ...blocks,
    'for v in "${!RUNNER_TOKEN@}"; do echo "set: $v"; done; echo "RUNNER_TOKEN:${RUNNER_TOKEN-unset}"',
  ].join("\n");
  writeFileSync(join(dir, "setup.sh"), script);
  const r = spawnSync(
    strace,
    ["-f", "-qq", "-e", "trace=execve", "-s", "65536", "-o", join(dir, "execs.txt"), "bash", join(dir, "setup.sh")],
    {
      cwd,
      input: stdin,
      encoding: "utf8",
      env: {
        ...process.env,
        PATH: `${bin}:${process.env.PATH}`,
        STUB_LOG: log,
        STUB_API_TOKEN: apiToken,
        TMPDIR: tmp,
        HISTFILE: "/dev/null",
      },
    },
  );
  const read = (f: string) => (existsSync(f) ? readFileSync(f, "utf8") : "");
  const calls = readdirSync(log)
    .filter((f) => f.endsWith(".argv"))
    .sort()
    .map((f) => {
      const base = join(log, f.slice(0, -".argv".length));
      const nul = (s: string) => s.split("\0").slice(0, -1);
      return {
        tool: f.replace(/^.*-/, "").slice(0, -".argv".length),
        argv: nul(read(base + ".argv")),
        modes: read(base + ".modes")
          .split("\n")
          .filter(Boolean),
        paths: nul(read(base + ".paths")),
        files: read(base + ".files"),
        stdin: read(base + ".stdin"),
      };
    });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, calls, execs: read(join(dir, "execs.txt")), cwd, tmp };
}

const flag = (argv: string[], name: string) => {
  const i = argv.indexOf(name);
  return i < 0 ? undefined : argv[i + 1];
};

const readmeOf = (a: Answers) => fileOf(renderAnswers(a), "README.md").contents;

/** Step 1's heading: one runner, or one per pool. */
const step1Heading = (text: string) =>
  text.includes("\n### 1. Create the runners in GitLab\n")
    ? "### 1. Create the runners in GitLab"
    : "### 1. Create the runner in GitLab";
const step2Heading = (text: string) =>
  text.includes("\n### 2. Store the tokens in SSM\n")
    ? "### 2. Store the tokens in SSM"
    : "### 2. Store the token in SSM";

/** Step 1's blocks for the chosen path, one per pool: the UI (read the token) or the API (read a personal access token once, curl creates the runner). */
function step1Blocks(text: string, path: "ui" | "api"): string[] {
  const blocks = shBlocks(section(text, step1Heading(text)));
  const api = blocks.filter((b) => b.includes("/api/v4/user/runners"));
  const ui = blocks.filter((b) => !b.includes("/api/v4/user/runners"));
  const b = path === "api" ? api : ui;
  if (!b.length) throw new Error(`step 1 has no ${path} block`);
  return b;
}

function step1(text: string, path: "ui" | "api"): string {
  return step1Blocks(text, path).join("\n");
}

/** Every block of the first-time setup, in the order written, step 1 on the chosen path. */
function setupScript(text: string, path: "ui" | "api"): string[] {
  return [
    ...shBlocks(section(text, "## Before you start").split("\n### ")[0]),
    ...step1Blocks(text, path),
    ...shBlocks(section(text, step2Heading(text))),
    ...shBlocks(section(text, "### 3. Create the OIDC role for the pipeline")),
    ...shBlocks(section(text, "### 4. CI/CD variables")),
    ...shBlocks(section(text, "### 5. Pipeline schedules")),
    ...shBlocks(section(text, "### 6. The first pipeline")),
  ];
}

const RUNNER_TOKEN = "glrt-t3_AbCdEfGhIjKlMnOpQrSt";
const PAT = "glpat-Zy9XwVuTsRqPoNmLkJiH";

describe.each(exampleFiles)("first-time setup of examples/%s, run in the order written", (example) => {
  const answers = exampleAnswers(example);
  const text = readmeOf(answers);
  const paths: Array<"ui" | "api"> = answers.registrationMode === "authentication-token" ? ["ui", "api"] : ["ui"];
  const pools = poolViews(answers);

  describe.each(paths)("step 1 through the %s", (path) => {
    // The UI path reads one token per pool; the API path reads the personal access token once.
    const stdin = path === "api" ? `${PAT}\n` : `${RUNNER_TOKEN}\n`.repeat(pools.length);
    const run = runBlocks(setupScript(text, path), stdin, RUNNER_TOKEN);

    it("runs to the end under set -u: every variable a step uses is set by then, and no token is left in the shell", () => {
      expect(run.stderr).not.toMatch(/unbound variable|parameter null or not set|command not found/);
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout).toContain("RUNNER_TOKEN:unset");
      expect(run.stdout).not.toContain("set: RUNNER_TOKEN");
    });

    it("never puts the runner token or the personal access token on a command line (argv of every process)", () => {
      expect(run.execs).toMatch(/execve\(/);
      expect(run.execs).toMatch(/"aws", "ssm", "put-parameter"/);
      expect(run.execs).not.toContain(RUNNER_TOKEN);
      expect(run.execs).not.toContain(PAT);
      expect(run.execs).not.toContain(PAT.slice(6));
      for (const c of run.calls) expect(c.argv.join(" "), c.tool).not.toMatch(/glrt-|glpat-/);
    });

    it("hands each pool's token to put-parameter, into its own parameter, in a 0600 file that is gone afterwards", () => {
      const put = run.calls.filter((c) => c.tool === "aws" && c.argv.slice(0, 2).join(" ") === "ssm put-parameter");
      expect(put).toHaveLength(pools.length);
      put.forEach((c, i) => {
        expect(flag(c.argv, "--value")).toBeUndefined();
        expect(flag(c.argv, "--region")).toBe(answers.awsRegion);
        expect(flag(c.argv, "--cli-input-json")).toMatch(/^file:\/\//);
        expect(c.modes).toEqual(["600"]);
        expect(JSON.parse(c.files)).toEqual({
          Name: pools[i].tokenSsmParameter,
          Type: "SecureString",
          KeyId: answers.tokenKmsKeyId,
          Overwrite: true,
          Value: RUNNER_TOKEN,
        });
        expect(existsSync(c.paths[0])).toBe(false);
      });
      expect(readdirSync(run.tmp)).toEqual([]);
    });

    if (path === "api") {
      it("creates one runner per pool with its settings; curl gets the personal access token on standard input", () => {
        const created = run.calls.filter((x) => x.tool === "curl");
        expect(created).toHaveLength(pools.length);
        created.forEach((c, i) => {
          const pool = pools[i];
          expect(c.argv).toContain(`${answers.gitlabUrl}/api/v4/user/runners`);
          expect(flag(c.argv, "--config")).toBe("-");
          expect(c.stdin).toBe(`header = "PRIVATE-TOKEN: ${PAT}"\n`);
          const data = c.argv.flatMap((a, j) => (["--data", "--data-urlencode"].includes(c.argv[j - 1]) ? [a] : []));
          const field = (k: string) => data.find((d) => d.startsWith(k + "="))?.slice(k.length + 1);
          expect(field("description")).toBe(pool.runnerDescription);
          expect(field("tag_list")?.split(",") ?? []).toEqual(pool.runnerTags);
          expect(field("run_untagged")).toBe(String(pool.runnerTags.length ? pool.runUntagged : true));
          expect(field("locked")).toBe(String(pool.runnerLocked));
          expect(field("runner_type")).toBe("project_type");
          expect(field("project_id")).toBe("12345");
        });
      });
    }

    it("creates the repository and its remote before it pushes", () => {
      const git = run.calls.filter((c) => c.tool === "git").map((c) => c.argv);
      const at = (sub: string) => git.findIndex((a) => a.join(" ").startsWith(sub));
      expect(at("init")).toBeGreaterThanOrEqual(0);
      expect(at("init")).toBeLessThan(at("commit"));
      expect(at("commit")).toBeLessThan(at("push"));
      expect(at("remote add origin")).toBeLessThan(at("push"));
      const remote = git[at("remote add origin")][3];
      const projectPath = /^GITLAB_PROJECT_PATH=(\S+)/m.exec(text)![1];
      expect(remote).toBe(`${answers.gitlabUrl}/${projectPath}.git`);
      const branch = /^DEFAULT_BRANCH=(\S+)/m.exec(text)![1];
      expect(git[at("push")]).toEqual(["push", "-u", "origin", branch]);
    });

    it("asks for no manual build-ami run: the first push builds the AMI by itself", () => {
      const step6 = section(text, "### 6. The first pipeline");
      expect(step6).not.toMatch(/run the manual `build-ami`/i);
      const ci = parseYaml(fileOf(renderAnswers(answers), ".gitlab-ci.yml").contents, {
        customTags: [{ tag: "!reference", collection: "seq", resolve: (s) => s }],
      }) as Record<string, { rules?: Array<Record<string, unknown>> }>;
      const auto = ci["build-ami"].rules!.find((r) => r.changes && r.when === undefined);
      expect(String(auto?.if)).toMatch(/\$CI_COMMIT_BRANCH == \$CI_DEFAULT_BRANCH && \$CI_PIPELINE_SOURCE == "push"/);
    });
  });
});

describe("secrets stay off command lines with any token the GitLab API could return", () => {
  it("a token with every character GitLab puts in one", () => {
    const answers = exampleAnswers("answers.yaml");
    const token = "glrt-" + "AZaz09_-".repeat(4);
    const run = runBlocks(
      [step1(readmeOf(answers), "ui"), ...shBlocks(section(readmeOf(answers), "### 2. Store the token in SSM"))],
      `${token}\n`,
    );
    expect(run.status, run.stderr).toBe(0);
    expect(run.execs).not.toContain(token);
    const put = run.calls.find((c) => c.tool === "aws")!;
    expect(JSON.parse(put.files).Value).toBe(token);
  });
});

describe("free text in the API call that creates the runner", () => {
  it.each([
    exampleAnswers("hostile-strings.yaml").pools[0].runnerDescription,
    'it\'s `id` $(id) ${HOME} \\ "q" 日本 ```',
  ])("the description %j arrives unchanged", (runnerDescription) => {
    const answers = validAnswers(
      withPool(exampleAnswers("answers.yaml"), { runnerDescription, runnerTags: ["null", "a:b/c-d_e.f"] }),
    );
    const text = readmeOf(answers);
    const run = runBlocks(
      [...shBlocks(section(text, "## Before you start").split("\n### ")[0]), step1(text, "api")],
      `${PAT}\n`,
      RUNNER_TOKEN,
    );
    expect(run.status, run.stderr).toBe(0);
    const c = run.calls.find((x) => x.tool === "curl")!;
    expect(c.argv).toContain(`description=${runnerDescription}`);
    expect(c.argv).toContain("tag_list=null,a:b/c-d_e.f");
    expect(existsSync("/tmp/pwned")).toBe(false);
  });
});

describe("the GitLab URL, end to end: the pipeline's audience is the identity provider's client id and the trust condition", () => {
  /** Every aud under id_tokens anywhere in the pipeline. */
  function audiences(ciText: string): string[] {
    const ci = parseYaml(ciText, {
      customTags: [{ tag: "!reference", collection: "seq", resolve: (s) => s }],
    }) as unknown;
    const out: string[] = [];
    const walk = (v: unknown) => {
      if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === "object") {
        for (const [k, x] of Object.entries(v)) {
          if (k === "id_tokens")
            for (const t of Object.values(x as Record<string, { aud: string | string[] }>)) out.push(...[t.aud].flat());
          else walk(x);
        }
      }
    };
    walk(ci);
    return out;
  }

  it.each([
    ["https://gitlab.acme.example/", "https://gitlab.acme.example"],
    ["https://GitLab.Acme.Example:443//", "https://gitlab.acme.example"],
    ["https://gitlab.acme.example:8443/GitLab/", "https://gitlab.acme.example:8443/GitLab"],
    ["https://gitlab.com", "https://gitlab.com"],
  ])("%s", (given, normal) => {
    const answers = validAnswers({ ...exampleAnswers("answers.yaml"), gitlabUrl: given });
    const files = renderAnswers(answers);
    const text = fileOf(files, "README.md").contents;
    const run = runBlocks(shBlocks(section(text, "### 3. Create the OIDC role for the pipeline")), "");
    expect(run.status, run.stderr).toBe(0);
    const provider = run.calls.find((c) => c.argv.slice(0, 2).join(" ") === "iam create-open-id-connect-provider")!;
    const clientId = flag(provider.argv, "--client-id-list");
    const issuer = flag(provider.argv, "--url")!;
    const trust = JSON.parse(readFileSync(join(run.cwd, "trust-policy.json"), "utf8")) as {
      Statement: Array<{ Principal: { Federated: string }; Condition: { StringEquals: Record<string, string> } }>;
    };
    const host = issuer.replace(/^https:\/\//, "");
    const auds = audiences(fileOf(files, ".gitlab-ci.yml").contents);

    expect(auds.length).toBeGreaterThan(0);
    expect(new Set(auds)).toEqual(new Set([normal]));
    expect(clientId).toBe(normal);
    expect(issuer).toBe(normal);
    for (const st of trust.Statement) {
      expect(st.Principal.Federated.endsWith(`:oidc-provider/${host}`)).toBe(true);
      expect(st.Condition.StringEquals[`${host}:aud`]).toBe(normal);
    }
    expect(JSON.parse(fileOf(files, "terraform/terraform.tfvars.json").contents).gitlab_url).toBe(normal);
  });
});

describe.each(exampleFiles)("the generated README of examples/%s says how to move the gitlab-runner pin", (example) => {
  const answers = exampleAnswers(example);
  const files = renderAnswers(answers);
  const text = fileOf(files, "README.md").contents;
  const body = section(text, "### Update gitlab-runner");

  it("names the pinned version, the answer, the day the default was checked, and the Packer variable that holds it", () => {
    const packer = JSON.parse(fileOf(files, "packer-build.json").contents) as { variables: Record<string, string> };
    const variable = /`([a-z_]+)` variable in `packer-build\.json`/.exec(body)![1];
    expect(packer.variables[variable]).toBe(answers.gitlabRunnerVersion);
    expect(body).toContain(`gitlab-runner ${answers.gitlabRunnerVersion} (answer \`gitlabRunnerVersion\``);
    expect(body).toContain(`checked on ${pins.checked}`);
  });

  it("its commands regenerate with the new version as the only answer given, then commit", () => {
    const run = runBlocks(shBlocks(body), "");
    expect(run.status, run.stderr).toBe(0);
    const npx = run.calls.find((c) => c.tool === "npx")!;
    expect(npx.argv).toContain("--answers");
    const given = parseYaml(npx.files) as Record<string, unknown>;
    expect(Object.keys(given)).toEqual(["gitlabRunnerVersion"]);
    expect(validAnswers({ ...answers, ...given }).gitlabRunnerVersion).toBe(given.gitlabRunnerVersion);
    expect(npx.argv).toContain(`generator-gitlab-runner-aws@${generatorVersion}`);
    expect(run.calls.find((c) => c.tool === "git")?.argv[0]).toBe("commit");
    expect(readdirSync(run.cwd)).toEqual([]);
  });
});

describe.each(exampleFiles)("the workstation bootstrap of examples/%s", (example) => {
  const answers = exampleAnswers(example);
  const text = readmeOf(answers);
  const [block, ...more] = shBlocks(section(text, "### The runner of this pipeline"));

  it("builds the AMI and applies with the pipeline's state, the GitLab token read without echo and never on a command line", () => {
    expect(more).toEqual([]);
    const token = "glpat-BootstrapToken0123456789";
    const run = runBlocks([...shBlocks(section(text, "## Before you start").split("\n### ")[0]), block], `${token}\n`);
    expect(run.status, run.stderr).toBe(0);
    expect(run.execs).not.toContain(token);
    const tools = run.calls.map((c) => [c.tool, ...c.argv.slice(0, 1)].join(" "));
    expect(tools).toEqual([
      "packer plugins",
      "packer build",
      `${answers.iacTool} init`,
      `${answers.iacTool} plan`,
      `${answers.iacTool} apply`,
    ]);
    expect(run.calls.find((c) => c.argv[0] === "apply")!.argv).toContain("plan.cache");
  });

  it("uses the state address the pipeline uses", () => {
    const probe = runBlocks(
      [
        ...shBlocks(section(text, "## Before you start").split("\n### ")[0]),
        block.replace(
          /^(tofu|terraform) init.*$/m,
          'echo "ADDRESS=$TF_HTTP_ADDRESS"; echo "LOCK=$TF_HTTP_LOCK_ADDRESS"',
        ),
      ],
      "x\n",
    );
    expect(probe.stdout).toContain(
      `ADDRESS=${answers.gitlabUrl}/api/v4/projects/12345/terraform/state/${answers.projectName}\n`,
    );
    expect(probe.stdout).toContain(
      `LOCK=${answers.gitlabUrl}/api/v4/projects/12345/terraform/state/${answers.projectName}/lock\n`,
    );
    const ci = fileOf(renderAnswers(answers), ".gitlab-ci.yml").contents;
    expect(ci).toContain(
      'export TF_HTTP_ADDRESS="${CI_API_V4_URL}/projects/${CI_PROJECT_ID}/terraform/state/${TF_STATE_NAME}"',
    );
    expect(
      parseYaml(ci, { customTags: [{ tag: "!reference", collection: "seq", resolve: (s) => s }] }).variables
        .TF_STATE_NAME,
    ).toBe(answers.projectName);
  });
});

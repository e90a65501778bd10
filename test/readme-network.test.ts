import { describe, expect, it } from "vitest";
import { registryOf } from "../src/core/context/docs.js";
import { poolViews } from "../src/core/pools.js";
import type { Answers, RenderedFile } from "../src/core/types.js";
import { exampleAnswers, exampleFiles, fileOf, renderAnswers, validAnswers, withPool } from "./support/tools.js";

/**
 * The README's network prerequisites must list what the generated files call,
 * no more and no less: the AWS services the hosts' scripts use (read from the
 * scripts themselves), the hosts provision.sh downloads from, and Session
 * Manager's endpoints exactly where the answers turn it on.
 */

/** The Markdown tables of the "Network prerequisites" section, as rows of cells (header row dropped). */
function networkTables(readme: string): string[][][] {
  const body = readme.split("\n## Network prerequisites\n")[1].split("\n## ")[0];
  return body
    .split(/\n\n+/)
    .filter((p) => p.startsWith("| "))
    .map((t) =>
      t
        .split("\n")
        .slice(2)
        .map((l) => l.split(" | ").map((c) => c.replace(/^\| ?|\s*\|$/g, "").trim())),
    );
}

/** The host names in a Host cell (backticked or plain, comma-separated). */
const hosts = (cell: string) => cell.split(", ").map((h) => h.replace(/`/g, ""));

/** The AWS services (CLI names) the generated host scripts call, mapped to their endpoint prefixes. */
function scriptServices(files: RenderedFile[]): Set<string> {
  const endpoint: Record<string, string> = {
    ssm: "ssm",
    cloudwatch: "monitoring",
    autoscaling: "autoscaling",
    ec2: "ec2",
    sts: "sts",
    kms: "kms",
  };
  const out = new Set<string>();
  for (const f of files.filter((x) => x.path.startsWith("files/libexec/"))) {
    for (const m of f.contents.matchAll(/^\s*(?:if\s+!?\s*)?aws ([a-z0-9-]+) [a-z-]+/gm)) {
      expect(endpoint, `${f.path}: aws ${m[1]}`).toHaveProperty(m[1]);
      out.add(endpoint[m[1]]);
    }
  }
  return out;
}

function check(answers: Answers) {
  const files = renderAnswers(answers);
  const readme = fileOf(files, "README.md").contents;
  const [runners, build, pipeline] = networkTables(readme);
  expect(pipeline.length).toBeGreaterThan(0);
  const region = answers.awsRegion;
  const awsIn = (rows: string[][]) =>
    new Set(
      rows
        .flatMap((r) => hosts(r[1]))
        .filter((h) => h.endsWith(`.${region}.amazonaws.com`))
        .map((h) => h.split(".")[0]),
    );

  // Runners: what the scripts call, plus Session Manager's channels when operators may open a shell.
  const expected = scriptServices(files);
  if (answers.sessionManagerAccess) for (const s of ["ssm", "ssmmessages", "ec2messages"]) expected.add(s);
  // The CloudWatch agent (configured by configure-logs.sh) ships the logs; it is no aws CLI call.
  if (files.some((f) => f.path === "files/libexec/configure-logs.sh")) expected.add("logs");
  // gitlab-runner itself reads and writes the shared cache
  if (answers.cacheS3) expected.add("s3");
  expect(awsIn(runners)).toEqual(expected);
  expect(runners.some((r) => hosts(r[1]).includes(answers.gitlabUrl.replace(/^https:\/\//, "").split("/")[0]))).toBe(
    true,
  );
  // The registries of every docker pool's default image.
  const images = poolViews(answers)
    .filter((p) => p.executor === "docker")
    .map((p) => p.dockerImage);
  const registries = runners.find((r) => r[0] === "Container registries");
  expect(Boolean(registries)).toBe(images.length > 0);
  if (registries) expect(new Set(hosts(registries[1]))).toEqual(new Set(images.map(registryOf)));
  for (const r of runners) {
    if (!r[1].includes(`.${region}.amazonaws.com`)) continue;
    const service = hosts(r[1])[0].split(".")[0];
    expect(r[2], r[0]).toBe("`com.amazonaws." + region + "." + service + "`" + (service === "s3" ? " (gateway)" : ""));
  }

  // Build subnet: every host provision.sh downloads from, and Session Manager's endpoints only for Packer over Session Manager.
  const provision = fileOf(files, "provision.sh").contents;
  const downloads = new Set([...provision.matchAll(/https:\/\/([a-z0-9.-]+)/g)].map((m) => m[1]));
  const buildHosts = new Set(build.flatMap((r) => hosts(r[1])));
  for (const h of downloads) expect(buildHosts, h).toContain(h);
  expect(awsIn(build)).toEqual(
    new Set(answers.sshInterface === "session_manager" ? ["ssm", "ssmmessages", "ec2messages"] : []),
  );
  expect(build.some((r) => /Amazon Linux/.test(r[0]))).toBe(answers.baseOs === "al2023");
  expect(build.some((r) => /Ubuntu/.test(r[0]))).toBe(answers.baseOs === "ubuntu-24.04");

  // The pipeline's runner: SSH to the build instance only over the private IP.
  expect(pipeline.some((r) => r[0] === "The build instance")).toBe(answers.sshInterface === "private_ip");
}

describe.each(exampleFiles)("network prerequisites in the README of examples/%s", (example) => {
  it("list what the generated scripts call and what the answers enable", () => check(exampleAnswers(example)));
});

describe("network prerequisites follow the answers", () => {
  const base = exampleAnswers("answers.yaml");
  it.each([
    ["no Session Manager shells", { sessionManagerAccess: false }],
    ["CPU scaling (no metrics publisher)", { pool: { scalingPolicy: "cpu" } }],
    ["no load-driven scaling", { pool: { scalingPolicy: "none", asgMinSize: 0, asgDesiredCapacity: 0 } }],
    ["the shell executor", { pool: { executor: "shell" } }],
    ["Packer over the private IP", { sshInterface: "private_ip", buildJobTags: ["vpc"] }],
    ["Ubuntu", { baseOs: "ubuntu-24.04" }],
    [
      "another region and a self-managed GitLab with a port",
      { awsRegion: "us-west-2", gitlabUrl: "https://git.example.com:8443/gitlab/" },
    ],
  ])("%s", (_what, change: Record<string, unknown>) => {
    const { pool = {}, ...shared } = change as { pool?: Record<string, unknown> };
    check(validAnswers({ ...withPool(base, pool), ...shared }));
  });
});

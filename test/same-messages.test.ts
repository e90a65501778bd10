import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import helpers from "yeoman-test";
import { describe, expect, it } from "vitest";
import { packageRoot } from "../src/core/package-root.js";
import { GENERATOR_NAME } from "../src/core/render.js";
import { schemaVersion } from "../src/core/schema.js";
import { exampleAnswers } from "./support/tools.js";

/**
 * One pipeline, two shells: the same bad inputs give the same messages from
 * the bin and from yo, and yo stops before asking anything.
 */
const bin = join(packageRoot, "dist/src/bin/gitlab-runner-aws.js");
const generator = join(packageRoot, "dist/generators/app/index.js");

const THREE_MISTAKES = [
  "vpcId: vpc-nope",
  "subnetIds: [subnet-0a1b2c3d]",
  "buildSubnetId: subnet-0a1b2c3d",
  "ciRoleArn: arn:aws:iam::123456789012:role/ci",
  "rootVolumeSize: 60GB",
  "asgMaxSize: -1",
  "",
].join("\n");

const NETWORK = [
  "vpcId: vpc-0123456789abcdef0",
  "subnetIds: [subnet-0123456789abcdef0]",
  "buildSubnetId: subnet-0123456789abcdef0",
];

function bad(): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), "glra-same-"));
  const file = join(dir, "three-mistakes.yaml");
  writeFileSync(file, THREE_MISTAKES);
  const out = join(dir, "out");
  mkdirSync(out);
  return { dir: out, file };
}

/** The bin's message about the answers in file, after checking yo says the same before asking anything. */
async function bothSay(dir: string, file: string): Promise<string> {
  const r = spawnSync(process.execPath, [bin, "--answers", file, "--out", dir], {
    cwd: dir,
    encoding: "utf8",
    timeout: 30_000,
  });
  expect(r.status).toBe(1);
  let asked = 0;
  let fromYo: string | undefined;
  try {
    await helpers
      .run(generator)
      .cd(dir)
      .withOptions({ answers: file } as never)
      .withAnswers({}, { throwOnMissingAnswer: false, callback: (a: unknown) => (asked++, a) });
  } catch (e) {
    fromYo = (e as Error).message;
  }
  expect(asked).toBe(0);
  expect(fromYo === undefined ? "yo did not fail" : `${fromYo}\n`).toBe(r.stderr);
  return r.stderr;
}

describe("the bin and yo say the same about the same bad answers", () => {
  it("an answers file with three mistakes: the same three problems, before any question", async () => {
    const { dir, file } = bad();
    expect(await bothSay(dir, file)).toMatch(/^3 problems with the answers:\n/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("a wrong stored answer plus a wrong answer in the file: the same messages, each naming its file", async () => {
    const { dir, file } = bad();
    const stored = { ...exampleAnswers("answers.yaml"), concurrent: 0 } as Record<string, unknown>;
    writeFileSync(
      join(dir, ".yo-rc.json"),
      JSON.stringify({ [GENERATOR_NAME]: { answers: stored, generatorVersion: "0.0.1", schemaVersion } }),
    );
    const fromBin = await bothSay(dir, file);
    expect(fromBin).toMatch(/\(in \.yo-rc\.json\)/);
    expect(fromBin).toMatch(/\(in .*three-mistakes\.yaml\)/);
  });

  it("an answer given where its x-when is false, with policy error: the same message, naming the condition", async () => {
    const { dir, file } = bad();
    writeFileSync(
      file,
      [
        ...NETWORK,
        "ciRoleArn: arn:aws:iam::123456789012:role/ci",
        "executor: shell",
        "dockerPrivileged: true",
        "",
      ].join("\n"),
    );
    expect(await bothSay(dir, file)).toBe(
      "1 problem with the answers:\n  /pools/0/dockerPrivileged: true applies only with executor docker, and executor is shell: remove dockerPrivileged, or set executor to docker\nNothing was written.\n",
    );
  });

  it("an answers file that is not a mapping: the same message", async () => {
    const { dir, file } = bad();
    writeFileSync(file, "- just\n- a list\n");
    await bothSay(dir, file);
    expect(existsSync(join(dir, ".yo-rc.json"))).toBe(false);
  });
});

describe("the bin and yo say the same about valid answers", () => {
  it("notes (stored answers replaced, an answer not used) and warnings: the same lines", async () => {
    const { dir, file } = bad();
    const given = [
      "ciRoleArn: arn:aws:iam::123456789012:role/ci",
      "executor: shell",
      "dockerImage: debian:12",
      "useLaunchConfiguration: true",
      "concurrent: 3",
    ];
    writeFileSync(file, [...NETWORK, ...given, ""].join("\n"));
    const minimal = exampleAnswers("minimal.json");
    const stored = { ...minimal, pools: [{ ...minimal.pools[0], concurrent: 2 }] };
    const yoRc = JSON.stringify({ [GENERATOR_NAME]: { answers: stored, generatorVersion: "0.0.1", schemaVersion } });
    const binDir = mkdtempSync(join(tmpdir(), "glra-same-"));
    writeFileSync(join(binDir, ".yo-rc.json"), yoRc);
    writeFileSync(join(dir, ".yo-rc.json"), yoRc);
    const r = spawnSync(process.execPath, [bin, "--answers", file, "--out", binDir], {
      cwd: binDir,
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const notes = r.stdout.split("\n").filter((l) => / is not used: |replace the stored ones/.test(l));
    const fromBin = [...notes, ...r.stderr.split("\n").filter((l) => l.startsWith("warning: "))];
    expect(fromBin[0]).toMatch(
      /^answers from .* replace the stored ones: ciRoleArn, concurrent \(pool default\), dockerImage \(pool default\), executor \(pool default\), useLaunchConfiguration$/,
    );
    expect(fromBin[1]).toBe("dockerImage is not used: it applies only with executor docker, and executor is shell");
    expect(fromBin[2]).toMatch(/^warning: useLaunchConfiguration: /);
    const logged: string[] = [];
    await helpers
      .run(generator)
      .cd(dir)
      .withOptions({ answers: file, defaults: true } as never)
      .onGenerator((g) => {
        Object.defineProperty(g, "log", { value: (...m: unknown[]) => logged.push(m.join(" ")) });
      });
    expect(logged.filter((l) => / is not used: |replace the stored ones|^warning: /.test(l))).toEqual(fromBin);
  });
});

import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import helpers from "yeoman-test";
import { describe, expect, it } from "vitest";
import { packageRoot } from "../src/core/package-root.js";
import { GENERATOR_NAME } from "../src/core/render.js";
import { BASE_FILE } from "../src/core/store.js";
import { MARKER_KINDS } from "../src/core/update.js";

const bin = join(packageRoot, "dist/src/bin/gitlab-runner-aws.js");
const generator = join(packageRoot, "dist/generators/app/index.js");
const TFVARS = "terraform/terraform.tfvars.json";
const read = (dir: string, p: string) => readFileSync(join(dir, p), "utf8");

function run(args: string[], cwd = tmpdir()) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: "utf8", timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A repo generated from the README's example, committed state as the bin wrote it. */
function generated(): string {
  const dir = mkdtempSync(join(tmpdir(), "glra-lose-"));
  const r = run(["--answers", join(packageRoot, "examples/answers.yaml"), "--out", dir]);
  expect(r.code, r.stderr).toBe(0);
  return dir;
}

/** The user edits the line the next run changes too: `concurrent` goes 4 → 5 by hand, 4 → 3 by the new answer. */
function editConcurrent(dir: string): string {
  const mine = read(dir, TFVARS).replace('"concurrent": 4,', '"concurrent": 5,');
  writeFileSync(join(dir, TFVARS), mine);
  return mine;
}

/** The same for a shared answer, which yo takes as an option: `cacheExpirationDays` goes 7 → 8 by hand, 7 → 3 by the option. */
function editCacheDays(dir: string): string {
  const mine = read(dir, TFVARS).replace('"cache_expiration_days": 7,', '"cache_expiration_days": 8,');
  expect(mine).not.toBe(read(dir, TFVARS));
  writeFileSync(join(dir, TFVARS), mine);
  return mine;
}

describe("a conflict the user declines in yo is never lost", () => {
  it("answering n keeps the file and its old base; the next run offers the change again; --check reports it meanwhile", async () => {
    const dir = generated();
    const mine = editCacheDays(dir);
    const baseBefore = JSON.parse(read(dir, BASE_FILE)).files[TFVARS];

    const asked: string[] = [];
    const record = (answer: unknown, { question }: { question: { message?: unknown } }) => (
      asked.push(String(question.message)),
      answer
    );
    await helpers
      .run(generator)
      .cd(dir)
      .withOptions({ cacheExpirationDays: "3" } as never)
      .withAnswers({ ok: false }, { callback: record });
    expect(asked).toHaveLength(1);
    expect(asked[0]).toMatch(
      /^terraform\/terraform\.tfvars\.json: your edits and the generator's change touch the same lines\. Write it with conflict markers/,
    );
    expect(asked[0]).toMatch(/n: keep your file as it is; the change is offered again on the next run/);
    expect(read(dir, TFVARS)).toBe(mine);
    expect(JSON.parse(read(dir, BASE_FILE)).files[TFVARS]).toBe(baseBefore);
    expect(JSON.parse(read(dir, ".yo-rc.json"))[GENERATOR_NAME].answers.cacheExpirationDays).toBe(3);

    const check = run(["--check", "--out", dir]);
    expect(check.code).toBe(1);
    expect(check.stdout).toMatch(/^conflicted +terraform\/terraform\.tfvars\.json/m);
    expect(check.stdout).toMatch(/^drift: /m);

    const askedAgain: string[] = [];
    await helpers
      .run(generator)
      .cd(dir)
      .withAnswers(
        { ok: true },
        {
          callback: (answer: unknown, { question }: { question: { message?: unknown } }) => (
            askedAgain.push(String(question.message)),
            answer
          ),
        },
      );
    expect(askedAgain).toEqual(asked);
    const text = read(dir, TFVARS);
    for (const kind of MARKER_KINDS) expect(text).toMatch(new RegExp(`^\\${kind.split("").join("\\")}`, "m"));
    expect(text).toContain('"cache_expiration_days": 8,');
    expect(text).toContain('"cache_expiration_days": 3,');
  });

  it("the bin's --check fails while any one of the four marker kinds is left, and names all four", () => {
    const dir = generated();
    editConcurrent(dir);
    expect(run(["--out", dir, "--answers", join(packageRoot, "examples/answers.yaml")]).code).toBe(0);
    writeFileSync(
      join(dir, "answers.yaml"),
      readFileSync(join(packageRoot, "examples/answers.yaml"), "utf8").replace("concurrent: 4", "concurrent: 3"),
    );
    const conflicted = run(["--out", dir, "--answers", join(dir, "answers.yaml")]);
    expect(conflicted.code).toBe(1);
    const withMarkers = read(dir, TFVARS);
    expect(conflicted.stdout).toContain("<<<<<<< yours, ||||||| base, ======= and >>>>>>> generator");
    for (const left of MARKER_KINDS) {
      // The user resolves by hand but forgets one kind of marker line.
      const lines = withMarkers.split("\n");
      const keepOnly = lines.filter(
        (l) =>
          (!MARKER_KINDS.some((k) => l.startsWith(k) && k !== left) && !/"concurrent": [35],/.test(l)) ||
          l.includes('"concurrent": 3,'),
      );
      writeFileSync(join(dir, TFVARS), keepOnly.join("\n"));
      const check = run(["--check", "--out", dir]);
      expect(check.code, left).toBe(1);
      expect(check.stdout, left).toMatch(
        /^conflicted +terraform\/terraform\.tfvars\.json +\(still has the conflict markers/m,
      );
    }
  });

  it.each([
    [
      "terraform/modules/runner-pool/asg.tf",
      (t: string) =>
        t.replace(
          /^(\s*)health_check_grace_period(.*)$/m,
          "$1health_check_grace_period$2\n$1health_check_grace_period$2",
        ),
      /terraform\/modules\/runner-pool\/asg\.tf is no longer valid HCL \(.*Attribute redefined/,
    ],
    [
      TFVARS,
      (t: string) => t.replace('"concurrent": 4,', '"concurrent": 4,,'),
      /terraform\.tfvars\.json is no longer valid JSON/,
    ],
    ["provision.sh", (t: string) => t + "\nif true; then\n", /provision\.sh is no longer valid shell \(bash -n/],
  ])("--check fails while the edited %s no longer parses", (path, edit, message) => {
    const dir = generated();
    writeFileSync(join(dir, path), edit(read(dir, path)));
    const check = run(["--check", "--out", dir]);
    expect(check.code).toBe(1);
    expect(check.stderr).toMatch(message);
    expect(check.stdout).toMatch(/^no drift, but conflicts are left to resolve/m);
  });

  it("--check passes again once the edited file parses", () => {
    const dir = generated();
    const asg = "terraform/modules/runner-pool/asg.tf";
    writeFileSync(join(dir, asg), read(dir, asg) + "\n# our note\n");
    const check = run(["--check", "--out", dir]);
    expect(check.stderr).toBe("");
    expect(check.code).toBe(0);
  });
});

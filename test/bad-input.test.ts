import { spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { MAX_ANSWERS_BYTES } from "../src/core/answers-file.js";
import { packageRoot } from "../src/core/package-root.js";
import { examplesDir, requireTool } from "./support/tools.js";

/**
 * Every way an answers file or an output folder can be unusable, through the
 * real bin: a clear message, a non-zero exit, and nothing written, not even an
 * empty folder or a temporary file. Interrupted or failing writes leave the
 * previous tree byte for byte.
 */

const bin = join(packageRoot, "dist/src/bin/gitlab-runner-aws.js");
const example = join(examplesDir, "answers.yaml");
const isRoot = process.getuid?.() === 0;
const USER = "glra-yo";

beforeAll(() => {
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run "npm run build" (npm test does it first)`);
});

function run(args: string[], opts: { asUser?: boolean } = {}) {
  const [cmd, argv] =
    opts.asUser && isRoot
      ? ["runuser", ["-u", USER, "--", process.execPath, bin, ...args]]
      : [process.execPath, [bin, ...args]];
  const r = spawnSync(cmd, argv, {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 30_000,
    cwd: tmpdir(),
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, signal: r.signal };
}

/** A folder everyone may enter, so the unprivileged user's runs see the same files. */
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), "glra-bad-"));
  chmodSync(d, 0o755);
  return d;
}

/** The unprivileged user for the cases root can't feel (root reads and writes through mode bits). */
function unprivileged(): { uid: number; gid: number } {
  if (!isRoot) return { uid: process.getuid!(), gid: process.getgid!() };
  requireTool("runuser", "util-linux");
  if (spawnSync("id", ["-u", USER]).status !== 0) {
    requireTool("useradd", "passwd");
    const r = spawnSync("useradd", ["-m", "-s", "/bin/sh", USER], { encoding: "utf8" });
    if (r.status !== 0 && spawnSync("id", ["-u", USER]).status !== 0)
      throw new Error(`useradd ${USER} failed: ${r.stderr}`);
  }
  const id = (flag: string) => Number(spawnSync("id", [flag, USER], { encoding: "utf8" }).stdout.trim());
  return { uid: id("-u"), gid: id("-g") };
}

/** Every entry under dir (folders too), with file bytes and modes: what "nothing changed" is compared on. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(d, e.name);
      const r = rel ? `${rel}/${e.name}` : e.name;
      const st = lstatSync(p);
      if (e.isSymbolicLink()) out[r] = "symlink";
      else if (e.isDirectory()) {
        out[r + "/"] = (st.mode & 0o7777).toString(8);
        walk(p, r);
      } else out[r] = `${(st.mode & 0o7777).toString(8)} ${readFileSync(p).toString("base64")}`;
    }
  };
  walk(dir, "");
  return out;
}

const temporaries = (dir: string) =>
  Object.keys(snapshot(dir)).filter((p) => /\.\d+\.(tmp|removed)$|^\.gitlab-runner-aws-tx\./.test(p));

function expectRefused(r: ReturnType<typeof run>, message: RegExp, out?: string) {
  expect(r.signal).toBeNull();
  expect(r.code, r.stderr).not.toBe(0);
  expect(r.stderr).toMatch(message);
  expect(r.stderr).not.toMatch(/\n\s+at .*\(.*:\d+:\d+\)/); // no stack trace
  if (out !== undefined) expect(existsSync(out), `${out} was created`).toBe(false);
}

/** An answers file variant of examples/answers.yaml. */
function answersFile(dir: string, name: string, edit: (text: string) => string = (t) => t): string {
  const p = join(dir, name);
  writeFileSync(p, edit(readFileSync(example, "utf8")));
  return p;
}

describe("bad answers files: a clear error, non-zero exit, nothing written", () => {
  const cases: Array<[string, (dir: string) => string, RegExp]> = [
    ["an empty YAML file", (d) => answersFile(d, "a.yaml", () => ""), /answers file .*a\.yaml is empty/],
    ["an empty JSON file", (d) => answersFile(d, "a.json", () => "  \n"), /a\.json is empty/],
    [
      "invalid YAML",
      (d) => answersFile(d, "a.yaml", (t) => t.replace("awsRegion: eu-central-1", "awsRegion: [eu-central-1")),
      /not valid YAML:\n {2}line \d+, column \d+: /,
    ],
    [
      "invalid JSON",
      (d) => answersFile(d, "a.json", () => '{\n  "vpcId": "vpc-0a1b2c3d",\n  "subnetIds": ["subnet-0a1b2c3d",]\n}\n'),
      /not valid JSON:\n {2}line 3, column \d+: /,
    ],
    [
      "a duplicate key in YAML",
      (d) => answersFile(d, "a.yaml", (t) => t + "projectName: again\n"),
      /line \d+, column 1: Map keys must be unique/,
    ],
    [
      "a duplicate key in JSON",
      (d) => answersFile(d, "a.json", () => '{"vpcId": "vpc-0a1b2c3d",\n "vpcId": "vpc-0a1b2c3e"}'),
      /line 2, column 2: duplicate key "vpcId"/,
    ],
    [
      "an unknown key",
      (d) => answersFile(d, "a.yaml", (t) => t + "instanceType: t3.large\n"),
      /\/instanceType: unknown answer "instanceType"\. Did you mean "instanceTypes"\?/,
    ],
    [
      "a wrong type",
      (d) =>
        answersFile(d, "a.yaml", (t) =>
          t
            .replace("asgMaxSize: 6", "asgMaxSize: six")
            .replace(/subnetIds:\n(  - .*\n)+/, "subnetIds: subnet-0a1b2c3d\n"),
        ),
      /\/subnetIds: "subnet-0a1b2c3d" must be array, not string[\s\S]*\/asgMaxSize: "six" must be integer, not string/,
    ],
    [
      "a token instead of its SSM parameter",
      (d) => answersFile(d, "a.yaml", (t) => t + "runnerDescription: glrt-AbCdEfGhIjKlMnOpQrSt\n"),
      /store the token in SSM/,
    ],
    [
      "YAML that reads unquoted text as a number, and infinity",
      (d) =>
        answersFile(d, "a.yaml", (t) =>
          t.replace(/^projectName: .*$/m, "projectName: 0755").replace(/^( *)concurrent: .*$/m, "$1concurrent: .inf"),
        ),
      /\/projectName: 755 must be string, not number \(in YAML, put the text in quotes: unquoted, it was read as the number 755\)[\s\S]*\/concurrent: Infinity must be integer/,
    ],
    [
      "a list instead of a mapping",
      (d) => answersFile(d, "a.yaml", () => "- vpcId\n- subnetIds\n"),
      /must be a mapping of answer names to values, not a list/,
    ],
    [
      "a huge file",
      (d) => answersFile(d, "a.yaml", (t) => t + "# padding\n".repeat(Math.ceil(MAX_ANSWERS_BYTES / 10) + 1)),
      /is \d+ bytes; an answers file is at most 1048576 bytes/,
    ],
    [
      "a binary file",
      (d) => {
        const p = join(d, "a.yaml");
        writeFileSync(p, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00, 0xff, 0xfe, 0x00, 0x00]));
        return p;
      },
      /is binary \(it contains NUL bytes\)/,
    ],
    [
      "text that is not UTF-8",
      (d) => {
        const p = join(d, "a.yaml");
        writeFileSync(p, Buffer.from("runnerDescription: caf\xe9\n", "latin1"));
        return p;
      },
      /is not UTF-8 text/,
    ],
    [
      "a directory",
      (d) => {
        mkdirSync(join(d, "answers.yaml"));
        return join(d, "answers.yaml");
      },
      /answers file .*answers\.yaml is a directory, not a file/,
    ],
    ["a missing file", (d) => join(d, "nope.yaml"), /answers file .*nope\.yaml does not exist/],
    [
      "a YAML bomb (aliases)",
      (d) =>
        answersFile(
          d,
          "a.yaml",
          () =>
            `a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n`,
        ),
      /answers file .*a\.yaml is not valid YAML|[Ee]xcessive alias count/,
    ],
  ];

  it.each(cases)("%s", (_, make, message) => {
    const dir = tmp();
    const file = make(dir);
    const out = join(dir, "out");
    expectRefused(run(["--answers", file, "--out", out]), message, out);
  });

  it("an unreadable file (run as an unprivileged user: root reads through mode bits)", () => {
    unprivileged();
    const dir = tmp();
    chmodSync(dir, 0o777);
    const file = answersFile(dir, "secret.yaml");
    chmodSync(file, 0o000);
    const out = join(dir, "out");
    expectRefused(
      run(["--answers", file, "--out", out], { asUser: true }),
      /answers file .*secret\.yaml cannot be read \(permission denied\)/,
      out,
    );
  });
});

describe("bad output folders: a clear error, non-zero exit, nothing written", () => {
  it("--out pointing at a file leaves the file alone", () => {
    const dir = tmp();
    const file = join(dir, "out");
    writeFileSync(file, "keep me\n");
    expectRefused(run(["--answers", example, "--out", file]), /--out .*out is a file, not a folder/);
    expect(readFileSync(file, "utf8")).toBe("keep me\n");
  });

  it("--out below a file", () => {
    const dir = tmp();
    writeFileSync(join(dir, "f"), "");
    expectRefused(run(["--answers", example, "--out", join(dir, "f", "out")]), /a parent of it is a file/);
  });

  it("a read-only --out (as an unprivileged user: root writes through mode bits) gets no file, folder or temporary", () => {
    const user = unprivileged();
    const dir = tmp();
    const out = join(dir, "ro");
    mkdirSync(out);
    writeFileSync(join(out, "existing.txt"), "mine\n");
    chownSync(out, user.uid, user.gid);
    chmodSync(out, 0o555);
    const before = snapshot(out);
    expectRefused(run(["--answers", example, "--out", out], { asUser: true }), /not writable|permission denied/i);
    expect(snapshot(out)).toEqual(before);
  });

  it("a new --out inside a read-only folder is not created", () => {
    const user = unprivileged();
    const dir = tmp();
    const parent = join(dir, "ro");
    mkdirSync(parent);
    chownSync(parent, user.uid, user.gid);
    chmodSync(parent, 0o555);
    expectRefused(
      run(["--answers", example, "--out", join(parent, "new", "deeper")], { asUser: true }),
      /not writable|permission denied/i,
    );
    expect(readdirSync(parent)).toEqual([]);
  });

  it("--out inside the generator package, directly or through a symlink", () => {
    const inside = join(packageRoot, "node_modules", ".glra-generated-inside");
    expectRefused(run(["--answers", example, "--out", inside]), /inside the generator package/, inside);
    const dir = tmp();
    symlinkSync(packageRoot, join(dir, "pkg"));
    expectRefused(
      run(["--answers", example, "--out", join(dir, "pkg", "sub")]),
      /inside the generator package/,
      join(packageRoot, "sub"),
    );
  });

  it("a symlink in the output tree pointing outside it is refused, and neither side changes", () => {
    const dir = tmp();
    const out = join(dir, "repo");
    expect(run(["--answers", example, "--out", out]).code).toBe(0);
    // A generated folder moved outside the tree, with a symlink left in its place.
    const outside = join(dir, "outside");
    cpSync(join(out, "terraform"), outside, { recursive: true });
    rmSync(join(out, "terraform"), { recursive: true });
    symlinkSync(outside, join(out, "terraform"));
    const beforeOut = snapshot(out);
    const beforeOutside = snapshot(outside);
    const changed = answersFile(dir, "changed.yaml", (t) => t.replace("asgMaxSize: 6", "asgMaxSize: 7"));
    expectRefused(
      run(["--answers", changed, "--out", out]),
      /terraform is a symlink to .*outside, outside the output folder/,
    );
    expect(snapshot(out)).toEqual(beforeOut);
    expect(snapshot(outside)).toEqual(beforeOutside);
  });

  it("a symlink pointing outside in a new output folder is refused before anything is written", () => {
    const dir = tmp();
    const out = join(dir, "repo");
    const outside = join(dir, "outside");
    mkdirSync(out);
    mkdirSync(outside);
    symlinkSync(outside, join(out, "terraform"));
    const before = snapshot(out);
    expectRefused(run(["--answers", example, "--out", out]), /symlink to .*outside, outside the output folder/);
    expect(snapshot(out)).toEqual(before);
    expect(readdirSync(outside)).toEqual([]);
  });
});

describe("failing and interrupted writes leave the previous tree", () => {
  /** A generated repo, a changed answers file, and the tree the change gives when nothing goes wrong. */
  function scenario() {
    const dir = tmp();
    const out = join(dir, "repo");
    expect(run(["--answers", example, "--out", out]).code).toBe(0);
    const changed = answersFile(dir, "changed.yaml", (t) =>
      t.replace("projectName: acme-runners", "projectName: other-runners").replace("asgMaxSize: 6", "asgMaxSize: 9"),
    );
    const expectedDir = join(dir, "expected");
    cpSync(out, expectedDir, { recursive: true });
    const r = run(["--answers", changed, "--out", expectedDir]);
    expect(r.code, r.stderr).toBe(0);
    const before = snapshot(out);
    const after = snapshot(expectedDir);
    expect(after).not.toEqual(before);
    return { dir, out, changed, before, after };
  }

  it("a write that fails half-way (a file where a folder must go) changes nothing and leaves no folder or temporary behind", () => {
    const dir = tmp();
    const out = join(dir, "repo");
    mkdirSync(out);
    // The tree is written in path order: folders before "terraform" are made before this one fails.
    writeFileSync(join(out, "terraform"), "in the way\n");
    const before = snapshot(out);
    const r = run(["--answers", example, "--out", out]);
    expectRefused(r, /nothing was written/i);
    expect(snapshot(out)).toEqual(before);
  });

  it("a rewrite that fails half-way (a folder it can't write to, as an unprivileged user) restores the tree byte for byte", () => {
    const user = unprivileged();
    const { out, changed } = scenario();
    spawnSync("chown", ["-R", `${user.uid}:${user.gid}`, join(out, "..")]);
    // Files sort before and after terraform/: the earlier ones are staged before this folder refuses.
    chmodSync(join(out, "terraform"), 0o555);
    const before = snapshot(out);
    expectRefused(
      run(["--answers", changed, "--out", out], { asUser: true }),
      /nothing was written: .*terraform.* is not writable/i,
    );
    expect(snapshot(out)).toEqual(before);
  });

  // strace stops the bin with SIGKILL at an exact system call: the Nth rename (the first commits the write's
  // journal, the next ones put files in place) or the Nth chmod (while the new files are still being staged).
  it.each([
    ["rename", 1, "before"],
    ["rename", 2, "after"],
    ["rename", 4, "after"],
    ["chmod", 1, "before"],
    ["chmod", 3, "before"],
  ] as const)(
    "SIGKILL at %s #%i: the next run finds the %s tree whole, with no temporary files",
    (call, n, expected) => {
      requireTool("strace");
      const { out, changed, before, after } = scenario();
      const calls = call === "rename" ? "rename,renameat,renameat2" : "chmod,fchmodat";
      const r = spawnSync(
        "strace",
        [
          "-f",
          "-qq",
          "-o",
          "/dev/null",
          "-e",
          `trace=${calls}`,
          "-e",
          `inject=${calls}:signal=SIGKILL:when=${n}`,
          process.execPath,
          bin,
          "--answers",
          changed,
          "--out",
          out,
        ],
        { encoding: "utf8" },
      );
      expect(r.status === 137 || r.signal === "SIGKILL", `not killed: ${r.stderr}`).toBe(true);
      expect(temporaries(out).length, "the killed run left its journal and temporaries").toBeGreaterThan(0);
      const before2 = snapshot(out);
      expectRefused(
        run(["--out", out, "--check"]),
        /an earlier write to .* was interrupted; run gitlab-runner-aws there without --dry-run or --check/,
      );
      expect(snapshot(out), "--check wrote").toEqual(before2);
      const again = run(["--out", out]);
      expect(again.stdout).toMatch(
        expected === "before"
          ? /removed the temporary files of an interrupted write/
          : /completed an interrupted write/,
      );
      expect(again.code, again.stdout + again.stderr).toBe(0);
      expect(temporaries(out)).toEqual([]);
      expect(snapshot(out)).toEqual(expected === "before" ? before : after);
    },
  );

  it.each(["SIGTERM", "SIGINT", "SIGKILL"] as const)(
    "%s at any moment leaves the previous tree or the complete new one (after the next run, for SIGKILL), and no temporary files",
    async (signal) => {
      const { out, changed, before, after } = scenario();
      // Spread the signals over a whole run, as long as one takes on this machine now, and denser near its end, where it writes.
      const t0 = performance.now();
      expect(run(["--answers", changed, "--out", out, "--dry-run"]).code).toBe(0);
      const took = performance.now() - t0;
      const delays = [0, 0.5, 0.75, 0.85, 0.9, 0.95, 1, 1.1].map((f) => Math.round(f * took));
      for (const delay of delays) {
        const child = spawn(process.execPath, [bin, "--answers", changed, "--out", out], { stdio: "ignore" });
        const exited = new Promise((r) => child.once("exit", r));
        await new Promise((r) => setTimeout(r, delay));
        child.kill(signal);
        await exited;
        // A killed write is finished or undone by the next run (its journal says which); SIGINT/SIGTERM wait for the write.
        if (signal === "SIGKILL") expect(run(["--out", out]).code).toBe(0);
        const now = snapshot(out);
        expect(
          [before, after].some((t) => JSON.stringify(t) === JSON.stringify(now)),
          `after ${signal} at ${delay} ms: a mix of the two trees`,
        ).toBe(true);
        expect(temporaries(out), `after ${signal} at ${delay} ms`).toEqual([]);
        // Back to the previous tree for the next try.
        const restore = run(["--answers", example, "--out", out]);
        expect(restore.code, restore.stderr).toBe(0);
        expect(snapshot(out)).toEqual(before);
      }
    },
    120_000,
  );
});

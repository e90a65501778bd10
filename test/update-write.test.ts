import {
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { WriteError, writeFilesAtomically } from "../src/core/write.js";

function repo(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "glra-wr-"));
  for (const [p, c] of Object.entries(files)) {
    mkdirSync(join(dir, p, ".."), { recursive: true });
    writeFileSync(join(dir, p), c);
  }
  return dir;
}

function listing(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? listing(join(dir, e.name), base) : [join(dir, e.name).slice(base.length + 1)]))
    .sort();
}

describe("writeFilesAtomically with removals", () => {
  it("writes and removes in one step, and drops folders the removals leave empty", () => {
    const dir = repo({ "a.txt": "old\n", "old/deep/gone.txt": "x\n", "old/keep.txt": "k\n", "empty/only.txt": "y\n" });
    writeFilesAtomically(
      dir,
      [
        { path: "a.txt", contents: "new\n", mode: 0o644 },
        { path: "b/c.sh", contents: "#!/bin/sh\n", mode: 0o755 },
      ],
      ["old/deep/gone.txt", "empty/only.txt"],
    );
    expect(listing(dir)).toEqual(["a.txt", "b/c.sh", "old/keep.txt"]);
    expect(readFileSync(join(dir, "a.txt"), "utf8")).toBe("new\n");
    expect(existsSync(join(dir, "empty"))).toBe(false);
  });

  it("changes nothing when a removal cannot be done: staged files go, removed files come back", () => {
    const dir = repo({ "a.txt": "old\n", "gone.txt": "g\n", "folder/x": "x\n" });
    const before = listing(dir);
    expect(() =>
      writeFilesAtomically(dir, [{ path: "a.txt", contents: "new\n", mode: 0o644 }], ["gone.txt", "folder"]),
    ).toThrow(WriteError);
    expect(listing(dir)).toEqual(before);
    expect(readFileSync(join(dir, "a.txt"), "utf8")).toBe("old\n");
    expect(readFileSync(join(dir, "gone.txt"), "utf8")).toBe("g\n");
  });

  it("refuses to remove through a symlink that leaves the output folder", () => {
    const outside = repo({ "victim.txt": "v\n" });
    const dir = repo({});
    symlinkSync(outside, join(dir, "link"));
    expect(() => writeFilesAtomically(dir, [], ["link/victim.txt"])).toThrow(/symlink to .*outside the output folder/);
    expect(readFileSync(join(outside, "victim.txt"), "utf8")).toBe("v\n");
  });
});

describe("writeFilesAtomically and owners", () => {
  // CI runs the suite as root, where this matters: root rewriting a user's checkout.
  const isRoot = process.getuid?.() === 0;

  it("keeps a replaced file's owner, and gives new files and folders their folder's owner", () => {
    const dir = repo({ "mine.txt": "old\n" });
    const user = isRoot ? 65534 : process.getuid!();
    if (isRoot) {
      chownSync(dir, user, user);
      chownSync(join(dir, "mine.txt"), 4242, 4243);
    }
    writeFilesAtomically(dir, [
      { path: "mine.txt", contents: "new\n", mode: 0o644 },
      { path: "a/b/new.txt", contents: "n\n", mode: 0o644 },
    ]);
    const owner = (p: string) => [lstatSync(join(dir, p)).uid, lstatSync(join(dir, p)).gid];
    expect(owner("mine.txt")).toEqual(isRoot ? [4242, 4243] : [user, process.getgid!()]);
    for (const p of ["a", "a/b", "a/b/new.txt"])
      expect(owner(p), p).toEqual(isRoot ? [user, user] : [user, lstatSync(dir).gid]);
    expect(readFileSync(join(dir, "mine.txt"), "utf8")).toBe("new\n");
  });
});

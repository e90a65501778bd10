import { spawnSync } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RenderedFile } from "../src/core/types.js";
import { exampleFiles, renderExample, requireTool, writeTree } from "./support/tools.js";

const isShell = (f: RenderedFile) => f.path.endsWith(".sh") || /^#!.*\b(ba)?sh\b/.test(f.contents);
const run = (cmd: string, args: string[], cwd: string) => {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8" });
  return { status: r.status, output: `${r.stdout}${r.stderr}`.trim() };
};

describe.each(exampleFiles)("AMI shell scripts of %s", (file) => {
  const files = renderExample(file);
  const scripts = files.filter((f) => isShell(f) && (f.path === "provision.sh" || f.path.startsWith("files/")));
  let tree: string;
  beforeAll(() => {
    tree = writeTree(files);
  });
  afterAll(() => rmSync(tree, { recursive: true, force: true }));

  it("has the provisioner and the hook scripts", () => {
    expect(scripts.map((s) => s.path)).toEqual(
      expect.arrayContaining(["provision.sh", "files/libexec/register.sh", "files/libexec/unregister.sh"]),
    );
  });

  it.each(scripts.map((s) => s.path))("%s: bash -n, shellcheck, shfmt in the .editorconfig style", (path) => {
    requireTool("shellcheck");
    requireTool("shfmt");
    expect(run("bash", ["-n", path], tree)).toEqual({ status: 0, output: "" });
    expect(run("shellcheck", ["-x", "-P", dirname(path), path], tree)).toEqual({ status: 0, output: "" });
    // shfmt reads the generated .editorconfig (2 spaces, bash, switch_case_indent) for files under tree
    expect(run("shfmt", ["-d", path], tree)).toEqual({ status: 0, output: "" });
  });

  it("keeps every check on: no shellcheck disables, no xtrace that could print the token", () => {
    for (const s of scripts) {
      expect(s.contents, s.path).not.toMatch(/shellcheck\s+disable/);
      expect(s.contents, s.path).not.toMatch(/set\s+-[a-z]*x|set\s+-o\s+xtrace|bash\s+-x/);
      if (s.contents.startsWith("#!")) expect(s.contents, s.path).toMatch(/^set -euo pipefail$/m);
    }
  });

  it("the shfmt check fails on a script formatted another way", () => {
    const reg = scripts.find((s) => s.path === "files/libexec/register.sh")!;
    const path = "files/libexec/misformatted.sh";
    writeFileSync(join(tree, path), reg.contents.replace(/^ {2}(\S)/gm, "    $1"));
    expect(run("shfmt", ["-d", path], tree).status).not.toBe(0);
  });
});

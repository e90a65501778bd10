import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { packageRoot } from "../src/core/package-root.js";
import { pins } from "../src/core/pins.js";

/** scripts/bump-pins.mjs, run on a temporary copy of the package (npm test has built dist/). */
function copy(): string {
  const dir = mkdtempSync(join(tmpdir(), "glra-pins-"));
  for (const p of ["package.json", "README.md", "schema", "scripts", "dist"])
    cpSync(join(packageRoot, p), join(dir, p), { recursive: true });
  return dir;
}

const bump = (dir: string, ...args: string[]) =>
  spawnSync(process.execPath, [join(dir, "scripts/bump-pins.mjs"), "--root", dir, ...args], { encoding: "utf8" });
const json = (dir: string, p: string) => JSON.parse(readFileSync(join(dir, p), "utf8"));
const text = (dir: string, p: string) => readFileSync(join(dir, p), "utf8");
const tableRow = (readme: string) => readme.split("\n").find((l) => l.startsWith("| `gitlabRunnerVersion` |"));

describe("scripts/bump-pins.mjs", () => {
  it("moves the default gitlab-runner version, an image, the Packer plugin and the checked day; refreshes the answers table; changes nothing else", () => {
    const dir = copy();
    const schemaBefore = json(dir, "schema/answers.schema.json");
    const pinsBefore = json(dir, "schema/pins.json");
    const [major, minor] = schemaBefore.properties.gitlabRunnerVersion.default.split(".").map(Number);
    const next = `${major}.${minor + 1}.0`;
    const packer = pinsBefore.images.packer.replace(/:[^:]+$/, ":9.9.9");
    const r = bump(
      dir,
      "--gitlab-runner",
      next,
      "--image",
      `packer=${packer}`,
      "--packer-amazon-plugin",
      "9.0.0",
      "--checked",
      "2027-01-15",
    );
    expect(r.status, r.stderr).toBe(0);

    const schema = json(dir, "schema/answers.schema.json");
    expect(schema.properties.gitlabRunnerVersion.default).toBe(next);
    schema.properties.gitlabRunnerVersion.default = schemaBefore.properties.gitlabRunnerVersion.default;
    expect(schema).toEqual(schemaBefore);
    // Only the one line of the hand-laid-out schema changed.
    const diff = text(dir, "schema/answers.schema.json")
      .split("\n")
      .filter((l, i) => l !== readFileSync(join(packageRoot, "schema/answers.schema.json"), "utf8").split("\n")[i]);
    expect(diff).toEqual([`      "default": "${next}",`]);

    const pins = json(dir, "schema/pins.json");
    expect(pins).toEqual({
      ...pinsBefore,
      images: { ...pinsBefore.images, packer },
      packerAmazonPlugin: "9.0.0",
      checked: "2027-01-15",
    });
    expect(tableRow(text(dir, "README.md"))).toContain(`\`"${next}"\``);
    expect(text(dir, "README.md").replace(tableRow(text(dir, "README.md"))!, "")).toBe(
      text(packageRoot, "README.md").replace(tableRow(text(packageRoot, "README.md"))!, ""),
    );
  });

  it.each([
    ["a version that is not a release", ["--gitlab-runner", "19.3"]],
    ["a pre-release", ["--gitlab-runner", "19.4.0-rc1"]],
    ["an older gitlab-runner", ["--gitlab-runner", "17.0.0"]],
    ["an image in another repository", ["--image", "packer=evil.example/packer:1.0.0"]],
    ["an image without a tag", ["--image", "terraform=hashicorp/terraform"]],
    ["latest", ["--image", "terraform=hashicorp/terraform:latest"]],
    ["an unknown image", ["--image", "nope=hashicorp/terraform:1.0.0"]],
    ["a bad plugin version", ["--packer-amazon-plugin", "v1.9"]],
    ["a date that does not exist", ["--gitlab-runner", "30.0.0", "--checked", "2026-02-30"]],
  ])("refuses %s and writes nothing", (_what, args) => {
    const dir = copy();
    const before = ["schema/answers.schema.json", "schema/pins.json", "README.md"].map((p) => text(dir, p));
    const r = bump(dir, ...args);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/nothing was written/);
    expect(["schema/answers.schema.json", "schema/pins.json", "README.md"].map((p) => text(dir, p))).toEqual(before);
  });

  it("a downgrade goes through only when asked for", () => {
    const dir = copy();
    const r = bump(dir, "--gitlab-runner", "18.0.0", "--allow-downgrade", "--checked", "2026-12-01");
    expect(r.status, r.stderr).toBe(0);
    expect(json(dir, "schema/answers.schema.json").properties.gitlabRunnerVersion.default).toBe("18.0.0");
  });

  it("the repository's pins record the day they were checked, and are current as of it", () => {
    expect(pins.checked).toMatch(/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/);
    expect(bump(packageRoot, "--dry-run", "--checked", pins.checked).stdout).toMatch(/already current/);
  });
});

import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { packageRoot } from "../src/core/package-root.js";

/**
 * The bin's static import graph (what loads at start-up): no Yeoman, no
 * parser that only some runs need. Dynamic import() and require() calls are
 * lazy and not followed.
 */
function staticGraph(entry: string): { files: string[]; packages: string[] } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    const src = readFileSync(file, "utf8");
    for (const m of src.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+"([^"]+)"|^\s*import\s+"([^"]+)"/gm)) {
      const spec = m[1] ?? m[2];
      if (spec.startsWith(".")) visit(resolve(dirname(file), spec));
      else if (!spec.startsWith("node:")) packages.add(spec);
    }
  };
  visit(entry);
  return { files: [...files], packages: [...packages].sort() };
}

describe("the bin's start-up", () => {
  it("imports no Yeoman and no parser statically", () => {
    const { files, packages } = staticGraph(join(packageRoot, "dist/src/bin/gitlab-runner-aws.js"));
    expect(files.some((f) => f.includes("generators"))).toBe(false);
    expect(packages.filter((p) => /yeoman|inquirer|@cdktn|^yaml$|sh-syntax|^ajv/.test(p))).toEqual([]);
    expect(files.some((f) => f.endsWith("src/core/pipeline.js"))).toBe(true);
    expect(files.some((f) => f.endsWith("src/core/interview.js"))).toBe(false);
  });
});

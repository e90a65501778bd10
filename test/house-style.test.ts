import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import * as prettier from "prettier";
import { describe, expect, it } from "vitest";
import { packageRoot } from "../src/core/package-root.js";

/** The TypeScript sources of the package (src/ and generators/), paths relative to the package root. */
function sources(): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(join(packageRoot, d), { withFileTypes: true })) {
      const p = `${d}/${e.name}`;
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".ts")) out.push(p);
    }
  };
  walk("src");
  walk("generators");
  return out.sort();
}

/** Static relative imports of each source (type-only ones included: they tie modules together as much for a reader). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sources()) {
    const text = readFileSync(join(packageRoot, file), "utf8");
    const deps = [...text.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+"(\.[^"]+)"/gm)].map((m) =>
      relative(packageRoot, resolve(packageRoot, dirname(file), m[1].replace(/\.js$/, ".ts"))),
    );
    graph.set(file, deps);
  }
  return graph;
}

describe("house style", () => {
  it("schema/pins.json is read in one module, src/core/pins.ts", () => {
    const readers = sources().filter((f) =>
      /\(\s*["'`][^"'`]*pins\.json["'`]/.test(readFileSync(join(packageRoot, f), "utf8")),
    );
    expect(readers).toEqual(["src/core/pins.ts"]);
  });

  it("no two modules import each other, directly or through others", () => {
    const graph = importGraph();
    const cycles: string[] = [];
    const state = new Map<string, "open" | "done">();
    const visit = (file: string, path: string[]) => {
      if (state.get(file) === "done") return;
      if (state.get(file) === "open") {
        cycles.push([...path.slice(path.indexOf(file)), file].join(" → "));
        return;
      }
      state.set(file, "open");
      for (const dep of graph.get(file) ?? []) visit(dep, [...path, file]);
      state.set(file, "done");
    };
    for (const file of graph.keys()) visit(file, []);
    expect(cycles).toEqual([]);
  });

  it("src/, generators/, scripts/ and test/ are formatted by prettier (fix: npm run format)", async () => {
    const files: string[] = [];
    const walk = (d: string) => {
      for (const e of readdirSync(join(packageRoot, d), { withFileTypes: true })) {
        const p = `${d}/${e.name}`;
        if (e.isDirectory()) walk(p);
        else if (/\.(ts|mjs)$/.test(e.name)) files.push(p);
      }
    };
    ["src", "generators", "scripts", "test"].forEach(walk);
    const ignorePath = join(packageRoot, ".prettierignore");
    const unformatted: string[] = [];
    for (const file of files) {
      const path = join(packageRoot, file);
      if ((await prettier.getFileInfo(path, { ignorePath })).ignored) continue;
      const options = { ...(await prettier.resolveConfig(path)), filepath: path };
      if (!(await prettier.check(readFileSync(path, "utf8"), options))) unformatted.push(file);
    }
    expect(files.length).toBeGreaterThan(50);
    expect(unformatted).toEqual([]);
  });
});

import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The generator package's root, found from this module whether it runs from src/ or dist/. */
export const packageRoot: string = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const up = dirname(dir);
    if (up === dir) throw new Error("generator-gitlab-runner-aws: package.json not found above " + dir);
    dir = up;
  }
  return dir;
})();

export function readPackageJson(): { name: string; version: string } {
  return JSON.parse(readFileSync(join(packageRoot, "package.json"), "utf8"));
}

export function readJson<T>(relativePath: string): T {
  return JSON.parse(readFileSync(join(packageRoot, relativePath), "utf8")) as T;
}

import { readdirSync, readFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { packageRoot } from "./package-root.js";

/** Template sources keyed by their path under templates/ (POSIX separators). */
export type TemplateSet = ReadonlyMap<string, string>;

export const defaultTemplatesDir = join(packageRoot, "templates");

let cached: TemplateSet | undefined;

/** Read every *.ejs file under dir. The only disk access of the render path. */
export function loadTemplates(dir: string = defaultTemplatesDir): TemplateSet {
  if (dir === defaultTemplatesDir && cached) return cached;
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && e.name.endsWith(".ejs"))
        out.set(relative(dir, p).split(sep).join("/"), readFileSync(p, "utf8"));
    }
  };
  walk(dir);
  if (dir === defaultTemplatesDir) cached = out;
  return out;
}

/**
 * templates/a/_b.sh.ejs → a/.b.sh: the .ejs suffix goes, and a leading "_" of
 * a file name stands for "." (npm drops some dotfiles from packages).
 */
export function outputPath(templatePath: string): string {
  const parts = templatePath.replace(/\.ejs$/, "").split("/");
  const last = parts.length - 1;
  if (parts[last].startsWith("_")) parts[last] = "." + parts[last].slice(1);
  return parts.join("/");
}

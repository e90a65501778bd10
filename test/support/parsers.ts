import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse as parseHcl } from "@cdktn/hcl2json";
import { parse as parseShell } from "sh-syntax";
import { parseDocument, type CollectionTag } from "yaml";
import type { RenderedFile } from "../../src/core/types.js";
import { requireTool } from "./tools.js";

/**
 * Every emitted file, parsed by its own language's parser. A file type with no
 * parser here fails the fuzz tests: add one when a template emits a new kind.
 */
export type Kind = "json" | "hcl" | "shell" | "yaml" | "systemd" | "ini" | "markdown" | "text";

const SYSTEMD_UNIT = /\.(service|socket|timer|target|path|mount|slice)$/;

export function kindOf(f: RenderedFile): Kind {
  const p = f.path;
  const base = p.split("/").pop()!;
  if (f.contents.startsWith("#!")) {
    if (/^#!\s*\S*\/(env\s+)?(ba)?sh\b/.test(f.contents)) return "shell";
    throw new Error(`${p}: no parser for a "${f.contents.split("\n")[0]}" script in test/support/parsers.ts`);
  }
  if (p.endsWith(".json")) return "json";
  if (/\.(tf|hcl|tfvars)$/.test(p)) return "hcl";
  if (/\.(sh|bash)$/.test(p)) return "shell";
  if (/\.ya?ml$/.test(p)) return "yaml";
  if (SYSTEMD_UNIT.test(p) || /\.(service|socket|timer)\.d\/[^/]+\.conf$/.test(p)) return "systemd";
  if (base === ".editorconfig") return "ini";
  if (p.endsWith(".md")) return "markdown";
  if ([".gitignore", ".gitattributes", ".dockerignore", ".terraform-version", ".tool-versions"].includes(base))
    return "text";
  throw new Error(`${p}: no parser for this file type; add one to kindOf in test/support/parsers.ts`);
}

/** GitLab CI's own YAML tag: `!reference [job, key]` stays a list of names. */
const GITLAB_TAGS: CollectionTag[] = [{ tag: "!reference", collection: "seq", resolve: (seq) => seq }];

/** A parsed file as a tree of objects, arrays and strings (numbers and booleans as they come). */
export type Tree = unknown;

function parseIni(f: RenderedFile, unit: boolean): Tree {
  const out: Record<string, Array<[string, string]>> = {};
  let section: string | undefined;
  const lines = f.contents.split("\n");
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i];
    while (unit && line.endsWith("\\") && i + 1 < lines.length) line = line.slice(0, -1) + " " + lines[++i];
    const where = `${f.path}:${i + 1}`;
    if (/^\s*([#;].*)?$/.test(line)) continue;
    const sec = /^\[([^\]]+)\]\s*$/.exec(line);
    if (sec) {
      section = sec[1];
      out[section] ??= [];
      continue;
    }
    const kv = unit ? /^([A-Za-z][A-Za-z0-9]*)=(.*)$/.exec(line) : /^([^=\s][^=]*?)\s*=\s*(.*)$/.exec(line);
    if (!kv) throw new Error(`${where}: not a section, comment or key=value: ${JSON.stringify(line)}`);
    if (section === undefined) {
      if (unit) throw new Error(`${where}: key outside a [Section]`);
      out[""] ??= [];
    }
    out[section ?? ""].push([kv[1], kv[2]]);
  }
  if (unit && Object.keys(out).length === 0) throw new Error(`${f.path}: a unit file with no section`);
  return out;
}

/**
 * Parsed trees by kind and contents: most emitted files don't depend on most
 * answers, so a fuzz run parses each distinct file once (HCL and shell go
 * through WebAssembly parsers, the cost of a run).
 */
const parsed = new Map<string, Tree>();
const CACHE_LIMIT = 5000;

export async function parseFile(f: RenderedFile): Promise<Tree> {
  const key = kindOf(f) + "\0" + f.path + "\0" + f.contents;
  if (parsed.has(key)) return structuredClone(parsed.get(key));
  const tree = await parseUncached(f);
  if (parsed.size >= CACHE_LIMIT) parsed.clear();
  parsed.set(key, tree);
  return structuredClone(tree);
}

async function parseUncached(f: RenderedFile): Promise<Tree> {
  switch (kindOf(f)) {
    case "json":
      return JSON.parse(f.contents);
    case "hcl":
      return await parseHcl(f.path, f.contents);
    case "shell":
      return await parseShell(f.contents, { filepath: f.path });
    case "yaml": {
      const doc = parseDocument(f.contents, {
        strict: true,
        uniqueKeys: true,
        prettyErrors: true,
        customTags: GITLAB_TAGS,
      });
      const problems = [...doc.errors, ...doc.warnings];
      if (problems.length) throw new Error(`${f.path}: ${problems.map((e) => e.message).join("; ")}`);
      return doc.toJS({ maxAliasCount: -1 });
    }
    case "systemd":
      return parseIni(f, true);
    case "ini":
      return parseIni(f, false);
    case "markdown":
    case "text":
      return f.contents;
  }
}

/** `bash -n` on every shell file in one child process; throws with bash's message. */
const bashChecked = new Set<string>();

/**
 * The shell code blocks (```sh, ```bash, ```shell) of a Markdown file, which
 * readers paste into a terminal, as one script: each block in a subshell of
 * its own, so an unclosed quote in one is still a syntax error.
 */
export function shellFences(f: RenderedFile): RenderedFile[] {
  const re = /^```(?:sh|bash|shell)[ \t]*\n([\s\S]*?)^```[ \t]*$/gm;
  const blocks = [...f.contents.matchAll(re)].map((m) => `(\n${m[1]})\n`);
  return blocks.length ? [{ path: `${f.path} (its shell code blocks)`, contents: blocks.join(""), mode: 0o644 }] : [];
}

export function bashSyntaxCheck(files: RenderedFile[]): void {
  const scripts = files.flatMap((f) => (kindOf(f) === "shell" ? [f] : kindOf(f) === "markdown" ? shellFences(f) : []));
  const shells = scripts.filter((f) => !bashChecked.has(f.contents));
  if (!shells.length) return;
  requireTool("bash");
  const dir = mkdtempSync(join(tmpdir(), "glra-bash-n-"));
  try {
    const paths = shells.map((f, i) => {
      const p = join(dir, `${i}.sh`);
      writeFileSync(p, f.contents);
      return p;
    });
    const r = spawnSync(
      "bash",
      ["-c", 'for f; do bash -n "$f" || { echo "in $f" >&2; exit 1; }; done', "bash", ...paths],
      { encoding: "utf8" },
    );
    if (r.status !== 0) {
      const which = /in .*\/(\d+)\.sh/.exec(r.stderr)?.[1];
      throw new Error(`bash -n ${which !== undefined ? shells[Number(which)].path : ""}: ${r.stderr}`);
    }
    if (bashChecked.size >= CACHE_LIMIT) bashChecked.clear();
    for (const f of shells) bashChecked.add(f.contents);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export type Seg = string | number;
export interface Leaf {
  path: Seg[];
  value: string;
  /** The leaf is the last segment of path, an object key, not a value. */
  isKey: boolean;
}

/** Every string leaf and every object key of a parsed tree, with its path of keys and indexes. */
export function leaves(tree: Tree, path: Seg[] = [], out: Leaf[] = []): Leaf[] {
  if (typeof tree === "string") out.push({ path, value: tree, isKey: false });
  else if (Array.isArray(tree)) tree.forEach((x, i) => leaves(x, [...path, i], out));
  else if (tree && typeof tree === "object") {
    for (const [k, v] of Object.entries(tree)) {
      out.push({ path: [...path, k], value: k, isKey: true });
      leaves(v, [...path, k], out);
    }
  }
  return out;
}

/** The value at path, or undefined; hasKey tells whether the last segment exists as a key. */
export function at(tree: Tree, path: Seg[]): { value: unknown; hasKey: boolean } {
  let v: unknown = tree;
  for (let i = 0; i < path.length; i++) {
    if (v === null || typeof v !== "object" || !(String(path[i]) in (v as object)))
      return { value: undefined, hasKey: false };
    v = (v as Record<string, unknown>)[String(path[i])];
  }
  return { value: v, hasKey: true };
}

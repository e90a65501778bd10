import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { leftMarker, RESOLVE_HOW } from "./update.js";

/**
 * Whether the files the user edited (and the generator merged into) are still
 * whole: no diff3 marker line left, and each still parses in its language where
 * that can be told cheaply (JSON, YAML, shell with `bash -n`, HCL with
 * @cdktn/hcl2json). The parsers load only when such a file is there, so the
 * bin's start-up stays light.
 */
export interface SyntaxProblem {
  path: string;
  message: string;
}

type Kind = "json" | "yaml" | "shell" | "hcl" | undefined;

function kindOf(path: string, text: string): Kind {
  if (path.endsWith(".json")) return "json";
  if (/\.ya?ml$/.test(path)) return "yaml";
  if (/\.(tf|hcl|tfvars)$/.test(path)) return "hcl";
  if (/\.(sh|bash)$/.test(path) || /^#!\s*\S*\/(env\s+)?(ba)?sh\b/.test(text)) return "shell";
  return undefined;
}

async function parseProblem(path: string, text: string): Promise<string | undefined> {
  switch (kindOf(path, text)) {
    case "json":
      try {
        JSON.parse(text);
        return undefined;
      } catch (e) {
        return `is no longer valid JSON (${(e as Error).message})`;
      }
    case "yaml": {
      const { parseAllDocuments } = await import("yaml");
      const docs = parseAllDocuments(text, {
        uniqueKeys: true,
        customTags: [{ tag: "!reference", collection: "seq", resolve: (s: unknown) => s } as never],
      });
      const errs = (Array.isArray(docs) ? docs : [docs]).flatMap((d) => ("errors" in d ? d.errors : []));
      return errs.length ? `is no longer valid YAML (${errs[0].message.split("\n")[0]})` : undefined;
    }
    case "shell": {
      const r = spawnSync("bash", ["-n"], { input: text, encoding: "utf8" });
      if (r.error) return undefined; // no bash here: can't tell
      return r.status === 0
        ? undefined
        : `is no longer valid shell (bash -n: ${r.stderr
            .trim()
            .split("\n")[0]
            .replace(/^bash: /, "")})`;
    }
    case "hcl": {
      let parse: (file: string, text: string) => Promise<unknown>;
      try {
        ({ parse } = (await import("@cdktn/hcl2json")) as { parse: typeof parse });
      } catch {
        return undefined; // parser not installed: can't tell
      }
      try {
        await parse(path, text);
        return undefined;
      } catch (e) {
        const m = String((e as Error).message ?? e)
          .replace(/^parse config: \[/, "")
          .replace(/\]$/, "");
        return `is no longer valid HCL (${m.split(";")[0]})`;
      }
    }
    default:
      return undefined;
  }
}

/** Problems in the given files of outDir (paths relative to it); files that can't be read are skipped (the plan reports those). */
export async function mergedFileProblems(outDir: string, paths: string[]): Promise<SyntaxProblem[]> {
  const out: SyntaxProblem[] = [];
  for (const path of paths) {
    let text: string;
    try {
      text = readFileSync(join(outDir, path), "utf8").replace(/\r\n/g, "\n");
    } catch {
      continue;
    }
    const marker = leftMarker(text);
    if (marker) {
      out.push({
        path,
        message: `line ${marker.line} is a conflict marker (${JSON.stringify(marker.text)}): the conflict is not fully resolved; ${RESOLVE_HOW}`,
      });
      continue;
    }
    const problem = await parseProblem(path, text);
    if (problem)
      out.push({
        path,
        message: `${problem}; fix it (git diff shows your edits, ${".gitlab-runner-aws/base.json"} the generator's last output)`,
      });
  }
  return out;
}

export function formatSyntaxProblems(problems: SyntaxProblem[]): string {
  return problems.map((p) => `error: ${p.path} ${p.message}\n`).join("");
}

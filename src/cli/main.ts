import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { AnswersFileError, readAnswersFile } from "../core/answers-file.js";
import { helpText } from "../core/help.js";
import { readPackageJson } from "../core/package-root.js";
import { GENERATOR_NAME, render, STORE_FILE } from "../core/render.js";
import { loadTemplates } from "../core/templates.js";
import { formatError, validateAnswers } from "../core/validate.js";
import { planChanges, WriteError, writeFilesAtomically } from "../core/write.js";

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

const USAGE = "usage: gitlab-runner-aws --answers FILE [--out DIR] [--defaults] [--dry-run] [--check] [--restore] (see --help)";

/** The bin's whole behaviour; returns the exit status. */
export function main(argv: string[], io: Io): number {
  let args;
  try {
    args = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        answers: { type: "string" },
        out: { type: "string" },
        defaults: { type: "boolean" },
        "dry-run": { type: "boolean" },
        check: { type: "boolean" },
        restore: { type: "boolean" },
        help: { type: "boolean", short: "h" },
        version: { type: "boolean" },
      },
    }).values;
  } catch (e) {
    io.err(`${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const version = readPackageJson().version;
  if (args.help) {
    io.out(helpText(version));
    return 0;
  }
  if (args.version) {
    io.out(version + "\n");
    return 0;
  }
  const outDir = resolve(args.out ?? ".");
  let stored: Record<string, unknown> | undefined;
  const storePath = join(outDir, STORE_FILE);
  if (existsSync(storePath)) {
    try {
      const yorc = JSON.parse(readFileSync(storePath, "utf8"));
      stored = yorc?.[GENERATOR_NAME]?.answers;
    } catch (e) {
      io.err(`${storePath} is not valid JSON (${(e as Error).message}); fix it or remove it and pass --answers\n`);
      return 1;
    }
  }
  let given: unknown = {};
  if (args.answers !== undefined) {
    try {
      given = readAnswersFile(args.answers);
    } catch (e) {
      if (e instanceof AnswersFileError) {
        io.err(`error: ${e.message}\nNothing was written.\n`);
        return 1;
      }
      throw e;
    }
  } else if (!stored && !args.defaults) {
    io.err(`error: no answers: pass --answers FILE, run in a generated repo (with ${STORE_FILE}), or pass --defaults\n${USAGE}\n`);
    return 2;
  }
  if (given === null || typeof given !== "object" || Array.isArray(given)) {
    const r = validateAnswers(given);
    io.err(r.errors.map((e) => `error: ${formatError(e)}`).join("\n") + "\nNothing was written.\n");
    return 1;
  }
  const result = validateAnswers({ ...(stored ?? {}), ...(given as object) });
  if (!result.answers) {
    io.err(`${result.errors.length} problem${result.errors.length === 1 ? "" : "s"} with the answers:\n` + result.errors.map((e) => `  ${formatError(e)}`).join("\n") + "\nNothing was written.\n");
    return 1;
  }
  const files = render(result.answers, { templates: loadTemplates(), generatorVersion: version });
  const plan = planChanges(outDir, files);
  const changed = plan.filter((p) => p.change !== "unchanged");
  if (args["dry-run"] || args.check) {
    for (const p of plan) io.out(`${p.change.padEnd(9)} ${p.path}\n`);
    if (args.check) return changed.length ? 1 : 0;
    return 0;
  }
  try {
    writeFilesAtomically(outDir, files.filter((f) => plan.find((p) => p.path === f.path)!.change !== "unchanged"));
  } catch (e) {
    if (e instanceof WriteError) {
      io.err(`error: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
  for (const p of changed) io.out(`${p.change.padEnd(9)} ${p.path}\n`);
  io.out(`${outDir}: ${plan.filter((p) => p.change === "create").length} created, ${plan.filter((p) => p.change === "update").length} updated, ${plan.filter((p) => p.change === "unchanged").length} unchanged\n`);
  return 0;
}

import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { AnswersFileError, readAnswersFile } from "../core/answers-file.js";
import { helpText } from "../core/help.js";
import { readPackageJson } from "../core/package-root.js";
import { GENERATOR_NAME, render, STORE_FILE } from "../core/render.js";
import { answerKeys, schemaVersion } from "../core/schema.js";
import { loadStored, StoreError, type Stored } from "../core/store.js";
import { loadTemplates } from "../core/templates.js";
import { formatError, validateAnswers } from "../core/validate.js";
import { warnings } from "../core/context/terraform.js";
import { formatSummary, planRegeneration, RegenerationError, type RegenerationPlan } from "../core/update.js";
import { checkOutDir, interruptedWrites, recoverInterruptedWrites, WriteError, writeFilesAtomically } from "../core/write.js";

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
  const found = args.out === undefined ? generatedRepoAbove(process.cwd()) : undefined;
  const outDir = found ?? resolve(args.out ?? ".");
  if (found && found !== process.cwd()) io.out(`using the generated repo at ${found} (its ${STORE_FILE}); pass --out to generate elsewhere\n`);
  let stored: Stored | undefined;
  try {
    checkOutDir(outDir);
    // A write killed half-way is finished (or undone) first, so the plan below sees a whole tree;
    // --dry-run and --check write nothing, so they only say so.
    if (args["dry-run"] || args.check) {
      if (interruptedWrites(outDir).length) {
        io.err(`error: an earlier write to ${outDir} was interrupted; run gitlab-runner-aws there without --dry-run or --check to finish or undo it\n`);
        return 1;
      }
    } else for (const note of recoverInterruptedWrites(outDir)) io.out(`${outDir}: ${note}\n`);
    stored = loadStored(outDir);
  } catch (e) {
    if (e instanceof WriteError || e instanceof StoreError) {
      io.err(`error: ${e.message}\n`);
      return 1;
    }
    throw e;
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
  const result = validateAnswers({ ...(stored?.answers ?? {}), ...(given as object) });
  if (!result.answers) {
    // With stored answers in play, say which file each wrong answer is in.
    const from = (path: string) => {
      const key = path.split("/")[1] ?? "";
      if (!stored) return "";
      return key in (given as object) ? `  (in ${args.answers})` : key in stored.answers ? `  (in ${STORE_FILE})` : "";
    };
    io.err(`${result.errors.length} problem${result.errors.length === 1 ? "" : "s"} with the answers:\n` + result.errors.map((e) => `  ${formatError(e)}${from(e.path)}`).join("\n") + "\nNothing was written.\n");
    return 1;
  }
  if (stored) {
    const replaced = Object.keys(given as object).filter((k) => k in stored.answers && JSON.stringify(stored.answers[k]) !== JSON.stringify((given as Record<string, unknown>)[k]));
    if (replaced.length) io.out(`answers from ${args.answers} replace the stored ones: ${replaced.sort().join(", ")}\n`);
    if (stored.schemaVersion < schemaVersion) io.out(`${STORE_FILE}: answers migrated from answers-schema version ${stored.schemaVersion} to ${schemaVersion}\n`);
    const fresh = answerKeys.filter((k) => !(k in stored.answers) && !(k in (given as object)));
    if (fresh.length) io.out(`new answers, defaults applied: ${fresh.join(", ")}\n`);
  }
  for (const w of warnings(result.answers)) io.err(`warning: ${w}\n`);
  const files = render(result.answers, { templates: loadTemplates(), generatorVersion: version });
  let plan: RegenerationPlan;
  try {
    plan = planRegeneration(outDir, files, { restore: args.restore });
  } catch (e) {
    if (e instanceof StoreError) {
      io.err(`error: ${e.message}\nNothing was written.\n`);
      return 1;
    }
    if (e instanceof RegenerationError) {
      io.err(`error: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
  const drift = plan.writes.length + plan.removes.length;
  if (args.check) {
    io.out(formatSummary(plan));
    if (drift) io.out(`drift: regenerating would change ${drift} file${drift === 1 ? "" : "s"}; run gitlab-runner-aws in ${outDir} and commit the result\n`);
    else if (plan.conflicts.length) io.out("no drift, but conflicts are left to resolve (above)\n");
    else io.out("no drift: regenerating would change nothing\n");
    return drift || plan.conflicts.length ? 1 : 0;
  }
  if (args["dry-run"]) {
    io.out(formatSummary(plan));
    io.out(`dry run: nothing was written to ${outDir}\n`);
    return 0;
  }
  try {
    if (drift) writeFilesAtomically(outDir, plan.writes, plan.removes);
  } catch (e) {
    if (e instanceof WriteError) {
      io.err(`error: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
  io.out(formatSummary(plan));
  io.out(`${outDir}: ${drift ? `${plan.writes.length} written, ${plan.removes.length} removed` : "nothing to change"}\n`);
  return plan.conflicts.length ? 1 : 0;
}

/**
 * The generated repo dir is in, as yo finds it: the nearest folder upwards with
 * a .yo-rc.json, if that file is this generator's (or damaged: loadStored then
 * says what is wrong with it).
 */
function generatedRepoAbove(dir: string): string | undefined {
  for (let d = resolve(dir); ; d = dirname(d)) {
    const file = join(d, STORE_FILE);
    if (existsSync(file)) {
      try {
        const yorc: unknown = JSON.parse(readFileSync(file, "utf8"));
        return yorc !== null && typeof yorc === "object" && GENERATOR_NAME in yorc ? d : undefined;
      } catch {
        return d;
      }
    }
    if (dirname(d) === d) return undefined;
  }
}

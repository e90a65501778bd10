import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { AnswersFileError, readAnswersFile } from "../core/answers-file.js";
import { closest } from "../core/aws-data.js";
import { helpText } from "../core/help.js";
import { readPackageJson } from "../core/package-root.js";
import { generate, resolveAnswers } from "../core/pipeline.js";
import { GENERATOR_NAME, STORE_FILE } from "../core/render.js";
import { loadStored, StoreError, type Stored } from "../core/store.js";
import { formatSyntaxProblems, mergedFileProblems } from "../core/syntax-check.js";
import { formatSummary, RegenerationError, type RegenerationPlan } from "../core/update.js";
import {
  checkOutDir,
  interruptedWrites,
  recoverInterruptedWrites,
  WriteError,
  writeFilesAtomically,
} from "../core/write.js";

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

const FLAGS = ["--answers", "--out", "--defaults", "--dry-run", "--check", "--restore", "--help", "--version"];

/** parseArgs' complaint, in a line: an unknown flag gets the closest known one. */
function flagError(e: NodeJS.ErrnoException): string {
  const unknown = /^Unknown option '([^']+)'/.exec(e.message);
  if (e.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && unknown) {
    const flag = unknown[1].split("=")[0];
    const near = closest(flag, FLAGS);
    return `error: unknown option ${flag}.${near ? ` Did you mean ${near}?` : ""}`;
  }
  return `error: ${e.message}`;
}

const USAGE =
  "usage: gitlab-runner-aws --answers FILE [--out DIR] [--defaults] [--dry-run] [--check] [--restore] (see --help)";

/** The bin's whole behaviour; returns the exit status. */
export async function main(argv: string[], io: Io): Promise<number> {
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
    io.err(`${flagError(e as NodeJS.ErrnoException)}\n${USAGE}\n`);
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
  if (found && found !== process.cwd())
    io.out(`using the generated repo at ${found} (its ${STORE_FILE}); pass --out to generate elsewhere\n`);
  let stored: Stored | undefined;
  try {
    checkOutDir(outDir, [], { write: !(args["dry-run"] || args.check) });
    // A write killed half-way is finished (or undone) first, so the plan below sees a whole tree;
    // --dry-run and --check write nothing, so they only say so.
    if (args["dry-run"] || args.check) {
      if (interruptedWrites(outDir).length) {
        io.err(
          `error: an earlier write to ${outDir} was interrupted; run gitlab-runner-aws there without --dry-run or --check to finish or undo it\n`,
        );
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
  let file: { name: string; answers: unknown } | undefined;
  if (args.answers !== undefined) {
    try {
      file = { name: args.answers, answers: readAnswersFile(args.answers) };
    } catch (e) {
      if (e instanceof AnswersFileError) {
        io.err(`error: ${e.message}\nNothing was written.\n`);
        return 1;
      }
      throw e;
    }
  } else if (!stored && !args.defaults) {
    io.err(
      `error: no answers: pass --answers FILE, run in a generated repo (with ${STORE_FILE}), or pass --defaults\n${USAGE}\n`,
    );
    return 2;
  }
  const resolved = resolveAnswers({ stored, file });
  if (!resolved.answers) {
    io.err(resolved.errorText);
    return 1;
  }
  for (const n of resolved.notes) io.out(`${n}\n`);
  for (const w of resolved.warnings) io.err(`warning: ${w}\n`);
  let plan: RegenerationPlan;
  try {
    plan = generate(resolved.answers, outDir, { generatorVersion: version, restore: args.restore }).plan;
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
  // Files the user edited that no conflict marks: still whole? (markers left, or no longer parsing)
  const toCheck = plan.edited.filter((p) => !plan.conflicts.includes(p));
  if (args.check) {
    io.out(formatSummary(plan, { dryRun: true }));
    const broken = toCheck.length ? await mergedFileProblems(outDir, toCheck) : [];
    io.err(formatSyntaxProblems(broken));
    if (drift)
      io.out(
        `drift: regenerating would change ${drift} file${drift === 1 ? "" : "s"}; run gitlab-runner-aws in ${outDir} and commit the result\n`,
      );
    else if (plan.conflicts.length || broken.length) io.out("no drift, but conflicts are left to resolve (above)\n");
    else io.out("no drift: regenerating would change nothing\n");
    return drift || plan.conflicts.length || broken.length ? 1 : 0;
  }
  if (args["dry-run"]) {
    io.out(formatSummary(plan, { dryRun: true }));
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
  io.out(
    `${outDir}: ${drift ? `${plan.writes.length} written, ${plan.removes.length} removed` : "nothing to change"}\n`,
  );
  const broken = toCheck.length ? await mergedFileProblems(outDir, toCheck) : [];
  io.err(formatSyntaxProblems(broken));
  return plan.conflicts.length || broken.length ? 1 : 0;
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

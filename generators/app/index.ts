import { accessSync, constants, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import Generator, { type BaseOptions } from "yeoman-generator";
import { AnswersFileError, readAnswersFile } from "../../src/core/answers-file.js";
import { closest } from "../../src/core/aws-data.js";
import { optionHelp } from "../../src/core/help.js";
import { readPackageJson } from "../../src/core/package-root.js";
import { generate, resolveAnswers, type Sources } from "../../src/core/pipeline.js";
import { POOLS, poolKeys, runInterview } from "../../src/core/interview.js";
import { parseInput, type Question } from "../../src/core/prompts.js";
import { GENERATOR_NAME, STORE_FILE } from "../../src/core/render.js";
import { answerKeys, answersSchema } from "../../src/core/schema.js";
import { parseStored, StoreError } from "../../src/core/store.js";
import { formatSyntaxProblems, mergedFileProblems } from "../../src/core/syntax-check.js";
import { formatSummary, MARKERS, RegenerationError, type RegenerationPlan } from "../../src/core/update.js";
import type { Answers } from "../../src/core/types.js";
import { WriteError, writeFilesAtomically } from "../../src/core/write.js";

/**
 * `yo gitlab-runner-aws`: a thin Yeoman adapter around the core pipeline
 * (src/core/pipeline.ts), the same one the bin runs, so both say the same
 * thing. Yeoman only prompts; the files are written by the core's
 * all-or-nothing writer, one line per file, and a conflict is decided by the
 * user in the generator's words (write it with markers, or keep theirs and be
 * asked again next time).
 */
type Options = BaseOptions & {
  answers?: string;
  defaults?: boolean;
  restore?: boolean;
  askAnswered?: boolean;
} & Record<string, unknown>;

/** The answers that are options too: the shared ones; the pools come from the interview or an answers file. */
const optionKeys = answerKeys.filter((k) => k !== POOLS);

/** Where an interrupted interview keeps the answers typed so far, for the next run to offer. */
export const PARTIAL_FILE = ".gitlab-runner-aws/partial-answers.json";

/**
 * yo refuses root by switching to the user "nobody" (root-check), which then
 * can't read root's home and crashes with a TypeError stack. Stop before that,
 * in one sentence that points to the bin, which runs fine as root.
 */
function stopIfRootDowngraded(): void {
  let home = process.env.HOME;
  if (!home || process.getuid?.() === 0) return;
  try {
    accessSync(home, constants.R_OK);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EACCES") return;
    home = undefined;
  }
  if (home !== undefined) return;
  process.stderr.write(
    `yo does not run as root (it drops to the user "nobody", who can't read ${process.env.HOME}); as root, use this package's bin instead: gitlab-runner-aws --answers FILE --out DIR (same answers, same output), or run yo as a normal user.\n`,
  );
  process.exit(1);
}
stopIfRootDowngraded();

/** An error the user reads as is: yo prints its message (no stack) and exits 1. */
class UserError extends Error {}

/** Whether this runs under the real `yo gitlab-runner-aws` command (not a test harness). */
const underYo = () => process.argv.some((a) => a === "gitlab-runner-aws" || a.startsWith("gitlab-runner-aws:"));

/**
 * Stop with a message the user reads as is. Under yo: the message alone on
 * stderr and exit 1 (Yeoman would add "✖ An error occured while running …"
 * and a header); under a harness, an error with that message.
 */
function fail(message: string): never {
  if (underYo()) {
    process.stderr.write(message.trimEnd() + "\n");
    process.exit(1);
  }
  throw new UserError(message);
}

export default class GitlabRunnerAwsGenerator extends Generator<Options> {
  private answers?: Answers;
  private plan?: RegenerationPlan;
  private sources: Sources = {};
  private cancelled = false;

  constructor(args: string[], options: Options) {
    // No package manager install: the generated repo has no package.json, and Yeoman's note about it is noise.
    super(args, options, { customInstallTask: true });
    this.option("answers", {
      type: String,
      description: "Answers file (YAML or JSON); no prompts for answers it gives",
    });
    this.option("defaults", {
      type: Boolean,
      description: "Take the default of every answer not given instead of asking",
    });
    this.option("restore", { type: Boolean, description: "Re-create generated files you deleted" });
    this.option("ask-answered", {
      type: Boolean,
      description: "Ask again the answers already stored (or given), with their values as defaults",
    });
    for (const key of optionKeys) {
      this.option(key, { type: String, description: optionHelp(key) });
    }
  }

  private get opts(): Options {
    return this.options as unknown as Options;
  }

  /**
   * yo passes unknown flags through silently, so `--answer x.yaml` would be
   * ignored: a flag close to one of this generator's gets "did you mean".
   * (Only the command line of a real `yo gitlab-runner-aws` run is looked at.)
   */
  private checkFlags(): void {
    const argv = process.argv;
    const at = argv.findIndex((a) => a === "gitlab-runner-aws" || a.startsWith("gitlab-runner-aws:"));
    if (at < 0) return;
    const ours = ["answers", "defaults", "restore", "ask-answered", ...optionKeys];
    const yeoman = [
      "help",
      "skip-cache",
      "skip-install",
      "force-install",
      "insight",
      "no-insight",
      "force",
      "bail",
      "dry-run",
      "skip-yo-resolve",
      "debug",
      "local-only",
      "generators",
      "version",
      "color",
      "no-color",
      "whitespace",
      "ignore-whitespace",
      "skip-local-cache",
      "skip-checks",
    ];
    for (const arg of argv.slice(at + 1)) {
      if (!arg.startsWith("--")) continue;
      const flag = arg.slice(2).split("=")[0];
      const name = flag.replace(/^no-/, "");
      if (ours.includes(name) || yeoman.includes(flag)) continue;
      if (name === POOLS || poolKeys.includes(name))
        fail(
          `error: --${flag}: ${name === POOLS ? "the pools are" : `${name} is an answer of each pool,`} given in the interview or under ${POOLS}: in an answers file (--answers FILE), not as an option.`,
        );
      const near = closest(name, ours);
      if (near) fail(`error: unknown option --${flag}. Did you mean --${near}?`);
    }
  }

  /** Answers given as --name value options (lists comma-separated, as at the prompt). */
  private fromOptions(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const key of optionKeys) {
      const v = this.opts[key];
      if (v === undefined) continue;
      const s = answersSchema.properties[key];
      out[key] = s.type === "boolean" ? v === true || v === "true" : parseInput(s, String(v));
    }
    return out;
  }

  /**
   * Everything given before asking (stored answers, the answers file, options)
   * is judged first, by the same pipeline and in the same words as the bin:
   * a mistake there stops the run before the first question.
   */
  initializing(): void {
    this.checkFlags();
    const sources: Sources = {};
    try {
      const path = this.destinationPath(STORE_FILE);
      const text = this.fs.read(path, { defaults: null });
      sources.stored = text === null ? undefined : parseStored(path, text);
    } catch (e) {
      if (e instanceof StoreError) fail(`error: ${e.message}\nNothing was written.`);
      throw e;
    }
    if (this.opts.answers) {
      try {
        sources.file = { name: this.opts.answers, answers: readAnswersFile(this.opts.answers) };
      } catch (e) {
        if (e instanceof AnswersFileError) fail(`error: ${e.message}\nNothing was written.`);
        throw e;
      }
    }
    sources.options = this.fromOptions();
    const early = resolveAnswers(sources, { partial: true });
    if (early.errorText) fail(early.errorText.trimEnd());
    this.sources = sources;
  }

  async prompting(): Promise<void> {
    const known = resolveAnswers(this.sources, { partial: true });
    let asked: Record<string, unknown> = {};
    if (!this.opts.defaults) {
      const partialPath = this.destinationPath(PARTIAL_FILE);
      let resumed: Record<string, unknown> = {};
      if (existsSync(partialPath)) {
        try {
          resumed = JSON.parse(readFileSync(partialPath, "utf8")) as Record<string, unknown>;
        } catch {
          resumed = {};
        }
        const n = Object.keys(resumed).length;
        if (n) {
          const { resume } = (await this.prompt([
            {
              type: "confirm",
              name: "resume",
              default: true,
              message: `Continue the interview you left (${n} answer${n === 1 ? "" : "s"} given, kept in ${PARTIAL_FILE})?`,
            },
          ] as never)) as { resume: boolean };
          if (!resume) resumed = {};
        }
      }
      asked = { ...resumed };
      const io = {
        ask: async (q: Question) => ((await this.prompt([q] as never)) as Record<string, unknown>)[q.name],
        say: (text: string) => this.log(text),
      };
      try {
        const result = await runInterview(io, {
          known: known.raw,
          origins: known.origins,
          askAnswered: Boolean(this.opts.askAnswered ?? this.opts["ask-answered"]),
          asked,
          check: (a) => resolveAnswers({ ...this.sources, asked: a }).errorText,
        });
        if (!result) {
          this.log("Cancelled: nothing was written.");
          this.cancelled = true;
          return;
        }
      } catch (e) {
        if (!isInterrupt(e)) throw e;
        // Ctrl-C: the answers typed so far are kept for the next run to offer; no stack trace.
        const n = Object.keys(asked).length;
        if (n) {
          mkdirSync(dirname(partialPath), { recursive: true });
          writeFileSync(partialPath, JSON.stringify(asked, null, 2) + "\n");
        }
        process.stderr.write(
          `\nInterrupted: nothing was written.${n ? ` The ${n} answer${n === 1 ? "" : "s"} given so far are kept in ${PARTIAL_FILE}; run yo gitlab-runner-aws here again to continue.` : ""}\n`,
        );
        process.exit(130);
      }
    }
    const result = resolveAnswers({ ...this.sources, asked });
    if (!result.answers) fail(result.errorText.trimEnd());
    for (const n of result.notes) this.log(n);
    for (const w of result.warnings) this.log(`warning: ${w}`);
    this.answers = result.answers;
  }

  /**
   * The three-way merge decides every file. Where this run's merge conflicts
   * with the user's edits, the user chooses: write the file with conflict
   * markers, or keep theirs as it is (its base stays old, so the change is
   * offered again next time and --check reports it).
   */
  async writing(): Promise<void> {
    if (this.cancelled) return;
    const outDir = this.destinationRoot();
    const generatorVersion = readPackageJson().version;
    try {
      let plan = generate(this.answers!, outDir, { generatorVersion, restore: this.opts.restore }).plan;
      if (plan.newConflicts.length && !this.opts.defaults) {
        const keep = new Set<string>();
        for (const path of plan.newConflicts) {
          const { ok } = (await this.prompt([
            {
              type: "confirm",
              name: "ok",
              default: true,
              message:
                `${path}: your edits and the generator's change touch the same lines. ` +
                `Write it with conflict markers (${MARKERS.yours} / ${MARKERS.base} / ${MARKERS.sep} / ${MARKERS.generator}) for you to resolve? ` +
                `(n: keep your file as it is; the change is offered again on the next run, and --check reports it until then)`,
            },
          ] as never)) as { ok: boolean };
          if (!ok) keep.add(path);
        }
        if (keep.size)
          plan = generate(this.answers!, outDir, { generatorVersion, restore: this.opts.restore, keep }).plan;
      }
      if (plan.writes.length || plan.removes.length) writeFilesAtomically(outDir, plan.writes, plan.removes);
      rmSync(this.destinationPath(PARTIAL_FILE), { force: true });
      // The files are on disk: Yeoman's in-memory copies follow them, and nothing pending there overwrites them at its commit.
      for (const p of [...plan.writes.map((f) => f.path), ...plan.removes]) {
        const path = this.destinationPath(p);
        if (!this.fs.store.existsInMemory(path)) continue;
        const file = this.fs.store.get(path) as { contents: Buffer | null; state?: unknown; stat?: unknown };
        file.contents = existsSync(path) ? readFileSync(path) : null;
        file.stat = existsSync(path) ? statSync(path) : null;
        delete file.state;
      }
      this.plan = plan;
    } catch (e) {
      if (e instanceof WriteError || e instanceof RegenerationError || e instanceof StoreError)
        fail(`error: ${e.message}`);
      throw e;
    }
  }

  async end(): Promise<void> {
    if (this.cancelled) return;
    const plan = this.plan!;
    this.log(formatSummary(plan).trimEnd());
    const toCheck = plan.edited.filter((p) => !plan.conflicts.includes(p));
    const broken = toCheck.length ? await mergedFileProblems(this.destinationRoot(), toCheck) : [];
    if (broken.length) this.log(formatSyntaxProblems(broken).trimEnd());
    if (plan.conflicts.length || broken.length) process.exitCode = 1;
    else this.log(`Generated by ${GENERATOR_NAME}. Next: read README.md (first-time setup), then commit and push.`);
  }
}

/** The prompt library's error for Ctrl-C (SIGINT) at a prompt. */
function isInterrupt(e: unknown): boolean {
  return (
    e instanceof Error &&
    (e.name === "ExitPromptError" || e.name === "AbortPromptError" || /force closed the prompt/.test(e.message))
  );
}

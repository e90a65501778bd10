import { existsSync, readFileSync, statSync } from "node:fs";
import Generator, { type BaseOptions } from "yeoman-generator";
import { AnswersFileError, readAnswersFile } from "../../src/core/answers-file.js";
import { readPackageJson } from "../../src/core/package-root.js";
import { generate, resolveAnswers, type Sources } from "../../src/core/pipeline.js";
import { parseInput, questionsFor } from "../../src/core/prompts.js";
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
type Options = BaseOptions & { answers?: string; defaults?: boolean; restore?: boolean } & Record<string, unknown>;

/** An error the user reads as is: yo prints its message (no stack) and exits 1. */
class UserError extends Error {}

export default class GitlabRunnerAwsGenerator extends Generator<Options> {
  private answers?: Answers;
  private plan?: RegenerationPlan;
  private sources: Sources = {};

  constructor(args: string[], options: Options) {
    // No package manager install: the generated repo has no package.json, and Yeoman's note about it is noise.
    super(args, options, { customInstallTask: true });
    this.option("answers", { type: String, description: "Answers file (YAML or JSON); no prompts for answers it gives" });
    this.option("defaults", { type: Boolean, description: "Take the default of every answer not given instead of asking" });
    this.option("restore", { type: Boolean, description: "Re-create generated files you deleted" });
    for (const key of answerKeys) {
      const s = answersSchema.properties[key];
      this.option(key, { type: String, description: `answer: ${s.description ?? ""}` });
    }
  }

  private get opts(): Options {
    return this.options as unknown as Options;
  }

  /** Answers given as --name value options (lists comma-separated, as at the prompt). */
  private fromOptions(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const key of answerKeys) {
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
    const sources: Sources = {};
    try {
      const path = this.destinationPath(STORE_FILE);
      const text = this.fs.read(path, { defaults: null });
      sources.stored = text === null ? undefined : parseStored(path, text);
    } catch (e) {
      if (e instanceof StoreError) throw new UserError(`error: ${e.message}\nNothing was written.`);
      throw e;
    }
    if (this.opts.answers) {
      try {
        sources.file = { name: this.opts.answers, answers: readAnswersFile(this.opts.answers) };
      } catch (e) {
        if (e instanceof AnswersFileError) throw new UserError(`error: ${e.message}\nNothing was written.`);
        throw e;
      }
    }
    sources.options = this.fromOptions();
    const early = resolveAnswers(sources, { partial: true });
    if (early.errorText) throw new UserError(early.errorText.trimEnd());
    this.sources = sources;
  }

  async prompting(): Promise<void> {
    const known = resolveAnswers(this.sources, { partial: true }).raw;
    const questions = this.opts.defaults ? [] : questionsFor(known);
    const asked = questions.length ? await this.prompt(questions as never) : {};
    const result = resolveAnswers({ ...this.sources, asked: asked as Record<string, unknown> });
    if (!result.answers) throw new UserError(result.errorText.trimEnd());
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
        if (keep.size) plan = generate(this.answers!, outDir, { generatorVersion, restore: this.opts.restore, keep }).plan;
      }
      if (plan.writes.length || plan.removes.length) writeFilesAtomically(outDir, plan.writes, plan.removes);
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
      if (e instanceof WriteError || e instanceof RegenerationError || e instanceof StoreError) throw new UserError(`error: ${e.message}`);
      throw e;
    }
  }

  async end(): Promise<void> {
    const plan = this.plan!;
    this.log(formatSummary(plan).trimEnd());
    const toCheck = plan.edited.filter((p) => !plan.conflicts.includes(p));
    const broken = toCheck.length ? await mergedFileProblems(this.destinationRoot(), toCheck) : [];
    if (broken.length) this.log(formatSyntaxProblems(broken).trimEnd());
    if (plan.conflicts.length || broken.length) process.exitCode = 1;
    else this.log(`Generated by ${GENERATOR_NAME}. Next: read README.md (first-time setup), then commit and push.`);
  }
}

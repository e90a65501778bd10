import { warnings as terraformWarnings } from "./context/terraform.js";
import { render, STORE_FILE } from "./render.js";
import { answersFileToCurrent } from "./migrations.js";
import { answerKeys, applies, defaultOf, fieldSchema, poolFieldKeys, schemaVersion, whenText } from "./schema.js";
import type { Stored } from "./store.js";
import { loadTemplates } from "./templates.js";
import type { AnswerError, Answers, RenderedFile } from "./types.js";
import { planRegeneration, type RegenerationPlan } from "./update.js";
import { formatError, validateAnswers } from "./validate.js";

/**
 * The one pipeline both shells run (the bin and `yo`): resolve the answers,
 * with where each value came from, validate them, render, plan the
 * regeneration; every message the user sees about the answers is made here,
 * so both shells say the same thing. The shells only ask, print and write.
 */
export type Origin = "file" | "stored" | "option" | "asked" | "default";

export interface Sources {
  /** Stored answers (.yo-rc.json, migrated). */
  stored?: Stored;
  /** The answers file's contents, and its name for messages. */
  file?: { name: string; answers: unknown };
  /** Answers given as command-line options (yo's --name value). */
  options?: Record<string, unknown>;
  /** Answers typed at the prompts. */
  asked?: Record<string, unknown>;
}

export interface Resolution {
  /** The merged raw answers, before defaults. */
  raw: Record<string, unknown>;
  /** Where each answer's value comes from. */
  origins: Record<string, Origin>;
  answers?: Answers;
  errors: AnswerError[];
  /** The errors as the user reads them ("N problems with the answers: … Nothing was written."); empty when there are none. */
  errorText: string;
  /** What the user should know about the answers (replaced stored answers, migration, new answers). */
  notes: string[];
  /** Warnings about valid answers (costs, risky choices). */
  warnings: string[];
}

const isMap = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

export function problemsText(errors: AnswerError[], where: (path: string) => string = () => ""): string {
  if (!errors.length) return "";
  return (
    `${errors.length} problem${errors.length === 1 ? "" : "s"} with the answers:\n` +
    errors.map((e) => `  ${formatError(e)}${where(e.path)}`).join("\n") +
    "\nNothing was written.\n"
  );
}

/**
 * Merge the sources (later ones win: stored, file, options, asked) and
 * validate. With `partial`, answers no source gives are not reported missing
 * and rules about them wait (they are still to be asked): only what is already
 * given is judged, so `yo` can stop before asking anything.
 */
export function resolveAnswers(src: Sources, options: { partial?: boolean } = {}): Resolution {
  const origins: Record<string, Origin> = {};
  const raw: Record<string, unknown> = {};
  const notes: string[] = [];
  const file = isMap(src.file?.answers) ? answersFileToCurrent(src.file.answers) : undefined;
  const fileAnswers = file?.answers;
  if (file?.migrated) {
    notes.push(
      `${src.file!.name}: its pool answers stand at the top level (the shape of answers-schema version 1), so they were read as the single pool "default" (migration from version 1 to ${schemaVersion}); list them under pools: to silence this note`,
    );
  }
  const layers: Array<[Origin, Record<string, unknown> | undefined]> = [
    ["stored", src.stored?.answers],
    ["file", fileAnswers],
    ["option", src.options],
    ["asked", src.asked],
  ];
  for (const [origin, layer] of layers) {
    for (const [k, v] of Object.entries(layer ?? {})) {
      if (v === undefined) continue;
      raw[k] = k === "pools" ? mergePools(raw.pools, v) : v;
      origins[k] = origin;
    }
  }
  // The interview hides a question whose x-when turned false (an answer changed at the summary): what was typed there no longer counts.
  const effective = { ...Object.fromEntries(answerKeys.map((k) => [k, defaultOf(k)])), ...raw };
  if (origins.pools === "asked" && Array.isArray(raw.pools) && Array.isArray(src.asked?.pools))
    raw.pools = raw.pools.map((pool) => {
      const typed = (src.asked!.pools as unknown[]).find((p) => isMap(p) && isMap(pool) && p.name === pool.name);
      if (!isMap(pool) || !isMap(typed)) return pool;
      const view = { ...Object.fromEntries(poolFieldKeys.map((k) => [k, defaultOf(k)])), ...pool };
      return Object.fromEntries(Object.entries(pool).filter(([k]) => !(k in typed) || applies(k, view)));
    });
  for (const k of answerKeys) {
    if (origins[k] === "asked" && !applies(k, effective)) {
      delete raw[k];
      delete origins[k];
    }
    origins[k] ??= "default";
  }
  if (src.file && !isMap(src.file.answers)) {
    const { errors } = validateAnswers(src.file.answers);
    return {
      raw,
      origins,
      errors,
      errorText: errors.map((e) => `error: ${formatError(e)}`).join("\n") + "\nNothing was written.\n",
      notes,
      warnings: [],
    };
  }
  const result = validateAnswers(raw);
  let errors = result.errors;
  if (options.partial) {
    const judged = (path: string) => {
      const key = path.split("/")[1] ?? "";
      return key in raw && origins[key] !== "default";
    };
    errors = errors.filter((e) => judged(e.path) && !/is required and has no default/.test(e.message));
    // A rule's error may sit on an answer still to ask (asgDesiredCapacity vs asgMinSize); it waits for the full check.
  }
  const stored = src.stored;
  const fileName = src.file?.name;
  /** Where a pool's field comes from: the last source that gives it in a pool of that name. */
  const poolFieldOrigin = (i: string, field: string): Origin | undefined => {
    const pool = Array.isArray(raw.pools) ? raw.pools[Number(i)] : undefined;
    for (const [origin, layer] of [...layers].reverse()) {
      const given = Array.isArray(layer?.pools) ? layer.pools : [];
      if (given.some((p) => isMap(p) && isMap(pool) && p.name === pool.name && field in p)) return origin;
    }
    return origins.pools;
  };
  const where = (path: string) => {
    const [, key = "", i, field] = path.split("/");
    if (!stored) return "";
    const origin = key === "pools" && i !== undefined && field !== undefined ? poolFieldOrigin(i, field) : origins[key];
    return origin === "file" ? `  (in ${fileName})` : origin === "stored" ? `  (in ${STORE_FILE})` : "";
  };
  const storedPools = Array.isArray(stored?.answers.pools) ? stored.answers.pools.filter(isMap) : [];
  if (stored) {
    const given = fileAnswers ?? {};
    const differs = (x: unknown, y: unknown) => JSON.stringify(x) !== JSON.stringify(y);
    const replaced = Object.keys(given).filter(
      (k) => k !== "pools" && k in stored.answers && differs(stored.answers[k], given[k]),
    );
    for (const pool of Array.isArray(given.pools) ? given.pools.filter(isMap) : []) {
      const before = storedPools.find((p) => p.name === pool.name);
      if (before)
        for (const k of Object.keys(pool))
          if (k in before && differs(before[k], pool[k])) replaced.push(`${k} (pool ${String(pool.name)})`);
    }
    if (replaced.length) notes.push(`answers from ${fileName} replace the stored ones: ${replaced.sort().join(", ")}`);
    if (stored.schemaVersion < schemaVersion)
      notes.push(
        `${STORE_FILE}: answers migrated from answers-schema version ${stored.schemaVersion} to ${schemaVersion}`,
      );
  }
  const answers = options.partial ? undefined : result.answers;
  if (stored && answers) {
    const fresh = answerKeys.filter((k) => origins[k] === "default" && defaultOf(k) !== undefined);
    for (const pool of Array.isArray(raw.pools) ? raw.pools.filter(isMap) : []) {
      if (!storedPools.some((p) => p.name === pool.name)) continue;
      for (const k of poolFieldKeys)
        if (!(k in pool) && defaultOf(k) !== undefined) fresh.push(`${k} (pool ${String(pool.name)})`);
    }
    if (fresh.length && !src.asked) notes.push(`new answers, defaults applied: ${fresh.join(", ")}`);
  }
  if (answers) notes.push(...unusedNotes(answers, origins, raw));
  return {
    raw,
    origins,
    answers,
    errors,
    errorText: problemsText(errors, where),
    notes,
    warnings: answers ? terraformWarnings(answers) : [],
  };
}

/**
 * The pools of a later source over those of an earlier one: the later list
 * decides which pools there are and their order; a pool named in both keeps
 * the earlier one's fields the later one leaves out (as answers left out of
 * an answers file keep their stored values).
 */
function mergePools(earlier: unknown, later: unknown): unknown {
  if (!Array.isArray(earlier) || !Array.isArray(later)) return later;
  return later.map((p) => {
    const before = isMap(p) ? earlier.find((e) => isMap(e) && e.name === p.name) : undefined;
    return isMap(before) ? { ...before, ...p } : p;
  });
}

/** Answers with "x-when-policy": "ignore" given a value while their x-when condition is false: kept, not used, and said so. */
function unusedNotes(answers: Answers, origins: Record<string, Origin>, raw: Record<string, unknown>): string[] {
  const a = answers as unknown as Record<string, unknown>;
  const unused = (k: string, view: Record<string, unknown>) =>
    fieldSchema(k)!["x-when-policy"] === "ignore" &&
    !applies(k, view) &&
    JSON.stringify(view[k]) !== JSON.stringify(defaultOf(k));
  const note = (k: string, view: Record<string, unknown>) => {
    const { condition, actual } = whenText(k, view);
    return `${k} is not used: it applies only with ${condition}, and ${actual}`;
  };
  const rawPools = Array.isArray(raw.pools) ? raw.pools : [];
  return [
    ...answerKeys.filter((k) => origins[k] !== "default" && unused(k, a)).map((k) => note(k, a)),
    ...answers.pools.flatMap((pool, i) => {
      const given = isMap(rawPools[i]) ? rawPools[i] : {};
      const view = { ...a, ...pool } as Record<string, unknown>;
      const prefix = answers.pools.length > 1 ? `pool ${pool.name}: ` : "";
      return poolFieldKeys.filter((k) => k in given && unused(k, view)).map((k) => prefix + note(k, view));
    }),
  ];
}

export interface Generation {
  files: RenderedFile[];
  plan: RegenerationPlan;
}

/** Render the validated answers and plan writing them into outDir (reads outDir, writes nothing). */
export function generate(
  answers: Answers,
  outDir: string,
  options: { generatorVersion: string; restore?: boolean; keep?: ReadonlySet<string> },
): Generation {
  const files = render(answers, { templates: loadTemplates(), generatorVersion: options.generatorVersion });
  return { files, plan: planRegeneration(outDir, files, { restore: options.restore, keep: options.keep }) };
}

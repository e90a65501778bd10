import { displayDefault, parseInput, type Question } from "./prompts.js";
import { awsData, listedArch } from "./aws-data.js";
import { answerKeys, answersSchema, defaultOf, poolFieldKeys, poolSchema, type PropertySchema } from "./schema.js";
import type { Origin } from "./pipeline.js";
import type { AnswerError } from "./types.js";
import { formatError, validateAnswers } from "./validate.js";

/**
 * The interactive interview, as data and a loop: the shared essentials first
 * (schema "x-essentials"), then the pools, each with its own essentials and
 * "Customise the advanced settings of pool …?", then "Add another pool?", then
 * "Customise the advanced settings?" for the shared rest, then a summary of
 * every answer (defaults included) with a way to change any of them, and to
 * add or remove a pool, before anything is written. A pool's questions come
 * from the schema of a pool (`pools.items`) as the shared ones come from the
 * top level. Each question shows its explanation (the schema's description)
 * and allowed values. Checks between answers wait for the summary; a single
 * answer is checked at once (with "did you mean" for regions and instance
 * types). Free of Yeoman: the shell passes `ask`.
 */
export interface InterviewIo {
  /** Ask one question; returns its answer. */
  ask(q: Question): Promise<unknown>;
  say(text: string): void;
}

export interface InterviewInput {
  /** Answers already given (stored, answers file, options), by key, with where each comes from. */
  known: Record<string, unknown>;
  origins: Record<string, Origin>;
  /** Re-ask answers that are already given, with their values as defaults. */
  askAnswered?: boolean;
  /** Answers typed so far; filled as the user answers (so an interrupted interview can be saved and resumed). */
  asked: Record<string, unknown>;
  /** The full check of a set of answers: "" when they are fine, else the problems as the user reads them. */
  check(asked: Record<string, unknown>): string;
}

type Pool = Record<string, unknown>;

export const POOLS = "pools";
const poolProps = poolSchema.properties!;
/** A pool's answers, in prompt order. */
export const poolKeys: string[] = poolFieldKeys;
/** The answers the interview asks first, in this order; "pools" stands for the pools' questions. */
export const essentials: string[] = answersSchema["x-essentials"] ?? [];
/** A pool's answers asked for every pool; the others after "Customise the advanced settings of pool …?". */
export const poolEssentials: string[] = poolSchema["x-essentials"] ?? ["name"];
const MIN_POOLS = answersSchema.properties[POOLS].minItems ?? 1;
const MAX_POOLS = answersSchema.properties[POOLS].maxItems ?? Infinity;

/**
 * Pool answers whose default depends on the pool. The token parameter must
 * differ between pools, since each pool is its own GitLab runner: a pool whose
 * default is already an earlier pool's gets the default with its name before
 * the last segment (/gitlab-runner/token for the first pool,
 * /gitlab-runner/arm64-large/token for the next). The instance types follow
 * the pool's architecture: t3.medium becomes t4g.medium for arm64.
 */
const DERIVED: Record<string, (def: unknown, pool: Pool, earlier: Pool[]) => unknown> = {
  tokenSsmParameter: (def, pool, earlier) =>
    typeof def === "string" &&
    typeof pool.name === "string" &&
    earlier.some((p) => (p.tokenSsmParameter ?? def) === def)
      ? def.replace(/\/[^/]*$/, (last) => `/${String(pool.name)}${last}`)
      : def,
  instanceTypes: (def, pool) =>
    Array.isArray(def)
      ? def.map((t: string) => forArchitecture(t, pool.architecture ?? poolProps.architecture.default))
      : def,
};

/** The listed instance type of the same size in the family of the other architecture with the same initial (t3 → t4g). */
function forArchitecture(type: string, arch: unknown): string {
  const was = listedArch(type);
  if (!was || was === arch) return type;
  const [family, size] = type.split(".");
  const { families, sizeClasses } = awsData().instanceTypes;
  const twin = Object.keys(families)
    .filter((f) => families[f].arch === arch && f[0] === family[0] && sizeClasses[families[f].sizes]?.includes(size))
    .sort()[0];
  return twin ? `${twin}.${size}` : type;
}

/** The scope of a question: the shared answers, or one pool's. */
interface Scope {
  props: Record<string, PropertySchema>;
  required: string[];
  /** Where its answers sit in the answers ("" or "/pools/1"): validation errors under it are theirs. */
  path: string;
  /** What the summary and headers call it ("" or "pool default"). */
  label: string;
  /** An answer's value now: typed, given, or its default. */
  get(key: string): unknown;
  set(key: string, value: unknown): void;
  default(key: string): unknown;
  /** Typed in this interview. */
  answered(key: string): boolean;
  /** Given before this interview (stored, file, options), or typed earlier. */
  given(key: string): boolean;
  /** Every answer of the scope with its current value, for x-when. */
  values(): Record<string, unknown>;
  /** A problem of the answer with the scope's other answers that the schema cannot see (a pool name taken twice). */
  conflict?(key: string, value: unknown): string | undefined;
}

function current(key: string, input: InterviewInput): unknown {
  if (key in input.asked) return input.asked[key];
  if (key in input.known) return input.known[key];
  return defaultOf(key);
}

function all(input: InterviewInput): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of answerKeys) {
    const v = current(k, input);
    if (v !== undefined) out[k] = v;
  }
  return out;
}

function appliesIn(props: Record<string, PropertySchema>, key: string, values: Record<string, unknown>): boolean {
  return Object.entries(props[key]?.["x-when"] ?? {}).every(([k, v]) =>
    Array.isArray(v) ? v.includes(values[k] as string) : values[k] === v,
  );
}

function sharedScope(input: InterviewInput): Scope {
  return {
    props: answersSchema.properties,
    required: answersSchema.required,
    path: "",
    label: "",
    get: (k) => current(k, input),
    set: (k, v) => (input.asked[k] = v),
    default: (k) => defaultOf(k),
    answered: (k) => k in input.asked,
    given: (k) => k in input.known || k in input.asked,
    values: () => all(input),
  };
}

/** Which answers of each pool object were typed in this interview, and which hold a default derived from its name. */
const marks = new WeakMap<Pool, { answered: Set<string>; derived: Set<string> }>();
function marksOf(pool: Pool) {
  let m = marks.get(pool);
  if (!m) marks.set(pool, (m = { answered: new Set(), derived: new Set() }));
  return m;
}

/** The pools now: typed, given, or the default. */
function pools(input: InterviewInput): Pool[] {
  return current(POOLS, input) as Pool[];
}

/** The pools as the interview edits them: from the first change on, they are an answer typed. */
function editedPools(input: InterviewInput): Pool[] {
  if (!Array.isArray(input.asked[POOLS])) input.asked[POOLS] = structuredClone(pools(input));
  return input.asked[POOLS] as Pool[];
}

function freshName(list: Pool[], index: number): string {
  const taken = new Set(list.filter((_, i) => i !== index).map((p) => p.name));
  const first = (defaultOf(POOLS) as Pool[] | undefined)?.[0]?.name;
  if (typeof first === "string" && !taken.has(first)) return first;
  for (let n = index + 1; ; n++) if (!taken.has(`pool-${n}`)) return `pool-${n}`;
}

function poolDefault(list: Pool[], index: number, key: string): unknown {
  if (key === "name") return freshName(list, index);
  const d = poolProps[key]?.default;
  const def = d === undefined ? undefined : structuredClone(d);
  return DERIVED[key] && list[index] ? DERIVED[key](def, list[index], list.slice(0, index)) : def;
}

/** Keep the answers of DERIVED that a pool leaves to their default at the value derived from the pool now. */
function deriveDefaults(list: Pool[]): void {
  list.forEach((pool, i) => {
    const m = marksOf(pool);
    for (const key of Object.keys(DERIVED)) {
      if (key in pool && !m.derived.has(key)) continue;
      const value = poolDefault(list, i, key);
      if (JSON.stringify(value) !== JSON.stringify(poolProps[key].default)) {
        pool[key] = value;
        m.derived.add(key);
      } else {
        delete pool[key];
        m.derived.delete(key);
      }
    }
  });
}

function poolScope(input: InterviewInput, index: number): Scope {
  const pool = () => pools(input)[index];
  const scope: Scope = {
    props: poolProps,
    required: poolSchema.required ?? [],
    path: `/${POOLS}/${index}`,
    get label() {
      return `pool ${String(pool().name ?? index + 1)}`;
    },
    get: (k) => (k in pool() ? pool()[k] : poolDefault(pools(input), index, k)),
    set: (k, v) => {
      const list = editedPools(input);
      const p = list[index];
      p[k] = v;
      const m = marksOf(p);
      m.answered.add(k);
      m.derived.delete(k);
      // What was typed here for a question this change hides no longer counts, as for the shared answers.
      for (const other of m.answered)
        if (!appliesIn(poolProps, other, scope.values())) {
          delete p[other];
          m.answered.delete(other);
        }
      deriveDefaults(list);
    },
    default: (k) => poolDefault(pools(input), index, k),
    answered: (k) => marks.get(pool())?.answered.has(k) ?? false,
    given: (k) => k in pool() && !marks.get(pool())?.derived.has(k),
    values: () => Object.fromEntries(poolKeys.map((k) => [k, scope.get(k)])),
    conflict: (k, v) =>
      k === "name" && pools(input).some((p, i) => i !== index && p.name === v)
        ? `another pool is named ${String(v)}`
        : undefined,
  };
  return scope;
}

/** What a question shows: its prompt, then its explanation and allowed values on the same line. */
export function questionText(key: string, props: Record<string, PropertySchema> = answersSchema.properties): string {
  const p = props[key];
  const allowed = p.enum
    ? ""
    : (p["x-allowed"] ??
      (p.items?.["x-allowed"] ? `comma-separated; each ${p.items["x-allowed"]}` : undefined) ??
      (p.type === "integer"
        ? `a whole number${p.minimum !== undefined ? ` from ${p.minimum}` : ""}${p.maximum !== undefined ? ` to ${p.maximum}` : ""}`
        : ""));
  return `${p["x-prompt"] ?? key}: ${p.description ?? ""}${allowed ? ` [${allowed}]` : ""}`;
}

/** A value as the summary shows it. */
function shown(key: string, v: unknown): string {
  if (v === undefined) return "(not set)";
  if (key === "schedules" && Array.isArray(v))
    return v.length
      ? v.map((x: Record<string, unknown>) => `${x.name} (${x.recurrence}${sizesText(x)})`).join("; ")
      : "none";
  if (Array.isArray(v)) return v.length ? v.join(", ") : "(empty)";
  if (v && typeof v === "object")
    return Object.keys(v).length
      ? Object.entries(v)
          .map(([k, x]) => `${k}=${x}`)
          .join(", ")
      : "(empty)";
  return v === "" ? '""' : String(v);
}

function sizesText(x: Record<string, unknown>): string {
  const parts = (["minSize", "maxSize", "desiredCapacity"] as const)
    .filter((k) => x[k] !== undefined)
    .map((k) => `${k} ${x[k]}`);
  return parts.length ? `, ${parts.join(", ")}` : "";
}

/** The answers with one value put in its scope. */
function withValue(scope: Scope, key: string, value: unknown, input: InterviewInput): Record<string, unknown> {
  const a = all(input);
  if (!scope.path) return { ...a, [key]: value };
  const index = Number(scope.path.split("/")[2]);
  const list = structuredClone(pools(input));
  list[index] = { ...list[index], [key]: value };
  return { ...a, [POOLS]: list };
}

/** The problems of one answer on its own (schema, typos); rules between answers wait for the summary. */
function ownProblems(scope: Scope, key: string, value: unknown, input: InterviewInput): AnswerError[] {
  const { errors } = validateAnswers(withValue(scope, key, value, input), { rules: false });
  const at = `${scope.path}/${key}`;
  return errors.filter((e) => e.path === at || e.path.startsWith(`${at}/`));
}

const TYPO = /Did you mean "([^"]+)"\?/;
const UNLISTED = /the generator knows/;

function parse(scope: Scope, key: string, text: unknown): { value?: unknown; problem?: string } {
  const p = scope.props[key];
  if ((p.type === "integer" || p.type === "number") && typeof text === "string") {
    const t = text.trim();
    if (t === "") return { value: undefined };
    if (!(p.type === "integer" ? /^-?\d+$/ : /^-?\d+(\.\d+)?$/).test(t))
      return {
        problem: `"${t}" is not a ${p.type === "integer" ? "whole number" : "number"}: type digits only, such as ${displayDefault(p, scope.default(key)) ?? 1}`,
      };
    return { value: Number(t) };
  }
  return { value: parseInput(p, text) };
}

/** One answer asked: re-asked until it is valid on its own; a likely typo gets its suggestion offered. */
async function askOne(scope: Scope, key: string, io: InterviewIo, input: InterviewInput): Promise<void> {
  if (key === "schedules") return askSchedules(scope, io, input);
  const p = scope.props[key];
  const def = scope.get(key);
  const base = { name: key, message: questionText(key, scope.props) };
  let q: Question;
  if (p.enum)
    q = {
      ...base,
      type: "select",
      default: def,
      choices: p.enum.map((v) => ({
        value: v,
        name: p["x-enum-names"]?.[v] ? `${v}: ${p["x-enum-names"][v]}` : String(v),
      })),
    };
  else if (p.type === "boolean") q = { ...base, type: "confirm", default: def };
  else
    q = {
      ...base,
      type: "input",
      default: displayDefault(p, def),
      validate: (text: unknown) => {
        const { value, problem } = parse(scope, key, text);
        if (problem) return problem;
        if (value === undefined && !scope.required.includes(key)) return true;
        const conflict = scope.conflict?.(key, value);
        if (conflict) return conflict;
        // A name missing from the shipped list is let through here: just after, the closest listed one is offered, or it is kept as newer than the list.
        const errors = ownProblems(scope, key, value, input).filter((e) => !UNLISTED.test(e.message));
        return errors.length ? errors.map(formatError).join("; ") : true;
      },
    };
  for (;;) {
    const raw = await io.ask(q);
    // A terminal runs validate before it returns; a scripted prompt may not, and then the answer stops the run.
    const invalid = q.validate?.(raw);
    if (invalid !== undefined && invalid !== true) throw new Error(invalid);
    let value = q.type === "input" ? parse(scope, key, raw).value : raw;
    if (value === undefined) {
      if (!scope.required.includes(key)) scope.set(key, scope.default(key));
      return;
    }
    const unlisted = ownProblems(scope, key, value, input).filter((e) => UNLISTED.test(e.message));
    if (unlisted.length) {
      const rel = (path: string) => path.slice(scope.path.length);
      const names = unlisted.map((e) => String(pathValue(value, rel(e.path), key)));
      const fixes = unlisted
        .filter((e) => TYPO.test(e.message))
        .map((e) => [rel(e.path), TYPO.exec(e.message)![1]] as const);
      const choice = (await io.ask({
        type: "select",
        name: `${key}Suggestion`,
        default: fixes.length ? "use" : "retype",
        message: `${names.join(", ")}: not in the generator's list of AWS names.${fixes.length ? ` Did you mean ${fixes.map(([, f]) => f).join(", ")}?` : ""}`,
        choices: [
          ...(fixes.length ? [{ value: "use", name: `Use ${fixes.map(([, f]) => f).join(", ")}` }] : []),
          { value: "retype", name: "Type it again" },
          { value: "keep", name: `Keep ${names.join(", ")}: newer than the list (added to acceptUnlisted)` },
        ],
      })) as string;
      if (choice === "retype") continue;
      if (choice === "use") value = applyFixes(value, fixes);
      else {
        const accepted = (current("acceptUnlisted", input) as string[] | undefined) ?? [];
        input.asked.acceptUnlisted = [...new Set([...accepted, ...names])];
      }
    }
    scope.set(key, value);
    return;
  }
}

/** The item a path below one answer ("/instanceTypes/1") points at. */
function pathValue(value: unknown, path: string, key: string): unknown {
  const i = path.split("/")[2];
  return i === undefined || !Array.isArray(value) ? value : (value[Number(i)] ?? key);
}

function applyFixes(value: unknown, fixes: ReadonlyArray<readonly [string, string]>): unknown {
  if (!Array.isArray(value)) return fixes[0][1];
  const out = [...value];
  for (const [path, fix] of fixes) out[Number(path.split("/")[2])] = fix;
  return out;
}

const DAYS =
  /^(\*|(MON|TUE|WED|THU|FRI|SAT|SUN)(-(MON|TUE|WED|THU|FRI|SAT|SUN))?(,(MON|TUE|WED|THU|FRI|SAT|SUN)(-(MON|TUE|WED|THU|FRI|SAT|SUN))?)*)$/;

/** Schedules as a list: add, edit or remove one at a time (name, days, time, sizes), until done. */
async function askSchedules(scope: Scope, io: InterviewIo, input: InterviewInput): Promise<void> {
  const list = structuredClone((scope.get("schedules") as Array<Record<string, unknown>>) ?? []);
  for (;;) {
    io.say(
      `Schedules${scope.label ? ` of ${scope.label}` : ""} (${current("timeZone", input)}): ${list.length ? "" : "none"}`,
    );
    list.forEach((x, i) => io.say(`  ${i + 1}. ${x.name}: ${x.recurrence}${sizesText(x)}`));
    const action = (await io.ask({
      type: "select",
      name: "scheduleAction",
      message: "Schedules: scheduled changes of the group's sizes. What now?",
      default: "done",
      choices: [
        { value: "done", name: "Done: keep these schedules" },
        { value: "add", name: "Add a schedule" },
        ...list.map((x, i) => ({ value: `edit:${i}`, name: `Edit ${x.name}` })),
        ...list.map((x, i) => ({ value: `remove:${i}`, name: `Remove ${x.name}` })),
      ],
    })) as string;
    if (action === "done") break;
    const [verb, index] = action.split(":");
    if (verb === "remove") {
      list.splice(Number(index), 1);
      continue;
    }
    const old = verb === "edit" ? list[Number(index)] : undefined;
    const made = await askSchedule(
      io,
      old,
      list.filter((x) => x !== old).map((x) => String(x.name)),
    );
    if (old) list[Number(index)] = made;
    else list.push(made);
  }
  scope.set("schedules", list);
}

async function askSchedule(
  io: InterviewIo,
  old: Record<string, unknown> | undefined,
  otherNames: string[],
): Promise<Record<string, unknown>> {
  const simple =
    typeof old?.recurrence === "string" ? /^(\d{1,2}) (\d{1,2}) \* \* (\S+)$/.exec(old.recurrence) : undefined;
  const name = (await io.ask({
    type: "input",
    name: "scheduleName",
    message: "Schedule name [lowercase letters, digits and hyphens, starting with a letter]",
    default: old?.name,
    validate: (t: unknown) =>
      !/^[a-z][a-z0-9-]{0,62}$/.test(String(t).trim())
        ? "use lowercase letters, digits and hyphens, starting with a letter"
        : otherNames.includes(String(t).trim())
          ? "another schedule has this name"
          : true,
  })) as string;
  const days = (await io.ask({
    type: "input",
    name: "scheduleDays",
    message: "Days [MON-FRI, SAT,SUN, * for every day]",
    default: simple ? simple[3] : "MON-FRI",
    validate: (t: unknown) =>
      DAYS.test(String(t).trim().toUpperCase()) ? true : "give days such as MON-FRI, MON,WED,FRI or * (every day)",
  })) as string;
  const time = (await io.ask({
    type: "input",
    name: "scheduleTime",
    message: "Time [HH:MM, 24-hour, in the time zone of the schedules]",
    default: simple ? `${simple[2].padStart(2, "0")}:${simple[1].padStart(2, "0")}` : "07:00",
    validate: (t: unknown) =>
      /^([01]?\d|2[0-3]):[0-5]\d$/.test(String(t).trim()) ? true : "give a time such as 07:00 or 19:30",
  })) as string;
  const sizes = (await io.ask({
    type: "input",
    name: "scheduleSizes",
    message: "Sizes from then on as min,max,desired [e.g. 0,0,0 to switch off; empty keeps the group's answered sizes]",
    default: old && old.minSize !== undefined ? `${old.minSize},${old.maxSize},${old.desiredCapacity}` : "",
    validate: (t: unknown) =>
      String(t).trim() === "" || /^\d+,\d+,\d+$/.test(String(t).replace(/\s/g, ""))
        ? true
        : "give three whole numbers min,max,desired, or nothing",
  })) as string;
  const [h, m] = time.trim().split(":");
  const out: Record<string, unknown> = {
    name: name.trim(),
    recurrence: `${Number(m)} ${Number(h)} * * ${days.trim().toUpperCase()}`,
  };
  const n = sizes.replace(/\s/g, "");
  if (n) {
    const [minSize, maxSize, desiredCapacity] = n.split(",").map(Number);
    Object.assign(out, { minSize, maxSize, desiredCapacity });
  }
  return out;
}

/** An answer of the scope that the interview asks now. */
function askable(scope: Scope, key: string, input: InterviewInput): boolean {
  return (
    key !== POOLS &&
    scope.props[key]["x-ask"] !== "never" &&
    appliesIn(scope.props, key, scope.values()) &&
    (input.askAnswered || !scope.given(key)) &&
    !scope.answered(key)
  );
}

/** A scope's advanced answers (not among `first`): after "Customise the advanced settings…?". Returns whether it asked. */
async function askAdvanced(
  scope: Scope,
  keys: string[],
  first: string[],
  io: InterviewIo,
  input: InterviewInput,
): Promise<boolean> {
  const advanced = keys.filter((k) => !first.includes(k) && askable(scope, k, input));
  if (!advanced.length) return false;
  const customise = await io.ask({
    type: "confirm",
    name: scope.path ? "poolAdvanced" : "advanced",
    default: false,
    message: `Customise the advanced settings${scope.path ? ` of ${scope.label}` : ""}? (${advanced.length} more answer${advanced.length === 1 ? "" : "s"}; No keeps their defaults, which the summary shows)`,
  });
  if (customise)
    for (const k of keys) if (!first.includes(k) && askable(scope, k, input)) await askOne(scope, k, io, input);
  return true;
}

/** One pool's questions: its essentials, then its advanced settings if the user wants them. Returns whether it asked. */
async function askPool(index: number, io: InterviewIo, input: InterviewInput): Promise<boolean> {
  const scope = poolScope(input, index);
  const first = poolEssentials.filter((k) => askable(scope, k, input));
  const advanced = poolKeys.some((k) => !poolEssentials.includes(k) && askable(scope, k, input));
  if (!first.length && !advanced) return false;
  const n = pools(input).length;
  io.say(`\nPool ${index + 1}${n > 1 ? ` of ${n}` : ""}${scope.given("name") ? `: ${String(scope.get("name"))}` : ""}`);
  for (const k of poolEssentials) if (askable(scope, k, input)) await askOne(scope, k, io, input);
  await askAdvanced(scope, poolKeys, poolEssentials, io, input);
  return true;
}

async function addPool(io: InterviewIo, input: InterviewInput): Promise<void> {
  const list = editedPools(input);
  list.push({});
  await askPool(list.length - 1, io, input);
}

/** The pools: each one's questions, then "Add another pool?" until the user is done. Returns whether it asked. */
async function askPools(io: InterviewIo, input: InterviewInput): Promise<boolean> {
  if (!(POOLS in input.known) && !(POOLS in input.asked)) input.asked[POOLS] = [];
  let asked = false;
  for (let i = 0; i < pools(input).length; i++) asked = (await askPool(i, io, input)) || asked;
  while (pools(input).length < MIN_POOLS) {
    await addPool(io, input);
    asked = true;
  }
  if (!input.askAnswered && POOLS in input.known) return asked;
  while (pools(input).length < MAX_POOLS) {
    const more = await io.ask({
      type: "confirm",
      name: "addPool",
      default: false,
      message: `Add another pool? (so far: ${pools(input)
        .map((p) => p.name)
        .join(
          ", ",
        )}; a pool is an Auto Scaling group of one kind of runner, with its own instance types, executor, token, tags, sizes and schedules)`,
    });
    asked = true;
    if (!more) break;
    await addPool(io, input);
  }
  return asked;
}

function originOf(scope: Scope, key: string, input: InterviewInput): string {
  if (!scope.path)
    return key in input.asked
      ? "answered"
      : input.origins[key] === "default" || !(key in input.known)
        ? "default"
        : input.origins[key];
  if (scope.answered(key)) return "answered";
  if (!scope.given(key)) return "default";
  return POOLS in input.known && input.origins[POOLS] !== "default" ? input.origins[POOLS] : "answered";
}

const listed = (scope: Scope, key: string) =>
  appliesIn(scope.props, key, scope.values()) &&
  !(scope.props[key]["x-ask"] === "never" && scope.get(key) === undefined) &&
  key !== POOLS;

/** The summary: every applicable answer, with its value and where it comes from; one block per pool. */
export function summaryText(input: InterviewInput): string {
  const shared = sharedScope(input);
  const width = Math.max(...answerKeys.map((k) => k.length), ...poolKeys.map((k) => k.length + 2));
  const lines = ["", "Summary of the answers (nothing is written yet):"];
  for (const k of answerKeys)
    if (listed(shared, k))
      lines.push(`  ${k.padEnd(width)}  ${shown(k, shared.get(k))}  (${originOf(shared, k, input)})`);
  pools(input).forEach((_, i) => {
    const scope = poolScope(input, i);
    lines.push(`  ${scope.label}:`);
    for (const k of poolKeys)
      if (listed(scope, k))
        lines.push(`    ${k.padEnd(width - 2)}  ${shown(k, scope.get(k))}  (${originOf(scope, k, input)})`);
  });
  return lines.join("\n");
}

/** The answer a problem text names first: ["vpcId"] or ["pools", 1, "asgMaxSize"]. */
function firstProblem(problems: string): { key?: string; pool?: number; poolKey?: string } {
  const m = /^\s+\/([^/:]+)(?:\/(\d+)\/([^/:]+))?/m.exec(problems);
  if (!m) return {};
  return m[1] === POOLS && m[2] !== undefined ? { pool: Number(m[2]), poolKey: m[3] } : { key: m[1] };
}

/** "Change an answer" at the summary: a shared one, or one of a pool's. */
async function change(io: InterviewIo, input: InterviewInput, problems: string): Promise<void> {
  const shared = sharedScope(input);
  const first = problems ? firstProblem(problems) : {};
  const choice = (await io.ask({
    type: "select",
    name: "change",
    message: "Which answer?",
    default: first.pool !== undefined ? `pool:${first.pool}` : (first.key ?? essentials[0]),
    choices: [
      ...answerKeys
        .filter((k) => k !== POOLS && appliesIn(shared.props, k, shared.values()))
        .map((k) => ({ value: k, name: `${k} = ${shown(k, shared.get(k))}` })),
      ...pools(input).map((p, i) => ({ value: `pool:${i}`, name: `an answer of pool ${String(p.name)}` })),
    ],
  })) as string;
  if (!choice.startsWith("pool:")) return askOne(shared, choice, io, input);
  const index = Number(choice.slice(5));
  const scope = poolScope(input, index);
  const key = (await io.ask({
    type: "select",
    name: "changePool",
    message: `Which answer of ${scope.label}?`,
    default: first.pool === index && first.poolKey ? first.poolKey : "name",
    choices: poolKeys
      .filter((k) => appliesIn(poolProps, k, scope.values()))
      .map((k) => ({ value: k, name: `${k} = ${shown(k, scope.get(k))}` })),
  })) as string;
  await askOne(scope, key, io, input);
}

async function removePool(io: InterviewIo, input: InterviewInput): Promise<void> {
  const index = Number(
    await io.ask({
      type: "select",
      name: "removePool",
      message: "Remove which pool?",
      choices: pools(input).map((p, i) => ({ value: String(i), name: String(p.name) })),
    }),
  );
  const list = editedPools(input);
  list.splice(index, 1);
  deriveDefaults(list);
}

/** The answers typed, each pool's in the schema's order. */
function ordered(asked: Record<string, unknown>): Record<string, unknown> {
  if (Array.isArray(asked[POOLS]))
    asked[POOLS] = (asked[POOLS] as Pool[]).map((p) =>
      Object.fromEntries(
        [...poolKeys, ...Object.keys(p)].filter((k, i, keys) => k in p && keys.indexOf(k) === i).map((k) => [k, p[k]]),
      ),
    );
  return asked;
}

/**
 * Run the interview. Returns the answers typed (input.asked), or undefined
 * when the user cancels at the summary.
 */
export async function runInterview(
  io: InterviewIo,
  input: InterviewInput,
): Promise<Record<string, unknown> | undefined> {
  const shared = sharedScope(input);
  let askedAny = Object.keys(input.asked).length > 0;
  for (const k of essentials.includes(POOLS) ? essentials : [...essentials, POOLS])
    if (k === POOLS) askedAny = (await askPools(io, input)) || askedAny;
    else if (askable(shared, k, input)) {
      await askOne(shared, k, io, input);
      askedAny = true;
    }
  if (await askAdvanced(shared, answerKeys, essentials, io, input)) askedAny = true;
  // A regeneration with every answer known asks nothing, not even the summary.
  if (!askedAny && !input.check(input.asked)) return ordered(input.asked);
  for (;;) {
    io.say(summaryText(input));
    const problems = input.check(input.asked);
    if (problems)
      io.say(`\n${problems.replace(/\nNothing was written\.\n?$/, "")}\nChange the answers named above to go on.`);
    const n = pools(input).length;
    const action = (await io.ask({
      type: "select",
      name: "summary",
      message: problems ? "Change an answer, or cancel?" : "Write the repository with these answers?",
      default: problems ? "change" : "write",
      choices: [
        ...(problems ? [] : [{ value: "write", name: "Yes, write it" }]),
        { value: "change", name: "Change an answer" },
        ...(n < MAX_POOLS ? [{ value: "addPool", name: "Add a pool" }] : []),
        ...(n > MIN_POOLS ? [{ value: "removePool", name: "Remove a pool" }] : []),
        { value: "cancel", name: "Cancel: write nothing" },
      ],
    })) as string;
    if (action === "write") return ordered(input.asked);
    if (action === "cancel") return undefined;
    if (action === "addPool") await addPool(io, input);
    else if (action === "removePool") await removePool(io, input);
    else await change(io, input, problems);
  }
}

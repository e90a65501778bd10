import { displayDefault, parseInput, type Question } from "./prompts.js";
import { answerKeys, answersSchema, applies, defaultOf, isRequired, type PropertySchema } from "./schema.js";
import type { Origin } from "./pipeline.js";
import type { AnswerError } from "./types.js";
import { formatError, validateAnswers } from "./validate.js";

/**
 * The interactive interview, as data and a loop: the essentials first
 * (schema "x-essentials"), then "Customise the advanced settings?", then a
 * summary of every answer (defaults included) with a way to change any of
 * them before anything is written. Each question shows its explanation (the
 * schema's description) and allowed values. Checks between answers wait for
 * the summary; a single answer is checked at once (with "did you mean" for
 * regions and instance types). Free of Yeoman: the shell passes `ask`.
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

export const essentials: string[] = answersSchema["x-essentials"] ?? [];
const s = (key: string): PropertySchema => answersSchema.properties[key];

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

/** What a question shows: its prompt, then its explanation and allowed values on the same line. */
export function questionText(key: string): string {
  const p = s(key);
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

/** The problems of one answer on its own (schema, typos); rules between answers wait for the summary. */
function ownProblems(key: string, value: unknown, input: InterviewInput): AnswerError[] {
  const { errors } = validateAnswers({ ...all(input), [key]: value }, { rules: false });
  return errors.filter((e) => e.path === `/${key}` || e.path.startsWith(`/${key}/`));
}

const TYPO = /Did you mean "([^"]+)"\?/;
const UNLISTED = /the generator knows/;

function parse(key: string, text: unknown): { value?: unknown; problem?: string } {
  const p = s(key);
  if ((p.type === "integer" || p.type === "number") && typeof text === "string") {
    const t = text.trim();
    if (t === "") return { value: undefined };
    if (!(p.type === "integer" ? /^-?\d+$/ : /^-?\d+(\.\d+)?$/).test(t))
      return {
        problem: `"${t}" is not a ${p.type === "integer" ? "whole number" : "number"}: type digits only, such as ${displayDefault(p, defaultOf(key)) ?? 1}`,
      };
    return { value: Number(t) };
  }
  try {
    return { value: parseInput(p, text) };
  } catch (e) {
    return { problem: `not valid YAML: ${(e as Error).message.split("\n")[0]}` };
  }
}

/** One answer asked: re-asked until it is valid on its own; a likely typo gets its suggestion offered. */
async function askOne(key: string, io: InterviewIo, input: InterviewInput): Promise<void> {
  if (key === "schedules") return askSchedules(io, input);
  const p = s(key);
  const def = current(key, input);
  const base = { name: key, message: questionText(key) };
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
        const { value, problem } = parse(key, text);
        if (problem) return problem;
        if (value === undefined && !isRequired(key)) return true;
        // A name missing from the shipped list is let through here: just after, the closest listed one is offered, or it is kept as newer than the list.
        const errors = ownProblems(key, value, input).filter((e) => !UNLISTED.test(e.message));
        return errors.length ? errors.map(formatError).join("; ") : true;
      },
    };
  for (;;) {
    const raw = await io.ask(q);
    // A terminal runs validate before it returns; a scripted prompt may not, and then the answer stops the run.
    const invalid = q.validate?.(raw);
    if (invalid !== undefined && invalid !== true) throw new Error(invalid);
    let value = q.type === "input" ? parse(key, raw).value : raw;
    if (value === undefined) {
      delete input.asked[key];
      if (!isRequired(key)) input.asked[key] = defaultOf(key);
      return;
    }
    const unlisted = ownProblems(key, value, input).filter((e) => UNLISTED.test(e.message));
    if (unlisted.length) {
      const names = unlisted.map((e) => String(pathValue(value, e.path, key)));
      const fixes = unlisted
        .filter((e) => TYPO.test(e.message))
        .map((e) => [e.path, TYPO.exec(e.message)![1]] as const);
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
      if (choice === "use") value = applyFixes(key, value, fixes);
      else {
        const accepted = (current("acceptUnlisted", input) as string[] | undefined) ?? [];
        input.asked.acceptUnlisted = [...new Set([...accepted, ...names])];
      }
    }
    input.asked[key] = value;
    return;
  }
}

function pathValue(value: unknown, path: string, key: string): unknown {
  const i = path.split("/")[2];
  return i === undefined || !Array.isArray(value) ? value : (value[Number(i)] ?? key);
}

function applyFixes(_key: string, value: unknown, fixes: ReadonlyArray<readonly [string, string]>): unknown {
  if (!Array.isArray(value)) return fixes[0][1];
  const out = [...value];
  for (const [path, fix] of fixes) out[Number(path.split("/")[2])] = fix;
  return out;
}

const DAYS =
  /^(\*|(MON|TUE|WED|THU|FRI|SAT|SUN)(-(MON|TUE|WED|THU|FRI|SAT|SUN))?(,(MON|TUE|WED|THU|FRI|SAT|SUN)(-(MON|TUE|WED|THU|FRI|SAT|SUN))?)*)$/;

/** Schedules as a list: add, edit or remove one at a time (name, days, time, sizes), until done. */
async function askSchedules(io: InterviewIo, input: InterviewInput): Promise<void> {
  const list = structuredClone((current("schedules", input) as Array<Record<string, unknown>>) ?? []);
  for (;;) {
    io.say(
      `Schedules (${input.known.timeZone ?? input.asked.timeZone ?? defaultOf("timeZone")}): ${list.length ? "" : "none"}`,
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
  input.asked.schedules = list;
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

/** The summary: every applicable answer, with its value and where it comes from. */
export function summaryText(input: InterviewInput): string {
  const a = all(input);
  const width = Math.max(...answerKeys.map((k) => k.length));
  const lines = ["", "Summary of the answers (nothing is written yet):"];
  for (const k of answerKeys) {
    if (!applies(k, a) || (s(k)["x-ask"] === "never" && a[k] === undefined)) continue;
    const origin =
      k in input.asked
        ? "answered"
        : input.origins[k] === "default" || !(k in input.known)
          ? "default"
          : input.origins[k];
    lines.push(`  ${k.padEnd(width)}  ${shown(k, a[k])}  (${origin})`);
  }
  return lines.join("\n");
}

/**
 * Run the interview. Returns the answers typed (input.asked), or undefined
 * when the user cancels at the summary.
 */
export async function runInterview(
  io: InterviewIo,
  input: InterviewInput,
): Promise<Record<string, unknown> | undefined> {
  const askable = (k: string) =>
    s(k)["x-ask"] !== "never" &&
    applies(k, all(input)) &&
    (input.askAnswered || !(k in input.known)) &&
    !(k in input.asked);
  for (const k of essentials) if (askable(k)) await askOne(k, io, input);
  const advanced = answerKeys.filter((k) => !essentials.includes(k) && askable(k));
  const askedAny = Object.keys(input.asked).length > 0 || essentials.some((k) => askable(k));
  if (advanced.length) {
    const customise = await io.ask({
      type: "confirm",
      name: "advanced",
      default: false,
      message: `Customise the advanced settings? (${advanced.length} more answers; No keeps their defaults, which the summary shows)`,
    });
    if (customise) for (const k of answerKeys) if (!essentials.includes(k) && askable(k)) await askOne(k, io, input);
  }
  // A regeneration with every answer known asks nothing, not even the summary.
  if (!askedAny && !advanced.length && !input.check(input.asked)) return input.asked;
  for (;;) {
    io.say(summaryText(input));
    const problems = input.check(input.asked);
    if (problems)
      io.say(`\n${problems.replace(/\nNothing was written\.\n?$/, "")}\nChange the answers named above to go on.`);
    const action = (await io.ask({
      type: "select",
      name: "summary",
      message: problems ? "Change an answer, or cancel?" : "Write the repository with these answers?",
      default: problems ? "change" : "write",
      choices: [
        ...(problems ? [] : [{ value: "write", name: "Yes, write it" }]),
        { value: "change", name: "Change an answer" },
        { value: "cancel", name: "Cancel: write nothing" },
      ],
    })) as string;
    if (action === "write") return input.asked;
    if (action === "cancel") return undefined;
    const a = all(input);
    const key = (await io.ask({
      type: "select",
      name: "change",
      message: "Which answer?",
      default: problems ? (/^\s+\/([^/:]+)/m.exec(problems)?.[1] ?? essentials[0]) : essentials[0],
      choices: answerKeys.filter((k) => applies(k, a)).map((k) => ({ value: k, name: `${k} = ${shown(k, a[k])}` })),
    })) as string;
    await askOne(key, io, input);
  }
}

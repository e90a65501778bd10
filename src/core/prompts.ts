import { parse as parseYaml } from "yaml";
import { answerKeys, answersSchema, applies, defaultOf, type PropertySchema } from "./schema.js";
import { formatError, validateAnswers } from "./validate.js";

/** An Inquirer question, as Yeoman's prompt() takes it; derived from the schema, never written by hand. */
export interface Question {
  type: "input" | "number" | "confirm" | "select";
  name: string;
  message: string;
  default?: unknown;
  choices?: Array<{ name: string; value: string }>;
  when?: (answers: Record<string, unknown>) => boolean;
  filter?: (input: unknown) => unknown;
  validate?: (input: unknown, answers?: Record<string, unknown>) => true | string;
}

/** How a typed line becomes the answer's value (lists are comma-separated, maps k=v, objects YAML). */
export function parseInput(s: PropertySchema, input: unknown): unknown {
  if (typeof input !== "string") return input;
  const text = input.trim();
  if (s.type === "array" && s.items?.type === "object") return text === "" ? [] : parseYaml(text);
  if (s.type === "array")
    return text === ""
      ? []
      : text
          .split(",")
          .map((x) => x.trim())
          .filter(Boolean);
  if (s.type === "object") {
    if (text === "") return {};
    return Object.fromEntries(
      text.split(",").map((pair) => {
        const i = pair.indexOf("=");
        return i < 0 ? [pair.trim(), ""] : [pair.slice(0, i).trim(), pair.slice(i + 1).trim()];
      }),
    );
  }
  if (s.type === "integer" || s.type === "number") return text === "" ? undefined : Number(text);
  return text;
}

/** The default shown in the prompt, in the same text form parseInput reads. */
export function displayDefault(s: PropertySchema, value: unknown): unknown {
  if (value === undefined) return undefined;
  if (s.type === "array" && s.items?.type === "object") return JSON.stringify(value);
  if (s.type === "array") return (value as unknown[]).join(",");
  if (s.type === "object")
    return Object.entries(value as Record<string, string>)
      .map(([k, v]) => `${k}=${v}`)
      .join(",");
  return value;
}

function problemsFor(key: string, value: unknown, answers: Record<string, unknown>): true | string {
  const { errors } = validateAnswers({ ...answers, [key]: value });
  const mine = errors.filter((e) => e.path === `/${key}` || e.path.startsWith(`/${key}/`));
  return mine.length ? mine.map(formatError).join("; ") : true;
}

/**
 * One question per answer not already known, in schema order. `known` holds
 * stored or given answers: those are not asked again (only new ones are).
 */
export function questionsFor(known: Record<string, unknown>): Question[] {
  return answerKeys
    .filter((key) => !(key in known) && answersSchema.properties[key]["x-ask"] !== "never")
    .map((key) => {
      const s = answersSchema.properties[key];
      const current = defaultOf(key);
      const base = {
        name: key,
        message: s["x-prompt"] ?? key,
        when: (answers: Record<string, unknown>) => applies(key, { ...defaultsOfAll(), ...known, ...answers }),
      };
      if (s.enum) {
        return {
          ...base,
          type: "select",
          default: current,
          choices: s.enum.map((v) => ({ value: v, name: s["x-enum-names"]?.[v] ?? String(v) })),
        } as Question;
      }
      if (s.type === "boolean") return { ...base, type: "confirm", default: current } as Question;
      return {
        ...base,
        type: "input",
        default: displayDefault(s, current),
        filter: (input: unknown) => {
          try {
            return parseInput(s, input);
          } catch {
            return input;
          }
        },
        validate: (input: unknown, answers?: Record<string, unknown>) => {
          let value: unknown;
          try {
            value = parseInput(s, input);
          } catch (e) {
            return `not valid YAML: ${(e as Error).message.split("\n")[0]}`;
          }
          if (value === undefined && !answersSchema.required.includes(key)) return true;
          return problemsFor(key, value, { ...known, ...(answers ?? {}) });
        },
      } as Question;
    });
}

function defaultsOfAll(): Record<string, unknown> {
  return Object.fromEntries(answerKeys.map((k) => [k, defaultOf(k)]).filter(([, v]) => v !== undefined));
}

import type { PropertySchema } from "./schema.js";

/** An Inquirer question, as Yeoman's prompt() takes it. */
export interface Question {
  type: "input" | "confirm" | "select";
  name: string;
  message: string;
  default?: unknown;
  choices?: Array<{ name: string; value: string }>;
  validate?: (input: unknown) => true | string;
}

/** How a typed line becomes the answer's value (lists are comma-separated, maps k=v); lists of objects have prompts of their own. */
export function parseInput(s: PropertySchema, input: unknown): unknown {
  if (typeof input !== "string") return input;
  const text = input.trim();
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
  if (s.type === "array") return (value as unknown[]).join(",");
  if (s.type === "object")
    return Object.entries(value as Record<string, string>)
      .map(([k, v]) => `${k}=${v}`)
      .join(",");
  return value;
}

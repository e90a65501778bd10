import { readJson } from "./package-root.js";

/** The subset of JSON Schema (plus x- keywords) the answers schema uses. */
export interface PropertySchema {
  type?: "string" | "integer" | "number" | "boolean" | "array" | "object";
  enum?: string[];
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  uniqueItems?: boolean;
  maxProperties?: number;
  items?: PropertySchema;
  properties?: Record<string, PropertySchema>;
  required?: string[];
  additionalProperties?: boolean | PropertySchema;
  /** Object items (the pools): the order of their fields and the ones the interview asks first. */
  "x-order"?: string[];
  "x-essentials"?: string[];
  default?: unknown;
  description?: string;
  "x-prompt"?: string;
  "x-allowed"?: string;
  "x-enum-names"?: Record<string, string>;
  /** Ask (and document) this answer only when other answers have these values. */
  "x-when"?: Record<string, string | boolean | string[]>;
  /** What a value given while x-when is false does: "error" refuses it, "ignore" keeps it unused (README, "When an answer does not apply"). */
  "x-when-policy"?: "error" | "ignore";
  /** The error's wording, when the generic "applies only with …" says too little. */
  "x-when-message"?: string;
  /** "never": not asked in the interview (an answers-file or --option setting only). */
  "x-ask"?: "never";
  /** The Terraform variable this answer becomes: its name, or a declaration (see ARCHITECTURE.md). */
  "x-tfvar"?: string | TfVarDeclaration;
  /** "generator": the answer steers the generator (validation) and reaches no generated file but .yo-rc.json. */
  "x-used-by"?: "generator";
  examples?: unknown[];
}

/** How an answer becomes a Terraform variable, beyond what its schema says. */
export interface TfVarDeclaration {
  name?: string;
  /** The variable's description, when it differs from the answer's. */
  description?: string;
  /** The error_message of the schema-derived validation, when x-allowed or the enum does not give it. */
  error?: string;
  /** The loop variable of the per-item check (default: the first letter of the name's last word). */
  each?: string;
  /** A schema keyword's check written in HCL, for one with no derived form (or none RE2 can read). */
  hcl?: Record<string, string>;
  /** A schema keyword Terraform does not check, with the reason. */
  unchecked?: Record<string, string>;
  /** Checks the schema cannot state (cross-variable conditions, derived values). */
  validation?: Array<{ condition: string; error_message: string }>;
  /** A transform in src/core/context/tf-variables.ts that computes the value and the type. */
  transform?: string;
}

export interface AnswersSchema {
  $id: string;
  "x-schema-version": number;
  "x-order": string[];
  /** The answers the interview asks first; the others only when the user chooses to customise the advanced settings. */
  "x-essentials": string[];
  required: string[];
  properties: Record<string, PropertySchema>;
}

export const answersSchema: AnswersSchema = readJson<AnswersSchema>("schema/answers.schema.json");
export const schemaVersion: number = answersSchema["x-schema-version"];

/** Answer names in prompt/documentation order. */
export const answerKeys: string[] = answersSchema["x-order"];

/** The schema of one pool (`pools.items`). */
export const poolSchema: PropertySchema = answersSchema.properties.pools.items!;

/** The fields of each pool, in prompt/documentation order (`name` first). */
export const poolFieldKeys: string[] = poolSchema["x-order"]!;

/** The schema of one pool field. */
export function poolFieldSchema(key: string): PropertySchema {
  return poolSchema.properties![key];
}

/** Whether `key` is a field of each pool rather than a shared (top-level) answer; `tags` is both. */
export function isPoolField(key: string): boolean {
  return key in poolSchema.properties!;
}

/** The schema of a top-level answer or, failing that, of a pool field: what a flat (per-pool) view of the answers holds. */
export function fieldSchema(key: string): PropertySchema | undefined {
  return answersSchema.properties[key] ?? poolSchema.properties![key];
}

export function isRequired(key: string): boolean {
  return answersSchema.required.includes(key) || (key !== "tags" && poolSchema.required!.includes(key));
}

/** Whether an answer applies, given the others (its x-when condition; a pool field's refers to its own pool's fields). */
export function applies(key: string, answers: Record<string, unknown>): boolean {
  const when = fieldSchema(key)?.["x-when"];
  if (!when) return true;
  return Object.entries(when).every(([k, v]) =>
    Array.isArray(v) ? v.includes(answers[k] as string) : answers[k] === v,
  );
}

/** An answer's x-when condition in words ("scalingPolicy jobs or cpu"), and what those answers are in `answers` ("scalingPolicy is none"). */
export function whenText(key: string, answers: Record<string, unknown>): { condition: string; actual: string } {
  const when = Object.entries(fieldSchema(key)?.["x-when"] ?? {});
  return {
    condition: when.map(([k, v]) => `${k} ${Array.isArray(v) ? v.join(" or ") : v}`).join(" and "),
    actual: when.map(([k]) => `${k} is ${String(answers[k])}`).join(" and "),
  };
}

/** A deep copy of an answer's (or pool field's) schema default, so callers can't mutate the schema. */
export function defaultOf(key: string): unknown {
  const d = fieldSchema(key)?.default;
  return d === undefined ? undefined : structuredClone(d);
}

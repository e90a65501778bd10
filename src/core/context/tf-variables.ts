import { hclString } from "../escape.js";
import { answersSchema, poolFieldSchema, poolSchema, type PropertySchema, type TfVarDeclaration } from "../schema.js";
import { poolViews, type PoolView } from "../pools.js";
import type { Answers, Schedule } from "../types.js";

/** One scheduled action as terraform.tfvars.json carries it: every size explicit. */
export interface TfSchedule {
  recurrence: string;
  min_size: number;
  max_size: number;
  desired_capacity: number;
}

/** A schedule's sizes, with the ones left out taken from the pool's answered ASG sizes. */
export function scheduleSizes(a: PoolView, s: Schedule): TfSchedule {
  return {
    recurrence: s.recurrence,
    min_size: s.minSize ?? a.asgMinSize,
    max_size: s.maxSize ?? a.asgMaxSize,
    desired_capacity: s.desiredCapacity ?? a.asgDesiredCapacity,
  };
}

/**
 * The answers whose Terraform variable is not the answer itself: the variable's
 * type and value come from code, its validations from x-tfvar.validation only.
 * Keep this list short.
 */
const TRANSFORMS: Record<string, { type: string; value: (a: PoolView) => unknown }> = {
  schedules: {
    type: "map(object({ recurrence = string, min_size = number, max_size = number, desired_capacity = number }))",
    value: (a) => Object.fromEntries(a.schedules.map((s) => [s.name, scheduleSizes(a, s)])),
  },
};

/** Keywords that describe an answer without constraining it. */
const NOT_CONSTRAINTS = new Set(["type", "default", "description", "examples"]);

export interface TfVariable {
  answer: string;
  name: string;
  description: string;
  type: string;
  validations: Array<{ condition: string; error_message: string }>;
  /** The schema patterns emitted as Terraform regexes (RE2). */
  regexes: string[];
}

/**
 * Why Terraform's RE2 would refuse a JavaScript pattern or read it otherwise,
 * or undefined. Catches the JS-only syntax: lookaround, backreferences, \u and \c escapes.
 */
export function re2Problem(pattern: string): string | undefined {
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "\\") {
      const n = pattern[++i];
      if (/[1-9]/.test(n)) return `backreference \\${n}`;
      if (n === "k") return "named backreference \\k";
      if (n === "u") return "\\u escape (RE2 writes \\x{…})";
      if (n === "c") return "control escape \\c";
    } else if (c === "(" && pattern[i + 1] === "?") {
      const look = /^\(\?(=|!|<=|<!)/.exec(pattern.slice(i));
      if (look) return `lookaround (?${look[1]}`;
    }
  }
  return undefined;
}

function tfType(s: PropertySchema, where: string): string {
  switch (s.type) {
    case "string":
      return "string";
    case "integer":
    case "number":
      return "number";
    case "boolean":
      return "bool";
    case "array":
      return `list(${tfType(s.items ?? {}, `${where}.items`)})`;
    case "object":
      if (typeof s.additionalProperties === "object")
        return `map(${tfType(s.additionalProperties, `${where}.additionalProperties`)})`;
  }
  throw new Error(`${where}: no Terraform type for this schema; declare a transform in x-tfvar`);
}

function regex(pattern: string, ref: string, where: string, regexes: string[]): string {
  const problem = re2Problem(pattern);
  if (problem)
    throw new Error(`${where}: the pattern uses ${problem}, which Terraform's RE2 lacks; give x-tfvar.hcl.pattern`);
  regexes.push(pattern);
  return `can(regex(${hclString(pattern)}, ${ref}))`;
}

/** The HCL clauses that check value `ref` against schema s, in the schema's key order. */
function clauses(s: PropertySchema, ref: string, decl: Named, where: string, regexes: string[]): string[] {
  const out: string[] = [];
  for (const [key, v] of Object.entries(s)) {
    if (NOT_CONSTRAINTS.has(key) || key.startsWith("x-")) continue;
    if (decl.unchecked?.[key]) continue;
    if (decl.hcl?.[key]) {
      out.push(decl.hcl[key].replaceAll(`var.${decl.name}`, ref));
      continue;
    }
    const n = v as number;
    switch (key) {
      case "pattern":
        out.push(regex(v as string, ref, where, regexes));
        break;
      case "enum":
        out.push(
          `contains([${(v as (string | number)[]).map((x) => (typeof x === "number" ? String(x) : hclString(x))).join(", ")}], ${ref})`,
        );
        break;
      case "minimum":
        out.push(`${ref} >= ${n}`);
        break;
      case "maximum":
        out.push(`${ref} <= ${n}`);
        break;
      case "minLength":
        out.push(`length(${ref}) >= ${n}`);
        break;
      case "minItems":
        out.push(n === 1 ? `length(${ref}) > 0` : `length(${ref}) >= ${n}`);
        break;
      case "maxLength":
      case "maxItems":
      case "maxProperties":
        out.push(`length(${ref}) <= ${n}`);
        break;
      case "uniqueItems":
        if (v) out.push(`length(distinct(${ref})) == length(${ref})`);
        break;
      case "items": {
        const each = decl.each ?? decl.name.split("_").at(-1)![0];
        const inner = clauses(v as PropertySchema, each, { name: each }, `${where}.items`, regexes);
        if (inner.length) out.push(`alltrue([for ${each} in ${ref} : ${inner.join(" && ")}])`);
        break;
      }
      default:
        throw new Error(
          `${where}: no Terraform check for "${key}"; give x-tfvar.hcl.${key} or x-tfvar.unchecked.${key} (with the reason)`,
        );
    }
  }
  if (s.type === "integer" && !decl.unchecked?.type) out.push(`floor(${ref}) == ${ref}`);
  return out;
}

function errorMessage(s: PropertySchema, decl: Named, where: string): string {
  if (decl.error) return decl.error;
  if (s.enum) return `${decl.name} must be ${s.enum.slice(0, -1).join(", ")} or ${s.enum.at(-1)}.`;
  if (s["x-allowed"]) return `${decl.name} must be ${s["x-allowed"]}.`;
  if (s.type === "integer" && s.minimum !== undefined && s.maximum !== undefined) {
    return `${decl.name} must be a whole number from ${s.minimum} to ${s.maximum}.`;
  }
  throw new Error(`${where}: no wording for the Terraform validation; give x-tfvar.error`);
}

type Named = TfVarDeclaration & { name: string };

function declaration(x: string | TfVarDeclaration): Named {
  return typeof x === "string" ? { name: x } : (x as Named);
}

/**
 * The Terraform variable of one answer; throws when the schema has a constraint
 * with no Terraform form. `ref` is the value the checks read: the variable, or
 * a pool's attribute (`p.instance_types`).
 */
export function tfVariable(answer: string, s: PropertySchema, ref?: string): TfVariable {
  const decl = declaration(s["x-tfvar"]!);
  const where = `schema/answers.schema.json ${answer}`;
  ref ??= `var.${decl.name}`;
  const transform = decl.transform === undefined ? undefined : TRANSFORMS[decl.transform];
  if (decl.transform !== undefined && !transform)
    throw new Error(`${where}: x-tfvar.transform ${decl.transform} is not in TRANSFORMS`);
  const regexes: string[] = [];
  const validations = [];
  const derived = transform ? [] : clauses(s, ref, decl, where, regexes);
  if (derived.length)
    validations.push({ condition: derived.join(" && "), error_message: errorMessage(s, decl, where) });
  for (const v of decl.validation ?? [])
    validations.push({ ...v, condition: v.condition.replaceAll(`var.${decl.name}`, ref) });
  const description = decl.description ?? s.description;
  if (!description) throw new Error(`${where}: the Terraform variable needs a description`);
  return { answer, name: decl.name, description, type: transform?.type ?? tfType(s, where), validations, regexes };
}

/** The loop variables of the pools checks: `for pool, p in var.pools`. */
const POOL_KEY = "pool";
const POOL = "p";

/**
 * The attributes of one pool's object in `var.pools`: one per pool field with
 * x-tfvar, in the order of the pool schema's properties, each with its checks
 * reading `p.<attribute>`.
 */
export function poolAttributes(): TfVariable[] {
  return (attributes ??= Object.entries(poolSchema.properties ?? {})
    .filter(([, s]) => s["x-tfvar"] !== undefined)
    .map(([answer, s]) => tfVariable(answer, s, `${POOL}.${declaration(s["x-tfvar"]!).name}`)));
}
let attributes: TfVariable[] | undefined;

/** The object type of one pool, as `var.pools` and the runner-pool module's `var.pool` declare it. */
export function poolObjectType(): string {
  const width = Math.max(...poolAttributes().map((v) => v.name.length));
  return [
    "object({",
    ...poolAttributes().map((v) => `    ${v.name.padEnd(width)} = ${v.type.replaceAll("\n", "\n  ")}`),
    "  })",
  ].join("\n");
}

/**
 * `var.pools`: the pools keyed by name, each an object of its attributes; every
 * attribute's checks apply to each pool, and the pool name's pattern to each key.
 */
function poolsVariable(): TfVariable {
  const pools = answersSchema.properties.pools;
  const name = poolFieldSchema("name");
  const regexes = poolAttributes().flatMap((v) => v.regexes);
  const eachPool = (condition: string) => `alltrue([for ${POOL_KEY}, ${POOL} in var.pools : ${condition}])`;
  const validations = [
    {
      condition: [
        ...(pools.minItems !== undefined ? [`length(var.pools) >= ${pools.minItems}`] : []),
        ...(pools.maxItems !== undefined ? [`length(var.pools) <= ${pools.maxItems}`] : []),
        eachPool(regex(name.pattern!, POOL_KEY, "schema/answers.schema.json pools.items.name", regexes)),
      ].join(" && "),
      error_message: `pools: ${pools.minItems ?? 0} to ${pools.maxItems} pools, each named ${name["x-allowed"]}.`,
    },
    ...poolAttributes().flatMap((v) =>
      v.validations.map((c) => ({ condition: eachPool(c.condition), error_message: `pools: ${c.error_message}` })),
    ),
  ];
  return {
    answer: "pools",
    name: "pools",
    description: "The runner pools by name: each is one Auto Scaling Group (terraform/modules/runner-pool).",
    type: `map(${poolObjectType()})`,
    validations,
    regexes,
  };
}

let declared: TfVariable[] | undefined;
/** Every Terraform variable, in the order of the schema's properties: one per shared answer with x-tfvar, and `pools`. */
export function tfVariables(): TfVariable[] {
  return (declared ??= Object.entries(answersSchema.properties).flatMap(([answer, s]) =>
    answer === "pools" ? [poolsVariable()] : s["x-tfvar"] !== undefined ? [tfVariable(answer, s)] : [],
  ));
}

function value(answer: string, from: Answers | PoolView, s: PropertySchema): unknown {
  const transform = declaration(s["x-tfvar"]!).transform;
  return transform
    ? TRANSFORMS[transform].value(from as PoolView)
    : (from as unknown as Record<string, unknown>)[answer];
}

/** The answers Terraform needs, keyed by variable name; emitted as terraform.tfvars.json, so user text never enters HCL. */
export function tfvars(a: Answers): Record<string, unknown> {
  const pool = poolSchema.properties!;
  return Object.fromEntries(
    tfVariables().map((v) => [
      v.name,
      v.answer === "pools"
        ? Object.fromEntries(
            poolViews(a).map((p) => [
              p.name,
              Object.fromEntries(poolAttributes().map((at) => [at.name, value(at.answer, p, pool[at.answer])])),
            ]),
          )
        : value(v.answer, a, answersSchema.properties[v.answer]),
    ]),
  );
}

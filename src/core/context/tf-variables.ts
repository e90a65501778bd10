import { hclString } from "../escape.js";
import { answersSchema, fieldSchema, poolSchema, type PropertySchema, type TfVarDeclaration } from "../schema.js";
import type { PoolView as Answers } from "../pools.js";
import type { Schedule } from "../types.js";

/** One scheduled action as terraform.tfvars.json carries it: every size explicit. */
export interface TfSchedule {
  recurrence: string;
  min_size: number;
  max_size: number;
  desired_capacity: number;
}

/** A schedule's sizes, with the ones left out taken from the answered ASG sizes. */
export function scheduleSizes(a: Answers, s: Schedule): TfSchedule {
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
const TRANSFORMS: Record<string, { type: string; value: (a: Answers) => unknown }> = {
  schedules: {
    type: [
      "map(object({",
      "    recurrence       = string",
      "    min_size         = number",
      "    max_size         = number",
      "    desired_capacity = number",
      "  }))",
    ].join("\n"),
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
      out.push(decl.hcl[key]);
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

/** The Terraform variable of one answer; throws when the schema has a constraint with no Terraform form. */
export function tfVariable(answer: string, s: PropertySchema): TfVariable {
  const decl = declaration(s["x-tfvar"]!);
  const where = `schema/answers.schema.json ${answer}`;
  const transform = decl.transform === undefined ? undefined : TRANSFORMS[decl.transform];
  if (decl.transform !== undefined && !transform)
    throw new Error(`${where}: x-tfvar.transform ${decl.transform} is not in TRANSFORMS`);
  const regexes: string[] = [];
  const validations = [];
  const derived = transform ? [] : clauses(s, `var.${decl.name}`, decl, where, regexes);
  if (derived.length)
    validations.push({ condition: derived.join(" && "), error_message: errorMessage(s, decl, where) });
  validations.push(...(decl.validation ?? []));
  const description = decl.description ?? s.description;
  if (!description) throw new Error(`${where}: the Terraform variable needs a description`);
  return { answer, name: decl.name, description, type: transform?.type ?? tfType(s, where), validations, regexes };
}

/** The variables' order of schema version 1, whose variables.tf declared the pool fields among the shared answers. */
const V1_ORDER = [
  ...["awsRegion", "projectName", "vpcId", "subnetIds", "architecture", "baseOs", "amiId", "instanceTypes"],
  ...["rootVolumeSize", "asgMinSize", "asgMaxSize", "asgDesiredCapacity", "onDemandBaseCapacity"],
  ...["onDemandPercentageAboveBase", "gitlabUrl", "registrationMode", "tokenSsmParameter", "tokenKmsKeyId"],
  ...["runnerDescription", "runnerTags", "runUntagged", "runnerLocked", "executor", "dockerImage"],
  ...["dockerPrivileged", "concurrent", "cacheS3", "cacheExpirationDays", "cacheKmsKeyArn", "timeZone", "schedules"],
  ...["scalingPolicy", "scalingTargetValue", "drainTimeoutSeconds", "egressCidrs", "sessionManagerAccess"],
  ...["permissionsBoundaryArn", "logRetentionDays", "logKmsKeyArn", "diskPruneThresholdPercent", "diskAlarmPercent"],
  ...["alarmSnsTopicArn", "alarmAtMaxMinutes", "tags"],
];

let declared: TfVariable[] | undefined;
/** Every Terraform variable, one per answer (shared, or a field of the first pool) with x-tfvar. */
export function tfVariables(): TfVariable[] {
  const rank = (k: string) => (V1_ORDER.includes(k) ? V1_ORDER.indexOf(k) : V1_ORDER.length);
  return (declared ??= Object.keys({ ...poolSchema.properties, ...answersSchema.properties })
    .filter((k) => fieldSchema(k)!["x-tfvar"] !== undefined)
    .sort((x, y) => rank(x) - rank(y))
    .map((answer) => tfVariable(answer, fieldSchema(answer)!)));
}

/** The answers Terraform needs, keyed by variable name; emitted as terraform.tfvars.json, so user text never enters HCL. */
export function tfvars(a: Answers): Record<string, unknown> {
  const values = a as unknown as Record<string, unknown>;
  return Object.fromEntries(
    tfVariables().map((v) => {
      const transform = declaration(fieldSchema(v.answer)!["x-tfvar"]!).transform;
      return [v.name, transform ? TRANSFORMS[transform].value(a) : values[v.answer]];
    }),
  );
}

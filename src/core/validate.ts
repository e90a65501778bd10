import { createRequire } from "node:module";
import type { Ajv, ErrorObject, Options, ValidateFunction } from "ajv";
import {
  answerKeys,
  answersSchema,
  applies,
  defaultOf,
  isPoolField,
  poolFieldKeys,
  type PropertySchema,
} from "./schema.js";
import { loadPrecompiled } from "./precompiled.js";
import { poolWithDefaults, runRules } from "./rules.js";
import type { AnswerError, Answers } from "./types.js";

export { PRECOMPILED_VALIDATOR } from "./precompiled.js";
export { canonicalCidr, NEWER_THAN_TERRAFORM, tagTextProblem } from "./rules.js";

// ajv, its formats and the Levenshtein distance load only when needed: the bin
// normally runs the validator that the build compiled to plain code.
const require = createRequire(import.meta.url);
const X_KEYWORDS = [
  "x-schema-version",
  "x-order",
  "x-prompt",
  "x-allowed",
  "x-enum-names",
  "x-when",
  "x-when-policy",
  "x-when-message",
  "x-ask",
  "x-essentials",
  "x-tfvar",
  "x-used-by",
];

/** ajv set up for the answers schema: all errors, strict, its formats and x- keywords. */
export function answersAjv(extra: Options = {}): Ajv {
  const { Ajv } = require("ajv") as typeof import("ajv");
  const addFormats = require("ajv-formats") as (ajv: Ajv) => Ajv;
  const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true, ...extra });
  addFormats(ajv);
  ajv.addVocabulary(X_KEYWORDS);
  return ajv;
}

let compiled: ValidateFunction | undefined;
function validator(): ValidateFunction {
  return (compiled ??= loadPrecompiled() ?? answersAjv().compile(answersSchema));
}

export interface ValidationResult {
  answers?: Answers;
  errors: AnswerError[];
}

const TOKEN_SHAPES: Array<[RegExp, string]> = [
  [/glrt-[A-Za-z0-9_-]{8,}/, "a runner authentication token (glrt-…)"],
  [/GR1348941[A-Za-z0-9_-]{8,}/, "a runner registration token (GR1348941…)"],
  [/glpat-[A-Za-z0-9_-]{8,}/, "a personal access token (glpat-…)"],
  [/gl(rt|cbt|ptt|dt|oas|ft|imt|agent|soat|rtr)-[A-Za-z0-9_-]{16,}/, "a GitLab token"],
  [/(^|[^A-Za-z0-9])(AKIA|ASIA)[A-Z0-9]{16}([^A-Za-z0-9]|$)/, "an AWS access key id"],
];

function pointer(path: Array<string | number>): string {
  return "/" + path.map((p) => String(p).replace(/~/g, "~0").replace(/\//g, "~1")).join("/");
}

function show(v: unknown): string {
  if (typeof v === "number" && !Number.isFinite(v)) return String(v);
  const s = JSON.stringify(v);
  if (s === undefined) return String(v);
  return s.length > 80 ? s.slice(0, 77) + "…" : s;
}

function schemaAt(instancePath: string): PropertySchema | undefined {
  const parts = instancePath
    .split("/")
    .slice(1)
    .map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
  let s: PropertySchema | undefined = { properties: answersSchema.properties, type: "object" };
  for (const p of parts) {
    if (!s) return undefined;
    if (s.type === "array") s = s.items;
    else if (s.properties && p in s.properties) s = s.properties[p];
    else if (typeof s.additionalProperties === "object") s = s.additionalProperties;
    else return undefined;
  }
  return s;
}

function valueAt(data: unknown, instancePath: string): unknown {
  let v: unknown = data;
  for (const p of instancePath.split("/").slice(1)) {
    const key = p.replace(/~1/g, "/").replace(/~0/g, "~");
    v = v !== null && typeof v === "object" ? (v as Record<string, unknown>)[key] : undefined;
  }
  return v;
}

function didYouMean(name: string, candidates: string[]): string {
  if (!candidates.length) return "";
  const { closest, distance } = require("fastest-levenshtein") as typeof import("fastest-levenshtein");
  const c = closest(name, candidates);
  return distance(name.toLowerCase(), c.toLowerCase()) <= Math.max(2, Math.floor(name.length / 3))
    ? ` Did you mean "${c}"?`
    : "";
}

function ajvMessage(e: ErrorObject, data: unknown): AnswerError | undefined {
  const s = schemaAt(e.instancePath);
  const value = valueAt(data, e.instancePath);
  const allowed = s?.["x-allowed"];
  switch (e.keyword) {
    case "additionalProperties": {
      const extra = (e.params as { additionalProperty: string }).additionalProperty;
      const path = pointer([...e.instancePath.split("/").slice(1), extra]);
      if (e.instancePath === "") {
        if (isPoolField(extra))
          return {
            path,
            message: `"${extra}" is a field of each pool: set it in a pool under pools (an answers file without pools may set pool fields at the top level, for the single pool "default")`,
          };
        const near = didYouMean(extra, [...answerKeys, ...poolFieldKeys]);
        const inPool = poolFieldKeys.some((k) => near === ` Did you mean "${k}"?`)
          ? " It is a field of each pool."
          : "";
        return { path, message: `unknown answer "${extra}".${near}${inPool}` };
      }
      if (/^\/pools\/[0-9]+$/.test(e.instancePath)) {
        if (extra in answersSchema.properties)
          return {
            path,
            message: `"${extra}" is shared by every pool: set it at the top level of the answers, not in a pool`,
          };
        return { path, message: `unknown pool field "${extra}".${didYouMean(extra, poolFieldKeys)}` };
      }
      const known = Object.keys(schemaAt(e.instancePath)?.properties ?? {});
      return { path, message: `unknown answer "${extra}".${didYouMean(extra, known)}` };
    }
    case "required": {
      const missing = (e.params as { missingProperty: string }).missingProperty;
      const sub =
        e.instancePath === "" ? answersSchema.properties[missing] : schemaAt(e.instancePath)?.properties?.[missing];
      return {
        path: (e.instancePath || "") + "/" + missing,
        message:
          `is required and has no default: ${sub?.description ?? ""}`.trim() +
          (sub?.["x-allowed"] ? ` Give ${sub["x-allowed"]}.` : ""),
      };
    }
    case "type": {
      const want = (e.params as { type: string }).type;
      const got = Array.isArray(value) ? "array" : value === null ? "null" : typeof value;
      // YAML reads 0755, 1e3, yes or null unquoted as numbers, booleans or null.
      const quote =
        want === "string" && ["number", "boolean", "null"].includes(got)
          ? ` (in YAML, put the text in quotes: unquoted, it was read as the ${got === "null" ? "" : `${got} `}${String(value)})`
          : "";
      return { path: e.instancePath, value, message: `must be ${want}, not ${got}${quote}` };
    }
    case "enum":
      return {
        path: e.instancePath,
        value,
        message: `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(", ")}`,
      };
    case "pattern":
    case "format":
      return {
        path: e.instancePath,
        value,
        message: `must be ${allowed ?? `a string matching ${(e.params as { pattern?: string }).pattern ?? (e.params as { format?: string }).format}`}`,
      };
    case "propertyNames":
      return undefined; // reported by the nested error on the name itself
    case "not":
      return { path: e.instancePath, value, message: "is not allowed here" };
    default:
      return {
        path: e.instancePath,
        value,
        message: `${e.message ?? "is invalid"}${allowed ? ` (allowed: ${allowed})` : ""}`,
      };
  }
}

function propertyNameErrors(e: ErrorObject): AnswerError | undefined {
  if (e.keyword !== "pattern" && e.keyword !== "not") return undefined;
  const name = (e as ErrorObject & { propertyName?: string }).propertyName;
  if (name === undefined) return undefined;
  const parentSchema = schemaAt(e.instancePath) as PropertySchema | undefined;
  return {
    path: e.instancePath + "/" + name.replace(/~/g, "~0").replace(/\//g, "~1"),
    value: name,
    message: `is not a valid key: must be ${parentSchema?.["x-allowed"] ?? "a valid name"}`,
  };
}

const UNPAIRED_SURROGATE = /[\uD800-\uDFFF]/u;

/** Strings that would not survive unchanged (unpaired surrogates, text not in NFC) and strings shaped like secrets. */
function findTokens(v: unknown, path: Array<string | number>, out: AnswerError[]): void {
  if (typeof v === "string") {
    if (UNPAIRED_SURROGATE.test(v)) {
      out.push({
        path: pointer(path),
        message: "is not valid Unicode text (it holds an unpaired UTF-16 surrogate, such as a lone \\ud800 escape)",
      });
      return;
    }
    // Terraform (cty) and HCL store every string in NFC, so any other form would not survive unchanged.
    if (v.normalize("NFC") !== v) {
      out.push({
        path: pointer(path),
        value: v,
        message: `is not in Unicode normal form C; Terraform would change it to ${JSON.stringify(v.normalize("NFC"))}: write it that way`,
      });
      return;
    }
    for (const [re, what] of TOKEN_SHAPES) {
      if (re.test(v)) {
        out.push({
          path: pointer(path),
          value: v,
          message: `looks like ${what}. Never put a token in the answers: store the token in SSM and give its parameter name (tokenSsmParameter).`,
        });
        return;
      }
    }
  } else if (Array.isArray(v)) v.forEach((x, i) => findTokens(x, [...path, i], out));
  else if (v && typeof v === "object")
    for (const [k, x] of Object.entries(v)) {
      findTokens(k, [...path, k], out);
      findTokens(x, [...path, k], out);
    }
}

const TOKEN_SHAPES_G = TOKEN_SHAPES.map(([re]) => new RegExp(re.source, "g"));

function redact(v: unknown): unknown {
  if (typeof v === "string") return TOKEN_SHAPES_G.reduce((s, re) => s.replace(re, (m) => m.slice(0, 8) + "…"), v);
  if (Array.isArray(v)) return v.map(redact);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [redact(k), redact(x)]));
  return v;
}

/** Other rules may quote a value that holds a token too (a pattern, an unknown key): no message repeats a token whole. */
function redactTokens(e: AnswerError): AnswerError {
  return {
    ...e,
    path: redact(e.path) as string,
    message: redact(e.message) as string,
    ...(e.value !== undefined && { value: redact(e.value) }),
  };
}

/** The answers no error names yet: an answer (or a pool's field) the schema already rejected takes part in no rule, so one mistake is reported once. */
function notRejected(data: Record<string, unknown>, errors: AnswerError[]): Record<string, unknown> {
  const rejected = new Set(errors.map((e) => e.path.split("/").slice(1, 4).join("/")));
  const out = Object.fromEntries(Object.entries(data).filter(([k]) => !rejected.has(k)));
  if (Array.isArray(out.pools))
    out.pools = out.pools.map((p, i) =>
      p !== null && typeof p === "object" && !rejected.has(`pools/${i}`)
        ? Object.fromEntries(Object.entries(p).filter(([k]) => !rejected.has(`pools/${i}/${k}`)))
        : {},
    );
  return out;
}

/**
 * The one form of the GitLab URL every generated file uses: the OIDC audience of
 * the pipeline's ID tokens, the identity provider's client id and the trust
 * condition in the README, and the URL the runners register with. AWS compares
 * the audience exactly, so a browser copy's trailing slash must not survive.
 * Scheme and host are lowercased (DNS ignores case; GitLab's issuer is its
 * configured external URL, lowercase in practice), the default port 443 is
 * dropped, and trailing slashes are removed; a path (GitLab under a relative URL
 * root, e.g. https://example.com/gitlab) is kept as given, case included.
 */
export function normalizeGitlabUrl(url: string): string {
  const m = /^(https:\/\/)([^/:]+)(:[0-9]+)?(\/.*)?$/i.exec(url);
  if (!m) return url;
  const port = m[3] === ":443" ? "" : (m[3] ?? "");
  return ("https://" + m[2].toLowerCase() + port + (m[4] ?? "")).replace(/\/+$/, "");
}

/**
 * Validate raw answers (from a file, prompts or .yo-rc.json). Answers left out
 * take their schema default. Returns every problem found, never only the first.
 */
export function validateAnswers(raw: unknown, options: { rules?: boolean } = {}): ValidationResult {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    return {
      errors: [
        {
          path: "",
          value: raw,
          message: `the answers must be a mapping of answer names to values, not ${Array.isArray(raw) ? "a list" : raw === null ? "empty" : typeof raw}`,
        },
      ],
    };
  }
  const data: Record<string, unknown> = {};
  for (const key of answerKeys) {
    const given = (raw as Record<string, unknown>)[key];
    const value = given === undefined ? defaultOf(key) : given;
    if (value !== undefined) data[key] = value;
  }
  for (const [k, v] of Object.entries(raw)) if (!(k in data)) data[k] = v;
  if (Array.isArray(data.pools))
    data.pools = data.pools.map((p) =>
      p !== null && typeof p === "object" && !Array.isArray(p) ? poolWithDefaults(p) : p,
    );

  const errors: AnswerError[] = [];
  findTokens(raw, [], errors);
  const validate = validator();
  if (!validate(data)) {
    for (const e of validate.errors ?? []) {
      const m = propertyNameErrors(e) ?? ajvMessage(e, data);
      if (m && !errors.some((x) => x.path === m.path && x.message === m.message)) errors.push(m);
    }
  }
  // With rules: false, only the facts of each answer alone (typos): the rules between answers wait for the whole set.
  runRules(notRejected(data, errors), errors, { alone: options.rules === false });
  if (errors.length) return { errors: sortErrors(errors.map(redactTokens)) };
  // Normalised once, here: every template reads this one form.
  if (typeof data.gitlabUrl === "string") data.gitlabUrl = normalizeGitlabUrl(data.gitlabUrl);
  return { answers: data as unknown as Answers, errors };
}

/** Errors in the order of the answers (x-order), a pool's by pool and then in the order of the pool's fields. */
function sortErrors(errors: AnswerError[]): AnswerError[] {
  const rank = (p: string): number[] => {
    const [, key = "", pool, field = ""] = p.split("/");
    const i = answerKeys.indexOf(key);
    const top = i < 0 ? answerKeys.length : i;
    if (key !== "pools" || pool === undefined) return [top];
    const f = poolFieldKeys.indexOf(field);
    return [top, Number(pool), f < 0 ? poolFieldKeys.length : f];
  };
  const compare = (x: number[], y: number[]) => {
    for (let i = 0; i < Math.max(x.length, y.length); i++)
      if ((x[i] ?? -1) !== (y[i] ?? -1)) return (x[i] ?? -1) - (y[i] ?? -1);
    return 0;
  };
  return errors.sort((a, b) => compare(rank(a.path), rank(b.path)) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

export function formatError(e: AnswerError): string {
  return `${e.path || "/"}: ${e.value !== undefined ? `${show(e.value)} ` : ""}${e.message}`;
}

export { applies };

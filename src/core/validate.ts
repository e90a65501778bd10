import { createRequire } from "node:module";
import { join } from "node:path";
import type { Ajv, ErrorObject, Options, ValidateFunction } from "ajv";
import { packageRoot } from "./package-root.js";
import { answerKeys, answersSchema, applies, defaultOf, type PropertySchema } from "./schema.js";
import { cronProblem } from "./cron.js";
import { partitionOf } from "./context/ci-permissions.js";
import { instanceTypeProblem, listedArch, regionProblem } from "./aws-data.js";
import type { AnswerError, Answers } from "./types.js";

// ajv, its formats and the Levenshtein distance load only when needed: the bin
// normally runs the validator that the build compiled to plain code.
const require = createRequire(import.meta.url);
const X_KEYWORDS = ["x-schema-version", "x-order", "x-prompt", "x-allowed", "x-enum-names", "x-when", "x-ask", "x-essentials"];

/** The validator the build writes (scripts/build-validator.mjs), with the schema text it was compiled from. */
export const PRECOMPILED_VALIDATOR = join(packageRoot, "dist", "answers-validator.cjs");

/** ajv set up for the answers schema: all errors, strict, its formats and x- keywords. */
export function answersAjv(extra: Options = {}): Ajv {
  const { Ajv } = require("ajv") as typeof import("ajv");
  const addFormats = require("ajv-formats") as (ajv: Ajv) => Ajv;
  const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true, ...extra });
  addFormats(ajv);
  ajv.addVocabulary(X_KEYWORDS);
  return ajv;
}

type Precompiled = ValidateFunction & { schemaText?: string; timeZones?: string[] };
let precompiled: Precompiled | null | undefined;
/** The build's validator, or null when there is none or it was compiled from another schema. */
function loadPrecompiled(): Precompiled | null {
  if (precompiled === undefined) {
    try {
      precompiled = require(PRECOMPILED_VALIDATOR) as Precompiled;
    } catch {
      precompiled = null;
    }
    if (precompiled && precompiled.schemaText !== JSON.stringify(answersSchema)) precompiled = null;
  }
  return precompiled;
}

let compiled: ValidateFunction | undefined;
function validator(): ValidateFunction {
  return (compiled ??= loadPrecompiled() ?? answersAjv().compile(answersSchema));
}

let knownZones: Set<string> | undefined;

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
  const parts = instancePath.split("/").slice(1).map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
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
  return distance(name.toLowerCase(), c.toLowerCase()) <= Math.max(2, Math.floor(name.length / 3)) ? ` Did you mean "${c}"?` : "";
}

function ajvMessage(e: ErrorObject, data: unknown): AnswerError | undefined {
  const s = schemaAt(e.instancePath);
  const value = valueAt(data, e.instancePath);
  const allowed = s?.["x-allowed"];
  switch (e.keyword) {
    case "additionalProperties": {
      const extra = (e.params as { additionalProperty: string }).additionalProperty;
      const known = e.instancePath === "" ? answerKeys : Object.keys(schemaAt(e.instancePath)?.properties ?? {});
      return { path: pointer([...e.instancePath.split("/").slice(1), extra]), message: `unknown answer "${extra}".${didYouMean(extra, known)}` };
    }
    case "required": {
      const missing = (e.params as { missingProperty: string }).missingProperty;
      const sub = e.instancePath === "" ? answersSchema.properties[missing] : schemaAt(e.instancePath)?.properties?.[missing];
      return {
        path: (e.instancePath || "") + "/" + missing,
        message: `is required and has no default: ${sub?.description ?? ""}`.trim() + (sub?.["x-allowed"] ? ` Give ${sub["x-allowed"]}.` : ""),
      };
    }
    case "type": {
      const want = (e.params as { type: string }).type;
      const got = Array.isArray(value) ? "array" : value === null ? "null" : typeof value;
      // YAML reads 0755, 1e3, yes or null unquoted as numbers, booleans or null.
      const quote = want === "string" && ["number", "boolean", "null"].includes(got) ? ` (in YAML, put the text in quotes: unquoted, it was read as the ${got === "null" ? "" : `${got} `}${String(value)})` : "";
      return { path: e.instancePath, value, message: `must be ${want}, not ${got}${quote}` };
    }
    case "enum":
      return { path: e.instancePath, value, message: `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(", ")}` };
    case "pattern":
    case "format":
      return { path: e.instancePath, value, message: `must be ${allowed ?? `a string matching ${(e.params as { pattern?: string }).pattern ?? (e.params as { format?: string }).format}`}` };
    case "propertyNames":
      return undefined; // reported by the nested error on the name itself
    case "not":
      return { path: e.instancePath, value, message: "is not allowed here" };
    default:
      return { path: e.instancePath, value, message: `${e.message ?? "is invalid"}${allowed ? ` (allowed: ${allowed})` : ""}` };
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
      out.push({ path: pointer(path), message: "is not valid Unicode text (it holds an unpaired UTF-16 surrogate, such as a lone \\ud800 escape)" });
      return;
    }
    // Terraform (cty) and HCL store every string in NFC, so any other form would not survive unchanged.
    if (v.normalize("NFC") !== v) {
      out.push({ path: pointer(path), value: v, message: `is not in Unicode normal form C; Terraform would change it to ${JSON.stringify(v.normalize("NFC"))}: write it that way` });
      return;
    }
    for (const [re, what] of TOKEN_SHAPES) {
      if (re.test(v)) {
        out.push({ path: pointer(path), value: v, message: `looks like ${what}. Never put a token in the answers: store the token in SSM and give its parameter name (tokenSsmParameter).` });
        return;
      }
    }
  } else if (Array.isArray(v)) v.forEach((x, i) => findTokens(x, [...path, i], out));
  else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) {
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
  return { ...e, path: redact(e.path) as string, message: redact(e.message) as string, ...(e.value !== undefined && { value: redact(e.value) }) };
}

const ZERO_FLOOR = "must not be 0 with load-driven scaling (scalingPolicy jobs or cpu): tracking scales an idle group in to its minimum, and with no instance left no metric scales it out again before the next schedule";

const GRAVITON = /^([a-z]+[0-9]+g[a-z0-9-]*|a1)\./;

/**
 * Zones of the IANA database named without a slash that follow daylight-saving
 * rules (CET is Central European Time, with summer time): real zones, unlike
 * fixed abbreviations such as "EST", which stay refused.
 */
const IANA_ZONES_WITHOUT_SLASH = new Set(["CET", "EET", "WET", "MET", "CST6CDT", "EST5EDT", "MST7MDT", "PST8PDT"]);

function isIanaZone(zone: string): boolean {
  if (zone === "UTC" || zone === "Etc/UTC" || IANA_ZONES_WITHOUT_SLASH.has(zone)) return true;
  // The zones Intl listed when the package was built: checking one costs nothing, while Intl's first use loads ICU's zone data.
  knownZones ??= new Set(loadPrecompiled()?.timeZones ?? []);
  if (knownZones.has(zone)) return true;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
  } catch {
    return false;
  }
  // Intl accepts legacy offsets and abbreviations ("EST", "+01:00"); Auto Scaling wants a zone name.
  return zone.includes("/") || Intl.supportedValuesOf("timeZone").includes(zone);
}

function cidrOk(c: string): boolean {
  return c.split("/")[0].split(".").every((o) => Number(o) <= 255);
}

/** The network of an IPv4 CIDR: its address with the host bits cleared, as AWS wants it ("10.1.2.3/8" → "10.0.0.0/8"). */
export function canonicalCidr(c: string): string {
  const [address, prefix] = c.split("/");
  const bits = Number(prefix);
  const n = address.split(".").reduce((acc, o) => acc * 256 + Number(o), 0);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  const net = (n & mask) >>> 0;
  return `${[24, 16, 8, 0].map((sh) => (net >>> sh) & 255).join(".")}/${bits}`;
}

/**
 * Letters and digits that JavaScript's Unicode tables know but Terraform's do
 * not (its Go regexp engine has Unicode 15.0; Node has newer tables): the
 * tags variable's validation would refuse them at plan time. Found by asking
 * Terraform 1.11 about every character the schema's pattern accepts.
 */
export const NEWER_THAN_TERRAFORM = /[\u1c89\u1c8a\ua7cb-\ua7cf\ua7d2\ua7d4\ua7da-\ua7dc\ua7f1\u{105c0}-\u{105f3}\u{10940}-\u{10959}\u{10d40}-\u{10d85}\u{10ec2}-\u{10ec7}\u{11380}-\u{113d3}\u{116d0}-\u{116e3}\u{11bc0}-\u{11bf9}\u{11db0}-\u{11de9}\u{13460}-\u{143fa}\u{16100}-\u{16139}\u{16d40}-\u{16d79}\u{16ea0}-\u{16ed3}\u{16ff2}-\u{16ff6}\u{187f8}-\u{187ff}\u{18cff}-\u{18d1e}\u{18d80}-\u{18df2}\u{1ccf0}-\u{1ccf9}\u{1e5d0}-\u{1e5fa}\u{1e6c0}-\u{1e6ff}\u{2b73a}-\u{2b73f}\u{2cea2}-\u{2cead}\u{2ebf0}-\u{2ee5d}\u{323b0}-\u{33479}]/u;

/** Why Terraform would refuse a tag key or value the schema's pattern accepts, if it would (text not in NFC is refused elsewhere). */
export function tagTextProblem(text: string): string | undefined {
  const newer = NEWER_THAN_TERRAFORM.exec(text);
  if (newer) return `holds ${JSON.stringify(newer[0])} (U+${newer[0].codePointAt(0)!.toString(16).toUpperCase()}), a character newer than Terraform's Unicode tables; leave it out`;
  return undefined;
}

const isInt = (x: unknown): x is number => Number.isInteger(x);
const strings = (x: unknown): string[] => (Array.isArray(x) ? x.filter((v): v is string => typeof v === "string") : []);

/**
 * Typos in facts about AWS: a region or instance type the shipped list
 * (schema/aws-data.json) lacks is refused with the closest listed one, unless
 * the answer acceptUnlisted names it. Runs on answers the schema accepted.
 */
function awsFacts(a: Record<string, unknown>, out: AnswerError[]): void {
  const accepted = strings(a.acceptUnlisted);
  if (typeof a.awsRegion === "string") {
    const problem = regionProblem(a.awsRegion, accepted);
    if (problem) out.push({ path: "/awsRegion", value: a.awsRegion, message: problem });
  }
  strings(a.instanceTypes).forEach((t, i) => {
    const problem = instanceTypeProblem(t, accepted);
    if (problem) out.push({ path: `/instanceTypes/${i}`, value: t, message: problem });
  });
  if (typeof a.buildInstanceType === "string" && a.buildInstanceType !== "") {
    const problem = instanceTypeProblem(a.buildInstanceType, accepted);
    if (problem) out.push({ path: "/buildInstanceType", value: a.buildInstanceType, message: problem });
  }
}

/** The answers no error names yet: an answer the schema already rejected takes part in no rule, so one mistake is reported once. */
function notRejected(data: Record<string, unknown>, errors: AnswerError[]): Record<string, unknown> {
  const rejected = new Set(errors.map((e) => e.path.split("/")[1]));
  return Object.fromEntries(Object.entries(data).filter(([k]) => !rejected.has(k)));
}

/** Why S3 would refuse the cache bucket's name (`<project>-<account>-<region>`, context/names.ts), if it would. */
function cacheBucketProblem(project: string, region: string): string | undefined {
  const reserved = ["xn--", "sthree-", "amzn-s3-demo-"].find((p) => project.startsWith(p));
  if (reserved) return `starts with "${reserved}", which S3 refuses at the start of a bucket name (the cache bucket is named <projectName>-<account id>-<awsRegion>)`;
  const length = project.length + region.length + 14;
  if (length > 63) return `makes the cache bucket name <projectName>-<account id>-<awsRegion> ${length} characters long, above S3's 63`;
  return undefined;
}

/** Rules JSON Schema can't express. Each rule runs only on values of the right type, so they report alongside schema errors. */
function crossField(raw: Record<string, unknown>, out: AnswerError[]): void {
  const a = notRejected(raw, out);
  awsFacts(a, out);
  const { asgMinSize: min, asgMaxSize: max, asgDesiredCapacity: desired } = a;
  if (isInt(min) && isInt(max) && isInt(desired) && !(min <= desired && desired <= max)) {
    out.push({ path: "/asgDesiredCapacity", value: desired, message: `must lie between asgMinSize (${min}) and asgMaxSize (${max})${min > max ? `, and asgMinSize must not be above asgMaxSize` : ""}` });
  }
  // Tracking scales an idle group in to its minimum; at zero no instance publishes the metric, so nothing scales it out again.
  const tracking = a.scalingPolicy === "jobs" || a.scalingPolicy === "cpu";
  if (tracking && min === 0) out.push({ path: "/asgMinSize", value: min, message: `${ZERO_FLOOR}; use 1 or more, or scalingPolicy none` });
  const names = new Set<string>();
  (Array.isArray(a.schedules) ? a.schedules : []).forEach((s: Record<string, unknown>, i) => {
    if (!s || typeof s !== "object") return;
    if (typeof s.recurrence === "string") {
      const problem = cronProblem(s.recurrence);
      if (problem) out.push({ path: `/schedules/${i}/recurrence`, value: s.recurrence, message: `is not a valid 5-field cron: ${problem}. Example: "30 19 * * MON-FRI"` });
    }
    if (typeof s.name === "string") {
      if (names.has(s.name)) out.push({ path: `/schedules/${i}/name`, value: s.name, message: "must be unique among the schedules" });
      names.add(s.name);
    }
    const smin = s.minSize ?? min, smax = s.maxSize ?? max, sdes = s.desiredCapacity ?? desired;
    if (isInt(smin) && isInt(smax) && isInt(sdes) && !(smin <= sdes && sdes <= smax)) {
      out.push({ path: `/schedules/${i}`, message: `has minSize ${smin}, desiredCapacity ${sdes} and maxSize ${smax}, but needs minSize ≤ desiredCapacity ≤ maxSize (sizes left out take the ASG's answered sizes)` });
    } else if (tracking && smin === 0 && isInt(smax) && smax > 0) {
      out.push({ path: `/schedules/${i}/minSize`, value: smin, message: `${ZERO_FLOOR}; give this schedule a minSize of 1 or more (or maxSize 0 to switch the runners off)` });
    }
  });
  if (typeof a.timeZone === "string" && !isIanaZone(a.timeZone)) out.push({ path: "/timeZone", value: a.timeZone, message: 'must be an IANA time zone such as "Europe/Berlin" or "America/New_York"' });
  if (a.architecture === "x86_64" || a.architecture === "arm64") {
    const arm = a.architecture === "arm64";
    const types: Array<[string, string]> = strings(a.instanceTypes).map((t, i) => [t, `/instanceTypes/${i}`]);
    if (typeof a.buildInstanceType === "string" && a.buildInstanceType !== "") types.push([a.buildInstanceType, "/buildInstanceType"]);
    for (const [t, path] of types) {
      if (out.some((e) => e.path === path)) continue; // unknown type: reported once, above
      if ((listedArch(t) ?? (GRAVITON.test(t) ? "arm64" : "x86_64")) === "arm64" !== arm) {
        out.push({ path, value: t, message: arm ? "is not an arm64 (Graviton) instance type; use one such as t4g.medium or m7g.large, or set architecture to x86_64" : "is an arm64 (Graviton) instance type; use an x86_64 type such as t3.medium, or set architecture to arm64" });
      }
    }
  }
  if (a.useLaunchConfiguration === true && Array.isArray(a.instanceTypes) && a.instanceTypes.length > 1) {
    out.push({ path: "/instanceTypes", value: a.instanceTypes, message: "must hold a single instance type with useLaunchConfiguration: a launch configuration has no mixed-instances policy" });
  }
  if (a.useLaunchConfiguration === true && isInt(a.onDemandPercentageAboveBase) && a.onDemandPercentageAboveBase < 100) {
    out.push({
      path: "/onDemandPercentageAboveBase",
      value: a.onDemandPercentageAboveBase,
      message: "must be 100 (no Spot) with useLaunchConfiguration: a launch configuration has no mixed-instances policy, so Spot needs the launch template (useLaunchConfiguration: false)",
    });
  }
  if (a.cacheS3 === true && typeof a.projectName === "string" && typeof a.awsRegion === "string") {
    const problem = cacheBucketProblem(a.projectName, a.awsRegion);
    if (problem) out.push({ path: "/projectName", value: a.projectName, message: `${problem}; choose another projectName, or set cacheS3 false` });
  }
  for (const key of ["buildAllowedCidrs", "egressCidrs"]) {
    strings(a[key]).forEach((c, i) => {
      if (!cidrOk(c)) out.push({ path: `/${key}/${i}`, value: c, message: "is not an IPv4 CIDR: each octet must be 0-255" });
      else if (canonicalCidr(c) !== c) out.push({ path: `/${key}/${i}`, value: c, message: `has host bits set, which AWS refuses; did you mean "${canonicalCidr(c)}"?` });
      else if (key === "buildAllowedCidrs" && c.endsWith("/0")) out.push({ path: `/buildAllowedCidrs/${i}`, value: c, message: "must not open SSH to the whole internet; give the CIDR of the network Packer runs from, or use sshInterface session_manager" });
    });
  }
  if (a.tags && typeof a.tags === "object" && !Array.isArray(a.tags)) {
    for (const [k, v] of Object.entries(a.tags as Record<string, unknown>)) {
      for (const [text, what] of [[k, "key"], [v, "value"]] as const) {
        const problem = typeof text === "string" ? tagTextProblem(text) : undefined;
        if (problem) out.push({ path: pointer(["tags", k]), value: text, message: `${what} ${problem}` });
      }
    }
  }
  // Packer over the private IP needs a runner inside the VPC: only tags can send the build-ami job there.
  if (a.sshInterface === "private_ip" && Array.isArray(a.buildJobTags) && a.buildJobTags.length === 0) {
    out.push({
      path: "/buildJobTags",
      value: a.buildJobTags,
      message: "is required with sshInterface private_ip: Packer connects to the build instance's private IP, which a runner outside the VPC (such as GitLab.com's) never reaches, so the build-ami job needs the tags of a runner inside the VPC (in buildAllowedCidrs), e.g. buildJobTags: [aws-vpc]; or use sshInterface session_manager, which needs no such runner",
    });
  }
  // One partition for everything: the region decides it (GovCloud, China or the commercial one).
  if (typeof a.awsRegion === "string") {
    const p = partitionOf(a.awsRegion);
    if (!p) {
      out.push({ path: "/awsRegion", value: a.awsRegion, message: "is in an ISO partition, which this generator does not support; use a region of the aws, aws-us-gov (us-gov-*) or aws-cn (cn-*) partition" });
    } else {
      for (const key of ["ciRoleArn", "permissionsBoundaryArn"]) {
        const v = a[key];
        if (typeof v === "string" && v !== "" && v.split(":")[1] !== p.partition) {
          out.push({ path: `/${key}`, value: v, message: `must be in the partition of awsRegion ${a.awsRegion} (arn:${p.partition}:…)` });
        }
      }
    }
  }
  if (typeof a.permissionsBoundaryArn === "string" && a.permissionsBoundaryArn !== "" && a.sshInterface !== "private_ip") {
    out.push({ path: "/permissionsBoundaryArn", value: a.permissionsBoundaryArn, message: "needs sshInterface private_ip: with session_manager, Packer creates a temporary role without a boundary, which a boundary-only CI role could not create" });
  }
  if (a.sshInterface === "session_manager" && Array.isArray(a.buildJobTags) && a.buildJobTags.length > 0) {
    out.push({ path: "/buildJobTags", value: a.buildJobTags, message: "applies only with sshInterface private_ip; with session_manager the build-ami job takes ciJobTags like every other job: remove buildJobTags" });
  }
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
    return { errors: [{ path: "", value: raw, message: `the answers must be a mapping of answer names to values, not ${Array.isArray(raw) ? "a list" : raw === null ? "empty" : typeof raw}` }] };
  }
  const data: Record<string, unknown> = {};
  for (const key of answerKeys) {
    const given = (raw as Record<string, unknown>)[key];
    const value = given === undefined ? defaultOf(key) : given;
    if (value !== undefined) data[key] = value;
  }
  for (const [k, v] of Object.entries(raw)) if (!(k in data)) data[k] = v;

  const errors: AnswerError[] = [];
  findTokens(raw, [], errors);
  const validate = validator();
  if (!validate(data)) {
    for (const e of validate.errors ?? []) {
      const m = propertyNameErrors(e) ?? ajvMessage(e, data);
      if (m && !errors.some((x) => x.path === m.path && x.message === m.message)) errors.push(m);
    }
  }
  if (options.rules === false) {
    // Only the facts of each answer alone (typos): the rules between answers wait for the whole set.
    awsFacts(notRejected(data, errors), errors);
  }
  else crossField(data, errors);
  if (errors.length) return { errors: sortErrors(errors.map(redactTokens)) };
  // Normalised once, here: every template reads this one form.
  if (typeof data.gitlabUrl === "string") data.gitlabUrl = normalizeGitlabUrl(data.gitlabUrl);
  return { answers: data as unknown as Answers, errors };
}

function sortErrors(errors: AnswerError[]): AnswerError[] {
  const rank = (p: string) => {
    const i = answerKeys.indexOf(p.split("/")[1] ?? "");
    return i < 0 ? answerKeys.length : i;
  };
  return errors.sort((a, b) => rank(a.path) - rank(b.path) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

export function formatError(e: AnswerError): string {
  return `${e.path || "/"}: ${e.value !== undefined ? `${show(e.value)} ` : ""}${e.message}`;
}

export { applies };

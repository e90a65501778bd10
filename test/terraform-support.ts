/**
 * Helpers for the Terraform tests: parse the generated terraform/ folder with
 * HashiCorp's HCL parser (@cdktn/hcl2json), check it against the AWS
 * provider schema (the Terraform double's), resolve its references, and evaluate the
 * small expressions (conditionals, arithmetic on variables) whose value the
 * property tests need, using terraform.tfvars.json for the variables.
 */
import { getExpressionAst, getReferencesInExpression, parse } from "@cdktn/hcl2json";
import YAML from "yaml";
import { sortKeys } from "../src/core/escape.js";
import { loadSchema } from "./tf-double/lib/schema.mjs";
import type { RenderedFile } from "../src/core/types.js";

type Kind = "p" | "a" | "l" | "m" | "s" | "S";
type Spec = [kind: Kind, required: 0 | 1, isBlock: 0 | 1, struct?: string];
interface SchemaNode {
  a: Record<string, Spec>;
  c?: string[];
}
export interface AwsSchema {
  provider: string;
  resources: Record<string, SchemaNode>;
  data: Record<string, SchemaNode>;
  providerConfig: SchemaNode;
  structs: Record<string, SchemaNode>;
}

interface ProviderBlock {
  attributes?: Record<string, { type: unknown; required?: boolean; optional?: boolean; computed?: boolean }>;
  block_types?: Record<string, { nesting_mode: string; min_items?: number; max_items?: number; block: ProviderBlock }>;
}

/**
 * The provider schema the Terraform double serves (test/tf-double/schema/, with its
 * Go-source overrides), in the compact shape the static checks walk: nested blocks and
 * object-typed attributes become entries of `structs`, keyed by their path.
 */
export function loadAwsSchema(): AwsSchema {
  const full = loadSchema();
  const structs: Record<string, SchemaNode> = {};
  const kindOf = (t: unknown): Kind => {
    if (typeof t === "string") return t === "dynamic" ? "a" : "p";
    const [outer, inner] = t as [string, unknown];
    if (outer === "map") return "m";
    if (outer === "object") return "s";
    return typeof inner === "string" ? "l" : "S";
  };
  const objectNode = (t: unknown): SchemaNode => {
    // ["object", {…}] or ["list" | "set", ["object", {…}]]
    const object =
      (t as unknown[])[0] === "object"
        ? (t as [string, Record<string, unknown>])
        : (t as [string, [string, Record<string, unknown>]])[1];
    const fields = object[1] ?? {};
    return { a: Object.fromEntries(Object.entries(fields).map(([k, ft]) => [k, [kindOf(ft), 0, 0] as Spec])) };
  };
  const node = (block: ProviderBlock, path: string): SchemaNode => {
    const a: Record<string, Spec> = {};
    const c: string[] = [];
    for (const [k, v] of Object.entries(block.attributes ?? {})) {
      const kind = kindOf(v.type);
      if (v.computed && !v.optional && !v.required) c.push(k);
      else if (kind === "s" || kind === "S") {
        structs[`${path}.${k}`] = objectNode(v.type);
        a[k] = [kind, v.required ? 1 : 0, 0, `${path}.${k}`];
      } else a[k] = [kind, v.required ? 1 : 0, 0];
    }
    for (const [k, b] of Object.entries(block.block_types ?? {})) {
      structs[`${path}.${k}`] = node(b.block, `${path}.${k}`);
      a[k] = [
        b.nesting_mode === "single" || b.max_items === 1 ? "s" : "S",
        (b.min_items ?? 0) > 0 ? 1 : 0,
        1,
        `${path}.${k}`,
      ];
    }
    return { a, c };
  };
  const table = (t: Record<string, { block: ProviderBlock }>) =>
    Object.fromEntries(Object.entries(t).map(([k, s]) => [k, node(s.block, k)]));
  const providerConfig = node(full.provider.block, "provider");
  providerConfig.a.alias = ["p", 0, 0]; // a meta-argument of every provider block
  return {
    provider: full.providerVersion,
    resources: table(full.resources),
    data: table(full.data),
    providerConfig,
    structs,
  };
}

export type Body = Record<string, any>;
export interface TfFile {
  name: string;
  src: string;
  json: Body;
}
export interface TfConfig {
  files: TfFile[];
  tfvars: Record<string, any>;
}

/** The generated Terraform configurations: the root and the runner-pool module. */
export const TERRAFORM_DIRS = ["terraform", "terraform/modules/runner-pool"] as const;
export const MODULE_DIR = "terraform/modules/runner-pool";

/** The .tf files of one configuration folder (the root by default), named relative to it. */
export function terraformSources(files: RenderedFile[], dir: string = "terraform"): { name: string; src: string }[] {
  return files
    .filter((f) => f.path.startsWith(`${dir}/`) && /^[^/]+\.tf$/.test(f.path.slice(dir.length + 1)))
    .map((f) => ({ name: f.path.slice(dir.length + 1), src: f.contents }));
}

/**
 * One configuration folder parsed, with the values of its variables: the
 * root's terraform.tfvars.json, or for the module the `tfvars` given (its
 * inputs as the root passes them).
 */
export async function parseTerraform(
  files: RenderedFile[],
  dir: string = "terraform",
  tfvars?: Record<string, any>,
): Promise<TfConfig> {
  const parsed: TfFile[] = [];
  for (const { name, src } of terraformSources(files, dir)) parsed.push({ name, src, json: await parse(name, src) });
  const rootVars = files.find((f) => f.path === "terraform/terraform.tfvars.json");
  return { files: parsed, tfvars: tfvars ?? (rootVars ? JSON.parse(rootVars.contents) : {}) };
}

/**
 * The runner-pool module as the root instantiates it for one pool: its inputs
 * are pools.tf's module arguments evaluated with that pool as `each`, and
 * `aws` standing in for what only AWS knows.
 */
export async function parsePool(files: RenderedFile[], pool: string, aws: Scope): Promise<TfConfig> {
  const root = await parseTerraform(files);
  const [call] = root.files.flatMap((f) => (f.json.module?.pool ?? []) as Body[]);
  const scope = { ...aws, each: { key: pool, value: root.tfvars.pools[pool] } };
  const inputs: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(call))
    if (k !== "source" && k !== "for_each") inputs[k] = await evaluate(root, v, scope);
  return parseTerraform(files, MODULE_DIR, inputs);
}

const isObj = (v: unknown): v is Body => v !== null && typeof v === "object" && !Array.isArray(v);
const isBlockList = (v: unknown): v is Body[] => Array.isArray(v) && v.length > 0 && v.every(isObj);

/** Every `kind "type" "name" {}` body, e.g. blocks(cfg, "resource", "aws_iam_role"). */
export function blocks(cfg: TfConfig, kind: "resource" | "data", type: string): { name: string; body: Body }[] {
  const out: { name: string; body: Body }[] = [];
  for (const f of cfg.files)
    for (const [name, bodies] of Object.entries((f.json[kind]?.[type] ?? {}) as Record<string, Body[]>))
      for (const body of bodies) out.push({ name, body });
  return out;
}

export function block(cfg: TfConfig, kind: "resource" | "data", type: string, name: string): Body {
  const b = blocks(cfg, kind, type).filter((x) => x.name === name);
  if (b.length !== 1) throw new Error(`expected exactly one ${kind} ${type}.${name}, found ${b.length}`);
  return b[0].body;
}

export function resourceTypes(cfg: TfConfig): string[] {
  return [...new Set(cfg.files.flatMap((f) => Object.keys(f.json.resource ?? {})))].sort();
}

export function localsOf(cfg: TfConfig): Body {
  const out: Body = {};
  for (const f of cfg.files) for (const l of (f.json.locals ?? []) as Body[]) Object.assign(out, l);
  return out;
}

export function variablesOf(cfg: TfConfig): Record<string, Body> {
  const out: Record<string, Body> = {};
  for (const f of cfg.files)
    for (const [n, bodies] of Object.entries((f.json.variable ?? {}) as Record<string, Body[]>)) out[n] = bodies[0];
  return out;
}

export function outputsOf(cfg: TfConfig): Record<string, Body> {
  const out: Record<string, Body> = {};
  for (const f of cfg.files)
    for (const [n, bodies] of Object.entries((f.json.output ?? {}) as Record<string, Body[]>)) out[n] = bodies[0];
  return out;
}

// ---------------------------------------------------------------- schema

const RESOURCE_META = new Set([
  "count",
  "for_each",
  "depends_on",
  "provider",
  "lifecycle",
  "provisioner",
  "connection",
]);
const DATA_META = new Set(["count", "for_each", "depends_on", "provider", "lifecycle"]);
const LIFECYCLE_ARGS = new Set([
  "create_before_destroy",
  "prevent_destroy",
  "ignore_changes",
  "replace_triggered_by",
  "precondition",
  "postcondition",
]);

function checkBody(
  schema: AwsSchema,
  where: string,
  body: Body,
  node: SchemaNode,
  meta: Set<string>,
  out: string[],
): void {
  const present = new Set(Object.keys(body));
  for (const [name, list] of Object.entries((body.dynamic ?? {}) as Record<string, Body[]>)) {
    present.add(name);
    const spec = node.a[name];
    if (!spec || !spec[2]) {
      out.push(`${where}: dynamic "${name}" is not a nested block of this type`);
      continue;
    }
    for (const d of list) {
      for (const k of Object.keys(d))
        if (!["for_each", "iterator", "labels", "content"].includes(k))
          out.push(`${where}: dynamic "${name}": unexpected "${k}"`);
      if (!("for_each" in d)) out.push(`${where}: dynamic "${name}" has no for_each`);
      if (!isBlockList(d.content) || d.content.length !== 1)
        out.push(`${where}: dynamic "${name}" needs one content block`);
      else checkBody(schema, `${where}.${name}`, d.content[0], schema.structs[spec[3]!], new Set(), out);
    }
  }
  for (const [k, v] of Object.entries(body)) {
    if (k === "dynamic") continue;
    if (meta.has(k)) {
      if (k === "lifecycle")
        for (const lc of v as Body[])
          for (const lk of Object.keys(lc)) if (!LIFECYCLE_ARGS.has(lk)) out.push(`${where}: lifecycle has no "${lk}"`);
      continue;
    }
    const spec = node.a[k];
    if (!spec) {
      out.push(`${where}: unsupported ${isBlockList(v) ? "block" : "argument"} "${k}"`);
      continue;
    }
    const [kind, , isBlock, struct] = spec;
    if (kind === "s" || kind === "S") {
      if (isBlock && !isBlockList(v)) out.push(`${where}: "${k}" is a block, write ${k} { ... }`);
      if (isBlockList(v)) {
        if (kind === "s" && v.length > 1) out.push(`${where}: at most one "${k}" block, found ${v.length}`);
        for (const el of v) checkBody(schema, `${where}.${k}`, el, schema.structs[struct!], new Set(), out);
      }
    } else if (isBlockList(v)) {
      out.push(`${where}: "${k}" is an argument, not a block: write ${k} = ...`);
    }
  }
  for (const [k, spec] of Object.entries(node.a))
    if (spec[1] && !present.has(k)) out.push(`${where}: missing required ${spec[2] ? "block" : "argument"} "${k}"`);
}

/** Unknown types, arguments and blocks, misused block syntax, missing required ones. */
export function schemaProblems(cfg: TfConfig, schema: AwsSchema): string[] {
  const out: string[] = [];
  for (const f of cfg.files) {
    for (const [kind, table, meta] of [
      ["resource", schema.resources, RESOURCE_META],
      ["data", schema.data, DATA_META],
    ] as const) {
      for (const [type, byName] of Object.entries((f.json[kind] ?? {}) as Record<string, Record<string, Body[]>>)) {
        for (const [name, bodies] of Object.entries(byName)) {
          const where = `${f.name}: ${kind === "data" ? "data." : ""}${type}.${name}`;
          const node = table[type];
          if (!node) {
            out.push(`${where}: unknown ${kind} type ${type} in AWS provider ${schema.provider}`);
            continue;
          }
          for (const body of bodies) checkBody(schema, where, body, node, meta, out);
        }
      }
    }
    for (const [name, bodies] of Object.entries((f.json.provider ?? {}) as Record<string, Body[]>)) {
      if (name !== "aws") out.push(`${f.name}: unexpected provider ${name}`);
      else
        for (const body of bodies)
          checkBody(schema, `${f.name}: provider.aws`, body, schema.providerConfig, new Set(["alias"]), out);
    }
  }
  return out;
}

// ---------------------------------------------------------------- references

function* expressionStrings(v: unknown): Generator<string> {
  if (typeof v === "string") {
    if (v.includes("${") || v.includes("%{")) yield v;
  } else if (Array.isArray(v)) for (const x of v) yield* expressionStrings(x);
  else if (isObj(v)) for (const x of Object.values(v)) yield* expressionStrings(x);
}

/** Every var./local./data./resource reference resolves, and aws_* attributes exist. */
export async function referenceProblems(cfg: TfConfig, schema: AwsSchema): Promise<string[]> {
  const out: string[] = [];
  const declared = {
    resource: new Map<string, string>(),
    data: new Map<string, string>(),
    var: new Set<string>(),
    local: new Set<string>(),
  };
  for (const f of cfg.files) {
    for (const [t, byName] of Object.entries((f.json.resource ?? {}) as Record<string, Body>))
      for (const n of Object.keys(byName)) declared.resource.set(`${t}.${n}`, t);
    for (const [t, byName] of Object.entries((f.json.data ?? {}) as Record<string, Body>))
      for (const n of Object.keys(byName)) declared.data.set(`${t}.${n}`, t);
    for (const n of Object.keys(f.json.variable ?? {})) declared.var.add(n);
    for (const l of (f.json.locals ?? []) as Body[]) for (const n of Object.keys(l)) declared.local.add(n);
  }
  const attrKnown = (node: SchemaNode | undefined, attr: string | undefined) =>
    !node || !attr || attr in node.a || (node.c ?? []).includes(attr);

  const checkString = async (where: string, s: string, roots: Set<string>) => {
    for (const r of await getReferencesInExpression(where, s)) {
      // an index (aws_s3_bucket.cache[0] comes back as .0) names an instance, not an attribute
      const parts = r.value
        .replace(/\[[^\]]*\]/g, "")
        .split(".")
        .filter((p) => p !== "" && p !== "*" && !/^[0-9]+$/.test(p));
      const [root, a1, a2, a3] = parts;
      if (root === "var") {
        if (!declared.var.has(a1)) out.push(`${where}: undeclared variable var.${a1}`);
      } else if (root === "local") {
        if (!declared.local.has(a1)) out.push(`${where}: undeclared local.${a1}`);
      } else if (root === "data") {
        const t = declared.data.get(`${a1}.${a2}`);
        if (!t) out.push(`${where}: undeclared data.${a1}.${a2}`);
        else if (!attrKnown(schema.data[t], a3)) out.push(`${where}: data source ${t} has no attribute ${a3}`);
      } else if (declared.resource.has(`${root}.${a1}`)) {
        if (!attrKnown(schema.resources[root], a2)) out.push(`${where}: resource ${root} has no attribute ${a2}`);
      } else if (!roots.has(root)) {
        out.push(`${where}: unresolved reference ${r.value}`);
      }
    }
  };

  // Walk a block body; `roots` are the names in scope besides var/local/data/resources.
  const walk = async (where: string, body: Body, roots: Set<string>): Promise<void> => {
    for (const [k, v] of Object.entries(body)) {
      if (k === "dynamic") {
        for (const [name, list] of Object.entries(v as Record<string, Body[]>)) {
          for (const d of list) {
            if (d.for_each !== undefined)
              for (const s of expressionStrings(d.for_each)) await checkString(`${where}.dynamic.${name}`, s, roots);
            const iterator = typeof d.iterator === "string" ? d.iterator.replace(/^\$\{|\}$/g, "") : name;
            for (const c of (d.content ?? []) as Body[])
              await walk(`${where}.${name}`, c, new Set([...roots, iterator]));
          }
        }
      } else if (k === "lifecycle") {
        for (const lc of v as Body[]) {
          for (const [lk, lv] of Object.entries(lc)) {
            if (lk === "ignore_changes") continue; // attribute names of this block, checked by the property tests
            if (lk === "precondition" || lk === "postcondition")
              for (const c of lv as Body[]) await walk(`${where}.lifecycle.${lk}`, c, new Set([...roots, "self"]));
            else for (const s of expressionStrings(lv)) await checkString(`${where}.lifecycle.${lk}`, s, roots);
          }
        }
      } else if (isBlockList(v)) {
        for (const el of v) await walk(`${where}.${k}`, el, roots);
      } else {
        for (const s of expressionStrings(v)) await checkString(`${where}.${k}`, s, roots);
      }
    }
  };

  for (const f of cfg.files) {
    for (const kind of ["resource", "data"] as const) {
      for (const [type, byName] of Object.entries((f.json[kind] ?? {}) as Record<string, Record<string, Body[]>>)) {
        for (const [name, bodies] of Object.entries(byName)) {
          for (const body of bodies) {
            const roots = new Set<string>();
            if ("for_each" in body) roots.add("each");
            if ("count" in body) roots.add("count");
            await walk(`${f.name}: ${kind === "data" ? "data." : ""}${type}.${name}`, body, roots);
          }
        }
      }
    }
    for (const [name, bodies] of Object.entries((f.json.variable ?? {}) as Record<string, Body[]>)) {
      for (const { type: _type, ...rest } of bodies) await walk(`${f.name}: variable.${name}`, rest, new Set());
    }
    for (const kind of ["output", "provider", "check"]) {
      for (const [name, bodies] of Object.entries((f.json[kind] ?? {}) as Record<string, Body[]>))
        for (const body of bodies) await walk(`${f.name}: ${kind}.${name}`, body, new Set());
    }
    for (const l of (f.json.locals ?? []) as Body[]) await walk(`${f.name}: locals`, l, new Set());
    for (const t of (f.json.terraform ?? []) as Body[])
      for (const s of expressionStrings(t)) out.push(`${f.name}: terraform block must be constant, found ${s}`);
  }
  return out;
}

// ---------------------------------------------------------------- evaluation

type Ast = { type: string; meta: Record<string, any>; children: Ast[] };
/** Values for names other than var./local., e.g. { each: { key, value } } or stand-ins for data sources. */
export type Scope = Record<string, unknown>;

/** "a ${b} c" -> ["a ", {expr: "b"}, " c"]; the literal parts come decoded from hcl2json, the expressions as source. */
function splitTemplate(s: string): (string | { expr: string })[] {
  const parts: (string | { expr: string })[] = [];
  let lit = "";
  for (let i = 0; i < s.length; i++) {
    if (s.startsWith("${", i)) {
      let depth = 1;
      let j = i + 2;
      for (; j < s.length && depth > 0; j++) {
        const ch = s[j];
        if (ch === '"') {
          for (j++; j < s.length && s[j] !== '"'; j++) if (s[j] === "\\") j++;
        } else if (ch === "{") depth++;
        else if (ch === "}") depth--;
      }
      if (lit) parts.push(lit);
      lit = "";
      parts.push({ expr: s.slice(i + 2, j - 1) });
      i = j - 1;
    } else lit += s[i];
  }
  if (lit) parts.push(lit);
  return parts;
}

/**
 * The value of an HCL value as hcl2json renders it (a literal, or a string
 * with ${...} expressions), with var.* from terraform.tfvars.json, local.*
 * evaluated in turn and other names from scope. Covers literals, templates,
 * traversals, objects, tuples, arithmetic, comparisons, logic, conditionals
 * and the few functions the configuration uses; throws on anything else.
 */
export async function evaluate(cfg: TfConfig, value: unknown, scope: Scope = {}): Promise<unknown> {
  if (Array.isArray(value)) return Promise.all(value.map((v) => evaluate(cfg, v, scope)));
  if (isObj(value))
    return Object.fromEntries(
      await Promise.all(Object.entries(value).map(async ([k, v]) => [k, await evaluate(cfg, v, scope)])),
    );
  if (typeof value !== "string" || !value.includes("${")) return value;
  const parts = splitTemplate(value);
  const vals = await Promise.all(parts.map((p) => (typeof p === "string" ? p : evalSource(cfg, p.expr, scope))));
  return vals.length === 1 ? vals[0] : vals.map(String).join("");
}

async function evalSource(cfg: TfConfig, src: string, scope: Scope): Promise<unknown> {
  const ast = (await getExpressionAst("eval.tf", src)) as unknown as Ast | null;
  if (!ast) throw new Error(`cannot parse ${src}`);
  return evalAst(cfg, ast, scope);
}

async function evalAst(cfg: TfConfig, n: Ast, scope: Scope): Promise<unknown> {
  const kids = () => Promise.all(n.children.map((c) => evalAst(cfg, c, scope)));
  switch (n.type) {
    case "literalValue":
      if (n.meta.type === "number") return Number(n.meta.value);
      if (n.meta.type === "bool") return n.meta.value === "true";
      if (n.meta.type === "string") return n.meta.value;
      return null;
    case "templateWrap":
      return evalAst(cfg, n.children[0], scope);
    case "template":
      return (await kids()).map(String).join("");
    case "tuple":
      return kids();
    case "object": {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(n.meta.items as Record<string, string>))
        out[k.startsWith('"') ? JSON.parse(k) : k] = await evalSource(cfg, v, scope);
      return out;
    }
    case "scopeTraversal": {
      const [root, ...rest] = (n.meta.traversal as { segment: string }[]).map((t) => t.segment);
      let v: unknown;
      if (root === "var") {
        if (!(rest[0] in cfg.tfvars)) throw new Error(`var.${rest[0]} is not in terraform.tfvars.json`);
        v = cfg.tfvars[rest.shift()!];
      } else if (root === "local") {
        const name = rest.shift()!;
        if (!(name in localsOf(cfg))) throw new Error(`local.${name} is not declared`);
        v = await evaluate(cfg, localsOf(cfg)[name], scope);
      } else if (root in scope) v = scope[root];
      else throw new Error(`cannot evaluate ${n.meta.value}: no value for ${root}`);
      for (const seg of rest) {
        if (v === null || typeof v !== "object" || !(seg in v))
          throw new Error(`cannot evaluate ${n.meta.value}: no ${seg}`);
        v = (v as Record<string, unknown>)[seg];
      }
      return v;
    }
    case "relativeTraversal": {
      // e.g. data.aws_ami.runner[each.value.architecture].id: the attributes after an index
      let v = await evalAst(cfg, n.children[0], scope);
      for (const { segment } of n.meta.traversal as { segment: string }[]) {
        if (v === null || typeof v !== "object" || !(segment in v))
          throw new Error(`cannot evaluate ${n.meta.value}: no ${segment}`);
        v = (v as Record<string, unknown>)[segment];
      }
      return v;
    }
    case "index": {
      const [coll, key] = await kids();
      return (coll as Record<string, unknown>)[key as string];
    }
    case "conditional": {
      const [c, t, f] = n.children;
      return (await evalAst(cfg, c, scope)) ? evalAst(cfg, t, scope) : evalAst(cfg, f, scope);
    }
    case "unaryOp": {
      const [v] = await kids();
      if (n.meta.operator === "logicalNot") return !v;
      if (n.meta.operator === "negate") return -(v as number);
      break;
    }
    case "binaryOp": {
      const [l, r] = (await kids()) as [any, any];
      const ops: Record<string, () => unknown> = {
        add: () => l + r,
        subtract: () => l - r,
        multiply: () => l * r,
        equal: () => JSON.stringify(l) === JSON.stringify(r),
        notEqual: () => JSON.stringify(l) !== JSON.stringify(r),
        lessThan: () => l < r,
        lessThanOrEqual: () => l <= r,
        greaterThan: () => l > r,
        greaterThanOrEqual: () => l >= r,
        logicalAnd: () => l && r,
        logicalOr: () => l || r,
      };
      if (n.meta.operator in ops) return ops[n.meta.operator]();
      break;
    }
    case "function": {
      const args = (await kids()) as any[];
      const fns: Record<string, () => unknown> = {
        min: () => Math.min(...args),
        max: () => Math.max(...args),
        length: () =>
          Array.isArray(args[0]) || typeof args[0] === "string" ? args[0].length : Object.keys(args[0]).length,
        trimprefix: () => (args[0].startsWith(args[1]) ? args[0].slice(args[1].length) : args[0]),
        tomap: () => args[0],
        toset: () => [...new Set(args[0] as unknown[])].sort(),
        merge: () => Object.assign({}, ...args),
        // Terraform's jsonencode sorts object keys; yamlencode is compared after parsing.
        jsonencode: () => JSON.stringify(sortKeys(args[0])),
        yamlencode: () => YAML.stringify(args[0]),
        base64encode: () => Buffer.from(args[0], "utf8").toString("base64"),
      };
      if (n.meta.name in fns) return fns[n.meta.name]();
      break;
    }
  }
  throw new Error(`cannot evaluate ${n.type} ${n.meta.operator ?? n.meta.name ?? ""}: ${n.meta.value}`);
}

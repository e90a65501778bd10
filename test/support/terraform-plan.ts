/**
 * Real Terraform on a generated terraform/ folder, offline: `init
 * -backend=false`, `validate`, then `plan -refresh=false` with a local backend
 * override and the folder's terraform.tfvars.json, then `show -json`. The
 * hashicorp/aws provider is the double in test/tf-double/, served in this
 * process over Terraform's plugin protocol and attached with
 * TF_REATTACH_PROVIDERS. With GLRA_TF_PROVIDER=registry (a machine that
 * reaches the Terraform registry) the real provider is installed instead.
 */
import { spawn } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
// @ts-expect-error plain ESM without types
import { loadSchema } from "../tf-double/lib/schema.mjs";
// @ts-expect-error plain ESM without types
import { serve } from "../tf-double/lib/server.mjs";
import { poolViews } from "../../src/core/pools.js";
import type { Answers } from "../../src/core/types.js";
import { renderAnswers, requireTool, writeTree } from "./tools.js";

export interface Diagnostic {
  severity: "error" | "warning";
  summary: string;
  detail?: string;
  range?: { filename: string; start: { line: number } };
}

/** `terraform show -json` of a saved plan (the parts the tests read). */
export interface Plan {
  format_version: string;
  planned_values: { root_module: PlanModule };
  resource_changes: {
    address: string;
    type: string;
    mode: "managed" | "data";
    change: { actions: string[]; after: any; after_unknown: any };
  }[];
  configuration: any;
  variables: Record<string, { value: unknown }>;
}
interface PlanModule {
  resources?: PlannedResource[];
  child_modules?: PlanModule[];
}
export interface PlannedResource {
  address: string;
  mode: "managed" | "data";
  type: string;
  name: string;
  index?: string | number;
  values: Record<string, any>;
}

export interface TerraformResult {
  plan: Plan;
  /** Warnings of validate and plan, in Terraform's words. */
  warnings: Diagnostic[];
  seconds: number;
}

export class TerraformFailure extends Error {
  constructor(
    readonly step: string,
    readonly diagnostics: Diagnostic[],
    output: string,
  ) {
    super(`terraform ${step} failed:\n${diagnostics.length ? diagnostics.map(formatDiagnostic).join("\n") : output}`);
  }
}

export function formatDiagnostic(d: Diagnostic): string {
  const where = d.range ? ` (${d.range.filename}:${d.range.start.line})` : "";
  return `${d.severity}: ${d.summary}${where}${d.detail ? `\n  ${d.detail.replace(/\n/g, "\n  ")}` : ""}`;
}

export function terraformBinary(): string {
  if (process.env.TERRAFORM) return process.env.TERRAFORM;
  try {
    return requireTool("terraform");
  } catch {
    throw new Error(
      "terraform is not installed: the plan tests run the real Terraform (1.11 or later). Install it from HashiCorp's " +
        "release archive or apt repository (apt-get install terraform), or set TERRAFORM=/path/to/terraform.",
    );
  }
}

let schema: unknown;
const useRegistry = process.env.GLRA_TF_PROVIDER === "registry";

/** The resource and data-source types a configuration declares, its local modules' included. */
export function declaredTypes(dir: string): {
  resources: string[];
  data: string[];
} {
  const resources = new Set<string>();
  const data = new Set<string>();
  const files = readdirSync(dir, { recursive: true, encoding: "utf8" }).filter(
    (n) => n.endsWith(".tf") && !n.startsWith(".terraform"),
  );
  for (const f of files) {
    for (const m of readFileSync(join(dir, f), "utf8").matchAll(/^\s*(resource|data)\s+"([^"]+)"/gm)) {
      (m[1] === "resource" ? resources : data).add(m[2]);
    }
  }
  return { resources: [...resources], data: [...data] };
}

function diagnosticsOf(stdout: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const line of stdout.split("\n")) {
    if (!line.startsWith("{")) continue;
    const m = JSON.parse(line);
    if (m.type === "diagnostic") out.push(m.diagnostic);
  }
  return out;
}

/**
 * Plans `tfDir` (a generated terraform/ folder) with real Terraform. Throws a
 * TerraformFailure naming the step and Terraform's diagnostics on any error.
 * `validate: false` skips the separate validate step (plan validates too);
 * `env` adds to Terraform's environment (e.g. AWS_REGION for a module folder).
 */
export async function planTerraform(
  tfDir: string,
  opts: { validate?: boolean; fixtures?: Record<string, unknown>; env?: NodeJS.ProcessEnv } = {},
): Promise<TerraformResult> {
  const started = Date.now();
  const terraform = terraformBinary();
  const work = mkdtempSync(join(tmpdir(), "glra-tf-"));
  const wd = join(work, "terraform");
  cpSync(tfDir, wd, {
    recursive: true,
    filter: (src) => !/[/\\](\.terraform|terraform\.tfstate[^/\\]*)$/.test(src),
  });
  const cliConfig = join(work, "terraformrc");
  writeFileSync(cliConfig, "");
  let server: { forceShutdown(): void } | undefined;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TF_IN_AUTOMATION: "1",
    TF_INPUT: "0",
    CHECKPOINT_DISABLE: "1",
    ...opts.env,
  };
  delete env.TF_WORKSPACE;
  if (!useRegistry) {
    schema ??= loadSchema();
    const served = await serve({
      socket: join(work, "aws.sock"),
      schema,
      only: declaredTypes(wd),
      fixtures: opts.fixtures ?? null,
      env,
    });
    server = served.server;
    env.TF_REATTACH_PROVIDERS = JSON.stringify(served.reattach);
    env.TF_CLI_CONFIG_FILE = cliConfig;
  }
  const run = (args: string[]) =>
    new Promise<{ code: number; out: string; err: string }>((resolve) => {
      const p = spawn(terraform, args, {
        cwd: wd,
        env,
        stdio: ["ignore", "pipe", "pipe"],
      });
      let out = "";
      let err = "";
      p.stdout.on("data", (d) => (out += d));
      p.stderr.on("data", (d) => (err += d));
      p.on("close", (code) => resolve({ code: code ?? 1, out, err }));
      p.on("error", (e) => resolve({ code: 127, out, err: String(e) }));
    });
  const warnings: Diagnostic[] = [];
  const step = async (name: string, args: string[], json: "lines" | "document" | "none") => {
    const r = await run(args);
    let diags: Diagnostic[] = [];
    if (json === "lines") diags = diagnosticsOf(r.out);
    if (json === "document" && r.out.trim().startsWith("{")) diags = JSON.parse(r.out).diagnostics ?? [];
    const errors = diags.filter((d) => d.severity === "error");
    if (r.code !== 0 || errors.length) throw new TerraformFailure(name, errors, `${r.out}${r.err}`);
    warnings.push(...diags.filter((d) => d.severity === "warning"));
    return r.out;
  };
  try {
    await step("init -backend=false", ["init", "-backend=false", "-input=false", "-no-color"], "none");
    if (opts.validate !== false) await step("validate", ["validate", "-json", "-no-color"], "document");
    writeFileSync(join(wd, "backend_override.tf"), 'terraform {\n  backend "local" {}\n}\n');
    await step("init (local backend)", ["init", "-reconfigure", "-input=false", "-no-color"], "none");
    await step("plan", ["plan", "-refresh=false", "-input=false", "-no-color", "-json", "-out=plan"], "lines");
    const plan = JSON.parse(await step("show -json", ["show", "-json", "plan"], "none")) as Plan;
    return { plan, warnings, seconds: (Date.now() - started) / 1000 };
  } finally {
    server?.forceShutdown();
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Real Terraform in `wd` (local backend) against the provider double serving
 * `only` (default: the types `wd` declares, its modules included), for tests
 * that apply and plan step by step. `tf` resolves with stdout and rejects with
 * the output when Terraform fails; `stop` shuts the double down.
 */
export async function terraformSession(work: string, wd: string, only = declaredTypes(wd)) {
  writeFileSync(join(wd, "backend_override.tf"), 'terraform {\n  backend "local" {}\n}\n');
  writeFileSync(join(work, "terraformrc"), "");
  schema ??= loadSchema();
  const served = await serve({ socket: join(work, `aws-${Date.now()}.sock`), schema, only });
  const env = {
    ...process.env,
    TF_IN_AUTOMATION: "1",
    TF_INPUT: "0",
    CHECKPOINT_DISABLE: "1",
    TF_REATTACH_PROVIDERS: JSON.stringify(served.reattach),
    TF_CLI_CONFIG_FILE: join(work, "terraformrc"),
  };
  // Asynchronous: the provider double answers from this process's event loop.
  const tf = (...args: string[]) =>
    new Promise<string>((resolve, reject) => {
      const p = spawn(terraformBinary(), args, { cwd: wd, env, stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      let err = "";
      p.stdout.on("data", (d) => (out += d));
      p.stderr.on("data", (d) => (err += d));
      p.on("close", (code) =>
        code === 0 ? resolve(out) : reject(new Error(`terraform ${args.join(" ")} exited ${code}\n${out}${err}`)),
      );
    });
  return { tf, stop: () => served.server.forceShutdown() };
}

/** Every planned resource (managed and data) of the root and child modules. */
export function plannedResources(plan: Plan): PlannedResource[] {
  const all: PlannedResource[] = [];
  const walk = (m: PlanModule) => {
    all.push(...(m.resources ?? []));
    for (const c of m.child_modules ?? []) walk(c);
  };
  walk(plan.planned_values.root_module);
  return all;
}

/** The planned resources of one type, e.g. ofType(plan, "aws_autoscaling_schedule"). */
export function ofType(plan: Plan, type: string): PlannedResource[] {
  return plannedResources(plan).filter((r) => r.type === type && r.mode === "managed");
}

/** The one planned resource of a type; fails when there is not exactly one. */
export function theOne(plan: Plan, type: string): PlannedResource {
  const rs = ofType(plan, type);
  if (rs.length !== 1)
    throw new Error(`expected one ${type}, planned ${rs.length}: ${rs.map((r) => r.address).join(", ")}`);
  return rs[0];
}

/**
 * Renders the answers and plans their terraform/ folder. The double's AMI
 * lookup answers with the architecture its tag filter asks for; an explicit
 * amiId is taken to name an image of the pools' one architecture (the plan's
 * postcondition checks the real one at the user's plan).
 */
export function planAnswers(a: Answers, opts: { validate?: boolean } = {}): Promise<TerraformResult> {
  return planTerraform(join(writeTree(renderAnswers(a)), "terraform"), {
    ...opts,
    fixtures: a.amiId ? { aws_ami: { architecture: poolViews(a)[0].architecture } } : undefined,
  });
}

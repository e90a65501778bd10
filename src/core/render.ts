import ejs from "ejs";
import { amiContext } from "./context/ami.js";
import { capacityContext } from "./context/capacity.js";
import { ciContext } from "./context/ci.js";
import { docsContext } from "./context/docs.js";
import { namesContext } from "./context/names.js";
import { terraformContext } from "./context/terraform.js";
import { hclString, shellQuote, sortKeys, stableJson, yamlString } from "./escape.js";
import { fileExists } from "./files.js";
import { pins } from "./pins.js";
import { answerKeys, schemaVersion } from "./schema.js";
import { outputPath, type TemplateSet } from "./templates.js";
import type { Answers, RenderedFile } from "./types.js";

export const GENERATOR_NAME = "generator-gitlab-runner-aws";
export const STORE_FILE = ".yo-rc.json";

export interface RenderOptions {
  templates: TemplateSet;
  generatorVersion: string;
}

type Compiled = (ctx: object) => string;
const compiledCache = new WeakMap<TemplateSet, Map<string, Compiled>>();

function compiled(templates: TemplateSet, path: string): Compiled {
  let m = compiledCache.get(templates);
  if (!m) compiledCache.set(templates, (m = new Map()));
  let fn = m.get(path);
  if (!fn) {
    fn = ejs.compile(templates.get(path)!, {
      filename: path,
      localsName: "ctx",
      _with: false,
      strict: true,
    }) as Compiled;
    m.set(path, fn);
  }
  return fn;
}

/** The answers as stored in .yo-rc.json: every answer, keys sorted, plus versions. */
export function storedConfig(answers: Answers, generatorVersion: string): object {
  const ordered = Object.fromEntries(
    answerKeys.filter((k) => k in answers).map((k) => [k, (answers as unknown as Record<string, unknown>)[k]]),
  );
  return { [GENERATOR_NAME]: { answers: sortKeys(ordered), generatorVersion, schemaVersion } };
}

/** The object every template sees as ctx; a pool's answers come from the contexts, through poolViews. */
export function templateContext(answers: Answers, generatorVersion: string) {
  return {
    a: answers,
    pins,
    generator: { name: GENERATOR_NAME, version: generatorVersion },
    schemaVersion,
    esc: { sh: shellQuote, hcl: hclString, yaml: yamlString, json: stableJson },
    names: namesContext(answers),
    ami: amiContext(answers),
    tf: terraformContext(answers),
    ci: ciContext(answers),
    docs: docsContext(answers),
    capacity: capacityContext(answers),
  };
}

/**
 * Pure: validated answers in, the generated repo's files out, sorted by path.
 * Which files exist for which answers is files.ts's table; a template that
 * renders blank is an error. Touches neither the disk nor Yeoman.
 */
export function render(answers: Answers, options: RenderOptions): RenderedFile[] {
  const ctx = templateContext(answers, options.generatorVersion);
  const files: RenderedFile[] = [];
  for (const path of [...options.templates.keys()].sort()) {
    if (!fileExists(outputPath(path), answers)) continue;
    let contents: string;
    try {
      contents = compiled(options.templates, path)(ctx);
    } catch (e) {
      throw new Error(`template ${path}: ${(e as Error).message}`);
    }
    if (contents.trim() === "")
      throw new Error(
        `template ${path} rendered nothing: a file that exists only for some answers belongs in src/core/files.ts`,
      );
    files.push({ path: outputPath(path), contents, mode: contents.startsWith("#!") ? 0o755 : 0o644 });
  }
  files.push({ path: STORE_FILE, contents: stableJson(storedConfig(answers, options.generatorVersion)), mode: 0o644 });
  return files.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
}

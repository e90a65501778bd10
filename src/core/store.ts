import { readFileSync } from "node:fs";
import { join } from "node:path";
import { stableJson } from "./escape.js";
import { MigrationError, migrateAnswers, type RawAnswers } from "./migrations.js";
import { GENERATOR_NAME, STORE_FILE } from "./render.js";
import { schemaVersion as currentSchemaVersion } from "./schema.js";
import type { RenderedFile } from "./types.js";

export interface Stored {
  /** In the current schema's layout (migrated forward); not yet validated. */
  answers: Record<string, unknown>;
  generatorVersion: string;
  /** The answers-schema version the file was written with (0 for the pre-release flat layout). */
  schemaVersion: number;
}

export class StoreError extends Error {}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw new StoreError(`${path} cannot be read: ${(e as Error).message}`);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

function parseJson(path: string, text: string, fix: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new StoreError(`${path} is not valid JSON (${(e as Error).message.replace(/\n/g, "\\n")}); ${fix}`);
  }
}

/**
 * The answers stored in outDir/.yo-rc.json, migrated to the current schema.
 * undefined when there is no such file or it has no entry for this generator.
 */
export function loadStored(outDir: string): Stored | undefined {
  const path = join(outDir, STORE_FILE);
  const text = readText(path);
  return text === undefined ? undefined : parseStored(path, text);
}

/** loadStored for text already read (Yeoman reads through its in-memory file system). */
export function parseStored(path: string, text: string): Stored | undefined {
  const fix = "fix it, or remove it and pass --answers";
  const yorc = parseJson(path, text, fix);
  if (!isObject(yorc)) throw new StoreError(`${path} must hold a JSON object; ${fix}`);
  const entry = yorc[GENERATOR_NAME];
  if (entry === undefined) return undefined;
  if (!isObject(entry)) throw new StoreError(`${path}: "${GENERATOR_NAME}" must be an object; ${fix}`);

  // Version 0 (pre-release) kept the answers flat, with neither "answers" nor "schemaVersion".
  const flat = !("answers" in entry) && !("schemaVersion" in entry);
  const version = flat ? 0 : entry.schemaVersion;
  if (!Number.isInteger(version) || (version as number) < 0) {
    throw new StoreError(
      `${path}: "${GENERATOR_NAME}.schemaVersion" must be a whole number, not ${JSON.stringify(version)}; ${fix}`,
    );
  }
  const raw = flat ? entry : entry.answers;
  if (!isObject(raw)) throw new StoreError(`${path}: "${GENERATOR_NAME}.answers" must be an object of answers; ${fix}`);
  const generatorVersion = typeof entry.generatorVersion === "string" ? entry.generatorVersion : "unknown";
  if ((version as number) > currentSchemaVersion) {
    throw new StoreError(
      `${path} was written by ${GENERATOR_NAME} ${generatorVersion} with answers-schema version ${version}, ` +
        `but this generator understands answers-schema version ${currentSchemaVersion} at most. ` +
        `Upgrade the generator (npm install -g ${GENERATOR_NAME}@latest, or npx -p ${GENERATOR_NAME}@latest) and run it again.`,
    );
  }
  let answers: RawAnswers;
  try {
    answers = migrateAnswers(flat ? withoutVersionKeys(raw) : raw, version as number);
  } catch (e) {
    if (e instanceof MigrationError) throw new StoreError(`${path}: ${e.message}`);
    throw e;
  }
  return { answers, generatorVersion, schemaVersion: version as number };
}

function withoutVersionKeys(flat: Record<string, unknown>): RawAnswers {
  const { generatorVersion: _version, ...answers } = flat;
  return answers;
}

/** Where the pristine copy of the last generated output lives, relative to the generated repo. */
export const BASE_FILE = ".gitlab-runner-aws/base.json";

export interface Base {
  generatorVersion: string;
  /** path -> exactly what the generator wrote there last time (files the generator owns). */
  files: Record<string, string>;
}

const BASE_NOTE = `Written by ${GENERATOR_NAME}: its last output, the base of the three-way merge when you regenerate. Commit it; do not edit it.`;

/** The stored base of outDir, or undefined when there is none (first run, or a repo generated before bases were kept). */
export function readBase(outDir: string): Base | undefined {
  const path = join(outDir, BASE_FILE);
  const text = readText(path);
  if (text === undefined) return undefined;
  const fix = `restore it from git (git checkout HEAD -- ${BASE_FILE}), or delete it (files that differ from the generator's output are then kept as they are)`;
  const data = parseJson(path, text, fix);
  if (!isObject(data) || !isObject(data.files) || !Object.values(data.files).every((v) => typeof v === "string")) {
    throw new StoreError(
      `${path} is not a base written by ${GENERATOR_NAME} (it needs "files": {path: contents}); ${fix}`,
    );
  }
  return {
    generatorVersion: typeof data.generatorVersion === "string" ? data.generatorVersion : "unknown",
    files: data.files as Record<string, string>,
  };
}

export function baseFile(base: Base): RenderedFile {
  return {
    path: BASE_FILE,
    contents: stableJson({ note: BASE_NOTE, generatorVersion: base.generatorVersion, files: base.files }),
    mode: 0o644,
  };
}

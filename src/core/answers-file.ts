import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { createRequire } from "node:module";

// Each parser loads when a file of its kind comes (yaml alone is ~70 modules), to keep the bin's startup short.
const require = createRequire(import.meta.url);
const yaml = () => require("yaml") as typeof import("yaml");
const jsonc = () => require("jsonc-parser") as typeof import("jsonc-parser");

export const MAX_ANSWERS_BYTES = 1024 * 1024;

export class AnswersFileError extends Error {}

/** Read an answers file (YAML or JSON): every way it can be unusable becomes an AnswersFileError. */
export function readAnswersFile(file: string): unknown {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === "ENOENT"
        ? "does not exist"
        : code === "EACCES" || code === "EPERM"
          ? "cannot be read (permission denied)"
          : code === "EISDIR"
            ? "is a directory, not a file"
            : (e as Error).message;
    throw new AnswersFileError(`answers file ${file} ${why}`);
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new AnswersFileError(`answers file ${file} is a directory, not a file`);
    if (st.size > MAX_ANSWERS_BYTES)
      throw new AnswersFileError(
        `answers file ${file} is ${st.size} bytes; an answers file is at most ${MAX_ANSWERS_BYTES} bytes`,
      );
    const buf = Buffer.alloc(Math.min(st.size, MAX_ANSWERS_BYTES) + 1);
    let n = 0;
    for (let r; (r = readSync(fd, buf, n, buf.length - n, null)) > 0;) {
      n += r;
      if (n > MAX_ANSWERS_BYTES)
        throw new AnswersFileError(`answers file ${file} is larger than ${MAX_ANSWERS_BYTES} bytes`);
    }
    return parseAnswersText(buf.subarray(0, n), file);
  } catch (e) {
    if (e instanceof AnswersFileError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new AnswersFileError(
      `answers file ${file} ${code === "EISDIR" ? "is a directory, not a file" : `cannot be read: ${(e as Error).message}`}`,
    );
  } finally {
    closeSync(fd);
  }
}

function lineCol(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  return `line ${line}, column ${offset - before.lastIndexOf("\n")}`;
}

/** Parse YAML or JSON answers text. JSON is parsed as YAML 1.2, which also catches duplicate keys. */
export function parseAnswersText(bytes: Uint8Array, file = "answers"): unknown {
  if (bytes.includes(0))
    throw new AnswersFileError(`answers file ${file} is binary (it contains NUL bytes); give a YAML or JSON file`);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new AnswersFileError(`answers file ${file} is not UTF-8 text; give a YAML or JSON file`);
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim() === "")
    throw new AnswersFileError(
      `answers file ${file} is empty; it must map answer names to values (see examples/answers.yaml)`,
    );
  if (/\.json$/i.test(file)) return parseJson(text, file);
  const doc = yaml().parseDocument(text, { prettyErrors: true, uniqueKeys: true, merge: false });
  if (doc.errors.length) {
    const msgs = doc.errors.map((err) => {
      const pos = err.linePos?.[0];
      return `${pos ? `line ${pos.line}, column ${pos.col}: ` : ""}${err.message.split(" at line ")[0].split("\n")[0]}`;
    });
    throw new AnswersFileError(`answers file ${file} is not valid YAML:\n  ${msgs.join("\n  ")}`);
  }
  return doc.toJS({ maxAliasCount: 100 });
}

/** Strict JSON with positions and duplicate keys reported (JSON.parse keeps the last duplicate silently). */
function parseJson(text: string, file: string): unknown {
  const { printParseErrorCode, visit } = jsonc();
  const problems: string[] = [];
  const keys: Array<Set<string>> = [];
  visit(
    text,
    {
      onObjectBegin: () => void keys.push(new Set()),
      onObjectEnd: () => void keys.pop(),
      onObjectProperty: (name, offset) => {
        const seen = keys[keys.length - 1];
        if (seen.has(name)) problems.push(`${lineCol(text, offset)}: duplicate key "${name}"`);
        seen.add(name);
      },
      onError: (code, offset) =>
        void problems.push(
          `${lineCol(text, offset)}: ${printParseErrorCode(code)
            .replace(/([a-z])([A-Z])/g, "$1 $2")
            .toLowerCase()}`,
        ),
    },
    { disallowComments: true, allowTrailingComma: false },
  );
  if (problems.length)
    throw new AnswersFileError(`answers file ${file} is not valid JSON:\n  ${problems.join("\n  ")}`);
  return JSON.parse(text);
}

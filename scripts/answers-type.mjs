// Writes src/core/answers.generated.ts, the Answers type, from the answers
// schema (npm run docs). test/answers-type.test.ts fails when the committed
// file differs from what this prints.
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const schemaUrl = new URL("../schema/answers.schema.json", import.meta.url);
const outUrl = new URL("../src/core/answers.generated.ts", import.meta.url);

function comment(text, indent) {
  const words = text.split(" ");
  const lines = [];
  let line = "";
  for (const w of words) {
    if (line && indent.length + 3 + line.length + 1 + w.length > 110) {
      lines.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  lines.push(line);
  if (lines.length === 1) return `${indent}/** ${lines[0]} */\n`;
  return `${indent}/**\n${lines.map((l) => `${indent} * ${l}\n`).join("")}${indent} */\n`;
}

/** The TypeScript type of schema s; object items of an array become a named interface in `named`. */
function typeOf(s, key, named) {
  if (s.enum) return s.enum.map((v) => JSON.stringify(v)).join(" | ");
  switch (s.type) {
    case "string":
      return "string";
    case "integer":
    case "number":
      return "number";
    case "boolean":
      return "boolean";
    case "array": {
      if (s.items.type === "object" && s.items.properties) {
        const name = key[0].toUpperCase() + key.slice(1).replace(/s$/, "");
        named.push(
          interfaceOf(
            name,
            s.items,
            s.items["x-order"] ?? Object.keys(s.items.properties),
            (k) => s.items.required?.includes(k) || s.items.properties[k].default !== undefined,
            named,
          ),
        );
        return `${name}[]`;
      }
      return `${typeOf(s.items, key, named)}[]`;
    }
    case "object":
      if (typeof s.additionalProperties === "object")
        return `Record<string, ${typeOf(s.additionalProperties, key, named)}>`;
  }
  throw new Error(`answers type: no TypeScript type for ${key}`);
}

function interfaceOf(name, s, keys, present, named, doc) {
  let out = doc ? comment(doc, "") : "";
  out += `export interface ${name} {\n`;
  for (const k of keys) {
    const p = s.properties[k];
    if (p.description) out += comment(p.description, "  ");
    out += `  ${k}${present(k) ? "" : "?"}: ${typeOf(p, k, named)};\n`;
  }
  return out + "}\n";
}

/** The text of src/core/answers.generated.ts for this schema. */
export function answersTypeSource(schema) {
  const named = [];
  const answers = interfaceOf(
    "Answers",
    schema,
    schema["x-order"],
    (k) => schema.required.includes(k) || schema.properties[k].default !== undefined,
    named,
    "Validated answers, with every default applied (an answer with neither a default nor required is optional).",
  );
  const header =
    "// Generated from schema/answers.schema.json by scripts/answers-type.mjs (npm run docs). Do not edit.\n\n";
  return header + [...named, answers].join("\n");
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const text = answersTypeSource(JSON.parse(readFileSync(schemaUrl, "utf8")));
  const before = readFileSync(outUrl, { encoding: "utf8", flag: "a+" });
  if (text !== before) writeFileSync(outUrl, text);
  console.log(
    text === before ? "src/core/answers.generated.ts: up to date" : "src/core/answers.generated.ts: rewritten",
  );
}

#!/usr/bin/env node
// Regenerates test/fixtures/gitlab-ci.schema.json: GitLab's CI JSON schema
// (draft-07; GitLab's app/assets/javascripts/editor/schema/ci.json as bundled
// by gitlab-ci-local, extracted by ../shared/validators) without its
// annotations (description, markdownDescription, examples, default, $comment),
// which do not take part in validation. See test/fixtures/gitlab-ci.schema.NOTICE.md.
//
// Usage: node scripts/trim-gitlab-ci-schema.mjs [SOURCE.json]
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const source = process.argv[2] ?? join(root, "..", "shared", "validators", "schemas", "gitlab-ci.schema.json");
const full = JSON.parse(readFileSync(source, "utf8"));

const ANNOTATIONS = new Set(["description", "markdownDescription", "examples", "default", "$comment"]);
// Keywords whose value maps names to subschemas: the names are data, not keywords.
const SCHEMA_MAPS = new Set(["properties", "patternProperties", "definitions", "dependencies"]);

function trimSchema(node) {
  if (Array.isArray(node)) return node.map(trimSchema);
  if (!node || typeof node !== "object") return node;
  const out = {};
  for (const [k, v] of Object.entries(node)) {
    if (ANNOTATIONS.has(k)) continue;
    if (k === "enum" || k === "const" || k === "required") out[k] = v;
    else if (SCHEMA_MAPS.has(k) && v && typeof v === "object" && !Array.isArray(v))
      out[k] = Object.fromEntries(Object.entries(v).map(([name, s]) => [name, trimSchema(s)]));
    else out[k] = trimSchema(v);
  }
  return out;
}

const trimmed = {
  $comment:
    "GitLab's CI JSON schema (MIT, GitLab FOSS app/assets/javascripts/editor/schema/ci.json, as bundled by gitlab-ci-local 4.75.1) without annotations; see gitlab-ci.schema.NOTICE.md. Regenerate with node scripts/trim-gitlab-ci-schema.mjs.",
  ...trimSchema(full),
};
const out = join(root, "test", "fixtures", "gitlab-ci.schema.json");
writeFileSync(out, JSON.stringify(trimmed, null, 1) + "\n");
console.log(
  `${out}: ${Object.keys(trimmed.definitions ?? {}).length} definitions, ${JSON.stringify(trimmed).length} bytes (source ${JSON.stringify(full).length})`,
);

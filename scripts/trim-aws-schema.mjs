#!/usr/bin/env node
// Regenerates test/fixtures/aws-provider-schema-<version>.json: the compact
// AWS provider schema of the steering validators (../shared/validators/
// schemas/aws-provider-<version>.json, built from @cdktf/provider-aws's jsii
// manifest) cut down to the resource and data-source types that
// templates/terraform/ uses, the provider configuration, and the nested
// block types those reach. See test/fixtures/README.md.
//
// Usage: node scripts/trim-aws-schema.mjs [SOURCE.json]
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const source = process.argv[2] ?? join(root, "..", "shared", "validators", "schemas", "aws-provider-6.25.0.json");
const full = JSON.parse(readFileSync(source, "utf8"));

const used = { resource: new Set(), data: new Set() };
const tfDir = join(root, "templates", "terraform");
for (const f of readdirSync(tfDir).filter((f) => f.endsWith(".tf.ejs"))) {
  for (const m of readFileSync(join(tfDir, f), "utf8").matchAll(/^\s*(resource|data)\s+"(aws_[a-z0-9_]+)"/gm)) used[m[1]].add(m[2]);
}

const structs = {};
function reach(node) {
  for (const spec of Object.values(node.a)) {
    const ref = spec[3];
    if (ref && !(ref in structs)) {
      structs[ref] = full.structs[ref];
      reach(structs[ref]);
    }
  }
}
function pick(table, names, what) {
  const out = {};
  for (const n of [...names].sort()) {
    if (!table[n]) throw new Error(`${what} ${n} is not in ${source}`);
    out[n] = table[n];
    reach(table[n]);
  }
  return out;
}
const trimmed = {
  $comment: "Trimmed copy of the AWS provider schema; see test/fixtures/README.md. Regenerate with node scripts/trim-aws-schema.mjs.",
  provider: full.provider,
  package: full.package,
  resources: pick(full.resources, used.resource, "resource"),
  data: pick(full.data, used.data, "data source"),
  providerConfig: full.providerConfig,
  structs: {},
};
reach(full.providerConfig);
for (const k of Object.keys(structs).sort()) trimmed.structs[k] = structs[k];

const out = join(root, "test", "fixtures", `aws-provider-schema-${full.provider}.json`);
writeFileSync(out, JSON.stringify(trimmed, null, 1) + "\n");
console.log(`${out}: ${used.resource.size} resource and ${used.data.size} data-source types, ${Object.keys(trimmed.structs).length} nested block types`);

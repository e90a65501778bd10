#!/usr/bin/env node
// Move the versions the generated repos pin: the default gitlabRunnerVersion in
// schema/answers.schema.json and the tools in schema/pins.json, then refresh the
// answers table in README.md (scripts/update-readme.mjs) and record the day.
//
// Release APIs are out of reach from where this runs, so the maintainer gives
// the versions, read from the projects' release pages:
//
//   node scripts/bump-pins.mjs --gitlab-runner 19.3.0 \
//     --image packer=hashicorp/packer:1.14.4 --packer-amazon-plugin 1.8.1 \
//     --checked 2026-12-01
//
// Every value is checked before anything is written: the gitlab-runner version
// against the schema's own pattern and never older than the current default
// (unless --allow-downgrade), an image against its pin's repository with a
// real tag (never latest), plugin versions as dotted numbers, the date as
// YYYY-MM-DD. --checked alone records that the pins were checked and are
// current. --root DIR works on another copy of the package (the tests use a
// temporary one); --dry-run prints the changes and writes nothing.
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parseArgs as parseArgv } from "node:util";
import { fileURLToPath } from "node:url";

const USAGE =
  "usage: node scripts/bump-pins.mjs [--gitlab-runner X.Y.Z] [--image NAME=REF]... [--packer-amazon-plugin X.Y.Z] [--session-manager-plugin X.Y.Z.W] [--cloudwatch-agent X.Y.ZbN] [--checked YYYY-MM-DD] [--allow-downgrade] [--dry-run] [--root DIR]";

function fail(message, code = 1) {
  process.stderr.write(`bump-pins: ${message}\n`);
  process.exit(code);
}

const OPTIONS = {
  "gitlab-runner": { type: "string" },
  image: { type: "string", multiple: true },
  "packer-amazon-plugin": { type: "string" },
  "session-manager-plugin": { type: "string" },
  "cloudwatch-agent": { type: "string" },
  checked: { type: "string" },
  "allow-downgrade": { type: "boolean" },
  "dry-run": { type: "boolean" },
  root: { type: "string" },
  help: { type: "boolean" },
};

function parseArgs(argv) {
  let v;
  try {
    ({ values: v } = parseArgv({ args: argv, options: OPTIONS, strict: true, allowPositionals: false }));
  } catch (e) {
    fail(`${e.message}\n${USAGE}`, 2);
  }
  if (v.help) {
    process.stdout.write(USAGE + "\n");
    process.exit(0);
  }
  const o = {
    images: {},
    root: v.root !== undefined ? resolve(v.root) : resolve(dirname(fileURLToPath(import.meta.url)), ".."),
    gitlabRunner: v["gitlab-runner"],
    packerAmazonPlugin: v["packer-amazon-plugin"],
    sessionManagerPlugin: v["session-manager-plugin"],
    cloudwatchAgent: v["cloudwatch-agent"],
    checked: v.checked,
    allowDowngrade: v["allow-downgrade"],
    dryRun: v["dry-run"],
  };
  for (const image of v.image ?? []) {
    const eq = image.indexOf("=");
    if (eq < 1) fail(`--image takes NAME=REF, not ${JSON.stringify(image)}`, 2);
    o.images[image.slice(0, eq)] = image.slice(eq + 1);
  }
  return o;
}

// A CloudWatch agent version such as 1.300064.0b1337 counts its build number last.
const numbers = (v) => v.split(/[.b]/).map(Number);
function compare(a, b) {
  const x = numbers(a),
    y = numbers(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++)
    if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
}

/** The repository part of an image reference (everything before the tag or digest). */
const repositoryOf = (ref) =>
  ref.replace(/@sha256:[0-9a-f]{64}$/, "").replace(/:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, "");
const tagOf = (ref) => /:([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})$/.exec(ref.replace(/@sha256:[0-9a-f]{64}$/, ""))?.[1];

const o = parseArgs(process.argv.slice(2));
const schemaPath = join(o.root, "schema/answers.schema.json");
const pinsPath = join(o.root, "schema/pins.json");
const schemaText = readFileSync(schemaPath, "utf8");
const schema = JSON.parse(schemaText);
const pins = JSON.parse(readFileSync(pinsPath, "utf8"));
const runner = schema.properties.gitlabRunnerVersion;
const problems = [];
const changes = [];

if (o.gitlabRunner !== undefined) {
  if (!/^[0-9]+\.[0-9]+\.[0-9]+$/.test(o.gitlabRunner) || !new RegExp(runner.pattern).test(o.gitlabRunner)) {
    problems.push(
      `--gitlab-runner ${JSON.stringify(o.gitlabRunner)} must be a release version such as 19.3.0 (schema pattern ${runner.pattern})`,
    );
  } else if (compare(o.gitlabRunner, runner.default) < 0 && !o.allowDowngrade) {
    problems.push(
      `--gitlab-runner ${o.gitlabRunner} is older than the current default ${runner.default} (pass --allow-downgrade if that is meant)`,
    );
  } else if (o.gitlabRunner !== runner.default)
    changes.push(`gitlabRunnerVersion default: ${runner.default} -> ${o.gitlabRunner}`);
}
for (const [name, ref] of Object.entries(o.images)) {
  const old = pins.images[name];
  const tag = tagOf(ref);
  if (old === undefined)
    problems.push(`--image ${name}: no such image in schema/pins.json (have: ${Object.keys(pins.images).join(", ")})`);
  else if (repositoryOf(ref) !== repositoryOf(old))
    problems.push(
      `--image ${name}=${ref}: must stay in ${repositoryOf(old)} (a new repository is a code change, not a bump)`,
    );
  else if (!tag || tag === "latest") problems.push(`--image ${name}=${ref}: needs a version tag, never latest`);
  else if (ref !== old) changes.push(`images.${name}: ${old} -> ${ref}`);
}
for (const [flag, key, re, example] of [
  ["--packer-amazon-plugin", "packerAmazonPlugin", /^[0-9]+\.[0-9]+\.[0-9]+$/, "1.8.0"],
  ["--session-manager-plugin", "sessionManagerPlugin", /^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$/, "1.2.707.0"],
  ["--cloudwatch-agent", "cloudwatchAgent", /^[0-9]+\.[0-9]+\.[0-9]+b[0-9]+$/, "1.300064.0b1337"],
]) {
  const v = o[key];
  if (v === undefined) continue;
  if (!re.test(v)) problems.push(`${flag} ${JSON.stringify(v)} must be a version such as ${example}`);
  else if (compare(v, pins[key]) < 0 && !o.allowDowngrade)
    problems.push(`${flag} ${v} is older than ${pins[key]} (pass --allow-downgrade if that is meant)`);
  else if (v !== pins[key]) changes.push(`${key}: ${pins[key]} -> ${v}`);
}
const checked = o.checked ?? new Date().toISOString().slice(0, 10);
if (
  !/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/.test(checked) ||
  Number.isNaN(Date.parse(checked + "T00:00:00Z")) ||
  new Date(checked + "T00:00:00Z").toISOString().slice(0, 10) !== checked
) {
  problems.push(`--checked ${JSON.stringify(checked)} must be a date such as 2026-12-01`);
}
if (problems.length) fail(`nothing was written:\n  ${problems.join("\n  ")}`);
if (checked !== pins.checked) changes.push(`checked: ${pins.checked ?? "never"} -> ${checked}`);
if (!changes.length) {
  process.stdout.write("bump-pins: already current, nothing to change\n");
  process.exit(0);
}
process.stdout.write(changes.map((c) => `bump-pins: ${c}\n`).join(""));
if (o.dryRun) process.exit(0);

// The schema keeps its hand-made layout: only the one default value is replaced, inside gitlabRunnerVersion's object.
if (o.gitlabRunner !== undefined && o.gitlabRunner !== runner.default) {
  const start = schemaText.indexOf('"gitlabRunnerVersion": {');
  const key = `"default": ${JSON.stringify(runner.default)}`;
  const at = schemaText.indexOf(key, start);
  if (start < 0 || at < 0) fail("could not find the default of gitlabRunnerVersion in schema/answers.schema.json");
  const updated =
    schemaText.slice(0, at) + `"default": ${JSON.stringify(o.gitlabRunner)}` + schemaText.slice(at + key.length);
  // The replaced text must be that default and nothing else: the rest of the schema parses the same.
  const after = JSON.parse(updated);
  const expected = structuredClone(schema);
  expected.properties.gitlabRunnerVersion.default = o.gitlabRunner;
  if (JSON.stringify(after) !== JSON.stringify(expected)) fail("schema edit went wrong; nothing was written");
  writeFileSync(schemaPath, updated);
}
Object.assign(pins.images, o.images);
if (o.packerAmazonPlugin) pins.packerAmazonPlugin = o.packerAmazonPlugin;
if (o.sessionManagerPlugin) pins.sessionManagerPlugin = o.sessionManagerPlugin;
if (o.cloudwatchAgent) pins.cloudwatchAgent = o.cloudwatchAgent;
pins.checked = checked;
writeFileSync(pinsPath, JSON.stringify(pins, null, 2) + "\n");

// The answers table shows the default: refresh it with the existing script (it needs a build: npm run build).
const table = spawnSync(process.execPath, [join(o.root, "scripts/update-readme.mjs")], {
  cwd: o.root,
  encoding: "utf8",
});
process.stdout.write(table.stdout);
if (table.status !== 0)
  fail(`the pins were written, but refreshing README.md failed (run npm run docs):\n${table.stderr}`);
process.stdout.write(
  "bump-pins: done; now run npm test and update the snapshots (npx vitest run test/snapshot.test.ts -u) in a separate commit\n",
);

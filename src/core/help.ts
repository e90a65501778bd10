import {
  answerKeys,
  answersSchema,
  isRequired,
  poolFieldKeys,
  poolFieldSchema,
  type PropertySchema,
} from "./schema.js";

/** What the pool fields are and where they are set, for --help and the README. */
export const POOL_FIELDS_NOTE =
  "one runner pool, its own Auto Scaling Group and GitLab runner; set them in the answers file (under pools:) or the interview, not as options";

export const CLI_OPTIONS: Array<[string, string]> = [
  [
    "--answers FILE",
    "answers in YAML or JSON; answers left out take their stored values (in a generated repo) or defaults",
  ],
  ["--out DIR", "folder to generate into (default: the current folder)"],
  ["--defaults", "run without an answers file: stored answers, else defaults"],
  ["--dry-run", "list what would be created, updated or removed; write nothing"],
  ["--check", "write nothing; exit 1 if regenerating would change any file (drift)"],
  ["--restore", "re-create generated files the user deleted"],
  ["--help", "this text"],
  ["--version", "the generator's version"],
];

export function typeName(s: PropertySchema): string {
  if (s.enum) return s.enum.join(" | ");
  if (s.type === "array") return `list of ${s.items?.type === "object" ? "objects" : (s.items?.type ?? "values")}`;
  if (s.type === "object") return "map of strings";
  return s.type ?? "any";
}

export function defaultText(key: string, s: PropertySchema): string {
  if (isRequired(key)) return "required";
  if (s.default === undefined) return "derived";
  if (Array.isArray(s.default) && s.default.some((x) => typeof x === "object")) return "see description";
  return JSON.stringify(s.default);
}

export function helpText(version: string): string {
  const lines = [
    `gitlab-runner-aws ${version}: generate a repo of autoscaled, self-cleaning GitLab Runners on AWS`,
    "",
    "Usage: gitlab-runner-aws --answers FILE [--out DIR] [options]",
    "       gitlab-runner-aws [--out DIR]          (in a generated repo, or a folder in it: reuse its .yo-rc.json)",
    "",
    "Options:",
    ...CLI_OPTIONS.map(([o, d]) => `  ${o.padEnd(16)} ${d}`),
    "",
    "Answers (keys of the answers file):",
  ];
  const describe = (key: string, s: PropertySchema) => {
    lines.push(`  ${key} (${typeName(s)}; ${defaultText(key, s)})`);
    lines.push(`      ${s.description ?? ""}`);
  };
  for (const key of answerKeys) describe(key, answersSchema.properties[key]);
  lines.push("", `Pool fields (keys of each item of pools: ${POOL_FIELDS_NOTE}):`);
  for (const key of poolFieldKeys) describe(key, poolFieldSchema(key));
  lines.push("", "Exit status: 0 done, 1 invalid answers or a write/merge problem (conflicts remain), 2 bad usage.");
  return lines.join("\n") + "\n";
}

const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");

/** The README's answers reference tables, derived from the schema: the shared answers, then the fields of each pool. */
export function answersTable(): string {
  const row = (key: string, s: PropertySchema) =>
    `| \`${key}\` | ${cell(typeName(s))} | ${cell(defaultText(key, s) === "required" ? "**required**" : "`" + defaultText(key, s) + "`")} | ${cell(s.description ?? "")} |`;
  return [
    "| answer | type | default | description |",
    "| --- | --- | --- | --- |",
    ...answerKeys.map((key) => row(key, answersSchema.properties[key])),
    "",
    `The fields of each item of \`pools\` (${POOL_FIELDS_NOTE}):`,
    "",
    "| pool field | type | default | description |",
    "| --- | --- | --- | --- |",
    ...poolFieldKeys.map((key) => row(key, poolFieldSchema(key))),
    "",
  ].join("\n");
}

/** One answer as an option's help line (yo --help): type, default, allowed values, explanation. */
export function optionHelp(key: string): string {
  const s = answersSchema.properties[key];
  const allowed = s.enum ? "" : (s["x-allowed"] ?? s.items?.["x-allowed"]);
  return `${typeName(s)}; default ${defaultText(key, s)}${allowed ? `; ${allowed}` : ""}. ${s.description ?? ""}`;
}

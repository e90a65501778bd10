// Part of npm run build: compiles the answers schema with ajv once, to plain
// code (dist/answers-validator.cjs), so the bin neither loads nor runs ajv's
// compiler at startup. validate.ts uses it only while its schemaText matches
// the schema it loaded; otherwise it compiles at run time as before. It also
// lists the IANA time zones Intl knows here.
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import standaloneModule from "ajv/dist/standalone/index.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const { answersAjv, PRECOMPILED_VALIDATOR } = await import(pathToFileURL(join(root, "dist/src/core/validate.js")).href);
const { answersSchema } = await import(pathToFileURL(join(root, "dist/src/core/schema.js")).href);
const standaloneCode = standaloneModule.default ?? standaloneModule;

const ajv = answersAjv({ code: { source: true } });
const code = standaloneCode(ajv, ajv.compile(answersSchema));
// The canonical IANA zones this Node knows, so validating a time zone needs no Intl at startup.
const timeZones = Intl.supportedValuesOf("timeZone");
writeFileSync(
  PRECOMPILED_VALIDATOR,
  `${code}\nmodule.exports.schemaText = ${JSON.stringify(JSON.stringify(answersSchema))};\nmodule.exports.timeZones = ${JSON.stringify(timeZones)};\n`,
);

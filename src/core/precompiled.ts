import { createRequire } from "node:module";
import { join } from "node:path";
import type { ValidateFunction } from "ajv";
import { packageRoot } from "./package-root.js";
import { answersSchema } from "./schema.js";

const require = createRequire(import.meta.url);

/** The validator the build writes (scripts/build-validator.mjs), with the schema text it was compiled from. */
export const PRECOMPILED_VALIDATOR = join(packageRoot, "dist", "answers-validator.cjs");

export type Precompiled = ValidateFunction & { schemaText?: string; timeZones?: string[] };
let precompiled: Precompiled | null | undefined;
/** The build's validator, or null when there is none or it was compiled from another schema. */
export function loadPrecompiled(): Precompiled | null {
  if (precompiled === undefined) {
    try {
      precompiled = require(PRECOMPILED_VALIDATOR) as Precompiled;
    } catch {
      precompiled = null;
    }
    if (precompiled && precompiled.schemaText !== JSON.stringify(answersSchema)) precompiled = null;
  }
  return precompiled;
}

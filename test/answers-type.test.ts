import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { packageRoot } from "../src/core/package-root.js";
import { answersSchema } from "../src/core/schema.js";
import { answersTypeSource } from "../scripts/answers-type.mjs";

describe("the Answers type", () => {
  it("is what scripts/answers-type.mjs makes of the schema (run npm run docs after changing an answer)", () => {
    const committed = readFileSync(join(packageRoot, "src/core/answers.generated.ts"), "utf8");
    expect(committed).toBe(answersTypeSource(answersSchema));
  });
});

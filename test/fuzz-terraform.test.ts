/**
 * Fuzzed valid answers, planned by the real Terraform (test/support/terraform-plan.ts):
 * whatever the answers, the repo plans clean and the plan holds every property
 * of test/support/plan-properties.ts. npm test plans 50; npm run fuzz more
 * (NUM_TF_RUNS), with the same FUZZ_SEED replay as the other properties.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { validateAnswers } from "../src/core/validate.js";
import { answersArb, fuzzParams } from "./support/arbitraries.js";
import { planProperties } from "./support/plan-properties.js";
import { planAnswers } from "./support/terraform-plan.js";

const RUNS = Number(process.env.NUM_TF_RUNS ?? 50);

describe("fuzz: real Terraform plans every valid answers object", () => {
  it(
    `plans clean, with every plan property, for ${RUNS} fuzzed answers`,
    async () => {
      let planned = 0;
      await fc.assert(
        fc.asyncProperty(answersArb, async (raw) => {
          const r = validateAnswers(raw);
          if (!r.answers) throw new Error(`the arbitrary made invalid answers: ${JSON.stringify(r.errors)}`);
          const a = r.answers;
          const result = await planAnswers(a, { validate: false });
          for (const [name, check] of planProperties) {
            try {
              check(a, result.plan, result);
            } catch (e) {
              const { message, actual, expected } = e as Error & { actual?: unknown; expected?: unknown };
              const detail =
                actual === undefined
                  ? ""
                  : `\n  actual:   ${JSON.stringify(actual)}\n  expected: ${JSON.stringify(expected)}`;
              throw new Error(`${name}: ${message}${detail}\n  answers: ${JSON.stringify(a)}`);
            }
          }
          planned++;
        }),
        { ...fuzzParams(RUNS), numRuns: RUNS, endOnFailure: true },
      );
      expect(planned).toBeGreaterThanOrEqual(RUNS);
    },
    process.env.NUM_TF_RUNS === undefined ? RUNS * 10_000 : 0,
  );
});

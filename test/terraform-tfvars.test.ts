import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { tfvars } from "../src/core/context/terraform.js";
import { stableJson } from "../src/core/escape.js";
import { poolViews } from "../src/core/pools.js";
import { tagTextProblem, validateAnswers } from "../src/core/validate.js";
import { exampleAnswers, exampleFiles, fileOf, renderAnswers, validAnswers } from "./support/tools.js";
import { TERRAFORM_DIRS, terraformSources } from "./terraform-support.js";

const base = exampleAnswers("answers.yaml");

/** Printable text that HCL, JSON or a shell would treat specially. */
const tricky = fc
  .array(
    fc.oneof(
      fc.constantFrom('"', "'", "\\", "${x}", "%{ if }", "$${", "`", "<%= 1 %>", "é", "Ω", "😀", "\u2028", " "),
      fc.string({ unit: "grapheme", maxLength: 8 }),
    ),
    { maxLength: 12 },
  )
  .map((parts) => parts.join("").replace(/[\u0000-\u001f\u007f]/g, ""));

/** At most n code points, in Unicode normal form C (Terraform normalises strings to NFC; the answers must already be). */
const clip = (s: string, n: number) => Array.from(s.normalize("NFC")).slice(0, n).join("").normalize("NFC");

describe("terraform.tfvars.json", () => {
  it.each(exampleFiles)("%s: is the stable JSON of the answers' Terraform values", (example) => {
    const a = exampleAnswers(example);
    const contents = fileOf(renderAnswers(a), "terraform/terraform.tfvars.json").contents;
    expect(contents).toBe(stableJson(tfvars(a)));
    for (const p of poolViews(a)) {
      expect(JSON.parse(contents).pools[p.name].runner_description).toBe(p.runnerDescription);
      expect(JSON.parse(contents).pools[p.name].tags).toEqual(p.tags);
    }
    expect(JSON.parse(contents).tags).toEqual(a.tags);
  });

  it("round-trips free text exactly and keeps it out of every .tf file", () => {
    fc.assert(
      fc.property(
        tricky.map((s) => `⟪${clip(s, 190)}⟫`),
        // Tags hold only what IAM accepts (letters, digits, spaces, _ . : / = + @ -); ꙮ is a letter, a marker to look for.
        fc.dictionary(
          // Letters newer than Terraform's Unicode tables are refused (tagTextProblem), so none are generated.
          fc
            .stringMatching(/^[\p{L}\p{Z}\p{N}_.:\/=+@-]{1,20}$/u)
            .filter((k) => !k.startsWith("aws:") && k.normalize("NFC") === k && !tagTextProblem(k)),
          fc
            .stringMatching(/^[\p{L}\p{Z}\p{N}_.:\/=+@-]{0,250}$/u)
            .filter((v) => v.normalize("NFC") === v && !tagTextProblem(v))
            .map((v) => `ꙮ${v}`.slice(0, 256)),
          { maxKeys: 4 },
        ),
        (description, tags) => {
          const a = validAnswers({ ...base, pools: [{ ...base.pools[0], runnerDescription: description }], tags });
          const files = renderAnswers(a);
          const vars = JSON.parse(fileOf(files, "terraform/terraform.tfvars.json").contents);
          expect(vars.pools[base.pools[0].name].runner_description).toBe(description);
          expect(vars.tags).toEqual(tags);
          for (const dir of TERRAFORM_DIRS)
            for (const f of terraformSources(files, dir))
              expect(f.src.includes("⟪") || f.src.includes("ꙮ"), f.name).toBe(false);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("cannot carry a newline in free text: the answers schema rejects it", () => {
    const description = "line one\nline two";
    expect(validateAnswers({ ...base, pools: [{ ...base.pools[0], runnerDescription: description }] }).errors).toEqual([
      expect.objectContaining({ path: "/pools/0/runnerDescription" }),
    ]);
    expect(validateAnswers({ ...base, tags: { Team: "a\nb" } }).errors.length).toBeGreaterThan(0);
  });
});

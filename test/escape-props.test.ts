import { spawnSync } from "node:child_process";
import { getExpressionAst, parse as parseHcl } from "@cdktn/hcl2json";
import fc from "fast-check";
import { micromark } from "micromark";
import { gfmAutolinkLiteral, gfmAutolinkLiteralHtml } from "micromark-extension-gfm-autolink-literal";
import { parse as parseYaml } from "yaml";
import { describe, expect, it } from "vitest";
import { hclString, markdownText, shellQuote, stableJson, yamlString } from "../src/core/escape.js";
import { fuzzParams, fuzzTimeout, HOSTILE_FRAGMENTS } from "./support/arbitraries.js";
import { requireTool } from "./support/tools.js";

/**
 * Each escaping helper, checked by the real language: the quoted form read
 * back by bash / HashiCorp's HCL parser / the YAML parser is the input, for
 * any string (hostile fragments, any Unicode, control characters).
 */

const RUNS = 200;

/** Strings a file can hold: any Unicode text (well-formed UTF-16), biased towards code-like fragments. */
const textArb = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: 30 }),
  fc.string({ unit: "binary", maxLength: 30 }).filter((s) => !/[\uD800-\uDFFF]/u.test(s)),
  fc
    .array(
      fc.oneof(
        fc.constantFrom(
          ...HOSTILE_FRAGMENTS,
          "\n",
          "\r",
          "\t",
          "\u0000",
          "\u001b",
          "\u007f",
          "\\n",
          "\\$",
          "$'",
          "'\\''",
        ),
        fc.string({ maxLength: 3 }),
      ),
      { maxLength: 10 },
    )
    .map((xs) => xs.join("")),
);

describe("escape helpers, read back by the real parsers", () => {
  it(
    "shellQuote(s) evaluated by bash (printf %s) gives s, with no command substitution",
    () => {
      requireTool("bash");
      // bash arguments and variables can't hold NUL: a NUL never reaches a script through an answer either.
      const { numRuns, seed } = fuzzParams<string>(RUNS);
      const values = fc.sample(
        textArb.filter((s) => !s.includes("\0")),
        { numRuns, seed },
      );
      values.push("", "-n", "--", "-e", "'", "$(touch /tmp/glra-pwned)", "`touch /tmp/glra-pwned`");
      // One bash process for all of them: each value printed between separators, read back and compared.
      const script = values.map((v) => `printf '%s\\0' ${shellQuote(v)}`).join("\n");
      const r = spawnSync("bash", ["--norc", "--noprofile", "-s"], {
        input: script,
        encoding: "utf8",
        maxBuffer: 1 << 28,
      });
      expect(r.error).toBeUndefined();
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      const got = r.stdout.split("\0").slice(0, -1);
      expect(got).toHaveLength(values.length);
      values.forEach((v, i) => expect(got[i], JSON.stringify(v)).toBe(v));
    },
    fuzzTimeout(2, RUNS),
  );

  it(
    "hclString(s) parsed by HashiCorp's HCL parser is a literal (no ${…} or %{…} survives) whose value is s (HCL keeps only NFC text)",
    async () => {
      await fc.assert(
        fc.asyncProperty(
          textArb.map((s) => s.normalize("NFC")),
          async (s) => {
            const quoted = hclString(s);
            const ast = await getExpressionAst("x.tf", quoted);
            expect(ast?.type).toBe("template");
            for (const part of ast?.children ?? []) expect(part.type, quoted).toBe("literalValue");
            // hcl2json returns literals as Terraform JSON-syntax strings, where ${ and %{ are written $${ and %%{.
            const parsed = (await parseHcl("x.tf", `x = ${quoted}\n`)) as { x: string };
            expect(parsed.x.replace(/\$\$\{/g, "${").replace(/%%\{/g, "%{"), quoted).toBe(s);
          },
        ),
        fuzzParams(RUNS),
      );
    },
    fuzzTimeout(20, RUNS),
  );

  it("escapes interpolation and directives in HCL, quotes in YAML, and every shell metacharacter", () => {
    expect(hclString("${var.x} %{ if true }")).toBe('"$${var.x} %%{ if true }"');
    expect(yamlString("a: b # c")).toBe('"a: b # c"');
    expect(shellQuote("$(id)")).toBe("'$(id)'");
    expect(shellQuote("it's")).toBe("'it'\\''s'");
  });

  it("yamlString(s) parsed by yaml (YAML 1.2 and 1.1) gives s, as a value and as a key", () => {
    fc.assert(
      fc.property(textArb, (s) => {
        const q = yamlString(s);
        for (const version of ["1.2", "1.1"] as const) {
          expect(parseYaml(`k: ${q}\n`, { version, strict: true, uniqueKeys: true }), q).toEqual({ k: s });
          expect(parseYaml(`- ${q}\n`, { version }), q).toEqual([s]);
          expect(parseYaml(`${q}: v\n`, { version }), q).toEqual({ [s]: "v" });
        }
      }),
      fuzzParams(RUNS * 2),
    );
  });

  it("markdownText(s) rendered by a CommonMark parser (micromark, markdownlint's, with GFM autolinks) is the text s, no markup", () => {
    const html = (s: string) =>
      s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
    fc.assert(
      fc.property(
        textArb.filter((s) => !/[\u0000-\u001f\u007f]/.test(s)),
        (s) => {
          const rendered = micromark(markdownText(s), {
            extensions: [gfmAutolinkLiteral()],
            htmlExtensions: [gfmAutolinkLiteralHtml()],
          });
          expect(rendered, JSON.stringify(s)).toBe(s === "" ? "" : `<p>${html(s)}</p>`);
        },
      ),
      fuzzParams(RUNS),
    );
  });

  it("stableJson(v) parses back to v with keys sorted", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const text = stableJson(v);
        expect(text.endsWith("\n")).toBe(true);
        expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(v)));
        expect(stableJson(JSON.parse(text))).toBe(text);
      }),
      fuzzParams(RUNS),
    );
  });
});

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { mergeText, planRegeneration } from "../src/core/update.js";
import type { RenderedFile } from "../src/core/types.js";
import { writeFilesAtomically } from "../src/core/write.js";
import { sides } from "./support/regen.js";

type Edit = { at: number; kind: "replace" | "delete" | "insert" };

/** Apply edits to base lines; every line an edit adds is `${tag}-${n}`, unique, so its fate can be traced. */
function applyEdits(base: string[], edits: Edit[], tag: string): string[] {
  const out = [...base];
  let n = 0;
  for (const e of edits) {
    if (out.length === 0 && e.kind !== "insert") continue;
    const i = e.at % Math.max(out.length, 1);
    if (e.kind === "replace") out[i] = `${tag}-${n++}`;
    else if (e.kind === "delete") out.splice(i, 1);
    else out.splice(e.at % (out.length + 1), 0, `${tag}-${n++}`);
  }
  return out;
}

const text = (ls: string[]) => ls.map((l) => l + "\n").join("");
const linesOf = (t: string) => t.split("\n").filter((l) => l !== "");

const edits = fc.array(
  fc.record({ at: fc.nat(200), kind: fc.constantFrom<Edit["kind"]>("replace", "delete", "insert") }),
  { maxLength: 6 },
);
const scenario = fc.record({ size: fc.integer({ min: 0, max: 30 }), user: edits, generator: edits });

/** Lines added by a side are all in the result, in order; base lines it deleted are not. */
function expectSideKept(result: string, base: string[], side: string[], tag: string) {
  const got = linesOf(result);
  const added = side.filter((l) => l.startsWith(tag + "-"));
  expect(got.filter((l) => l.startsWith(tag + "-"))).toEqual(added);
  for (const l of base) if (!side.includes(l)) expect(got).not.toContain(l);
}

describe("no user edit is ever lost silently", () => {
  it("through planRegeneration: each user edit is in the file, or the file is a reported conflict whose 'yours' side has it", () => {
    const root = mkdtempSync(join(tmpdir(), "glra-prop-"));
    let run = 0;
    fc.assert(
      fc.property(scenario, ({ size, user, generator }) => {
        const dir = join(root, String(run++));
        const base = Array.from({ length: size }, (_, i) => `line-${i}`);
        const mine = applyEdits(base, user, "user");
        const next = applyEdits(base, generator, "gen");
        const file = (lines: string[]): RenderedFile[] => [{ path: "conf/f.txt", contents: text(lines), mode: 0o644 }];

        const first = planRegeneration(dir, file(base));
        writeFilesAtomically(dir, first.writes, first.removes);
        writeFileSync(join(dir, "conf/f.txt"), text(mine));
        const plan = planRegeneration(dir, file(next));
        writeFilesAtomically(dir, plan.writes, plan.removes);
        const result = readFileSync(join(dir, "conf/f.txt"), "utf8");
        const status = plan.outcomes.find((o) => o.path === "conf/f.txt")!.status;

        if (text(mine) === text(base)) expect(result).toBe(text(next));
        if (text(next) === text(base)) expect(result).toBe(text(mine));
        if (status === "conflicted") {
          expect(plan.conflicts).toEqual(["conf/f.txt"]);
          const s = sides(result);
          expect(s.blocks).toBeGreaterThan(0);
          expectSideKept(s.yours, base, mine, "user");
          expectSideKept(s.generator, base, next, "gen");
        } else {
          expect(["unchanged", "updated", "merged", "kept"]).toContain(status);
          expect(plan.conflicts).toEqual([]);
          expect(result).not.toMatch(/^(<<<<<<<|=======|>>>>>>>)/m);
          expectSideKept(result, base, mine, "user");
          expectSideKept(result, base, next, "gen");
        }
        // Regenerating again with the same output changes nothing.
        expect(planRegeneration(dir, file(next)).writes).toEqual([]);
        rmSync(dir, { recursive: true });
      }),
      { numRuns: 150 },
    );
  });

  it("mergeText: when either side is the base, the other side wins without a conflict", () => {
    fc.assert(
      fc.property(scenario, ({ size, user }) => {
        const base = Array.from({ length: size }, (_, i) => `line-${i}`);
        const mine = text(applyEdits(base, user, "user"));
        expect(mergeText(mine, text(base), text(base))).toEqual({ text: mine, conflicts: 0 });
        expect(mergeText(text(base), text(base), mine)).toEqual({ text: mine, conflicts: 0 });
        expect(mergeText(mine, text(base), mine)).toEqual({ text: mine, conflicts: 0 });
      }),
    );
  });

  it("mergeText keeps a last line without a newline apart from the markers", () => {
    const m = mergeText("a\nmine", "a\nbase", "a\ntheirs");
    expect(m.conflicts).toBe(1);
    expect(m.text).toBe("a\n<<<<<<< yours\nmine\n||||||| base\nbase\n=======\ntheirs\n>>>>>>> generator\n");
  });
});

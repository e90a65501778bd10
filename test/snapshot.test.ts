import { describe, expect, it } from "vitest";
import { exampleFiles, renderExample } from "./support/tools.js";

/**
 * The rendered tree of every example, file by file, under
 * test/__snapshots__/EXAMPLE/. A template change shows up as a reviewable diff
 * of the generated repo; `npx vitest run test/snapshot.test.ts -u` accepts it.
 * The real checks of the output are in the other test files.
 */
describe.each(exampleFiles)("render snapshot of examples/%s", (example) => {
  const files = renderExample(example);
  it("lists the same files", async () => {
    await expect(files.map((f) => `${f.mode.toString(8)} ${f.path}`).join("\n") + "\n").toMatchFileSnapshot(
      `__snapshots__/${example}/FILES`,
    );
  });
  it.each(files.map((f) => [f.path, f] as const))("%s", async (_path, f) => {
    await expect(f.contents).toMatchFileSnapshot(`__snapshots__/${example}/${f.path}.snap`);
  });
});

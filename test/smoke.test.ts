import { describe, expect, it } from "vitest";
import { exampleFiles, renderExample } from "./support/tools.js";

describe("examples render", () => {
  it.each(exampleFiles)("%s renders the stored answers file", (file) => {
    const files = renderExample(file);
    expect(files.map((f) => f.path)).toContain(".yo-rc.json");
  });
});

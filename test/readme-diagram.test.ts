import { JSDOM } from "jsdom";
import { beforeAll, describe, expect, it } from "vitest";
import { exampleAnswers, exampleFiles, fileOf, renderAnswers } from "./support/tools.js";

/**
 * The README's diagram must render where the README is read. GitLab bundled
 * Mermaid 10 until its 19.0 release (Mermaid 11 came with 19.0, and
 * `architecture-beta` needs 11.1), and self-managed instances on 18.x are
 * common, so the diagram is a flowchart and this test parses it with Mermaid
 * 10's own parser (jsdom stands in for the browser it expects).
 */
type Mermaid = typeof import("mermaid").default;
interface FlowDb {
  getVertices(): Record<string, { text: string }>;
  getEdges(): Array<{ start: string; end: string; text: string; type: string }>;
  getSubGraphs(): Array<{ id: string; title: string; nodes: string[] }>;
}

let mermaid: Mermaid;
beforeAll(async () => {
  const { window } = new JSDOM("");
  Object.assign(globalThis, { window, document: window.document });
  mermaid = (await import("mermaid")).default;
});

const mermaidBlocks = (text: string) => [...text.matchAll(/^```mermaid\n([\s\S]*?)^```$/gm)].map((m) => m[1]);

describe("the Mermaid version GitLab 18 bundles", () => {
  it("is 10.x, which has no architecture-beta diagrams (why the README draws a flowchart)", async () => {
    expect((await import("mermaid/package.json", { with: { type: "json" } })).default.version).toMatch(/^10\./);
    await expect(mermaid.parse("architecture-beta\n  service a(server)[A]\n")).rejects.toThrow(
      /No diagram type detected/,
    );
    await expect(mermaid.parse("flowchart LR\n  a -->|x b\n")).rejects.toThrow(/Parse error/);
  });
});

describe.each(exampleFiles)("README.md diagram of examples/%s", (example) => {
  const answers = exampleAnswers(example);
  const text = fileOf(renderAnswers(answers), "README.md").contents;

  it("is one flowchart that Mermaid 10 parses, wired Packer -> AMI -> launch template -> ASG -> runners <-> GitLab", async () => {
    const blocks = mermaidBlocks(text);
    expect(blocks).toHaveLength(1);
    expect(await mermaid.parse(blocks[0])).toBe(true);
    const diagram = await mermaid.mermaidAPI.getDiagramFromText(blocks[0]);
    expect(diagram.type).toBe("flowchart-v2");
    const db = diagram.db as unknown as FlowDb;
    const vertices = db.getVertices();
    const edges = db.getEdges();
    for (const e of edges)
      expect(Object.keys(vertices), `${e.start} -> ${e.end}`).toEqual(expect.arrayContaining([e.start, e.end]));
    const edge = (a: string, b: string) => edges.find((e) => e.start === a && e.end === b);
    for (const [a, b] of [
      ["pipeline", "packer"],
      ["packer", "ami"],
      ["ami", "lt"],
      ["lt", "asg"],
      ["asg", "runners"],
      ["runners", "gitlab"],
      ["ssm", "runners"],
      ["schedules", "asg"],
      ["hook", "asg"],
    ])
      expect(edge(a, b), `${a} -> ${b}`).toBeTruthy();
    // Logs off the box, the alarms (and their topic when answered), AMI retention.
    for (const [a, b] of [
      ["runners", "logs"],
      ["runners", "alarms"],
      ["asg", "alarms"],
      ["pipeline", "ami"],
    ])
      expect(edge(a, b), `${a} -> ${b}`).toBeTruthy();
    expect(edge("pipeline", "ami")!.text).toContain(`newest ${answers.amiRetentionCount}`);
    expect(Boolean(edge("alarms", "sns"))).toBe(answers.alarmSnsTopicArn !== "");
    expect(edge("runners", "gitlab")!.type).toBe("double_arrow_point");
    expect(vertices.lt.text).toBe(answers.useLaunchConfiguration ? "Launch configuration" : "Launch template");
    const [aws] = db.getSubGraphs();
    expect(aws.title).toBe(`AWS account ${answers.ciRoleArn.split(":")[4]} in ${answers.awsRegion}`);
    expect([...aws.nodes].sort()).toEqual(
      [
        "alarms",
        "ami",
        "asg",
        ...(answers.cacheS3 ? ["cache"] : []),
        "hook",
        "logs",
        "lt",
        "packer",
        "runners",
        "schedules",
        "ssm",
        ...(answers.alarmSnsTopicArn ? ["sns"] : []),
      ].sort(),
    );
    if (answers.cacheS3) expect(edge("runners", "cache")!.type).toBe("double_arrow_point");
    expect(vertices.asg.text.includes("Spot")).toBe(answers.onDemandPercentageAboveBase < 100);
  });
});

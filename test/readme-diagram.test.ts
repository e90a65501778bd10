import { JSDOM } from "jsdom";
import { beforeAll, describe, expect, it } from "vitest";
import { architectures } from "../src/core/context/ami.js";
import { poolViews } from "../src/core/pools.js";
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

  it("is one flowchart that Mermaid 10 parses, wired Packer -> AMI -> launch template -> ASG -> runners <-> GitLab, one ASG per pool", async () => {
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
    const pools = poolViews(answers);
    const archs = architectures(answers);
    // One node set per pool (suffixed _1, _2, … when there are several), one AMI per architecture.
    const x = (i: number) => (pools.length === 1 ? "" : `_${i + 1}`);
    const amiOf = (arch: string) => (archs.length === 1 ? "ami" : `ami_${arch}`);
    for (const arch of archs) {
      expect(edge("packer", amiOf(arch)), `packer -> ${amiOf(arch)}`).toBeTruthy();
      expect(edge("pipeline", amiOf(arch))!.text).toContain(`newest ${answers.amiRetentionCount}`);
    }
    expect(edge("pipeline", "packer")).toBeTruthy();
    pools.forEach((p, i) => {
      const [lt, asg, runners, ssm, schedules, hook] = ["lt", "asg", "runners", "ssm", "schedules", "hook"].map(
        (n) => n + x(i),
      );
      for (const [a, b] of [
        [amiOf(p.architecture), lt],
        [lt, asg],
        [asg, runners],
        [runners, "gitlab"],
        [ssm, runners],
        [hook, asg],
        [runners, "logs"],
        [runners, "alarms"],
        [asg, "alarms"],
      ])
        expect(edge(a, b), `${a} -> ${b}`).toBeTruthy();
      expect(Boolean(edge(schedules, asg))).toBe(p.schedules.length > 0);
      expect(edge(runners, "gitlab")!.type).toBe("double_arrow_point");
      expect(vertices[lt].text).toBe(answers.useLaunchConfiguration ? "Launch configuration" : "Launch template");
      expect(vertices[asg].text.includes("Spot")).toBe(p.onDemandPercentageAboveBase < 100);
      if (answers.cacheS3) expect(edge(runners, "cache")!.type).toBe("double_arrow_point");
    });
    expect(Boolean(edge("alarms", "sns"))).toBe(answers.alarmSnsTopicArn !== "");
    const graphs = db.getSubGraphs();
    const aws = graphs.find((g) => g.id === "aws")!;
    expect(aws.title).toBe(`AWS account ${answers.ciRoleArn.split(":")[4]} in ${answers.awsRegion}`);
    const poolNodes = (p: (typeof pools)[number], i: number) =>
      ["lt", "asg", "runners", "ssm", ...(p.schedules.length ? ["schedules"] : []), "hook"].map((n) => n + x(i));
    const shared = [
      "alarms",
      ...archs.map(amiOf),
      ...(answers.cacheS3 ? ["cache"] : []),
      "logs",
      "packer",
      ...(answers.alarmSnsTopicArn ? ["sns"] : []),
    ];
    if (pools.length === 1) expect([...aws.nodes].sort()).toEqual([...shared, ...poolNodes(pools[0], 0)].sort());
    else {
      // Each pool is a subgraph of the account, titled with its name, holding its own nodes.
      expect([...aws.nodes].sort()).toEqual([...shared, ...pools.map((_, i) => `pool_${i + 1}`)].sort());
      pools.forEach((p, i) => {
        const g = graphs.find((s) => s.id === `pool_${i + 1}`)!;
        expect(g.title).toBe(`Pool ${p.name}`);
        expect([...g.nodes].sort()).toEqual(poolNodes(p, i).sort());
      });
    }
  });
});

import * as fc from "fast-check";
import { lint } from "markdownlint/promise";
import { micromark } from "micromark";
import * as prettier from "prettier";
import { describe, expect, it } from "vitest";
import { cronToWords, featureCosts, weeklyHours } from "../src/core/context/docs.js";
import { poolCost, poolSpot } from "../src/core/context/capacity.js";
import { namesContext, poolNames } from "../src/core/context/names.js";
import { scheduleSizes } from "../src/core/context/terraform.js";
import { markdownText } from "../src/core/escape.js";
import { poolViews } from "../src/core/pools.js";
import type { Answers, Schedule } from "../src/core/types.js";
import { exampleAnswers, exampleFiles, fileOf, renderAnswers, validAnswers, withPool } from "./support/tools.js";

/**
 * markdownlint's defaults, except MD013 (line length): the README's shell
 * commands, table rows and generated sentences cannot be wrapped without
 * changing them, and prettier (proseWrap: preserve) leaves lines as written.
 */
const lintConfig = { default: true, MD013: false };

async function lintErrors(text: string) {
  const r = await lint({ strings: { readme: text }, config: lintConfig });
  return r.readme.map((e) => `${e.lineNumber} ${e.ruleNames.join("/")} ${e.errorDetail ?? ""} ${e.errorContext ?? ""}`);
}

const readmeOf = (a: Answers) => fileOf(renderAnswers(a), "README.md").contents;

describe.each(exampleFiles)("README.md of examples/%s", (example) => {
  const answers = exampleAnswers(example);
  const text = readmeOf(answers);

  it("passes markdownlint", async () => {
    expect(await lintErrors(text)).toEqual([]);
  });

  it("is formatted as prettier formats Markdown", async () => {
    expect(await prettier.format(text, { parser: "markdown" })).toBe(text);
  });

  const pools = poolViews(answers);
  const schedulesSection = text.split("\n## Schedules\n")[1].split("\n## ")[0];
  /** The part of the Schedules section about one pool: all of it for a single pool. */
  const schedulesOf = (name: string) =>
    pools.length === 1 ? schedulesSection : schedulesSection.split(`\n### Pool \`${name}\`\n`)[1].split("\n### ")[0];

  it.each(pools.map((p) => [p.name, p] as const))(
    "pool %s: tables the schedules with the sizes Terraform gets, in the answered time zone",
    (_, pool) => {
      const lines = schedulesOf(pool.name).split("\n");
      const at = lines.findIndex((l) => l.startsWith("| Scheduled action"));
      if (pool.schedules.length === 0) {
        expect(at).toBe(-1);
        expect(lines).toContain(
          `There are no scheduled actions: the group stays at ${pool.asgDesiredCapacity} desired instance${pool.asgDesiredCapacity === 1 ? "" : "s"}.`,
        );
        return;
      }
      expect(lines[at]).toContain(`When (${markdownText(answers.timeZone)})`);
      const table = lines.slice(at + 2, lines.indexOf("", at));
      const rows = table
        .filter((l) => /^\| `[a-z]/.test(l))
        .map((l) =>
          l
            .split("|")
            .slice(1, -1)
            .map((c) => c.trim()),
        );
      expect(rows.map((r) => r[0])).toEqual(pool.schedules.map((s) => "`" + s.name + "`"));
      pool.schedules.forEach((s, i) => {
        const z = scheduleSizes(pool, s);
        expect(rows[i].slice(1)).toEqual([
          cronToWords(s.recurrence),
          String(z.min_size),
          String(z.max_size),
          String(z.desired_capacity),
        ]);
      });
    },
  );

  it("tables the pools: tags, types, sizes, schedules, executor, weekly hours and the monthly estimate, with a total", () => {
    const lines = text.split("\n");
    const at = lines.findIndex((l) => l.startsWith("| Pool "));
    const cells = (l: string) =>
      l
        .split("|")
        .slice(1, -1)
        .map((c) => c.trim());
    const header = cells(lines[at]);
    const rows = lines.slice(at + 2, lines.indexOf("", at)).map(cells);
    const col = (row: string[], name: string) => row[header.indexOf(name)];
    expect(rows.slice(0, pools.length).map((r) => r[0])).toEqual(pools.map((p) => "`" + p.name + "`"));
    let hours = 0;
    let low = 0;
    let high = 0;
    pools.forEach((p, i) => {
      const row = rows[i];
      const h = weeklyHours(p).scheduled;
      const cost = poolCost(p, h);
      hours += h;
      low += cost.low ?? 0;
      high += cost.high ?? 0;
      expect(col(row, "Instances")).toBe(`${p.instanceTypes.map((t) => "`" + t + "`").join(", ")} (${p.architecture})`);
      expect([col(row, "Min"), col(row, "Desired"), col(row, "Max")]).toEqual(
        [p.asgMinSize, p.asgDesiredCapacity, p.asgMaxSize].map(String),
      );
      expect(col(row, "Instance-hours a week")).toBe(String(h));
      expect(col(row, "Executor")).toMatch(new RegExp(`^${p.executor}`));
      for (const tag of p.runnerTags) expect(col(row, "Jobs (runner tags)")).toContain("`" + tag + "`");
      expect(col(row, "Jobs (runner tags)").includes("untagged")).toBe(p.runUntagged || p.runnerTags.length === 0);
      expect(col(row, "Schedules")).toBe(
        p.schedules.length ? p.schedules.map((s) => "`" + s.name + "`").join(", ") : "none: always on",
      );
      const money = (x: number) => `$${x.toFixed(2)}`;
      if (cost.low === undefined) expect(col(row, "Per month (estimate)")).toMatch(/^n\/a/);
      else
        expect(col(row, "Per month (estimate)")).toBe(
          cost.low === cost.high ? money(cost.low) : `${money(cost.low)}–${money(cost.high!)}`,
        );
      // Spot lowers the estimate by its usual saving on the Spot share only.
      expect(cost.low === cost.high).toBe(poolSpot(p).share === 0 || cost.low === undefined);
    });
    if (pools.length > 1) {
      const total = rows[pools.length];
      expect(total[0]).toBe("**Total**");
      expect(col(total, "Instance-hours a week")).toBe(String(Math.round(hours * 10) / 10));
      expect(col(total, "Per month (estimate)")).toContain(`$${(Math.round(low * 100) / 100).toFixed(2)}`);
      expect(col(total, "Per month (estimate)")).toContain(`$${(Math.round(high * 100) / 100).toFixed(2)}`);
    } else expect(rows).toHaveLength(1);
  });

  it("documents the logs, disk hygiene, AMI retention and alarms with the answers, and lists every alarm alarms.tf declares", () => {
    const names = namesContext(answers);
    const section = text.split("\n## Logs, alarms and hygiene\n")[1].split("\n## ")[0];
    expect(section).toContain(
      `\`${names.logGroupName}\`: one stream per instance id, kept ${answers.logRetentionDays} days`,
    );
    if (answers.logKmsKeyArn) expect(section).toContain(`encrypted with \`${answers.logKmsKeyArn}\``);
    else expect(section).not.toContain("encrypted with");
    expect(section).toContain(`above ${answers.diskPruneThresholdPercent} %`);
    expect(section).toContain(`keeps the newest ${answers.amiRetentionCount} AMIs`);
    expect(section).toContain(
      answers.alarmSnsTopicArn ? `notifying \`${answers.alarmSnsTopicArn}\`` : "no notification",
    );
    const alarmsTf = fileOf(renderAnswers(answers), "terraform/modules/runner-pool/alarms.tf").contents;
    const declared = [...alarmsTf.matchAll(/alarm_name\s+= "\$\{local\.name\}-([a-z-]+)"/g)].map((m) => m[1]);
    const planned = pools.flatMap((p) =>
      declared
        .filter((x) => x !== "busy-slots-missing" || p.scalingPolicy === "jobs")
        .map((x) => `${poolNames(p).name}-${x}`),
    );
    const listed = [...section.matchAll(/^\| `([a-z0-9-]+)`/gm)].map((m) => m[1]);
    expect(listed.sort()).toEqual(planned.sort());
    // The runbook's Logs Insights query follows one instance's stream of this group.
    const runbook = text.split("\n### Follow one instance in the logs\n")[1].split("\n### ")[0];
    expect(runbook).toContain(`on \`${names.logGroupName}\``);
    expect(runbook).toMatch(/^\| filter @logStream = "i-[0-9a-f]+"$/m);
  });

  it("gives the CI role Auto Scaling on every pool's group", () => {
    const json = /^cat >ci-permissions\.json <<'EOF'\n([\s\S]*?)^EOF$/m.exec(text)![1];
    const resources = (JSON.parse(json).Statement as { Resource: string | string[] }[]).flatMap((st) => st.Resource);
    for (const p of pools)
      expect(resources).toContainEqual(
        expect.stringMatching(new RegExp(`:autoScalingGroupName/${poolNames(p).asgName}$`)),
      );
  });

  it("prices each new feature per month at these answers", () => {
    const hours = Math.round(pools.reduce((t, p) => t + weeklyHours(p).scheduled, 0) * 10) / 10;
    const costs = featureCosts(answers, hours);
    expect(costs.map((c) => c.feature)).toEqual(["Logs in CloudWatch", "Disk hygiene", "AMI retention", "Alarms"]);
    const section = text.split("\n## Costs\n")[1].split("\n## ")[0];
    for (const c of costs)
      expect(section).toMatch(new RegExp(`^\\| ${c.feature} +\\| ${c.monthly.replace(/[$.]/g, "\\$&")} +\\|`, "m"));
    // Five alarm metrics per pool, two more where the pool scales on busy job slots.
    const metrics = pools.reduce((t, p) => t + 5 + (p.scalingPolicy === "jobs" ? 2 : 0), 0);
    expect(costs.find((c) => c.feature === "Alarms")!.monthly).toBe(`$${(metrics * 0.1).toFixed(2)}`);
  });

  it("states each pool's weekly instance-hours, and what its schedules save", () => {
    const costs = text.split("\n## Costs\n")[1].split("\n## ")[0];
    for (const p of pools) {
      const h = weeklyHours(p);
      const line = pools.length === 1 ? costs : costs.split("\n").find((l) => l.startsWith(`- \`${p.name}\`: `))!;
      if (p.schedules.length) {
        expect(line).toContain(`runs ${h.scheduled} instance-hours a week instead of ${h.alwaysOn}`);
        expect(line).toContain(`save ${h.saved} instance-hours a week`);
      } else expect(line).toContain(`runs ${h.alwaysOn} instance-hours a week at ${p.asgDesiredCapacity} desired`);
    }
  });

  it("takes its commands' values from the answers, leaving only what cannot be known as variables", () => {
    for (const v of [
      ...pools.map((p) => p.tokenSsmParameter),
      answers.tokenKmsKeyId,
      answers.awsRegion,
      answers.projectName,
    ])
      expect(text).toContain(v);
    const [, partition, , , account] = answers.ciRoleArn.split(":");
    expect(text).toContain(
      `"Federated": "arn:${partition}:iam::${account}:oidc-provider/${answers.gitlabUrl.replace(/^https:\/\//, "").replace(/\/$/, "")}"`,
    );
    expect(text).toContain(':ref_type:branch:ref:${DEFAULT_BRANCH}"');
    expect(text).toContain("GITLAB_PROJECT_PATH=group/project");
    expect(text).toMatch(
      answers.registrationMode === "authentication-token" ? /\/api\/v4\/user\/runners/ : /registration token/,
    );
    for (const p of pools) expect(text).toContain(`--auto-scaling-group-name ${poolNames(p).asgName}`);
    expect(text).not.toMatch(/TODO|FIXME|<your|CHANGEME/i);
  });
});

describe("the three-pool example's figures, worked out by hand", () => {
  // US East list prices per hour: t3.medium $0.0416, m7g.xlarge $0.1632, t3.small $0.0208; gp3 $0.08/GB-month;
  // 52/12 weeks a month, 730 hours a month. docker-small: 2 instances 06:30-19:30 on weekdays = 130 h a week,
  // 130 × 52/12 × 0.0416 + 130 × 52/12 / 730 × 40 × 0.08 = 25.90. arm64-large: 1 Spot instance, 65 h a week,
  // 65 × 52/12 × 0.1632 × (1 - 0.9 .. 1 - 0.6) + 65 × 52/12 / 730 × 100 × 0.08 = 7.68 .. 21.47.
  // shell-deploy: 1 instance always on, 168 h: 168 × 52/12 × 0.0208 + 168 × 52/12 / 730 × 40 × 0.08 = 18.33.
  const text = readmeOf(exampleAnswers("three-pools.yaml"));
  const row = (pool: string) =>
    text
      .split("\n")
      .find((l) => l.startsWith(`| ${pool} `))!
      .split("|")
      .slice(1, -1)
      .map((c) => c.trim());

  it.each([
    ["`docker-small`", "130", "$25.90"],
    ["`arm64-large`", "65", "$7.68–$21.47"],
    ["`shell-deploy`", "168", "$18.33"],
    ["**Total**", "363", "$51.91–$65.70"],
  ])("%s: %s instance-hours a week, %s a month", (pool, hours, cost) => {
    expect(row(pool).slice(-2)).toEqual([hours, cost]);
  });
});

describe("free text in the README", () => {
  const hostile = [
    "<script>alert(1)</script>",
    "*bold* _em_ [link](https://evil.example) ![i](x)",
    "# heading | cell |",
    "`code` ``` ~~~",
    "1. list",
    "a  b  ",
    " lead",
    "&amp; &#x41;",
    "back\\slash",
  ];

  // Tag values can hold none of these (IAM's character rule); the runner description can.
  it.each(hostile)("a runner description %j stays text: lint-clean, prettier-stable, no HTML", async (s) => {
    const answers = validAnswers(withPool(exampleAnswers("answers.yaml"), { runnerDescription: s }));
    const text = readmeOf(answers);
    expect(await lintErrors(text)).toEqual([]);
    expect(await prettier.format(text, { parser: "markdown" })).toBe(text);
    const html = micromark(text);
    expect(html).not.toMatch(/<script|<a href="https:\/\/evil|<img/);
  });

  it("markdownText renders to exactly the text it was given, and prettier leaves it alone", async () => {
    const htmlText = (s: string) =>
      s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
    await fc.assert(
      fc.asyncProperty(
        fc.string({
          unit: fc.constantFrom(..."ab *_`[]()<>#!|\\&;.-+=~\"'\u00a0\u3000é—"),
          minLength: 1,
          maxLength: 30,
        }),
        async (s) => {
          const md = `Text: ${markdownText(s)}\n`;
          expect(micromark(md)).toBe(`<p>Text: ${htmlText(s)}</p>\n`);
          expect(await prettier.format(md, { parser: "markdown" })).toBe(md);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("cron in words", () => {
  it.each([
    ["30 19 * * MON-FRI", "Mon–Fri at 19:30"],
    ["0 7 * * 1-5", "Mon–Fri at 07:00"],
    ["0 0 * * SAT", "Sat at 00:00"],
    ["15 8 * * *", "daily at 08:15"],
    ["0 6 * * SAT,SUN", "Sat, Sun at 06:00"],
    ["0 6 * * 0,6", "Sat, Sun at 06:00"],
    ["0 6 * * 7", "Sun at 06:00"],
    ["0 6,18 * * MON,WED,FRI", "Mon, Wed, Fri at 06:00, 18:00"],
    ["0 4 1 * *", "daily at 04:00, on day 1 of the month"],
    ["0 4 1 * MON", "Mon at 04:00, on day 1 of the month (either day matches)"],
    ["*/15 9-17 * * MON-FRI", "Mon–Fri at minute 0,15,30,45 of hour 9,10,11,12,13,14,15,16,17"],
  ])("%s is %s", (cron, words) => expect(cronToWords(cron)).toBe(words));
});

describe("weekly instance-hours", () => {
  const base = exampleAnswers("minimal.json");
  const withSchedules = (schedules: Schedule[], desired = 2) =>
    weeklyHours(
      poolViews(
        validAnswers(
          withPool(base, {
            scalingPolicy: "none",
            asgMinSize: 0,
            asgDesiredCapacity: desired,
            asgMaxSize: 10,
            schedules,
          }),
        ),
      )[0],
    );

  it("the default schedules: weekdays 06:30 to 19:30", () => {
    expect(withSchedules(base.pools[0].schedules)).toEqual({
      alwaysOn: 336,
      scheduled: 130,
      saved: 206,
      notWeekly: [],
    });
  });

  it("no schedules: always on", () => {
    expect(withSchedules([])).toEqual({ alwaysOn: 336, scheduled: 336, saved: 0, notWeekly: [] });
  });

  it("an action holds across the end of the week until the next one", () => {
    const r = withSchedules([
      { name: "off", recurrence: "0 20 * * FRI", desiredCapacity: 0, minSize: 0, maxSize: 0 },
      { name: "on", recurrence: "0 8 * * MON", desiredCapacity: 3 },
    ]);
    expect(r.scheduled).toBe(3 * (4 * 24 + 12));
    expect(r.saved).toBe(336 - 3 * 108);
  });

  it("actions that do not repeat weekly are left out and named", () => {
    const r = withSchedules([
      { name: "monthly", recurrence: "0 0 1 * *", desiredCapacity: 0 },
      { name: "evening", recurrence: "0 18 * * *", desiredCapacity: 1 },
    ]);
    expect(r.notWeekly).toEqual(["monthly"]);
    expect(r.scheduled).toBe(168);
  });

  it("saved hours are always-on minus scheduled, for any weekly schedules (property)", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            h: fc.integer({ min: 0, max: 23 }),
            m: fc.integer({ min: 0, max: 59 }),
            d: fc.integer({ min: 0, max: 6 }),
            n: fc.integer({ min: 0, max: 5 }),
          }),
          { minLength: 1, maxLength: 6 },
        ),
        (items) => {
          const schedules = items.map((x, i) => ({
            name: `s${i}`,
            recurrence: `${x.m} ${x.h} * * ${x.d}`,
            desiredCapacity: x.n,
            maxSize: 10,
          }));
          const r = withSchedules(schedules);
          expect(r.scheduled).toBeGreaterThanOrEqual(0);
          expect(r.scheduled).toBeLessThanOrEqual(5 * 168 + 0.05);
          expect(r.saved).toBeCloseTo(r.alwaysOn - r.scheduled, 5);
          if (items.every((x) => x.n === 0)) expect(r.scheduled).toBe(0);
          if (items.every((x) => x.n === items[0].n)) expect(r.scheduled).toBeCloseTo(items[0].n * 168, 5);
        },
      ),
      { numRuns: 200 },
    );
  });
});

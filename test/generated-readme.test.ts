import * as fc from "fast-check";
import { lint } from "markdownlint/promise";
import { micromark } from "micromark";
import * as prettier from "prettier";
import { describe, expect, it } from "vitest";
import { cronToWords, featureCosts, weeklyHours } from "../src/core/context/docs.js";
import { namesContext } from "../src/core/context/names.js";
import { scheduleSizes } from "../src/core/context/terraform.js";
import { markdownText } from "../src/core/escape.js";
import type { Answers } from "../src/core/types.js";
import { exampleAnswers, exampleFiles, fileOf, renderAnswers, validAnswers } from "./support/tools.js";

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

  it("tables the schedules with the sizes Terraform gets, in the answered time zone", () => {
    const lines = text.split("\n");
    const at = lines.findIndex((l) => l.startsWith("| Scheduled action"));
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
    expect(rows.map((r) => r[0])).toEqual(answers.schedules.map((s) => "`" + s.name + "`"));
    answers.schedules.forEach((s, i) => {
      const z = scheduleSizes(answers, s);
      expect(rows[i].slice(1)).toEqual([
        cronToWords(s.recurrence),
        String(z.min_size),
        String(z.max_size),
        String(z.desired_capacity),
      ]);
    });
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
    const planned = declared.filter((x) => x !== "busy-slots-missing" || answers.scalingPolicy === "jobs");
    const listed = [...section.matchAll(new RegExp(`^\\| \`${answers.projectName}-([a-z-]+)\``, "gm"))].map(
      (m) => m[1],
    );
    expect(listed.sort()).toEqual(planned.sort());
    // The runbook's Logs Insights query follows one instance's stream of this group.
    const runbook = text.split("\n### Follow one instance in the logs\n")[1].split("\n### ")[0];
    expect(runbook).toContain(`on \`${names.logGroupName}\``);
    expect(runbook).toMatch(/^\| filter @logStream = "i-[0-9a-f]+"$/m);
  });

  it("prices each new feature per month at these answers", () => {
    const costs = featureCosts(answers, weeklyHours(answers).scheduled);
    expect(costs.map((c) => c.feature)).toEqual(["Logs in CloudWatch", "Disk hygiene", "AMI retention", "Alarms"]);
    const section = text.split("\n## Costs\n")[1].split("\n## ")[0];
    for (const c of costs)
      expect(section).toMatch(new RegExp(`^\\| ${c.feature} +\\| ${c.monthly.replace(/[$.]/g, "\\$&")} +\\|`, "m"));
    expect(costs.find((c) => c.feature === "Alarms")!.monthly).toBe(
      answers.scalingPolicy === "jobs" ? "$0.70" : "$0.50",
    );
  });

  it("states the weekly instance-hours the schedules save", () => {
    const h = weeklyHours(answers);
    expect(text).toContain(`runs ${h.scheduled} instance-hours a week instead of ${h.alwaysOn}`);
    expect(text).toContain(`save ${h.saved} instance-hours a week`);
  });

  it("takes its commands' values from the answers, leaving only what cannot be known as variables", () => {
    for (const v of [answers.tokenSsmParameter, answers.tokenKmsKeyId, answers.awsRegion, answers.projectName])
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
    expect(text).toContain(`--auto-scaling-group-name ${answers.projectName}`);
    expect(text).not.toMatch(/TODO|FIXME|<your|CHANGEME/i);
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
    const answers = validAnswers({ ...exampleAnswers("answers.yaml"), runnerDescription: s });
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
  const withSchedules = (schedules: Answers["schedules"], desired = 2) =>
    weeklyHours(
      validAnswers({
        ...base,
        scalingPolicy: "none",
        asgMinSize: 0,
        asgDesiredCapacity: desired,
        asgMaxSize: 10,
        schedules,
      }),
    );

  it("the default schedules: weekdays 06:30 to 19:30", () => {
    expect(withSchedules(base.schedules)).toEqual({ alwaysOn: 336, scheduled: 130, saved: 206, notWeekly: [] });
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

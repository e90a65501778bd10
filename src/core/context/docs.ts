import { markdownText } from "../escape.js";
import type { Answers, Schedule } from "../types.js";
import { ciPolicy, partitionOf } from "./ci-permissions.js";
import { scheduleSizes } from "./terraform.js";

const DAY_NAMES = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTH_NAMES = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const MINUTES_PER_WEEK = 7 * 24 * 60;

/** The values a cron field (validated by cronProblem) matches. Day of week 7 is Sunday (0). */
export function cronValues(field: string, min: number, max: number, names: string[] = []): number[] {
  const value = (t: string) => (/^[0-9]+$/.test(t) ? Number(t) : names.indexOf(t.toUpperCase()) + min);
  const out = new Set<number>();
  for (const item of field.split(",")) {
    const [range, stepText] = item.split("/");
    const step = stepText === undefined ? 1 : Number(stepText);
    let lo: number, hi: number;
    if (range === "*") [lo, hi] = [min, max];
    else {
      const [a, b] = range.split("-");
      lo = value(a);
      hi = b === undefined ? (stepText === undefined ? lo : max) : value(b);
    }
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return [...out].sort((x, y) => x - y);
}

interface ParsedCron {
  minutes: number[];
  hours: number[];
  /** 0 = Sunday. */
  days: number[];
  /** The expression restricts day of month or month, so it does not repeat weekly. */
  notWeekly: boolean;
}

function parseCron(expr: string): ParsedCron {
  const [m, h, dom, mon, dow] = expr.trim().split(/\s+/);
  const days = [...new Set(cronValues(dow, 0, 7, DAY_NAMES.map((d) => d.toUpperCase())).map((d) => d % 7))].sort((x, y) => x - y);
  return {
    minutes: cronValues(m, 0, 59),
    hours: cronValues(h, 0, 23),
    days,
    notWeekly: dom !== "*" || mon !== "*",
  };
}

function dayWords(days: number[]): string {
  if (days.length === 7) return "daily";
  // Runs of consecutive days, Monday first (Sunday last) as people read a week.
  const order = [1, 2, 3, 4, 5, 6, 0].filter((d) => days.includes(d));
  const runs: number[][] = [];
  for (const d of order) {
    const last = runs.at(-1);
    if (last && (last.at(-1)! + 1) % 7 === d) last.push(d);
    else runs.push([d]);
  }
  return runs.map((r) => (r.length >= 3 ? `${DAY_NAMES[r[0]]}–${DAY_NAMES[r.at(-1)!]}` : r.map((d) => DAY_NAMES[d]).join(", "))).join(", ");
}

const hhmm = (h: number, m: number) => `${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}`;

/** A 5-field cron (as cronProblem accepts it) in words, e.g. "Mon–Fri at 19:30". */
export function cronToWords(expr: string): string {
  const c = parseCron(expr);
  const [, , dom, mon] = expr.trim().split(/\s+/);
  const times = c.hours.length * c.minutes.length <= 4 ? c.hours.flatMap((h) => c.minutes.map((m) => hhmm(h, m))) : undefined;
  const at = times ? `at ${times.join(", ")}` : `at minute ${c.minutes.join(",")} of hour ${c.hours.join(",")}`;
  let when = `${dayWords(c.days)} ${at}`;
  if (dom !== "*") when += `, on day ${cronValues(dom, 1, 31).join(", ")} of the month`;
  if (mon !== "*") when += `, in ${cronValues(mon, 1, 12, MONTH_NAMES).map((n) => MONTH_NAMES[n - 1][0] + MONTH_NAMES[n - 1].slice(1).toLowerCase()).join(", ")}`;
  if (dom !== "*" && expr.trim().split(/\s+/)[4] !== "*") when += " (either day matches)";
  return when;
}

/** Minutes since Monday 00:00 at which a weekly cron fires. */
function firings(expr: string): number[] {
  const c = parseCron(expr);
  const out: number[] = [];
  for (const d of c.days) for (const h of c.hours) for (const m of c.minutes) out.push((((d + 6) % 7) * 24 + h) * 60 + m);
  return out;
}

export interface WeeklyHours {
  /** Instance-hours per week at asgDesiredCapacity around the clock. */
  alwaysOn: number;
  /** Instance-hours per week at the desired capacities the schedules set (before load-driven scaling). */
  scheduled: number;
  saved: number;
  /** Schedules left out because they do not repeat weekly (day-of-month or month fields). */
  notWeekly: string[];
}

/**
 * Instance-hours per week with and without the schedules, in the schedules'
 * local time (a DST change shifts no more than an hour twice a year). Between
 * two actions the group runs the desired capacity the earlier one set; the
 * week wraps around, so the last action of the week holds until the first.
 */
export function weeklyHours(a: Answers): WeeklyHours {
  const alwaysOn = a.asgDesiredCapacity * 7 * 24;
  const notWeekly = a.schedules.filter((s) => parseCron(s.recurrence).notWeekly).map((s) => s.name);
  const events = a.schedules
    .filter((s) => !notWeekly.includes(s.name))
    .flatMap((s, order) => firings(s.recurrence).map((t) => ({ t, order, desired: scheduleSizes(a, s).desired_capacity })))
    .sort((x, y) => x.t - y.t || x.order - y.order);
  if (events.length === 0) return { alwaysOn, scheduled: alwaysOn, saved: 0, notWeekly };
  let minutes = 0;
  events.forEach((e, i) => {
    const next = i + 1 < events.length ? events[i + 1].t : events[0].t + MINUTES_PER_WEEK;
    minutes += (next - e.t) * e.desired;
  });
  const scheduled = Math.round((minutes / 60) * 10) / 10;
  return { alwaysOn, scheduled, saved: Math.round((alwaysOn - scheduled) * 10) / 10, notWeekly };
}

export interface ScheduleRow {
  name: string;
  when: string;
  minSize: number;
  maxSize: number;
  desiredCapacity: number;
}

export function scheduleRows(a: Answers): ScheduleRow[] {
  return a.schedules.map((s: Schedule) => {
    const z = scheduleSizes(a, s);
    return { name: s.name, when: cronToWords(s.recurrence), minSize: z.min_size, maxSize: z.max_size, desiredCapacity: z.desired_capacity };
  });
}

/**
 * A Markdown table as prettier lays it out: cells padded to the column width,
 * delimiter row of dashes (at least 3). Cells must be Markdown already and of
 * single-width characters.
 */
export function markdownTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(3, [...h].length, ...rows.map((r) => [...r[i]].length)));
  const line = (cells: string[]) => "| " + cells.map((c, i) => c + " ".repeat(widths[i] - [...c].length)).join(" | ") + " |";
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

/**
 * The key policy statement that lets the runner instances' role (name_prefix
 * project-) decrypt the token with a customer managed key, through SSM in the
 * answered region only.
 */
export function kmsKeyPolicyStatement(a: Answers) {
  const account = a.ciRoleArn.split(":")[4];
  const p = partitionOf(a.awsRegion)!;
  return {
    Sid: "GitLabRunnerInstancesDecryptTokenViaSsm",
    Effect: "Allow",
    Principal: { AWS: `arn:${p.partition}:iam::${account}:root` },
    Action: "kms:Decrypt",
    Resource: "*",
    Condition: {
      StringEquals: { "kms:ViaService": `ssm.${a.awsRegion}.${p.dnsSuffix}`, "kms:CallerAccount": account },
      ArnLike: { "aws:PrincipalArn": `arn:${p.partition}:iam::${account}:role/${a.projectName}-*` },
    },
  };
}

/** Values derived from the answers for the templates of this layer (ctx.docs). */
export function docsContext(a: Answers) {
  const rows = scheduleRows(a);
  const url = a.gitlabUrl.replace(/\/+$/, "");
  return {
    schedules: rows,
    scheduleTable: markdownTable(
      ["Scheduled action", `When (${markdownText(a.timeZone)})`, "Min", "Max", "Desired"],
      rows.map((r) => ["`" + r.name + "`", r.when, String(r.minSize), String(r.maxSize), String(r.desiredCapacity)]),
    ),
    hours: weeklyHours(a),
    /** The pipeline schedules .gitlab-ci.yml reacts to (SCHEDULED_JOB). */
    pipelineScheduleTable: markdownTable(
      ["Schedule", "Cron (any time zone)", "Variable", "What it does"],
      [
        ["Monthly AMI build", "`0 4 1 * *`", "`SCHEDULED_JOB=build-ami`", "Rebuilds the AMI with the month's OS patches; `plan` then shows the instance roll"],
        ["Generator drift", "`0 5 * * 1`", "`SCHEDULED_JOB=drift`", 'Fails when the files are behind `.yo-rc.json` (see "Regenerating" below)'],
      ],
    ),
    gitlabUrl: url,
    /** Issuer of GitLab's ID tokens without the scheme: the IAM OIDC provider and condition-key prefix. */
    oidcProvider: url.replace(/^https:\/\//, ""),
    iacCommand: a.iacTool,
    iacName: a.iacTool === "tofu" ? "OpenTofu" : "Terraform",
    accountId: a.ciRoleArn.split(":")[4],
    /** The partition of the answered region (validation keeps the ARN answers in it). */
    partition: partitionOf(a.awsRegion)!.partition,
    /** Where the partition's IAM API is served. */
    iamRegion: partitionOf(a.awsRegion)!.iamRegion,
    /** The CI role's policy (context/ci-permissions.ts), as the JSON file the README writes. */
    ciPolicyJson: JSON.stringify(ciPolicy(a, a.ciRoleArn.split(":")[4]), null, 2),
    /** The token's key is the AWS managed key of SSM, whose key policy already lets SSM decrypt for the account. */
    awsManagedTokenKey: /(^|:)alias\/aws\/ssm$/.test(a.tokenKmsKeyId),
    /** The statement a customer managed key's policy needs so that the runner role can decrypt the token through SSM. */
    kmsKeyPolicyStatementJson: JSON.stringify(kmsKeyPolicyStatement(a), null, 2),
    /** Per scheduled action, the command that puts the group at its sizes now. */
    scheduleNowCommands: rows.map((r) => ({ name: r.name, when: r.when, args: `--min-size ${r.minSize} --max-size ${r.maxSize} --desired-capacity ${r.desiredCapacity}` })),
    roleName: a.ciRoleArn.replace(/^.*?:role\//, "").split("/").at(-1)!,
    rolePath: "/" + a.ciRoleArn.replace(/^.*?:role\//, "").split("/").slice(0, -1).map((p) => p + "/").join(""),
    authToken: a.registrationMode === "authentication-token",
    /** Fence of the code block that quotes the runner description: longer than any backtick run in it. */
    descriptionFence: "`".repeat(Math.max(3, ...[...a.runnerDescription.matchAll(/`+/g)].map((m) => m[0].length + 1))),
    /** Free text into Markdown (escape.ts markdownText). */
    md: markdownText,
  };
}

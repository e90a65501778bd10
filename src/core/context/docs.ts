import { markdownText } from "../escape.js";
import { type PoolView, poolViews } from "../pools.js";
import type { Answers, Schedule } from "../types.js";
import { poolCost, poolSpot } from "./capacity.js";
import { ciPolicy, partitionOf } from "./ci-permissions.js";
import { poolNames } from "./names.js";
import { scheduleSizes } from "./tf-variables.js";

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
  const days = [
    ...new Set(
      cronValues(
        dow,
        0,
        7,
        DAY_NAMES.map((d) => d.toUpperCase()),
      ).map((d) => d % 7),
    ),
  ].sort((x, y) => x - y);
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
  return runs
    .map((r) => (r.length >= 3 ? `${DAY_NAMES[r[0]]}–${DAY_NAMES[r.at(-1)!]}` : r.map((d) => DAY_NAMES[d]).join(", ")))
    .join(", ");
}

const hhmm = (h: number, m: number) => `${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}`;

/** A 5-field cron (as cronProblem accepts it) in words, e.g. "Mon–Fri at 19:30". */
export function cronToWords(expr: string): string {
  const c = parseCron(expr);
  const [, , dom, mon] = expr.trim().split(/\s+/);
  const times =
    c.hours.length * c.minutes.length <= 4 ? c.hours.flatMap((h) => c.minutes.map((m) => hhmm(h, m))) : undefined;
  const at = times ? `at ${times.join(", ")}` : `at minute ${c.minutes.join(",")} of hour ${c.hours.join(",")}`;
  let when = `${dayWords(c.days)} ${at}`;
  if (dom !== "*") when += `, on day ${cronValues(dom, 1, 31).join(", ")} of the month`;
  if (mon !== "*")
    when += `, in ${cronValues(mon, 1, 12, MONTH_NAMES)
      .map((n) => MONTH_NAMES[n - 1][0] + MONTH_NAMES[n - 1].slice(1).toLowerCase())
      .join(", ")}`;
  if (dom !== "*" && expr.trim().split(/\s+/)[4] !== "*") when += " (either day matches)";
  return when;
}

/** Minutes since Monday 00:00 at which a weekly cron fires. */
function firings(expr: string): number[] {
  const c = parseCron(expr);
  const out: number[] = [];
  for (const d of c.days)
    for (const h of c.hours) for (const m of c.minutes) out.push((((d + 6) % 7) * 24 + h) * 60 + m);
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
export function weeklyHours(a: PoolView): WeeklyHours {
  const alwaysOn = a.asgDesiredCapacity * 7 * 24;
  const notWeekly = a.schedules.filter((s) => parseCron(s.recurrence).notWeekly).map((s) => s.name);
  const events = a.schedules
    .filter((s) => !notWeekly.includes(s.name))
    .flatMap((s, order) =>
      firings(s.recurrence).map((t) => ({ t, order, desired: scheduleSizes(a, s).desired_capacity })),
    )
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

export function scheduleRows(a: PoolView): ScheduleRow[] {
  return a.schedules.map((s: Schedule) => {
    const z = scheduleSizes(a, s);
    return {
      name: s.name,
      when: cronToWords(s.recurrence),
      minSize: z.min_size,
      maxSize: z.max_size,
      desiredCapacity: z.desired_capacity,
    };
  });
}

/**
 * A Markdown table as prettier lays it out: cells padded to the column width,
 * delimiter row of dashes (at least 3). Cells must be Markdown already and of
 * single-width characters.
 */
export function markdownTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(3, [...h].length, ...rows.map((r) => [...r[i]].length)));
  const line = (cells: string[]) =>
    "| " + cells.map((c, i) => c + " ".repeat(widths[i] - [...c].length)).join(" | ") + " |";
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

/** One thing a subnet must reach: the service, its host name, the VPC endpoint that can replace NAT for it, and why. */
export interface NetworkNeed {
  service: string;
  host: string;
  /** Interface or gateway endpoint service name, or "" when only NAT (or another route out) will do. */
  endpoint: string;
  why: string;
}

/** Host and port of an https URL as the schema accepts it (the WHATWG parser refuses some of those, such as a port above 65535). */
export const hostOf = (url: string): string => /^https:\/\/([^/]+)/.exec(url)![1];

/** The registry host of an image reference (Docker Hub when the first part names no host). */
export function registryOf(image: string): string {
  const first = image.split("/")[0];
  return image.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost")
    ? first.replace(/:[0-9]+$/, "")
    : "registry-1.docker.io";
}

/**
 * What the runner subnets, the build subnet and the pipeline's runner must reach, from what the
 * answers enable: each row is a call some generated script or tool makes (register.sh, the
 * lifecycle watcher, publish-metrics.sh, provision.sh, Packer, the pipeline's jobs).
 */
export function networkNeeds(a: Answers): { runners: NetworkNeed[]; build: NetworkNeed[]; pipeline: NetworkNeed[] } {
  const r = a.awsRegion;
  const p = partitionOf(r)!;
  const aws = (svc: string) => `${svc}.${r}.${p.dnsSuffix}`;
  // China's endpoint services carry a cn. prefix (cn.com.amazonaws.cn-north-1.ssm).
  const vpce = (svc: string) => `${p.partition === "aws-cn" ? "cn." : ""}com.amazonaws.${r}.${svc}`;
  const iamHost =
    p.partition === "aws"
      ? "iam.amazonaws.com"
      : p.partition === "aws-us-gov"
        ? "iam.us-gov.amazonaws.com"
        : `iam.${p.iamRegion}.${p.dnsSuffix}`;
  const gitlabHost = hostOf(a.gitlabUrl);
  const pools = poolViews(a);
  const jobsScaling = pools.some((q) => q.scalingPolicy === "jobs");
  const dockerPools = pools.filter((q) => q.executor === "docker");
  const runners: NetworkNeed[] = [
    {
      service: "GitLab",
      host: gitlabHost,
      endpoint: "",
      why: "register, poll for jobs, send logs, unregister (HTTPS)",
    },
    {
      service: "SSM",
      host: aws("ssm"),
      endpoint: vpce("ssm"),
      why:
        "the runner token at boot (SSM decrypts it: no KMS endpoint needed)" +
        (a.sessionManagerAccess ? "; Session Manager" : ""),
    },
  ];
  if (a.sessionManagerAccess) {
    runners.push({
      service: "SSM messages",
      host: aws("ssmmessages"),
      endpoint: vpce("ssmmessages"),
      why: "Session Manager shells (sessionManagerAccess)",
    });
    runners.push({
      service: "EC2 messages",
      host: aws("ec2messages"),
      endpoint: vpce("ec2messages"),
      why: "Session Manager, for SSM Agent versions that still use it",
    });
  }
  runners.push({
    service: "Auto Scaling",
    host: aws("autoscaling"),
    endpoint: vpce("autoscaling"),
    why: "complete the launch and termination lifecycle actions; mark a host that cannot register unhealthy",
  });
  runners.push({
    service: "EC2",
    host: aws("ec2"),
    endpoint: vpce("ec2"),
    why: "tag the instance with its runner's system_id (GitLab lists one manager per host)",
  });
  runners.push({
    service: "CloudWatch",
    host: aws("monitoring"),
    endpoint: vpce("monitoring"),
    why:
      "publish registration failures, timed-out lifecycle actions and disk usage for the alarms" +
      (jobsScaling ? ", and the busy-slots metric (scalingPolicy jobs)" : ""),
  });
  runners.push({
    service: "CloudWatch Logs",
    host: aws("logs"),
    endpoint: vpce("logs"),
    why: "the CloudWatch agent ships the runner units' journal to the log group",
  });
  if (a.cacheS3) {
    const why = "the shared job cache (cacheS3); a gateway endpoint is free and saves the NAT gateway's charge per GB";
    runners.push({ service: "S3", host: aws("s3"), endpoint: vpce("s3") + " (gateway)", why });
  }
  const images = [...new Set(dockerPools.map((q) => q.dockerImage))];
  if (images.length)
    runners.push({
      service: "Container registries",
      host: [...new Set(images.map(registryOf))].join(", "),
      endpoint: "",
      why: `the default image${images.length === 1 ? "" : "s"} ${images.map((i) => "\`" + i + "\`").join(", ")} and every image the jobs name`,
    });
  const build: NetworkNeed[] = [
    a.baseOs === "al2023"
      ? {
          service: "Amazon Linux repositories",
          host: "cdn.amazonlinux.com",
          endpoint: vpce("s3") + " (gateway)",
          why:
            "OS packages" +
            (dockerPools.length ? ", Docker" : "") +
            " and extraPackages; the repositories are served from S3 in the region",
        }
      : {
          service: "Ubuntu archive",
          host: `${r}.ec2.archive.ubuntu.com, security.ubuntu.com`,
          endpoint: "",
          why: "OS packages" + (dockerPools.length ? ", docker.io" : "") + " and extraPackages",
        },
    {
      service: "GitLab's package repository",
      host: "packages.gitlab.com",
      endpoint: "",
      why: `gitlab-runner ${a.gitlabRunnerVersion}`,
    },
    {
      service: "AWS CLI download",
      host: "awscli.amazonaws.com",
      endpoint: "",
      why: "the pinned AWS CLI the hook scripts use",
    },
    {
      service: "CloudWatch agent download",
      host: "amazoncloudwatch-agent.s3.amazonaws.com",
      endpoint: "",
      why: "the pinned Amazon CloudWatch agent, its signature and AWS's signing key",
    },
  ];
  if (a.sshInterface === "session_manager") {
    for (const svc of ["ssm", "ssmmessages", "ec2messages"])
      build.push({
        service: svc === "ssm" ? "SSM" : svc === "ssmmessages" ? "SSM messages" : "EC2 messages",
        host: aws(svc),
        endpoint: vpce(svc),
        why: "Packer's Session Manager connection to the build instance",
      });
  }
  const pipeline: NetworkNeed[] = [
    { service: "GitLab", host: gitlabHost, endpoint: "", why: "the jobs, their ID tokens and the state" },
    { service: "STS", host: aws("sts"), endpoint: vpce("sts"), why: "AssumeRoleWithWebIdentity (OIDC)" },
    {
      service: "EC2",
      host: aws("ec2"),
      endpoint: vpce("ec2"),
      why: "Packer's build instance, the AMI; the launch template, security group",
    },
    { service: "IAM", host: iamHost, endpoint: "", why: "the instance role and profile, Packer's temporary profile" },
    {
      service: "Auto Scaling",
      host: aws("autoscaling"),
      endpoint: vpce("autoscaling"),
      why: "the group, its schedules, hook and policies",
    },
    { service: "KMS", host: aws("kms"), endpoint: vpce("kms"), why: "DescribeKey of the token's key" },
    { service: "CloudWatch", host: aws("monitoring"), endpoint: vpce("monitoring"), why: "the alarms" },
    { service: "CloudWatch Logs", host: aws("logs"), endpoint: vpce("logs"), why: "the log group" },
  ];
  if (a.sshInterface === "session_manager")
    pipeline.push({
      service: "SSM and SSM messages",
      host: `${aws("ssm")}, ${aws("ssmmessages")}`,
      endpoint: `${vpce("ssm")}, ${vpce("ssmmessages")}`,
      why: "Packer's Session Manager session",
    });
  else
    pipeline.push({
      service: "The build instance",
      host: "its private IP and port 22",
      endpoint: "",
      why: `Packer's SSH connection (from ${a.buildAllowedCidrs.map((c) => "\`" + c + "\`").join(", ")})`,
    });
  pipeline.push({
    service: "Tool downloads",
    host:
      "github.com, releases.hashicorp.com" +
      (a.sshInterface === "session_manager" ? ", rpm.releases.hashicorp.com, s3.amazonaws.com" : ""),
    endpoint: "",
    why:
      "the Packer Amazon plugin" +
      (a.sshInterface === "session_manager" ? ", Packer and session-manager-plugin in build-ami" : ""),
  });
  return { runners, build, pipeline };
}

/** The rows as a Markdown table: every text is the generator's own or a pattern-checked answer (region, image, version, CIDR), none holds a pipe or backtick. */
function needsTable(rows: NetworkNeed[]): string {
  const code = (s: string) =>
    s
      .split(", ")
      .map((x) => (/ /.test(x) ? x : "`" + x + "`"))
      .join(", ");
  return markdownTable(
    ["Service", "Host", "VPC endpoint instead of NAT", "Why"],
    rows.map((n) => [
      n.service,
      code(n.host),
      n.endpoint
        ? code(n.endpoint.replace(/ \(gateway\)$/, "")) + (n.endpoint.endsWith("(gateway)") ? " (gateway)" : "")
        : "NAT only",
      n.why,
    ]),
  );
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

/**
 * List prices (US East (N. Virginia), late 2026) the cost section quotes, and
 * the volumes it assumes; other regions cost somewhat more.
 */
export const PRICES = {
  logsIngestPerGb: 0.5,
  logsStoragePerGbMonth: 0.03,
  alarmPerMetricMonth: 0.1,
  customMetricMonth: 0.3,
  putMetricDataPer1000: 0.01,
  snapshotPerGbMonth: 0.05,
  /** Journal lines of the runner units per instance-day (registration, jobs picked up and finished, drain). */
  logMbPerInstanceDay: 10,
  /** The blocks an AMI's snapshot holds: the OS, gitlab-runner and its helper images, Docker (not the volume size). */
  amiSnapshotGb: 6,
} as const;

const WEEKS_PER_MONTH = 52 / 12;
const dollars = (x: number) => (x < 0.01 ? "< $0.01" : `$${x.toFixed(2)}`);
const price = (x: number) => `$${x.toFixed(2)}`;

/** Each issue-14 feature's monthly cost at these answers, for the README's cost section. */
export function featureCosts(
  a: Answers,
  instanceHoursPerWeek: number,
): { feature: string; monthly: string; how: string }[] {
  const instanceMonths = (instanceHoursPerWeek * WEEKS_PER_MONTH) / (24 * 30);
  const ingestGb = (instanceHoursPerWeek * WEEKS_PER_MONTH * PRICES.logMbPerInstanceDay) / 24 / 1024;
  const storedGb = ingestGb * Math.min(a.logRetentionDays / 30, 120);
  const pools = poolViews(a);
  // Each pool has its alarms and its own disk metric (the group is a dimension).
  const jobsPools = pools.filter((p) => p.scalingPolicy === "jobs").length;
  const alarmMetrics = pools.length * (1 + 1 + 1 + 2) + jobsPools * 2;
  // The disk metric every 5 minutes per instance; registration failures and timeouts only when they happen.
  const diskPuts = instanceMonths * 30 * 24 * 12;
  const extraAmis = 12 - a.amiRetentionCount;
  return [
    {
      feature: "Logs in CloudWatch",
      monthly: dollars(ingestGb * PRICES.logsIngestPerGb + storedGb * PRICES.logsStoragePerGbMonth),
      how:
        `about ${ingestGb.toFixed(2)} GB ingested a month (${PRICES.logMbPerInstanceDay} MB per instance-day at ${instanceHoursPerWeek} instance-hours a week) ` +
        `at ${price(PRICES.logsIngestPerGb)}/GB, and up to ${storedGb.toFixed(2)} GB kept for ${a.logRetentionDays} days ` +
        `at ${price(PRICES.logsStoragePerGbMonth)}/GB-month`,
    },
    {
      feature: "Disk hygiene",
      monthly: dollars(pools.length * PRICES.customMetricMonth + (diskPuts / 1000) * PRICES.putMetricDataPer1000),
      how:
        (pools.length === 1
          ? `the \`DiskUsedPercent\` metric (${price(PRICES.customMetricMonth)})`
          : `a \`DiskUsedPercent\` metric per pool (${pools.length} at ${price(PRICES.customMetricMonth)})`) +
        ` and its ${Math.round(diskPuts)} PutMetricData calls; pruning itself is free`,
    },
    {
      feature: "AMI retention",
      monthly: `saves ${dollars(extraAmis * PRICES.amiSnapshotGb * PRICES.snapshotPerGbMonth)}`,
      how:
        `after a year of monthly builds ${a.amiRetentionCount} AMIs stay instead of 12; each snapshot holds about ${PRICES.amiSnapshotGb} GB ` +
        `at ${price(PRICES.snapshotPerGbMonth)}/GB-month (and the saving grows every month)`,
    },
    {
      feature: "Alarms",
      monthly: dollars(alarmMetrics * PRICES.alarmPerMetricMonth),
      how:
        `${alarmMetrics} alarm metrics at ${price(PRICES.alarmPerMetricMonth)} each ` +
        (pools.length > 1 ? `(${pools.length} pools; ` : "(") +
        (jobsPools
          ? "the at-maximum and missing-busy-slots alarms watch two metrics each)"
          : "the at-maximum alarm watches two metrics)") +
        `; \`RegistrationFailures\` and \`LifecycleActionTimeouts\` cost ${price(PRICES.customMetricMonth)} a month each only in months they are published` +
        (a.alarmSnsTopicArn
          ? "; SNS notifications are billed by the topic's subscriptions (email: the first 1,000 a month are free)"
          : ""),
    },
  ];
}

const code = (x: string) => "`" + x + "`";
const usd = (x: number) => `$${x.toFixed(2)}`;
const costText = (low: number, high: number) => (low === high ? usd(low) : `${usd(low)}–${usd(high)}`);

/** One pool's capacity mix in a few words. */
function capacityWords(p: PoolView): string {
  if (p.onDemandPercentageAboveBase === 100) return "On-Demand";
  const above = p.onDemandPercentageAboveBase ? `${100 - p.onDemandPercentageAboveBase} % Spot` : "Spot";
  return p.onDemandBaseCapacity ? `${p.onDemandBaseCapacity} On-Demand, then ${above}` : above;
}

/** One pool as the README shows it: its names, schedules, hours, Spot mix, cost and runner settings. */
function poolDoc(p: PoolView, single: boolean, timeZone: string) {
  const rows = scheduleRows(p);
  const hours = weeklyHours(p);
  const names = poolNames(p);
  return {
    name: p.name,
    p,
    names,
    schedules: rows,
    scheduleTable: markdownTable(
      ["Scheduled action", `When (${markdownText(timeZone)})`, "Min", "Max", "Desired"],
      rows.map((r) => [code(r.name), r.when, String(r.minSize), String(r.maxSize), String(r.desiredCapacity)]),
    ),
    hours,
    spot: poolSpot(p),
    cost: poolCost(p, hours.scheduled),
    capacity: capacityWords(p),
    /** The shell variable step 1 reads this pool's runner token into and step 2 stores. */
    tokenVar: single ? "RUNNER_TOKEN" : "RUNNER_TOKEN_" + p.name.toUpperCase().replace(/-/g, "_"),
    /** run_untagged of the API call that creates the runner: GitLab refuses a runner with neither tags nor untagged jobs. */
    runUntagged: p.runnerTags.length ? p.runUntagged : true,
    /** The runner's server-side settings from the answers, in words. */
    runnerSettings:
      (p.runnerTags.length
        ? `the tags ${p.runnerTags.map(code).join(", ")}, "run untagged jobs" ${p.runUntagged ? "on" : "off"}`
        : `no tags, so "run untagged jobs" on (GitLab refuses a runner with neither)`) +
      `, and "lock to current projects" ${p.runnerLocked ? "on" : "off"}`,
    /** Fence of the code block that quotes the runner description: longer than any backtick run in it. */
    descriptionFence: "`".repeat(Math.max(3, ...[...p.runnerDescription.matchAll(/`+/g)].map((m) => m[0].length + 1))),
    /** Per scheduled action, the command that puts the group at its sizes now. */
    scheduleNowCommands: rows.map((r) => ({
      name: r.name,
      when: r.when,
      args: `--min-size ${r.minSize} --max-size ${r.maxSize} --desired-capacity ${r.desiredCapacity}`,
    })),
  };
}

export type PoolDoc = ReturnType<typeof poolDoc>;

/** The pools, one row each, and a total: what runs where, for which jobs, how often, at what cost. */
export function poolsTable(pools: PoolDoc[]): string {
  const known = pools.filter((d) => d.cost.low !== undefined);
  const sum = (f: (d: PoolDoc) => number) => Math.round(known.reduce((t, d) => t + f(d), 0) * 100) / 100;
  const total = known.length
    ? costText(
        sum((d) => d.cost.low!),
        sum((d) => d.cost.high!),
      ) + (known.length < pools.length ? ` (${known.length} of ${pools.length} pools)` : "")
    : "n/a";
  const hours = Math.round(pools.reduce((t, d) => t + d.hours.scheduled, 0) * 10) / 10;
  return markdownTable(
    [
      "Pool",
      "Jobs (runner tags)",
      "Instances",
      "Min",
      "Desired",
      "Max",
      "Schedules",
      "Executor",
      "Capacity",
      "Instance-hours a week",
      "Per month (estimate)",
    ],
    [
      ...pools.map(({ p, ...d }) => [
        code(p.name),
        (p.runnerTags.length ? p.runnerTags.map(code).join(", ") : "untagged only") +
          (p.runnerTags.length && p.runUntagged ? ", and untagged" : ""),
        p.instanceTypes.map(code).join(", ") + ` (${p.architecture})`,
        String(p.asgMinSize),
        String(p.asgDesiredCapacity),
        String(p.asgMaxSize),
        d.schedules.length ? d.schedules.map((r) => code(r.name)).join(", ") : "none: always on",
        p.executor === "docker" ? `docker (${code(p.dockerImage)})` : p.executor,
        d.capacity,
        String(d.hours.scheduled),
        d.cost.low === undefined
          ? `n/a (no list price for ${code(d.cost.instanceType)})`
          : costText(d.cost.low, d.cost.high!),
      ]),
      ...(pools.length > 1 ? [["**Total**", "", "", "", "", "", "", "", "", String(hours), total]] : []),
    ],
  );
}

/** Every alarm of one pool (terraform alarms, named after its group): name, when it fires, what to do first. */
function alarmRows(a: Answers, d: PoolDoc): string[][] {
  const n = d.names.name;
  return [
    [
      code(n + "-registration-failures"),
      "an instance gave up registering with GitLab and was replaced",
      "the instance's log stream (query below): the token, SSM, GitLab's reachability",
    ],
    [
      code(n + "-lifecycle-action-timeouts"),
      "a launch or termination lifecycle action ran out of time before the instance completed it",
      "a drain longer than `drainTimeoutSeconds`, or a host that hung while leaving",
    ],
    [
      code(n + "-root-volume-full"),
      `a root volume is at least ${a.diskAlarmPercent} % full although the prune timer works above ${a.diskPruneThresholdPercent} %`,
      "a larger `rootVolumeSize`, or the jobs' images and caches",
    ],
    [
      code(n + "-at-max-size"),
      `the group has been at its maximum size (above zero) for ${a.alarmAtMaxMinutes} minutes`,
      "pending jobs in GitLab; raise `asgMaxSize` or `concurrent`",
    ],
    ...(d.p.scalingPolicy === "jobs"
      ? [
          [
            code(n + "-busy-slots-missing"),
            "instances are in service but no busy-slots metric arrived for ten minutes (no data at all counts too)",
            "`gitlab-runner-aws-metrics.timer` and `gitlab-runner.service` on the instances: the scaling policy is blind",
          ],
        ]
      : []),
  ];
}

/** Values derived from the answers for the templates of this layer (ctx.docs). */
export function docsContext(a: Answers) {
  const views = poolViews(a);
  const pools = views.map((p) => poolDoc(p, views.length === 1, a.timeZone));
  const hoursPerWeek = pools.reduce((t, d) => t + d.hours.scheduled, 0);
  // Normalised by validateAnswers (normalizeGitlabUrl): the same form as the pipeline's OIDC audience.
  const url = a.gitlabUrl;
  return {
    pools,
    /** Several pools: the README names the pool in each per-pool part. */
    several: pools.length > 1,
    poolsTable: poolsTable(pools),
    /** Some pool runs the docker executor / the shell executor / scales on its busy job slots. */
    anyDocker: views.some((p) => p.executor === "docker"),
    anyShell: views.some((p) => p.executor === "shell"),
    anyJobs: views.some((p) => p.scalingPolicy === "jobs"),
    /** Instance-hours a week of all pools at their schedules. */
    hoursPerWeek: Math.round(hoursPerWeek * 10) / 10,
    /** Monthly cost of the logs, disk hygiene, AMI retention and alarms at these answers. */
    featureCostTable: markdownTable(
      ["Feature", "Per month", "How"],
      featureCosts(a, Math.round(hoursPerWeek * 10) / 10).map((c) => [c.feature, c.monthly, c.how]),
    ),
    /** The alarms of every pool: name, when it fires, what to do first. */
    alarmTable: markdownTable(
      ["Alarm", "Fires when", "First look"],
      pools.flatMap((d) => alarmRows(a, d)),
    ),
    /** The pipeline schedules .gitlab-ci.yml reacts to (SCHEDULED_JOB). */
    pipelineScheduleTable: markdownTable(
      ["Schedule", "Cron (any time zone)", "Variable", "What it does"],
      [
        [
          "Monthly AMI build",
          "`0 4 1 * *`",
          "`SCHEDULED_JOB=build-ami`",
          "Rebuilds the AMI with the month's OS patches; `plan` then shows the instance roll",
        ],
        [
          "Generator drift",
          "`0 5 * * 1`",
          "`SCHEDULED_JOB=drift`",
          'Fails when the files are behind `.yo-rc.json` (see "Regenerating" below)',
        ],
      ],
    ),
    gitlabUrl: url,
    /** Host (and port) of the GitLab URL. */
    gitlabHost: hostOf(url),
    network: (() => {
      const n = networkNeeds(a);
      return { runners: needsTable(n.runners), build: needsTable(n.build), pipeline: needsTable(n.pipeline) };
    })(),
    /** The inputs the first-time setup needs, with the values this repository was generated with. */
    inputsTable: markdownTable(
      ["Input", "Here", "Used in"],
      [
        ["AWS account", "`" + a.ciRoleArn.split(":")[4] + "`", "every step (from `ciRoleArn`)"],
        ["VPC", "`" + a.vpcId + "`", "the runners' security group"],
        [
          "Runner subnets",
          a.subnetIds.map((x) => "`" + x + "`").join(", "),
          "the Auto Scaling group; Network prerequisites below",
        ],
        ["Build subnet", "`" + a.buildSubnetId + "`", "the Packer build; Network prerequisites below"],
        ["CI role", "`" + a.ciRoleArn + "`", "step 3 creates it"],
        ["GitLab", "`" + url + "`", "steps 1, 3 and 6"],
        ["Project path and id, default branch", "not known when generating", "steps 1, 3 and 6"],
        [
          "A runner for this pipeline",
          a.ciJobTags.length ? a.ciJobTags.map((t) => "`" + t + "`").join(", ") : "untagged jobs",
          "step 6; The runner of this pipeline below",
        ],
      ],
    ),

    /** Issuer of GitLab's ID tokens without the scheme: the IAM OIDC provider and condition-key prefix. */
    oidcProvider: url.replace(/^https:\/\//, ""),
    iacCommand: a.iacTool,
    iacName: a.iacTool === "tofu" ? "OpenTofu" : "Terraform",
    accountId: a.ciRoleArn.split(":")[4],
    /** The partition of the answered region (validation keeps the ARN answers in it). */
    partition: partitionOf(a.awsRegion)!.partition,
    /** DNS suffix of the partition's service principals. */
    dnsSuffix: partitionOf(a.awsRegion)!.dnsSuffix,
    /** Where the partition's IAM API is served. */
    iamRegion: partitionOf(a.awsRegion)!.iamRegion,
    /** The CI role's policy (context/ci-permissions.ts), as the JSON file the README writes. */
    ciPolicyJson: JSON.stringify(ciPolicy(a, a.ciRoleArn.split(":")[4]), null, 2),
    /** The token's key is the AWS managed key of SSM, whose key policy already lets SSM decrypt for the account. */
    awsManagedTokenKey: /(^|:)alias\/aws\/ssm$/.test(a.tokenKmsKeyId),
    /** The statement a customer managed key's policy needs so that the runner role can decrypt the token through SSM. */
    kmsKeyPolicyStatementJson: JSON.stringify(kmsKeyPolicyStatement(a), null, 2),
    roleName: a.ciRoleArn
      .replace(/^.*?:role\//, "")
      .split("/")
      .at(-1)!,
    rolePath:
      "/" +
      a.ciRoleArn
        .replace(/^.*?:role\//, "")
        .split("/")
        .slice(0, -1)
        .map((p) => p + "/")
        .join(""),
    authToken: a.registrationMode === "authentication-token",
    /** Free text into Markdown (escape.ts markdownText). */
    md: markdownText,
  };
}

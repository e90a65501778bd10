/**
 * Strict check of the 5-field cron that aws_autoscaling_schedule's recurrence
 * takes (minute hour day-of-month month day-of-week). Written here rather than
 * taken from a cron library because those accept 6- and 7-field forms and
 * extensions (L, W, #, ?) that Auto Scaling rejects.
 */
const FIELDS = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31 },
  {
    name: "month",
    min: 1,
    max: 12,
    names: ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"],
  },
  { name: "day of week", min: 0, max: 7, names: ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"] },
] as const;

function value(token: string, f: (typeof FIELDS)[number]): number | undefined {
  if (/^[0-9]{1,2}$/.test(token)) return Number(token);
  if ("names" in f) {
    const i = (f.names as readonly string[]).indexOf(token.toUpperCase());
    if (i >= 0) return i + f.min;
  }
  return undefined;
}

/** Returns undefined when valid, else what is wrong. */
export function cronProblem(expr: string): string | undefined {
  const parts = expr.trim().split(/\s+/);
  if (parts.length !== 5)
    return `it has ${parts.length} field${parts.length === 1 ? "" : "s"}; a recurrence needs exactly 5: minute hour day-of-month month day-of-week`;
  for (let i = 0; i < 5; i++) {
    const f = FIELDS[i];
    for (const item of parts[i].split(",")) {
      const m = /^(\*|([^-/]+)(?:-([^-/]+))?)(?:\/([0-9]{1,2}))?$/.exec(item);
      if (!m) return `${f.name} field "${parts[i]}" is not a number, name, range, list or step`;
      if (m[4] !== undefined && Number(m[4]) === 0) return `${f.name} field "${parts[i]}" has a step of 0`;
      if (m[1] === "*") continue;
      const lo = value(m[2], f);
      const hi = m[3] === undefined ? lo : value(m[3], f);
      if (lo === undefined || hi === undefined || lo < f.min || hi > f.max)
        return `${f.name} field "${parts[i]}" is out of range (${f.min}-${f.max}${"names" in f ? " or " + f.names[0] + "…" : ""})`;
      if (lo > hi) return `${f.name} field "${parts[i]}" is a backwards range`;
    }
  }
  return undefined;
}

import { schemaVersion } from "./schema.js";

export type RawAnswers = Record<string, unknown>;

export interface Migration {
  from: number;
  to: number;
  /** Returns new answers; never mutates its argument. */
  migrate(answers: RawAnswers): RawAnswers;
}

/** Schedules of the pre-release layout: one object with two cron lines. */
interface V0Schedule {
  timeZone?: unknown;
  scaleDown?: unknown;
  scaleUp?: unknown;
}

/**
 * Version 0 (pre-release) stored the answers flat under the generator's key,
 * named the ASG sizes asgMin/asgMax/asgDesired, and had a single `schedule`
 * object `{ timeZone, scaleDown, scaleUp }` (cron lines; scale-down went to zero,
 * scale-up restored the ASG sizes). Version 1 has `timeZone` and a `schedules` list.
 */
function v0ToV1(answers: RawAnswers): RawAnswers {
  const { asgMin, asgMax, asgDesired, schedule, ...rest } = answers;
  const out: RawAnswers = { ...rest };
  if (asgMin !== undefined) out.asgMinSize = asgMin;
  if (asgMax !== undefined) out.asgMaxSize = asgMax;
  if (asgDesired !== undefined) out.asgDesiredCapacity = asgDesired;
  if (schedule !== undefined) {
    if (schedule === null || typeof schedule !== "object" || Array.isArray(schedule)) {
      // Not the v0 shape: pass it on so validation names it as an unknown answer.
      out.schedule = schedule;
    } else {
      const s = schedule as V0Schedule;
      if (s.timeZone !== undefined) out.timeZone = s.timeZone;
      const schedules: RawAnswers[] = [];
      if (s.scaleDown !== undefined)
        schedules.push({
          name: "scale-down-evening",
          recurrence: s.scaleDown,
          minSize: 0,
          maxSize: 0,
          desiredCapacity: 0,
        });
      if (s.scaleUp !== undefined) schedules.push({ name: "scale-up-morning", recurrence: s.scaleUp });
      out.schedules = schedules;
    }
  }
  return out;
}

/** Ordered: migrations[i] goes from version i to i + 1. */
export const migrations: readonly Migration[] = [{ from: 0, to: 1, migrate: v0ToV1 }];

export class MigrationError extends Error {}

/** Answers stored by schema version `from`, brought forward step by step to `to` (the current version by default). */
export function migrateAnswers(
  answers: RawAnswers,
  from: number,
  to: number = schemaVersion,
  steps: readonly Migration[] = migrations,
): RawAnswers {
  if (!Number.isInteger(from) || from < 0)
    throw new MigrationError(`schema version ${JSON.stringify(from)} is not a version number`);
  if (from > to) {
    throw new MigrationError(
      `the answers were stored by answers-schema version ${from}, newer than this generator's version ${to}; upgrade the generator (npm install -g generator-gitlab-runner-aws@latest) and run it again`,
    );
  }
  let current = answers;
  for (let v = from; v < to; v++) {
    const step = steps.find((m) => m.from === v);
    if (!step || step.to !== v + 1)
      throw new MigrationError(`no migration from answers-schema version ${v} to ${v + 1}`);
    current = step.migrate(current);
  }
  return current;
}

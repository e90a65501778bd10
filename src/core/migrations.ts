import { V1_POOL } from "./pools.js";
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

/** The answers of version 1 that version 2 holds per pool (`tags` became a pool's extra tags; the shared ones stay). */
export const V1_POOL_FIELDS: readonly string[] = [
  ...["architecture", "instanceTypes", "rootVolumeSize", "asgMinSize", "asgMaxSize", "asgDesiredCapacity"],
  ...["onDemandBaseCapacity", "onDemandPercentageAboveBase", "tokenSsmParameter", "runnerDescription", "runnerTags"],
  ...["runUntagged", "runnerLocked", "executor", "dockerImage", "dockerPrivileged", "concurrent", "schedules"],
  ...["scalingPolicy", "scalingTargetValue", "drainTimeoutSeconds"],
];

/** Version 1 answers described one runner pool: version 2 holds them as the single pool named "default". */
function v1ToV2(answers: RawAnswers): RawAnswers {
  const shared: RawAnswers = {};
  const pool: RawAnswers = { name: V1_POOL };
  for (const [k, v] of Object.entries(answers)) (V1_POOL_FIELDS.includes(k) ? pool : shared)[k] = v;
  return { ...shared, pools: [pool] };
}

/** Whether answers without a schema version (an answers file) are in the shape of version 1: no pools, a pool field at the top. */
export function looksLikeV1(answers: RawAnswers): boolean {
  return !("pools" in answers) && V1_POOL_FIELDS.some((k) => k in answers);
}

/** An answers file's answers in the current shape: one in the flat shape of version 1 is migrated (see looksLikeV1). */
export function answersFileToCurrent(answers: RawAnswers): { answers: RawAnswers; migrated: boolean } {
  return looksLikeV1(answers) ? { answers: migrateAnswers(answers, 1), migrated: true } : { answers, migrated: false };
}

/** Ordered: migrations[i] goes from version i to i + 1. */
export const migrations: readonly Migration[] = [
  { from: 0, to: 1, migrate: v0ToV1 },
  { from: 1, to: 2, migrate: v1ToV2 },
];

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

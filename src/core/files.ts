import { poolViews } from "./pools.js";
import type { Answers } from "./types.js";

/**
 * Which generated files exist for which answers. A template not listed here
 * is always rendered; a listed one is rendered only when its condition holds,
 * and never wraps its own body in the same condition. A template that renders
 * blank is an error (render.ts), so a condition cannot hide in one.
 */
export interface FileCondition {
  when: (a: Answers) => boolean;
  /** The condition in words, for tests and docs. */
  why: string;
}

const jobMetrics: FileCondition = {
  when: (a) => poolViews(a).some((p) => p.scalingPolicy === "jobs"),
  why: "scalingPolicy jobs in some pool: its instances publish the busy-slots metric (metrics_enabled in their runtime config)",
};

/** Output paths (as in the generated repo) → their condition. */
export const FILE_CONDITIONS: Readonly<Record<string, FileCondition>> = {
  "files/libexec/publish-metrics.sh": jobMetrics,
  "files/systemd/gitlab-runner-aws-metrics.service": jobMetrics,
  "files/systemd/gitlab-runner-aws-metrics.timer": jobMetrics,
};

/** Whether the file at this output path exists for these answers. */
export function fileExists(path: string, answers: Answers): boolean {
  return FILE_CONDITIONS[path]?.when(answers) ?? true;
}

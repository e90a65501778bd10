import { poolViews, V1_POOL } from "./pools.js";
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
  "terraform/moved.tf": {
    when: (a) => poolViews(a).some((p) => p.name === V1_POOL),
    why: "a pool named default: schema v1 declared its resources in the root, and moved.tf moves them into the module",
  },
};

/** Whether the file at this output path exists for these answers. */
export function fileExists(path: string, answers: Answers): boolean {
  return FILE_CONDITIONS[path]?.when(answers) ?? true;
}

/**
 * Generated files whose contents now live at another path (schema v2 moved
 * one pool's resources into the runner-pool module). A user-edited copy of
 * the old path is kept, and regeneration says where its contents went: left
 * as it is, it declares the same resources a second time, which Terraform
 * refuses to plan.
 */
export const MOVED_FILES: Readonly<Record<string, string>> = {
  "terraform/asg.tf": "terraform/modules/runner-pool/asg.tf",
  "terraform/launch.tf": "terraform/modules/runner-pool/launch.tf",
  "terraform/alarms.tf": "terraform/modules/runner-pool/alarms.tf",
};

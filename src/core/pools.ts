import type { Answers } from "./types.js";

/**
 * One runner pool's answers together with the shared ones: the flat shape
 * every per-pool layer (Terraform module, runtime config, README rows, cost)
 * reads. `name` is the pool's name; `tags` is the shared tags merged with the
 * pool's (the pool's win).
 */
export type PoolView = Answers & { name: string };

/** The pools of these answers, in answer order, each as a PoolView. */
export function poolViews(a: Answers): PoolView[] {
  return [{ ...a, name: "default" }];
}

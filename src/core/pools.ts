import type { Answers, Pool } from "./types.js";

/**
 * One runner pool's answers together with the shared ones: the flat shape
 * every per-pool layer (Terraform module, runtime config, README rows, cost)
 * reads. `name` is the pool's name; `tags` is the shared tags merged with the
 * pool's (the pool's win).
 */
export type PoolView = Omit<Answers, "pools"> & Pool;

/** The pools of these answers, in answer order, each as a PoolView. */
export function poolViews(a: Answers): PoolView[] {
  const { pools, ...shared } = a;
  return pools.map((p) => ({ ...shared, ...p, tags: { ...shared.tags, ...p.tags } }));
}

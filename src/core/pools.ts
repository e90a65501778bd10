import type { Answers, Pool } from "./types.js";

/**
 * The pool that version-1 answers become (migrations.ts). It keeps the resource
 * names of a single-pool repo (names.ts poolResourceName), so moved.tf can move
 * a deployed v1 stack into it without replacing anything.
 */
export const V1_POOL = "default";

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

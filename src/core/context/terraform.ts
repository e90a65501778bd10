import type { Answers } from "../types.js";

/** Values derived from the answers for the templates of this layer (ctx.terraform). */
export function terraformContext(_a: Answers): Record<string, unknown> {
  return {};
}

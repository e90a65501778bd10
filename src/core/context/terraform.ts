import type { Answers } from "../types.js";
import { scheduleSizes, tfvars, tfVariables } from "./tf-variables.js";

export { scheduleSizes, tfvars };

/** What the generator should tell the user about these answers' Terraform. */
export function warnings(a: Answers): string[] {
  const out: string[] = [];
  if (a.useLaunchConfiguration) {
    out.push(
      "useLaunchConfiguration: launch configurations are legacy. AWS accounts created on or after 2024-10-01 cannot create them, and they get no instance types released after 2022; prefer the launch template (useLaunchConfiguration: false).",
    );
  }
  const desired = a.schedules.length ? a.schedules.map((s) => scheduleSizes(a, s).desired_capacity) : [a.asgDesiredCapacity];
  if (desired.every((d) => d === 0)) {
    out.push(
      "asgDesiredCapacity/schedules: no schedule (or the initial size) asks for a runner instance, and load-driven scaling cannot scale out from zero, so no runner would ever start.",
    );
  }
  return out;
}

/** Values derived from the answers for the templates of this layer (ctx.tf). */
export function terraformContext(a: Answers) {
  return {
    tfvars: tfvars(a),
    variables: tfVariables(),
    useLaunchConfiguration: a.useLaunchConfiguration,
  };
}

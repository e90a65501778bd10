import type { PoolView as Answers } from "../pools.js";
import { scheduleSizes, tfvars, tfVariables } from "./tf-variables.js";

export { scheduleSizes, tfvars };

/** Whether the group may run Spot instances: some capacity above the On-Demand base is not On-Demand. */
export function usesSpot(a: Answers): boolean {
  return a.onDemandPercentageAboveBase < 100;
}

/** What the generator should tell the user about these answers' Terraform. */
export function warnings(a: Answers): string[] {
  const out: string[] = [];
  if (a.useLaunchConfiguration) {
    out.push(
      "useLaunchConfiguration: launch configurations are legacy. AWS accounts created on or after 2024-10-01 cannot create them, and they get no instance types released after 2022; prefer the launch template (useLaunchConfiguration: false).",
    );
  }
  if (usesSpot(a) && a.instanceTypes.length === 1) {
    out.push(
      "onDemandPercentageAboveBase/instanceTypes: Spot with a single instance type has one capacity pool per availability zone, so " +
        "interruptions and unfilled capacity are more likely; list several similar types (e.g. t3.large, t3a.large, m5.large).",
    );
  }
  const desired = a.schedules.length
    ? a.schedules.map((s) => scheduleSizes(a, s).desired_capacity)
    : [a.asgDesiredCapacity];
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
    spot: usesSpot(a),
  };
}

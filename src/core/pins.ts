import { readJson } from "./package-root.js";

/** Every version the generated repo pins except gitlab-runner's (an answer): schema/pins.json, read here only. */
export interface Pins {
  awsProvider: string;
  terraformRequiredVersion: string;
  images: Record<"aws" | "node" | "packer" | "shellcheck" | "terraform" | "tflint" | "tofu", string>;
  packerAmazonPlugin: string;
  sessionManagerPlugin: string;
  /** The Amazon CloudWatch agent provision.sh installs, as AWS's download paths name its version. */
  cloudwatchAgent: string;
  /** The day (YYYY-MM-DD) a maintainer last checked these and the default gitlabRunnerVersion against the releases (scripts/bump-pins.mjs). */
  checked: string;
}

export const pins: Pins = readJson<Pins>("schema/pins.json");

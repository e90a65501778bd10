import type { Answers } from "../../src/core/types.js";
import { exampleAnswers, exampleFiles, validAnswers, withPool } from "./tools.js";

const base = exampleAnswers("answers.yaml");

/** Every example, plus variations of answers.yaml that reach the Terraform branches the examples leave out. */
export const terraformScenarios: [string, Answers][] = [
  ...exampleFiles.map((f): [string, Answers] => [f, exampleAnswers(f)]),
  [
    "answers.yaml with shell, one instance type (still Spot), cpu, explicit AMI, no Session Manager, the longest drain",
    validAnswers({
      ...withPool(base, {
        executor: "shell",
        instanceTypes: ["c7i.large"],
        scalingPolicy: "cpu",
        drainTimeoutSeconds: 6600,
      }),
      amiId: "ami-0123456789abcdef0",
      sessionManagerAccess: false,
    }),
  ],
  [
    "ubuntu-arm64-shell-legacy.yaml with a permissions boundary",
    validAnswers({
      ...exampleAnswers("ubuntu-arm64-shell-legacy.yaml"),
      permissionsBoundaryArn: "arn:aws:iam::210987654321:policy/runner-boundary",
    }),
  ],
  [
    "answers.yaml with a launch configuration (so no Spot), no load-driven scaling, no schedules",
    validAnswers({
      ...withPool(base, {
        instanceTypes: ["t3.large"],
        onDemandPercentageAboveBase: 100,
        scalingPolicy: "none",
        schedules: [],
      }),
      useLaunchConfiguration: true,
    }),
  ],
];

import { vi } from "vitest";
import { defineBootControls, defineBootPool, defineBootSuite } from "./support/boot-scenarios.js";

// The generated AMI booted under real systemd (test/support/boot-scenarios.ts):
// 252 is the major version of Amazon Linux 2023; 257 propagates restarts as
// Ubuntu 24.04's 255 does (changed in 253). Both suites share one pool of
// containers (GITLAB_RUNNER_AWS_BOOT_SLOTS, default 4); a scenario's time
// includes its wait for a container.
vi.setConfig({ testTimeout: 600_000 });

defineBootSuite("bookworm");
defineBootSuite("trixie");
defineBootControls("bookworm", "answers.yaml");
// A pool other than the first on a several-pool image: the hooks need nothing but its runtime config.
defineBootPool("bookworm", "three-pools.yaml", "shell-deploy");

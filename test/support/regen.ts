import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { packageRoot } from "../../src/core/package-root.js";
import { resolveAnswers } from "../../src/core/pipeline.js";
import { render } from "../../src/core/render.js";
import { loadStored } from "../../src/core/store.js";
import { loadTemplates } from "../../src/core/templates.js";
import { planRegeneration, type FileOutcome, type RegenerationPlan } from "../../src/core/update.js";
import { writeFilesAtomically } from "../../src/core/write.js";
import { requireTool } from "./tools.js";

export const fixtures = join(packageRoot, "test/fixtures");
export const templatesV1 = join(fixtures, "templates-v1");
export const templatesV2 = join(fixtures, "templates-v2");

export const requiredAnswers = {
  vpcId: "vpc-0a1b2c3d",
  subnetIds: ["subnet-0a1b2c3d"],
  buildSubnetId: "subnet-0a1b2c3d",
  ciRoleArn: "arn:aws:iam::123456789012:role/ci",
};

/** What the bin does, with a chosen template set and version: stored answers + given ones, render, plan, write. */
export function regenerate(
  dir: string,
  templatesDir: string | undefined,
  generatorVersion: string,
  options: { given?: Record<string, unknown>; restore?: boolean; write?: boolean } = {},
): RegenerationPlan {
  const stored = loadStored(dir);
  const given = options.given && { name: "given.yaml", answers: options.given };
  const { answers, errorText } = resolveAnswers({ stored, file: given ?? { name: "none", answers: {} } });
  if (!answers) throw new Error(errorText);
  const files = render(answers, { templates: loadTemplates(templatesDir), generatorVersion });
  const plan = planRegeneration(dir, files, { restore: options.restore });
  if (options.write !== false) writeFilesAtomically(dir, plan.writes, plan.removes);
  return plan;
}

export function statusOf(plan: RegenerationPlan, path: string): FileOutcome["status"] | undefined {
  return plan.outcomes.find((o) => o.path === path)?.status;
}

/** git as a user runs it, with a fixed identity and no global configuration. */
export function git(dir: string, ...args: string[]): string {
  requireTool("git");
  const r = spawnSync(
    "git",
    ["-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", "-c", "core.autocrlf=false", ...args],
    {
      cwd: dir,
      encoding: "utf8",
      env: {
        ...process.env,
        GIT_CONFIG_GLOBAL: "/dev/null",
        GIT_CONFIG_NOSYSTEM: "1",
        GIT_AUTHOR_NAME: "User",
        GIT_AUTHOR_EMAIL: "user@example.com",
        GIT_COMMITTER_NAME: "User",
        GIT_COMMITTER_EMAIL: "user@example.com",
      },
    },
  );
  if (r.status !== 0) throw new Error(`git ${args.join(" ")} failed in ${dir}: ${r.stderr}`);
  return r.stdout;
}

export function commitAll(dir: string, message: string): void {
  git(dir, "add", "-A");
  git(dir, "commit", "-q", "--allow-empty", "-m", message);
}

/** The sections of a file with conflict markers, as each side would resolve it. */
export function sides(text: string): { yours: string; generator: string; blocks: number } {
  let yours = "",
    generator = "",
    blocks = 0;
  let state: "ok" | "yours" | "base" | "generator" = "ok";
  for (const line of text.split(/(?<=\n)/)) {
    const bare = line.replace(/\n$/, "");
    if (bare === "<<<<<<< yours" && state === "ok") ((state = "yours"), blocks++);
    else if (bare === "||||||| base" && state === "yours") state = "base";
    else if (bare === "=======" && (state === "yours" || state === "base")) state = "generator";
    else if (bare === ">>>>>>> generator" && state === "generator") state = "ok";
    else if (state === "ok") ((yours += line), (generator += line));
    else if (state === "yours") yours += line;
    else if (state === "generator") generator += line;
  }
  if (state !== "ok") throw new Error("unterminated conflict block");
  return { yours, generator, blocks };
}

// npm run fuzz: the property tests of npm test (fuzz-*, escape-props) with
// many more cases. NUM_RUNS cases per property (default 5000); one seed for
// the whole run, printed first and on failure, so FUZZ_SEED=… npm run fuzz
// replays it (fast-check also prints the seed, path and counterexample).
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const numRuns = process.env.NUM_RUNS ?? "5000";
const seed = process.env.FUZZ_SEED ?? String((Math.random() * 2 ** 31) | 0);
// Each plan runs the real Terraform (about a second): a tenth as many cases.
const numTfRuns = process.env.NUM_TF_RUNS ?? String(Math.max(50, Math.round(Number(numRuns) / 10)));
const files = [
  "test/fuzz-render.test.ts",
  "test/fuzz-validate.test.ts",
  "test/escape-props.test.ts",
  "test/fuzz-terraform.test.ts",
];

console.log(
  `fuzz: NUM_RUNS=${numRuns} NUM_TF_RUNS=${numTfRuns} FUZZ_SEED=${seed}${process.env.FUZZ_PATH ? ` FUZZ_PATH=${process.env.FUZZ_PATH}` : ""}`,
);
const r = spawnSync(process.execPath, [join(root, "node_modules/vitest/vitest.mjs"), "run", ...files], {
  cwd: root,
  stdio: "inherit",
  env: { ...process.env, NUM_RUNS: numRuns, NUM_TF_RUNS: numTfRuns, FUZZ_SEED: seed },
});
if (r.status !== 0)
  console.log(
    `\nfuzz failed. Replay with: NUM_RUNS=${numRuns} FUZZ_SEED=${seed} npm run fuzz (add FUZZ_PATH=<path printed by fast-check> to start at the counterexample)`,
  );
else console.log(`\nfuzz: ${numRuns} cases per property passed (FUZZ_SEED=${seed})`);
process.exit(r.status ?? 1);

// npm run bench: median and spread of wall time, and peak memory, for the
// generator's paths, with `node -e 0` as the floor and cookiecutter (when
// installed) on a template of the same size as the yardstick. Figures, not
// assertions: these machines are shared and noisy.
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = join(root, "dist/src/bin/gitlab-runner-aws.js");
const RUNS = Number(process.env.BENCH_RUNS ?? 9);
const work = mkdtempSync(join(tmpdir(), "glra-bench-"));
// Reports the child's peak RSS on fd 3 when it exits.
const PEAK = `data:text/javascript,import{writeSync}from"node:fs";process.on("exit",()=>{try{writeSync(3,String(process.resourceUsage().maxRSS))}catch{}})`;

function timeOnce(cmd, args, { env, node = true } = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, node ? ["--import", PEAK, ...args] : args, {
    stdio: ["ignore", "pipe", "pipe", "pipe"],
    env: { ...process.env, ...env },
    encoding: "utf8",
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed: ${r.stderr}`);
  return { ms, kb: node ? Number(r.output[3]) : NaN };
}

function timeWithGnuTime(cmd, args) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync("/usr/bin/time", ["-f", "%M", cmd, ...args], { encoding: "utf8" });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
  return { ms, kb: Number(r.stderr.trim().split("\n").pop()) };
}

function stats(samples) {
  const ms = samples.map((s) => s.ms).sort((a, b) => a - b);
  const mid = ms[Math.floor(ms.length / 2)];
  const kb = Math.max(...samples.map((s) => s.kb));
  return { median: mid, spread: ms[ms.length - 1] - ms[0], peakMb: Number.isFinite(kb) ? kb / 1024 : NaN };
}

function bench(name, fn) {
  fn(-1); // warm the file cache
  const samples = [];
  for (let i = 0; i < RUNS; i++) samples.push(fn(i));
  return { name, ...stats(samples) };
}

const examples = readdirSync(join(root, "examples")).filter((f) => f.endsWith(".yaml"));
const size = (f) => readFileSync(join(root, "examples", f), "utf8").length;
const largest = [...examples].sort((a, b) => size(b) - size(a))[0];
const out = (tag, i) => join(work, `${tag}-${i}`);

const rows = [];
rows.push(bench("node -e 0 (floor)", () => timeOnce(process.execPath, ["-e", "0"])));
rows.push(
  bench("bin: examples/answers.yaml", (i) =>
    timeOnce(process.execPath, [bin, "--answers", join(root, "examples/answers.yaml"), "--out", out("bin", i)]),
  ),
);
rows.push(
  bench(`bin: examples/${largest}`, (i) =>
    timeOnce(process.execPath, [bin, "--answers", join(root, "examples", largest), "--out", out("large", i)]),
  ),
);
const existing = out("bin", 0);
rows.push(bench("bin: regenerate, nothing changed", () => timeOnce(process.execPath, [bin, "--out", existing])));
rows.push(bench("bin: --check", () => timeOnce(process.execPath, [bin, "--out", existing, "--check"])));

const envRunner = join(work, "yeoman-env.mjs");
writeFileSync(
  envRunner,
  `import { createEnv } from ${JSON.stringify(join(root, "node_modules/yeoman-environment/dist/index.js"))};
const env = createEnv({ cwd: process.argv[2], skipInstall: true });
env.register(${JSON.stringify(join(root, "dist/generators/app/index.js"))}, { namespace: "gitlab-runner-aws:app" });
await env.run(["gitlab-runner-aws:app", "--answers", ${JSON.stringify(join(root, "examples/answers.yaml"))}, "--defaults"], { skipInstall: true });
`,
);
rows.push(
  bench("yeoman-environment: examples/answers.yaml", (i) => {
    mkdirSync(out("env", i), { recursive: true });
    return timeOnce(process.execPath, [envRunner, out("env", i)]);
  }),
);

const files = readdirSync(existing, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).length;
const cookiecutter = spawnSync("sh", ["-c", "command -v cookiecutter"], { encoding: "utf8" }).stdout.trim();
if (cookiecutter) {
  // A cookiecutter template of the same files, each with one substitution.
  const tpl = join(work, "cc-template");
  cpSync(existing, join(tpl, "{{cookiecutter.project_slug}}"), { recursive: true });
  writeFileSync(join(tpl, "cookiecutter.json"), JSON.stringify({ project_slug: "acme-runners" }));
  for (const e of readdirSync(join(tpl, "{{cookiecutter.project_slug}}"), { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const p = join(e.parentPath ?? e.path, e.name);
    writeFileSync(p, "{% raw %}" + readFileSync(p, "utf8") + "{% endraw %}{{ cookiecutter.project_slug }}\n");
  }
  rows.push(
    bench(`cookiecutter (${files} files, same content)`, (i) =>
      timeWithGnuTime(cookiecutter, ["--no-input", "-f", "-o", out("cc", i), tpl]),
    ),
  );
} else {
  rows.push({
    name: "cookiecutter: not installed (apt-get install -y cookiecutter)",
    median: NaN,
    spread: NaN,
    peakMb: NaN,
  });
}

const { render } = await import(join(root, "dist/src/core/render.js"));
const { loadTemplates } = await import(join(root, "dist/src/core/templates.js"));
const { validateAnswers } = await import(join(root, "dist/src/core/validate.js"));
const { readAnswersFile } = await import(join(root, "dist/src/core/answers-file.js"));
const answers = validateAnswers(readAnswersFile(join(root, "examples/answers.yaml"))).answers;
const templates = loadTemplates();
render(answers, { templates, generatorVersion: "bench" });
const t0 = performance.now();
let n = 0;
while (performance.now() - t0 < 2000) {
  render(answers, { templates, generatorVersion: "bench" });
  n++;
}
const perSecond = n / ((performance.now() - t0) / 1000);

const fmt = (x, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : "–");
console.log(
  `machine: ${cpus().length} × ${cpus()[0]?.model.trim()}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}; ${RUNS} runs each; ${files} files generated`,
);
console.log("");
console.log("| case | median ms | spread ms | peak MiB |");
console.log("| --- | ---: | ---: | ---: |");
for (const r of rows) console.log(`| ${r.name} | ${fmt(r.median)} | ${fmt(r.spread)} | ${fmt(r.peakMb, 1)} |`);
console.log(
  `| render() in process, examples/answers.yaml | ${fmt(1000 / perSecond, 2)} per render | ${fmt(perSecond)} renders/s | ${fmt(process.resourceUsage().maxRSS / 1024, 1)} |`,
);
rmSync(work, { recursive: true, force: true });

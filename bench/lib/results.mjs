// Appends a run record to bench/results.json and rewrites bench/RESULTS.md from the latest run
// (and the latest head step and partial fine-tune step runs, see head-bench.mjs and step-results.mjs).
import fs from 'node:fs';
import path from 'node:path';
import { headStepMarkdown } from './head-bench.mjs';
import { stepMarkdown } from './step-results.mjs';
import { gpuMarkdown } from './gpu-results.mjs';

export const TARGETS = {
  cold_ratio: 0.7,
  warm_ratio: 0.1,
  accuracy_points: 1,
  peak_rss_mib: 2048,
};

export function writeResults(dir, run) {
  const record = { ...run, ratios: ratios(run), targets: verdicts(run) };
  updateResults(dir, (data) => data.runs.push(record));
}

/** Changes results.json with `change` (other sections are kept) and rewrites RESULTS.md from it. */
export function updateResults(dir, change) {
  const file = path.join(dir, 'results.json');
  const data = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : {};
  data.runs ??= [];
  change(data);
  fs.writeFileSync(file, JSON.stringify(data, null, 2) + '\n');
  const job = data.runs.length ? markdown(data.runs[data.runs.length - 1]) + history(data.runs) : '# Benchmark results\n';
  fs.writeFileSync(
    path.join(dir, 'RESULTS.md'),
    job + headStepMarkdown(data.head_step) + stepMarkdown(data.partial_finetune_step) + gpuMarkdown(data.gpu_runs),
  );
  console.log(`wrote ${file} and RESULTS.md`);
}

function ratios({ pytorch, ours_cold, ours_warm }) {
  const r = (a, b) => +(a / b).toFixed(3);
  return {
    cold_ours_over_pytorch: r(ours_cold.wall_s, pytorch.wall_s),
    warm_ours_over_pytorch_cold: r(ours_warm.wall_s, pytorch.wall_s),
    features_ours_over_pytorch: r(ours_cold.features_s, pytorch.features_s),
    head_training_ours_over_pytorch: r(ours_cold.train_s, pytorch.train_s),
    cold_cpu_time_ours_over_pytorch: ours_cold.cpu_s ? r(ours_cold.cpu_s, pytorch.cpu_s) : null,
  };
}

function verdicts(run) {
  const { cold_ours_over_pytorch: cold, warm_ours_over_pytorch_cold: warm } = ratios(run);
  const gap = Math.abs(run.ours_cold.accuracy - run.pytorch.accuracy) * 100;
  return {
    cold_ratio: { target: `<= ${TARGETS.cold_ratio}`, value: cold, met: cold <= TARGETS.cold_ratio },
    accuracy_gap_points: { target: `<= ${TARGETS.accuracy_points}`, value: +gap.toFixed(2), met: gap <= TARGETS.accuracy_points },
    warm_ratio: { target: `<= ${TARGETS.warm_ratio}`, value: warm, met: warm <= TARGETS.warm_ratio },
    cold_peak_rss_mib: {
      target: `<= ${TARGETS.peak_rss_mib}`,
      value: run.ours_cold.peak_rss_mib,
      met: run.ours_cold.peak_rss_mib <= TARGETS.peak_rss_mib,
    },
  };
}

const s = (x) => (x === undefined || x === null || Number.isNaN(x) ? '-' : `${x.toFixed(1)} s`);
const pct = (x) => (x === undefined ? '-' : `${(x * 100).toFixed(2)} %`);
const mib = (x) => (x === null || x === undefined ? '-' : `${Math.round(x)} MiB`);

function markdown(r) {
  const rows = [
    ['PyTorch (reference), cold', r.pytorch, '1.00'],
    ['ours, cold (empty feature cache)', r.ours_cold, r.ratios.cold_ours_over_pytorch.toFixed(2)],
    ['ours, warm re-run (cached features)', r.ours_warm, r.ratios.warm_ours_over_pytorch_cold.toFixed(2)],
  ];
  const table = rows.map(
    ([name, m, ratio]) =>
      `| ${name} | ${s(m.wall_s)} | ${ratio} | ${s(m.features_s)} | ${s(m.train_s)} | ${pct(m.accuracy)} | ${mib(m.peak_rss_mib)} | ${s(m.cpu_s)} | ${m.load_average_before[0].toFixed(2)} |`,
  );
  const targets = Object.entries(r.targets).map(([k, t]) => `| ${k} | ${t.target} | ${t.value} | ${t.met ? 'met' : 'NOT met'} |`);
  const m = r.machine;
  return `# Benchmark results

Latest run: ${r.date}, commit ${m.commit ?? 'unknown'}, on ${m.nproc} cores (${m.cpu_model}), ${m.memory_gib} GiB, Node ${m.node}, PyTorch ${r.pytorch.torch} (${r.pytorch.threads} threads).
Load average when it started: ${m.load_average.join(', ')} (other work on the machine slows every number).
All runs are in [results.json](results.json); how to run and what the targets mean: [README.md](README.md).

Job: Fashion-MNIST, ${r.job.train} train / ${r.job.validation} validation / ${r.job.test} test, ${r.job.size} px, frozen MobileNetV2 cut at \`${r.job.cut}\`, dense head (128, dropout 0.2), Adam, batch 64, ${r.job.epochs} epochs. Feature workers: ${r.job.workers}.
Port check before timing: ${r.port_check.compared} images, max |ours - PyTorch| feature difference ${r.port_check.max_abs_diff.toExponential(2)} (features up to ${r.port_check.max_feature.toFixed(2)}).

| run | wall time | ratio to PyTorch cold | features | head training | test accuracy | peak RSS | CPU time (user + sys) | load average before |
|---|---|---|---|---|---|---|---|---|
${table.join('\n')}

| target | wanted | measured | |
|---|---|---|---|
${targets.join('\n')}
`;
}

/** Every run so far: how much the times move between runs on a shared machine. */
function history(runs) {
  const lines = runs.map(
    (r) =>
      `| ${r.date.slice(0, 16).replace('T', ' ')} | ${s(r.pytorch.wall_s)} | ${s(r.ours_cold.wall_s)} | ${r.ratios.cold_ours_over_pytorch.toFixed(2)} | ${s(r.ours_warm.wall_s)} | ${r.ratios.warm_ours_over_pytorch_cold.toFixed(2)} | ${r.ratios.cold_cpu_time_ours_over_pytorch?.toFixed(2) ?? '-'} |`,
  );
  return `
## All runs

| date (UTC) | PyTorch cold | ours cold | ratio | ours warm | ratio | CPU-time ratio, cold |
|---|---|---|---|---|---|---|
${lines.join('\n')}
`;
}

#!/usr/bin/env node
// Feature extraction on one thread against feature workers: the example job (6,000 images, 96 px)
// with no feature cache, FINETUNE_WORKERS=1 then 2 (or the counts given). Reports each time and
// whether the metrics, predictions and model weights came out identical. Autogroup scheduling
// gives each busy login session an equal share of the cores: measure when nothing else runs.
//   node bench/workers.mjs [counts, default "1,2"]
import fs from 'node:fs';
import path from 'node:path';
import { machine, timed } from './lib/measure.mjs';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const WORK = path.join(ROOT, 'bench', 'work');
const EXAMPLE = 'examples/fashion-mnist/finetune.yml';

/** The example spec without its baseline file, which only the gate reads. */
function exampleSpec() {
  const text = fs.readFileSync(path.join(ROOT, EXAMPLE), 'utf8').replace(/^ {2}baseline:\n(?: {4}.*\n)+/m, '');
  const file = path.join(WORK, 'workers.yml');
  fs.writeFileSync(file, text);
  return file;
}

function run(workers, spec) {
  const out = path.join(WORK, `out-workers-${workers}`);
  fs.rmSync(out, { recursive: true, force: true });
  const args = ['bin/finetune.js', 'run', '--spec', spec, '--backend', 'wasm', '--no-cache', '--out', out];
  const res = timed(`workers-${workers}`, WORK, process.execPath, args, { FINETUNE_WORKERS: String(workers) });
  if (res.status !== 0) throw new Error(`FINETUNE_WORKERS=${workers}: exit ${res.status} (see ${res.log})`);
  const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
  const weights = fs.readFileSync(path.join(out, 'model', 'weights.bin'));
  return { workers, ...res.measure, features_s: report.timing.features_s, report, weights };
}

function main() {
  process.chdir(ROOT);
  fs.mkdirSync(WORK, { recursive: true });
  const counts = (process.argv[2] ?? '1,2').split(',').map(Number);
  const spec = exampleSpec();
  const start = machine();
  const runs = counts.map((n) => run(n, spec));
  const [first] = runs;
  const base = runs.find((r) => r.workers === 1) ?? first;
  const same = (r) =>
    JSON.stringify([r.report.metrics, r.report.predictions]) === JSON.stringify([first.report.metrics, first.report.predictions]) &&
    r.weights.equals(first.weights);
  console.log(`machine: ${start.nproc} cores, ${start.cpu_model}, load average ${start.load_average.join(', ')}`);
  for (const r of runs) {
    const speedup = (base.features_s / r.features_s).toFixed(2);
    console.log(
      `FINETUNE_WORKERS=${r.workers}: features ${r.features_s.toFixed(1)} s (${speedup}x one thread), job ${r.wall_s.toFixed(1)} s, peak RSS ${r.peak_rss_mib} MiB, accuracy ${r.report.metrics.accuracy}, identical to the first: ${same(r)}`,
    );
  }
}

main();

#!/usr/bin/env node
// The benchmark: the same fine-tuning job run by our CLI and by a reference PyTorch script, on the
// same data, weights and machine, then the head's training step and one partial backbone
// fine-tune step timed on both sides.
// See bench/README.md. The job needs `npm run build` first.
//   node bench/run.mjs [--only job|head-step|finetune-step] [--steps N] [--rounds N]
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { makeData, CLASSES } from './lib/data.mjs';
import { machine, timed } from './lib/measure.mjs';
import { writeResults } from './lib/results.mjs';
import { headStepBenchmark } from './lib/head-bench.mjs';
import { STEP, stepBenchmark } from './lib/step-bench.mjs';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const WORK = path.join(ROOT, 'bench', 'work');
const PYTHON = '/usr/bin/python3';
const MODEL_JSON = 'examples/fashion-mnist/models/mobilenet_v2/model.json';
const JOB = { train: 9000, validation: 1000, test: 2000, size: 96, cut: 'block_13_expand_relu', epochs: 10 };
/** Largest |ours - PyTorch| accepted on a feature before anything is timed. */
const PORT_TOLERANCE = 1e-4;

function spec(name, dataDir, epochs) {
  const pair = (s) => `{ images: ${dataDir}/${s}-images.gz, labels: ${dataDir}/${s}-labels.gz }`;
  return `version: 1
name: ${name}
task: image-classification
seed: 42
model:
  base: ${MODEL_JSON}
  cut: ${JOB.cut}
  head: { hidden: [128], dropout: 0.2 }
  input: { size: [${JOB.size}, ${JOB.size}], channels: 3, scale: [-1, 1] }
data:
  format: idx
  train: ${pair('train')}
  validation: ${pair('validation')}
  test: ${pair('test')}
  classes: [${CLASSES.join(', ')}]
train:
  epochs: ${epochs}
  batch_size: 64
  optimizer: adam
  learning_rate: 0.001
  early_stopping: false
  max_minutes: 60
gate:
  metrics:
    accuracy: { min: 0 }
`;
}

function preflight(job) {
  const need = [
    ...(job ? [['dist/cli/index.js', 'run `npm run build`']] : []),
    [MODEL_JSON, 'run `npm run example:model`'],
    [PYTHON, 'apt-get install python3-torch python3-torchvision'],
    ['/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz', 'apt-get install dataset-fashion-mnist'],
  ];
  for (const [file, fix] of need) if (!fs.existsSync(path.resolve(ROOT, file))) throw new Error(`${file} is missing: ${fix}`);
}

/** Our CLI on a spec; the feature cache lives in cacheDir. */
function ours(label, specFile, cacheDir) {
  const out = path.join(WORK, `out-${label}`);
  fs.rmSync(out, { recursive: true, force: true });
  const run = timed(label, WORK, process.execPath, ['bin/finetune.js', 'run', '--spec', specFile, '--backend', 'wasm', '--out', out], {
    FINETUNE_CACHE_DIR: cacheDir,
  });
  if (run.status !== 0) throw new Error(`${label}: our CLI exited ${run.status} (see ${run.log})`);
  const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
  return { ...run.measure, features_s: report.timing.features_s, train_s: report.timing.train_s, accuracy: report.metrics.accuracy };
}

function python(label, script, args) {
  const run = timed(label, WORK, PYTHON, [path.join(ROOT, 'bench', script), ...args], { OMP_NUM_THREADS: '2' });
  if (run.status !== 0) throw new Error(`${label}: ${script} exited ${run.status} (see ${run.log})`);
  const lines = run.stdout.trim().split('\n');
  return { ...run.measure, ...JSON.parse(lines[lines.length - 1]) };
}

/** Ports the Keras weights into PyTorch and checks both give the same features on a few images. */
function portAndCheck(stateDict) {
  python('port', 'keras_mobilenet.py', [path.join(ROOT, MODEL_JSON), stateDict]);
  const cache = freshDir('cache-check');
  ours('check-ours', path.join(WORK, 'check.yml'), cache);
  const check = python('check-pytorch', 'check_features.py', [
    stateDict,
    JOB.cut,
    String(JOB.size),
    cache,
    path.join(WORK, 'check-data', 'test-images.gz'),
  ]);
  console.log(
    `port check: ${check.compared} images, max |ours - pytorch| = ${check.max_abs_diff.toExponential(2)} (features up to ${check.max_feature.toFixed(2)})`,
  );
  if (!(check.max_abs_diff <= PORT_TOLERANCE))
    throw new Error(`the ported PyTorch backbone differs from ours by ${check.max_abs_diff}: not timing anything`);
  return { compared: check.compared, max_abs_diff: check.max_abs_diff, max_feature: check.max_feature };
}

function freshDir(name) {
  const dir = path.join(WORK, name);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

function main() {
  const { values: opts } = parseArgs({
    options: { only: { type: 'string' }, steps: { type: 'string' }, rounds: { type: 'string' } },
  });
  if (opts.only && !['job', 'head-step', 'finetune-step'].includes(opts.only))
    throw new Error(`--only: job, head-step or finetune-step, not ${opts.only}`);
  process.chdir(ROOT);
  preflight(!opts.only || opts.only === 'job');
  // Our side runs under this node; records from different versions are not quite comparable.
  if (Number(process.versions.node.split('.')[0]) < 22) {
    console.log(
      `note: Node ${process.version} has no WebAssembly multi-memory, so our helper threads copy their operands with typed arrays (about 5x slower); \`npm run bench\` runs Node 24`,
    );
  }
  fs.mkdirSync(WORK, { recursive: true });
  const runs = (part) => !opts.only || opts.only === part;
  if (runs('job')) job();
  if (runs('head-step')) headStepBenchmark({ root: ROOT, work: WORK, python: PYTHON });
  if (runs('finetune-step')) step(Number(opts.steps ?? STEP.steps), Number(opts.rounds ?? STEP.rounds));
}

/** The partial backbone fine-tune step on both sides (bench/lib/step-bench.mjs). */
function step(steps, rounds) {
  const stateDict = path.join(WORK, 'mobilenet_v2_keras.pt');
  python('port', 'keras_mobilenet.py', [path.join(ROOT, MODEL_JSON), stateDict]); // a few seconds: never a stale port
  stepBenchmark({ root: ROOT, work: WORK, python: PYTHON, stateDict, steps, rounds });
}

function job() {
  const startMachine = machine();
  makeData(path.join(WORK, 'data'), JOB);
  makeData(path.join(WORK, 'check-data'), { train: 96, validation: 32, test: 64 });
  fs.writeFileSync(path.join(WORK, 'bench.yml'), spec('bench-fashion-mnist', 'bench/work/data', JOB.epochs));
  fs.writeFileSync(path.join(WORK, 'check.yml'), spec('bench-port-check', 'bench/work/check-data', 1));
  const stateDict = path.join(WORK, 'mobilenet_v2_keras.pt');
  const portCheck = portAndCheck(stateDict);
  const cache = freshDir('cache');
  const pytorch = python('pytorch', 'reference.py', [stateDict, JOB.cut, String(JOB.size), String(JOB.epochs), path.join(WORK, 'data')]);
  const oursCold = ours('ours-cold', path.join(WORK, 'bench.yml'), cache);
  const oursWarm = ours('ours-warm', path.join(WORK, 'bench.yml'), cache);
  const record = {
    date: new Date().toISOString(),
    machine: startMachine,
    job: { ...JOB, workers: process.env.FINETUNE_WORKERS ?? 'default' },
    port_check: portCheck,
    pytorch,
    ours_cold: oursCold,
    ours_warm: oursWarm,
  };
  writeResults(path.join(ROOT, 'bench'), record);
}

main();

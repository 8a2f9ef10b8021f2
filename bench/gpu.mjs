#!/usr/bin/env node
// GPU measurements: the benchmark job (frozen MobileNetV2 features + head) cold and warm, and the
// two-phase example (head, then blocks 12-13 of the base), on each GPU backend the machine can run:
// webgpu (Dawn over Vulkan) and tensorflow-gpu (tfjs-node-gpu, CUDA 11.2 + cuDNN 8.1) where it is
// installed. Records go to results.json (gpu_runs) and RESULTS.md with the device that trained.
//   node bench/gpu.mjs [--dry-run] [--backends webgpu,tensorflow-gpu]
// --dry-run: a small job on whatever adapter there is (lavapipe on a CPU machine), to show the
// script works; it records nothing. A real run uses --require-gpu, so a CPU fallback stops it
// instead of being recorded as a GPU number. bench/gpu.sh prepares Vulkan on a GPU machine and
// runs this. Needs `npm run build` (FINETUNE_CLI picks another bundle) and the example model.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parse, stringify } from 'yaml';
import { CLASSES, makeData } from './lib/data.mjs';
import { machine } from './lib/measure.mjs';
import { updateResults } from './lib/results.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const WORK = path.join(ROOT, 'bench', 'work', 'gpu');
const CLI = path.resolve(process.env.FINETUNE_CLI ?? path.join(ROOT, 'dist/cli/index.js'));
const MODEL_JSON = 'examples/fashion-mnist/models/mobilenet_v2/model.json';
const EXAMPLE_DATA = path.join(ROOT, 'examples/fashion-mnist/data');
const DEBIAN_DATA = '/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz';
const TWO_PHASE = path.join(ROOT, 'examples/fashion-mnist/finetune-two-phase.yml');
/** The job of bench/run.mjs; without Debian's dataset the example's 5,000 + 1,000 images stand in. */
const JOB = { train: 9000, validation: 1000, test: 2000, size: 96, cut: 'block_13_expand_relu', epochs: 10 };
const EXAMPLE_JOB = { ...JOB, train: 4000, validation: 1000, test: 1000 };
const DRY_JOB = { ...JOB, train: 64, validation: 32, test: 64, size: 48, epochs: 2 };

const { values: opts } = parseArgs({
  options: { 'dry-run': { type: 'boolean', default: false }, backends: { type: 'string', default: 'webgpu,tensorflow-gpu' } },
});
const dryRun = opts['dry-run'];

function main() {
  for (const [file, fix] of [
    [CLI, 'run `npm run build`'],
    [path.join(ROOT, MODEL_JSON), 'run `npm run example:model`'],
  ]) {
    if (!fs.existsSync(file)) throw new Error(`${file} is missing: ${fix}`);
  }
  fs.rmSync(WORK, { recursive: true, force: true });
  fs.mkdirSync(path.join(WORK, 'logs'), { recursive: true });
  const doctor = finetuneJson(['doctor', '--json']);
  console.log(
    `GPU: ${doctor.devices.nvidia_gpu ?? 'none'}; Vulkan: ${doctor.devices.vulkan_adapters.map((a) => `${a.name} (${a.kind})`).join('; ') || doctor.devices.vulkan_problem}`,
  );
  const { job, data } = jobData();
  const specs = { job: writeJobSpec(job), twoPhase: writeTwoPhaseSpec() };
  const results = [];
  const skipped = [];
  for (const backend of opts.backends
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean)) {
    const why = unusable(backend, doctor);
    if (why) {
      console.log(`${backend}: skipped (${why})`);
      skipped.push({ backend, why });
      continue;
    }
    results.push(measureBackend(backend, specs));
  }
  const record = {
    date: new Date().toISOString(),
    machine: machine(),
    gpu: doctor.devices.nvidia_gpu,
    vulkan_adapters: doctor.devices.vulkan_adapters,
    job: { ...job, data },
    two_phase: dryRun
      ? 'examples/fashion-mnist/finetune-two-phase.yml, shortened for the dry run (its data, 48 px, 2 + 1 epochs)'
      : 'examples/fashion-mnist/finetune-two-phase.yml',
    results,
    skipped,
  };
  console.log(table(record));
  if (dryRun) {
    fs.writeFileSync(path.join(WORK, 'dry-run.json'), JSON.stringify(record, null, 2) + '\n');
    console.log(`dry run: nothing recorded (the record is in ${path.relative(ROOT, WORK)}/dry-run.json)`);
    return;
  }
  if (results.length === 0) throw new Error('no GPU backend could run here: nothing recorded');
  updateResults(path.join(ROOT, 'bench'), (all) => (all.gpu_runs ??= []).push(record));
}

/** Why a backend cannot be measured here, from `finetune doctor`; undefined when it can. */
function unusable(backend, doctor) {
  const b = doctor.backends.find((x) => x.name === backend);
  if (!b) return `not a GPU backend: ${backend}`;
  if (!b.installed) return b.note;
  const gpuPath = doctor.auto.why.find((w) => w.backend === backend);
  // A dry run takes webgpu on a software adapter; a real one only what can use the GPU.
  if (dryRun && backend === 'webgpu') return doctor.devices.vulkan_adapters.length > 0 ? undefined : doctor.devices.vulkan_problem;
  return gpuPath?.verdict.startsWith('not usable') ? gpuPath.verdict : undefined;
}

function measureBackend(backend, specs) {
  const cache = path.join(WORK, `cache-${backend}`);
  const cold = run(`${backend}-job-cold`, specs.job, backend, cache);
  const warm = run(`${backend}-job-warm`, specs.job, backend, cache);
  const twoPhase = run(`${backend}-two-phase`, specs.twoPhase, backend, path.join(WORK, `cache-${backend}-two-phase`));
  return { backend, device: cold.device, job_cold: cold, job_warm: warm, two_phase: twoPhase };
}

/** One `finetune run`: wall time from start to exit, and what its report says. */
function run(label, spec, backend, cacheDir) {
  const out = path.join(WORK, `out-${label}`);
  const args = ['run', '--spec', spec, '--backend', backend, '--out', out, ...(dryRun ? [] : ['--require-gpu'])];
  console.log(`${label}: finetune ${args.join(' ')}`);
  const started = process.hrtime.bigint();
  const res = spawnSync(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, FINETUNE_CACHE_DIR: cacheDir },
    maxBuffer: 256 << 20,
  });
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  const log = path.join(WORK, 'logs', `${label}.log`);
  fs.writeFileSync(log, `${res.stdout}\n--- stderr ---\n${res.stderr}`);
  if (res.status !== 0 && res.status !== 1) throw new Error(`${label}: finetune exited ${res.status} (see ${log})`);
  const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
  const device = report.fingerprint.device ?? report.fingerprint.backend;
  if (!dryRun && / on CPU /.test(device)) throw new Error(`${label} trained on ${device}: not a GPU number, nothing recorded`);
  const r = {
    wall_s: +wall.toFixed(2),
    features_s: report.timing.features_s,
    train_s: report.timing.train_s,
    accuracy: report.metrics.accuracy,
    device,
  };
  console.log(
    `${label}: ${r.wall_s} s (features ${r.features_s.toFixed(1)} s, training ${r.train_s.toFixed(1)} s), accuracy ${(r.accuracy * 100).toFixed(2)} % on ${device}`,
  );
  return r;
}

function finetuneJson(args) {
  const res = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`finetune ${args.join(' ')} exited ${res.status}: ${res.stderr}`);
  return JSON.parse(res.stdout);
}

/** The benchmark job's data: Debian's Fashion-MNIST where installed (as bench/run.mjs), else the example's. */
function jobData() {
  const dir = path.join(WORK, 'data');
  if (dryRun) {
    makeData(dir, DRY_JOB, EXAMPLE_DATA);
    return { job: DRY_JOB, data: 'the example data, shortened to 48 px (dry run)' };
  }
  if (fs.existsSync(DEBIAN_DATA)) {
    makeData(dir, JOB);
    return { job: JOB, data: 'Debian dataset-fashion-mnist, as bench/run.mjs' };
  }
  makeData(dir, EXAMPLE_JOB, EXAMPLE_DATA);
  return { job: EXAMPLE_JOB, data: "examples/fashion-mnist/data (Debian's dataset is not installed here)" };
}

function writeJobSpec(job) {
  const pair = (s) => ({ images: `bench/work/gpu/data/${s}-images.gz`, labels: `bench/work/gpu/data/${s}-labels.gz` });
  const spec = {
    version: 1,
    name: 'bench-gpu-job',
    task: 'image-classification',
    seed: 42,
    model: {
      base: MODEL_JSON,
      cut: job.cut,
      head: { hidden: [128], dropout: 0.2 },
      input: { size: [job.size, job.size], channels: 3, scale: [-1, 1] },
    },
    data: { format: 'idx', train: pair('train'), validation: pair('validation'), test: pair('test'), classes: CLASSES },
    train: { epochs: job.epochs, batch_size: 64, optimizer: 'adam', learning_rate: 0.001, early_stopping: false, max_minutes: 60 },
    gate: { metrics: { accuracy: { min: 0 } } },
  };
  const file = path.join(WORK, 'job.yml');
  fs.writeFileSync(file, stringify(spec));
  return file;
}

/** The example as it is; for the dry run on its shortened data, with 2 + 1 epochs. */
function writeTwoPhaseSpec() {
  const spec = parse(fs.readFileSync(TWO_PHASE, 'utf8'));
  spec.output = { ...spec.output, dir: 'bench/work/gpu/two-phase-out' };
  if (dryRun) {
    const pair = (s) => ({ images: `bench/work/gpu/data/${s}-images.gz`, labels: `bench/work/gpu/data/${s}-labels.gz` });
    spec.data = { ...spec.data, train: pair('train'), test: pair('test'), split: undefined, validation: pair('validation') };
    delete spec.data.split;
    spec.model.input = { ...spec.model.input, size: [DRY_JOB.size, DRY_JOB.size] };
    spec.train = { ...spec.train, epochs: 2, early_stopping: false, finetune: { ...spec.train.finetune, epochs: 1 } };
    spec.gate = { metrics: { accuracy: { min: 0 } }, baseline: { from: 'none' } };
  }
  const file = path.join(WORK, 'two-phase.yml');
  fs.writeFileSync(file, stringify(spec));
  return file;
}

function table(record) {
  const s = (x) => `${x.wall_s.toFixed(1)} s`;
  const rows = record.results.map(
    (r) =>
      `| ${r.backend} | ${r.device} | ${s(r.job_cold)} | ${s(r.job_warm)} | ${(r.job_cold.accuracy * 100).toFixed(2)} % | ${s(r.two_phase)} | ${(r.two_phase.accuracy * 100).toFixed(2)} % |`,
  );
  return (
    [
      '| backend | device | job cold | job warm | job accuracy | two-phase | two-phase accuracy |',
      '|---|---|---|---|---|---|---|',
      ...rows,
    ].join('\n') + os.EOL
  );
}

try {
  main();
} catch (err) {
  console.error(`bench/gpu.mjs: ${err.message}`);
  process.exit(1);
}

// The verdict on a real task: Fashion-MNIST images from the example through the real base model,
// heads retrained with other seeds and nothing else changed, each gated against another run
// (max_drop 0.01, confidence 0.95, as in docs/verdict.md). The head and training settings are the
// example's (the default linear head, no early stopping); a wider head with dropout, which moves
// more from seed to seed, is measured too. Features are extracted once and cached; each rerun
// trains only the head. A label bug in one class must fail.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { runPipeline } from '../src/pipeline/run.js';
import { evaluateGate, exitCodeFor } from '../src/gate/evaluate.js';
import { evaluatedFromReport, gateConfigOf } from '../src/pipeline/gate-inputs.js';
import { parseSpec } from '../src/spec/load.js';
import { silentLogger } from '../src/util/log.js';
import { createRng } from '../src/util/random.js';
import { classificationMetrics } from '../src/metrics/classification.js';
import type { EvaluatedModel } from '../src/gate/types.js';
import type { Report, Verdict } from '../src/domain/types.js';
import { EXAMPLE_DIR } from './helpers/tiny-repo.js';

const TRAIN = 3000;
const TEST = 2000;
const CLEAN_SEEDS = 16;
/** The smaller test set of the same runs: their first 539 test examples. */
const SMALL_TEST = 539;
const BUGGY_SEEDS = 4;
const WIDE_SEEDS = 12;
const MAX_DROP = 0.01;
/** The label bug: this share of the training coats is labelled pullover (about 3 points of accuracy). */
const BUG_SHARE = 0.45;
const [COAT, PULLOVER] = [4, 2];

/** Items [from, from + n) of a gzipped IDX file, as a gzipped IDX file; `relabel` may change label bytes. */
function idxSlice(file: string, from: number, n: number, relabel?: (label: number) => number): Buffer {
  const buf = zlib.gunzipSync(fs.readFileSync(file));
  const rank = buf[3];
  const header = Buffer.from(buf.subarray(0, 4 + rank * 4));
  const item = Array.from({ length: rank - 1 }, (_, i) => header.readUInt32BE(8 + i * 4)).reduce((a, b) => a * b, 1);
  header.writeUInt32BE(n, 4);
  const start = 4 + rank * 4 + from * item;
  const body = Buffer.from(buf.subarray(start, start + n * item));
  if (relabel) for (let i = 0; i < body.length; i++) body[i] = relabel(body[i]);
  return zlib.gzipSync(Buffer.concat([header, body]));
}

const GATE = '  metrics:\n    accuracy: { max_drop: 0.01 }\n    f1_macro: { max_drop: 0.01 }';
/** The wider head of the example before it moved to the default. */
const WIDE_HEAD = '\n  head: { hidden: [128], dropout: 0.2 }';

const specText = (seed: number, labels: string, gate = GATE, head = '') => `version: 1
name: verdict-e2e
task: image-classification
seed: ${seed}
model:
  base: models/base/model.json
  cut: block_13_expand_relu${head}
  input: { size: [48, 48] }
data:
  format: idx
  train: { images: data/train-images.gz, labels: data/${labels} }
  test: { images: data/test-images.gz, labels: data/test-labels.gz }
  split: { validation: 0.15 }
train:
  epochs: 30
  batch_size: 64
  optimizer: adam
  learning_rate: 0.001
gate:
${gate}
`;

let repo: string;
let cacheDir: string;
const clean: Report[] = [];
const buggy: Report[] = [];
const wide: Report[] = [];

async function run(seed: number, labels: string, out: string, gate?: string, head?: string) {
  const file = path.join(repo, `${out}.yml`);
  fs.writeFileSync(file, specText(seed, labels, gate, head));
  return runPipeline({ specPath: file, outDir: path.join(repo, out), backend: 'wasm', cacheDir, log: silentLogger });
}

beforeAll(async () => {
  repo = fs.mkdtempSync(path.join(os.tmpdir(), 'finetune-verdict-'));
  fs.mkdirSync(path.join(repo, '.git'));
  fs.mkdirSync(path.join(repo, 'data'));
  const src = (f: string) => path.join(EXAMPLE_DIR, 'data', f);
  // The example's training file holds 5,000 images: the first 3,000 train, the last 2,000 test.
  const write = (name: string, buf: Buffer) => fs.writeFileSync(path.join(repo, 'data', name), buf);
  write('train-images.gz', idxSlice(src('train-images-idx3-ubyte.gz'), 0, TRAIN));
  write('train-labels.gz', idxSlice(src('train-labels-idx1-ubyte.gz'), 0, TRAIN));
  const rng = createRng(99);
  write(
    'buggy-labels.gz',
    idxSlice(src('train-labels-idx1-ubyte.gz'), 0, TRAIN, (y) => (y === COAT && rng() < BUG_SHARE ? PULLOVER : y)),
  );
  write('test-images.gz', idxSlice(src('train-images-idx3-ubyte.gz'), 5000 - TEST, TEST));
  write('test-labels.gz', idxSlice(src('train-labels-idx1-ubyte.gz'), 5000 - TEST, TEST));
  fs.cpSync(path.join(EXAMPLE_DIR, 'models/mobilenet_v2'), path.join(repo, 'models/base'), { recursive: true });
  cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'finetune-cache-'));
  for (let s = 1; s <= CLEAN_SEEDS; s++) clean.push((await run(s, 'train-labels.gz', `clean-${s}`)).report);
  for (let s = 1; s <= BUGGY_SEEDS; s++) buggy.push((await run(100 + s, 'buggy-labels.gz', `buggy-${s}`)).report);
  for (let s = 1; s <= WIDE_SEEDS; s++) wide.push((await run(s, 'train-labels.gz', `wide-${s}`, GATE, WIDE_HEAD)).report);
}, 600_000);

/** The same model scored on its first `n` test examples only (metrics recomputed from its predictions). */
function onFirst(report: Report, n: number): EvaluatedModel {
  const full = evaluatedFromReport(report);
  const y_true = report.predictions!.y_true.slice(0, n);
  const y_pred = report.predictions!.y_pred.slice(0, n);
  const { metrics } = classificationMetrics(y_true, y_pred, full.labels);
  return { ...full, metrics: { ...metrics }, predictions: { y_true, y_pred }, test_set_sha256: `${full.test_set_sha256}:first-${n}` };
}

/** The gate of the spec above on every candidate against every other baseline run. */
function verdicts(candidates: Report[], baselines: Report[], examples = TEST): Verdict[] {
  const config = gateConfigOf(parseSpec(specText(1, 'train-labels.gz'), 'finetune.yml'));
  const scored = (r: Report) => (examples === TEST ? evaluatedFromReport(r) : onFirst(r, examples));
  return candidates.flatMap((c) => baselines.filter((b) => b !== c).map((b) => evaluateGate(config, scored(c), scored(b)).verdict));
}

const share = (list: Verdict[], v: Verdict) => list.filter((x) => x === v).length / list.length;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Share of test examples that exactly one of two runs gets right (docs/verdict.md's "differ on"). */
function discordant(a: Report, b: Report): number {
  const { y_true, y_pred } = a.predictions;
  const other = b.predictions.y_pred;
  return y_true.filter((y, i) => (y_pred[i] === y) !== (other[i] === y)).length / y_true.length;
}

/** Share of pass / inconclusive / fail, printed so a run records what it measured. */
function tally(what: string, list: Verdict[], runs: Report[]): void {
  const accs = runs.map((r) => r.metrics.accuracy);
  const sd = Math.sqrt(accs.reduce((a, x) => a + (x - mean(accs)) ** 2, 0) / (accs.length - 1));
  const differ = mean(runs.flatMap((a, i) => runs.slice(i + 1).map((b) => discordant(a, b))));
  console.log(
    `${what}: ${list.length} pairs, pass ${share(list, 'pass').toFixed(3)}, inconclusive ${share(list, 'inconclusive').toFixed(3)}, ` +
      `fail ${share(list, 'fail').toFixed(3)}; accuracy over ${runs.length} seeds mean ${mean(accs).toFixed(4)}, sd ${sd.toFixed(4)}; ` +
      `two runs differ on ${(differ * 100).toFixed(1)}% of the test examples`,
  );
}

describe('the verdict on a real task (2,000 test examples, max_drop 0.01, confidence 0.95)', () => {
  // The default rule passes when the point drop is within max_drop, so its pass rate is set by
  // how far a retrained head moves: about P(N(0, 2 sd^2) < max_drop) per metric. Early stopping
  // (off by default) and a split that followed the seed (now data.split.seed) made that spread
  // several times larger (docs/verdict.md, "Training noise").
  it('an unchanged head retrained with another seed passes at least 90% of the time and fails at most 5%', () => {
    const list = verdicts(clean, clean);
    tally('unchanged', list, clean);
    expect(list).toHaveLength(CLEAN_SEEDS * (CLEAN_SEEDS - 1));
    expect(share(list, 'pass')).toBeGreaterThanOrEqual(0.9);
    expect(share(list, 'fail')).toBeLessThanOrEqual(0.05);
  });

  it(`on the first ${SMALL_TEST} of those test examples too`, () => {
    const list = verdicts(clean, clean, SMALL_TEST);
    tally(`unchanged on ${SMALL_TEST}`, list, clean);
    expect(share(list, 'pass')).toBeGreaterThanOrEqual(0.9);
    expect(share(list, 'fail')).toBeLessThanOrEqual(0.05);
  });

  it('a wider head with dropout, which moves more between seeds, on 2,000 examples', () => {
    const list = verdicts(wide, wide);
    tally('unchanged, hidden [128] with dropout', list, wide);
    expect(share(list, 'pass')).toBeGreaterThanOrEqual(0.9);
    expect(share(list, 'fail')).toBeLessThanOrEqual(0.05);
  });

  it('a label bug in one class (a drop of about 3x max_drop) fails at least 95% of the time', () => {
    const drop = mean(buggy.map((b) => mean(clean.map((c) => c.metrics.accuracy - b.metrics.accuracy))));
    const list = verdicts(buggy, clean);
    console.log(
      `label bug: mean accuracy drop ${drop.toFixed(4)}; ${list.length} pairs, fail ${share(list, 'fail').toFixed(3)}, inconclusive ${share(list, 'inconclusive').toFixed(3)}`,
    );
    expect(drop).toBeGreaterThanOrEqual(2.5 * MAX_DROP);
    expect(drop).toBeLessThanOrEqual(4.5 * MAX_DROP);
    expect(share(list, 'fail')).toBeGreaterThanOrEqual(0.95);
  });

  it('through the pipeline: the buggy run against a clean baseline file fails with exit code 1 and says so first', async () => {
    fs.copyFileSync(path.join(repo, 'clean-1/report.json'), path.join(repo, 'baseline.json'));
    const gate =
      '  metrics:\n    accuracy: { max_drop: 0.01 }\n    f1_macro: { max_drop: 0.01 }\n  baseline: { from: file, path: baseline.json }';
    const { report, exitCode } = await run(101, 'buggy-labels.gz', 'buggy-gated', gate);
    expect(exitCode).toBe(1);
    expect(exitCodeFor(report.gate, 'pass')).toBe(1);
    expect(fs.readFileSync(path.join(repo, 'buggy-gated/report.md'), 'utf8').split('\n')[0]).toMatch(
      /^# ❌ FAIL: (accuracy|f1_macro) dropped 0\.0\d{3} vs baseline 0\.\d{4} \(max_drop 0\.01\), significant at 95%( \(\+1 more failing\))?$/,
    );
  }, 120_000);
});

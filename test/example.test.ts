// The bundled example end to end against its committed baseline: the same training passes; the
// same training with heavy label noise fails, with the f1_macro check marked fail.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { runPipeline } from '../src/pipeline/run.js';
import { silentLogger } from '../src/util/log.js';
import { createRng } from '../src/util/random.js';
import { EXAMPLE_DIR } from './helpers/tiny-repo.js';

let repo: string;
let cacheDir: string;

/** A copy of the repository parts the example needs, so the test can change its data. */
function copyExample(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'finetune-example-'));
  fs.mkdirSync(path.join(dir, '.git'));
  fs.cpSync(EXAMPLE_DIR, path.join(dir, 'examples/fashion-mnist'), { recursive: true });
  return dir;
}

/** Replaces `share` of the training labels with seeded random ones. */
function addLabelNoise(labelsFile: string, share: number, seed: number): void {
  const buf = zlib.gunzipSync(fs.readFileSync(labelsFile));
  const rng = createRng(seed);
  for (let i = 8; i < buf.length; i++) if (rng() < share) buf[i] = Math.floor(rng() * 10);
  fs.writeFileSync(labelsFile, zlib.gzipSync(buf));
}

const spec = () => path.join(repo, 'examples/fashion-mnist/finetune.yml');

beforeAll(() => {
  repo = copyExample();
  cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'finetune-cache-'));
});

describe('the Fashion-MNIST example against its committed baseline', () => {
  it('passes against the committed baseline, an earlier good run of the example on the same test set', async () => {
    const { report, exitCode } = await runPipeline({
      specPath: spec(),
      outDir: path.join(repo, 'clean'),
      backend: 'wasm',
      cacheDir,
      log: silentLogger,
    });
    expect(exitCode).toBe(0);
    expect(report.metrics.accuracy).toBeGreaterThanOrEqual(0.8);
    expect(report.baseline.source).toBe('file');
    expect(report.gate.checks.find((c) => c.metric === 'f1_macro')?.status).toBe('pass');
  }, 400_000);

  it('fails when the training labels are heavily noisy, with f1_macro marked fail', async () => {
    addLabelNoise(path.join(repo, 'examples/fashion-mnist/data/train-labels-idx1-ubyte.gz'), 0.8, 1);
    const { report, exitCode } = await runPipeline({
      specPath: spec(),
      outDir: path.join(repo, 'noisy'),
      backend: 'wasm',
      cacheDir,
      log: silentLogger,
    });
    expect(exitCode).toBe(1);
    expect(report.verdict).toBe('fail');
    const f1 = report.gate.checks.find((c) => c.metric === 'f1_macro');
    expect(f1?.status).toBe('fail');
    expect(f1?.delta).toBeLessThan(-0.02);
    expect(f1?.ci?.[1]).toBeLessThan(-0.02);
  }, 400_000);
});

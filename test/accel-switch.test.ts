// One switch for the speed machinery: FINETUNE_ACCEL=off (or `finetune run --no-accel`) trains on
// plain TF.js ops. The bundled example (examples/fashion-mnist/finetune.yml, its full data) and, on
// a reduced configuration (300 training and 100 test images at 48x48, so that phase two on plain
// ops runs in seconds in CI), the example's pipeline and the two-phase job give the same metrics
// both ways within TOLERANCE; with acceleration on, the bundles are the bits they were before the
// machinery moved behind its switch (pinned digests).
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { accelRequested, createAccel } from '../src/accel/create.js';
import { activeAccel } from '../src/accel/index.js';
import { BackendError, selectBackend } from '../src/backend/select.js';
import { tf } from '../src/backend/tf.js';
import { runCli } from '../src/cli/main.js';
import { EXIT } from '../src/errors.js';
import { runPipeline } from '../src/pipeline/run.js';
import type { Logger } from '../src/util/log.js';
import { silentLogger } from '../src/util/log.js';
import { defaultSpec, EXAMPLE_DIR, makeTinyRepo } from './helpers/tiny-repo.js';

/**
 * Off and on differ only in float rounding (the kernels sum in another order in places), which
 * may move a prediction near a decision boundary, and so early stopping's epoch: 0.03 is 3 of the
 * reduced runs' 100 test images, 30 of the example's 1,000. (Measured: the reduced runs agree
 * exactly; the example's accuracy agrees, its macro F1 differs by 0.0002.)
 */
const TOLERANCE = 0.03;

const TWO_PHASE = defaultSpec()
  .replace('cut: block_13_expand_relu', "cut: block_13_expand_relu\n  trainable: ['block_12_*', 'block_13_*']")
  .replace(
    'early_stopping: { patience: 3 }',
    'early_stopping: false\n  learning_rate: 0.003\n  finetune: { epochs: 3, learning_rate: 0.001 }',
  );

/**
 * sha256 of model/weights.bin with acceleration on: the reduced runs as before the machinery moved
 * to src/accel/; the bundled example as since it trains the default linear head.
 */
const DIGESTS = {
  'bundled example': '18544f92bfe85e233e037f240714ab3a3b5cff358c9b2894c614eb50b688018b',
  example: 'e1c4ea92483c86920b7d1b00fe16a528c9ee2b7a769f6b18dc2b042fdac1cd45',
  'two-phase': 'b7760b87de6cb34b8c7ee6b27dce2769c207d56e5f87367f05d91f786a07fe10',
};

const weightsDigest = (out: string): string =>
  crypto
    .createHash('sha256')
    .update(fs.readFileSync(path.join(out, 'model/weights.bin')))
    .digest('hex');

async function train(spec: string, accel: 'on' | 'off') {
  process.env.FINETUNE_ACCEL = accel;
  const repo = makeTinyRepo({ train: 300, test: 100, spec });
  const out = path.join(repo, 'out');
  const { report } = await runPipeline({
    specPath: path.join(repo, 'finetune.yml'),
    outDir: out,
    backend: 'wasm',
    cacheDir: path.join(repo, '.cache'),
    log: silentLogger,
  });
  return { report, digest: weightsDigest(out), enabled: activeAccel().enabled };
}

/** The bundled example as it is, in a copy of its folder (1,000 test images). */
async function trainExample(accel: 'on' | 'off') {
  process.env.FINETUNE_ACCEL = accel;
  const repo = fs.mkdtempSync(path.join(os.tmpdir(), 'finetune-example-'));
  fs.mkdirSync(path.join(repo, '.git'));
  fs.cpSync(EXAMPLE_DIR, path.join(repo, 'examples/fashion-mnist'), { recursive: true });
  const out = path.join(repo, 'out');
  const spec = path.join(repo, 'examples/fashion-mnist/finetune.yml');
  const { report } = await runPipeline({
    specPath: spec,
    outDir: out,
    backend: 'wasm',
    cacheDir: path.join(repo, '.cache'),
    log: silentLogger,
  });
  return { report, digest: weightsDigest(out), enabled: activeAccel().enabled };
}

afterEach(() => {
  delete process.env.FINETUNE_ACCEL;
});

describe('FINETUNE_ACCEL', () => {
  it('the bundled example: the same metrics with acceleration off, the pinned bits with it on', async () => {
    const on = await trainExample('on');
    expect(on.enabled).toBe(true);
    expect(on.digest).toBe(DIGESTS['bundled example']);
    const off = await trainExample('off');
    expect(off.enabled).toBe(false);
    expect(off.report.status).toBe('complete');
    expect(off.report.predictions.y_true.length).toBe(1000);
    for (const metric of ['accuracy', 'f1_macro'] as const) {
      expect(Math.abs(off.report.metrics[metric] - on.report.metrics[metric])).toBeLessThanOrEqual(TOLERANCE);
    }
  }, 300_000);

  it.each([
    ['example', defaultSpec()],
    ['two-phase', TWO_PHASE],
  ] as const)('%s: the same metrics with acceleration off, the pinned bits with it on', async (name, spec) => {
    const on = await train(spec, 'on');
    expect(on.enabled).toBe(true);
    expect(on.digest).toBe(DIGESTS[name]);
    const off = await train(spec, 'off');
    expect(off.enabled).toBe(false);
    expect(off.report.status).toBe('complete');
    expect(off.report.history.map((h) => h.epoch)).toEqual(on.report.history.map((h) => h.epoch));
    for (const metric of ['accuracy', 'f1_macro'] as const) {
      expect(Math.abs(off.report.metrics[metric] - on.report.metrics[metric])).toBeLessThanOrEqual(TOLERANCE);
    }
    // Turned back on in the same process, the bits come back too.
    expect((await train(spec, 'on')).digest).toBe(DIGESTS[name]);
  });

  it("off puts wasm's own kernels back, and on puts ours in front again", async () => {
    process.env.FINETUNE_ACCEL = 'on';
    await selectBackend('wasm', silentLogger);
    const ours = tf.getKernel(tf.BatchMatMul, 'wasm').kernelFunc;
    process.env.FINETUNE_ACCEL = 'off';
    await selectBackend('wasm', silentLogger);
    const stock = tf.getKernel(tf.BatchMatMul, 'wasm').kernelFunc;
    expect(stock).not.toBe(ours);
    expect(activeAccel().folded).toBeUndefined();
    process.env.FINETUNE_ACCEL = 'on';
    await selectBackend('wasm', silentLogger);
    expect(tf.getKernel(tf.BatchMatMul, 'wasm').kernelFunc).not.toBe(stock);
    expect(activeAccel().folded).toBeDefined();
  });

  it('on any TF.js version but the one its internals were read from, is off with one info line', () => {
    const lines: string[] = [];
    const log: Logger = { ...silentLogger, info: (m: string) => lines.push(m) };
    expect(createAccel(log, {}, '4.22.0').enabled).toBe(true);
    expect(createAccel(log, {}, '4.23.0').enabled).toBe(false);
    expect(createAccel(log, {}, '4.23.0').enabled).toBe(false);
    expect(lines).toEqual(['acceleration: off (written for TF.js 4.22.0, found 4.23.0); plain TF.js ops']);
  });

  it('accepts on and off, and names a wrong value (exit 2)', () => {
    expect(accelRequested({})).toBe(true);
    expect(accelRequested({ FINETUNE_ACCEL: ' ON ' })).toBe(true);
    expect(accelRequested({ FINETUNE_ACCEL: 'off' })).toBe(false);
    expect(() => accelRequested({ FINETUNE_ACCEL: 'fast' })).toThrow(/FINETUNE_ACCEL: expected "on" or "off", got "fast"/);
    const err = (() => {
      try {
        return accelRequested({ FINETUNE_ACCEL: 'fast' });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(BackendError);
    expect((err as BackendError).exitCode).toBe(EXIT.BAD_INPUT);
  });

  it('finetune run --no-accel turns it off', async () => {
    const repo = makeTinyRepo({ train: 60, test: 20 });
    const code = await runCli(
      ['run', '--spec', path.join(repo, 'finetune.yml'), '--out', path.join(repo, 'out'), '--backend', 'wasm', '--no-accel'],
      silentLogger,
    );
    expect([EXIT.PASS, EXIT.GATE_FAILED]).toContain(code);
    expect(process.env.FINETUNE_ACCEL).toBe('off');
    expect(activeAccel().enabled).toBe(false);
  });
});

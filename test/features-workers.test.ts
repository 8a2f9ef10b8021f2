// Feature extraction in worker threads: the same rows, bit for bit, as one thread. From sources
// there is no bundle to start as a worker, so the worker's modules are compiled to a temp folder.
import fs from 'node:fs';
import path from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytes, recordingLog, WORKER_PRE, workerFixture } from './helpers/worker-fixture.js';
import type { Example } from '../src/data/types.js';
import type { Backbone } from '../src/model/backbone.js';
import { extractFeatures, type ExtractOptions } from '../src/features/extract.js';
import { FeatureCache } from '../src/features/cache.js';
import { silentLogger, type Logger } from '../src/util/log.js';
import { TrainingError } from '../src/errors.js';

const PRE = WORKER_PRE;

let tmp: string;
let entry: string;
let backbone: Backbone;
let examples: Example[];

async function rows(list: Example[], opts: ExtractOptions, log: Logger = silentLogger, cache?: FeatureCache) {
  return extractFeatures(backbone, list, PRE, cache, log, opts);
}

beforeAll(async () => {
  // 10 batches of 32, the last one partial: the workers take 5 each.
  ({ tmp, entry, backbone, examples } = await workerFixture('feature-workers-', 300));
});

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('feature workers (wasm)', () => {
  it('give rows bit-identical to one thread', async () => {
    const one = await rows(examples, { workers: 1, workerScript: entry });
    const log = recordingLog();
    const two = await rows(examples, { workers: 2, workerScript: entry }, log);
    expect(log.lines).toContain('features: 2 worker threads');
    expect(two.computed).toBe(300);
    expect(bytes(two.features.data).equals(bytes(one.features.data))).toBe(true);
  });

  it('compute only the rows missing from the cache, and fill it', async () => {
    const cache = new FeatureCache(path.join(tmp, 'cache'), 'k', backbone.featureDim);
    const first = await rows(examples.slice(0, 20), { workers: 1 }, silentLogger, cache);
    const all = await rows(examples, { workers: 2, workerScript: entry }, silentLogger, cache);
    expect(all.computed).toBe(280);
    expect(bytes(all.features.data.subarray(0, first.features.data.length)).equals(bytes(first.features.data))).toBe(true);
    const again = await rows(
      examples,
      { workers: 2, workerScript: entry },
      silentLogger,
      new FeatureCache(path.join(tmp, 'cache'), 'k', backbone.featureDim),
    );
    expect(again.computed).toBe(0);
    expect(bytes(again.features.data).equals(bytes(all.features.data))).toBe(true);
  });

  it.each([
    ['one thread', { workers: 1 }],
    ['two workers', { workers: 2 }],
  ] as const)('a cancel stops extraction between batches (%s); the batches done stay in the cache', async (_name, base) => {
    const full = await rows(examples, { workers: 1 });
    const dir = path.join(tmp, `cancel-${base.workers}`);
    const controller = new AbortController();
    // Cancelled as soon as the first progress line (after the first finished batch) is printed.
    const cancelling: Logger = { ...silentLogger, progress: () => controller.abort() };
    const err = await rows(
      examples,
      { ...base, workerScript: entry, signal: controller.signal },
      cancelling,
      new FeatureCache(dir, 'k', backbone.featureDim),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrainingError);
    expect(err).toMatchObject({ failure: 'interrupted', exitCode: 3 });
    expect((err as Error).message).toMatch(/cancelled during feature extraction/);
    const resumed = await rows(examples, { workers: 1 }, silentLogger, new FeatureCache(dir, 'k', backbone.featureDim));
    // At least the first batch was kept, and far from everything was computed before the cancel.
    expect(300 - resumed.computed).toBeGreaterThanOrEqual(32);
    expect(300 - resumed.computed).toBeLessThan(300);
    expect(bytes(resumed.features.data).equals(bytes(full.features.data))).toBe(true);
  });

  it('decode image files in the worker', async () => {
    const files = writePngs(path.join(tmp, 'png'), 260);
    const withFiles = files.map((file, i) => Object.assign({ ...examples[i], image: () => decodeHere(file) }, { file }));
    const one = await rows(withFiles, { workers: 1 });
    const two = await rows(withFiles, { workers: 2, workerScript: entry });
    expect(bytes(two.features.data).equals(bytes(one.features.data))).toBe(true);
  });

  it('fall back to one thread, with a warning, when the script does not start a worker', async () => {
    const noop = path.join(tmp, 'noop.mjs');
    fs.writeFileSync(noop, '// not a feature worker\n');
    const log = recordingLog();
    const got = await rows(examples, { workers: 2, workerScript: noop }, log);
    expect(log.lines.join('\n')).toMatch(/warning: feature workers did not start .*noop\.mjs exited/);
    const one = await rows(examples, { workers: 1 });
    expect(bytes(got.features.data).equals(bytes(one.features.data))).toBe(true);
  });

  it('report an image a worker cannot read', async () => {
    const broken = examples.map((e, i) => (i === 290 ? Object.assign({ ...e }, { file: path.join(tmp, 'missing.png') }) : e));
    await expect(rows(broken, { workers: 2, workerScript: entry })).rejects.toThrow(/feature worker: .*missing\.png/);
  });

  it('are not used for a handful of images', async () => {
    const log = recordingLog();
    await rows(examples.slice(0, 100), { workers: 2, workerScript: entry }, log);
    expect(log.lines).not.toContain('features: 2 worker threads');
  });
});

/** Small RGB PNGs of varied sizes, so resizing and the RGB path are exercised too. */
function writePngs(dir: string, n: number): string[] {
  fs.mkdirSync(dir, { recursive: true });
  return Array.from({ length: n }, (_, i) => {
    const png = new PNG({ width: 20 + (i % 13), height: 24 + (i % 7) });
    for (let p = 0; p < png.data.length; p++) png.data[p] = p % 4 === 3 ? 255 : (p * 31 + i * 17) % 256;
    const file = path.join(dir, `${i}.png`);
    fs.writeFileSync(file, PNG.sync.write(png));
    return file;
  });
}

function decodeHere(file: string) {
  const png = PNG.sync.read(fs.readFileSync(file));
  const data = new Uint8Array(png.width * png.height * 3);
  for (let p = 0; p < png.width * png.height; p++) data.set(png.data.subarray(p * 4, p * 4 + 3), p * 3);
  return { width: png.width, height: png.height, channels: 3 as const, data };
}

// Features of augmented training views through the real base on wasm: the same rows with one or
// two worker threads, and a cache that never hands back rows of other augmentation settings.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytes, recordingLog, WORKER_PRE, workerFixture } from './helpers/worker-fixture.js';
import type { Example } from '../src/data/types.js';
import type { Backbone } from '../src/model/backbone.js';
import { computeAugmentedViews, type AugmentConfig, type AugmentJob } from '../src/features/augmented.js';
import { FeatureCache } from '../src/features/cache.js';
import { extractFeatures } from '../src/features/extract.js';
import { silentLogger } from '../src/util/log.js';

const PRE = WORKER_PRE;
const AUGMENT: AugmentConfig = { flip: true, crop: 0.1, brightness: 0.2, contrast: 0.2, views: 4 };

let tmp: string;
let entry: string;
let backbone: Backbone;
let examples: Example[];

function job(over: Partial<AugmentJob> = {}): AugmentJob {
  return { base: backbone, examples, pre: PRE, augment: AUGMENT, seed: 42, log: silentLogger, extract: { workers: 1 }, ...over };
}

beforeAll(async () => {
  // 70 images x 4 views = 9 batches of 32: enough for two workers.
  ({ tmp, entry, backbone, examples } = await workerFixture('augment-features-', 70));
});

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('augmented view features', () => {
  it('are the same rows with one and two worker threads, one matrix per view, each unlike the plain rows', async () => {
    const one = await computeAugmentedViews(job());
    const log = recordingLog();
    const two = await computeAugmentedViews(job({ log, extract: { workers: 2, workerScript: entry } }));
    expect(log.lines).toContain('features: 2 worker threads');
    expect(two.computed).toBe(280);
    expect(two.views.map((v) => [v.rows, v.dim])).toEqual(Array(4).fill([70, backbone.featureDim]));
    two.views.forEach((v, i) => expect(bytes(v.data).equals(bytes(one.views[i].data))).toBe(true));

    const plain = (await extractFeatures(backbone, examples, PRE, undefined, silentLogger, { workers: 1 })).features;
    const all = [plain, ...two.views].map((m) => bytes(m.data).toString('hex'));
    expect(new Set(all).size).toBe(5);
  });

  it('say once that augmentation is on, that plain features are not reused, and what it costs', async () => {
    const log = recordingLog();
    await computeAugmentedViews(job({ log, examples: examples.slice(0, 5), augment: { ...AUGMENT, views: 2 } }));
    const line = log.lines.filter((l) => l.startsWith('augmentation on'));
    expect(line).toHaveLength(1);
    expect(line[0]).toMatch(
      /^augmentation on \(flip, crop 0\.1, brightness 0\.2, contrast 0\.2\): 2 seeded views of each of the 5 training images;/,
    );
    expect(line[0]).toMatch(/plain per-image features are not reused/);
    expect(line[0]).toMatch(/2 more base passes over the training set .*\(10 of 10 view rows to compute now\)/);
  });

  it('cache rows per image and view, and never reuse them for other settings or another seed', async () => {
    const dir = path.join(tmp, 'cache');
    const cache = { dir, featureKey: 'k' };
    // The plain features of the same images are in the same cache: they must not be taken for views.
    await extractFeatures(backbone, examples, PRE, new FeatureCache(dir, 'k', backbone.featureDim), silentLogger, { workers: 1 });

    const first = await computeAugmentedViews(job({ cache }));
    expect(first.computed).toBe(280);
    const log = recordingLog();
    const again = await computeAugmentedViews(job({ cache, log }));
    expect(again.computed).toBe(0);
    expect(log.lines.join('\n')).toMatch(/\(0 of 280 view rows to compute now\)/);
    again.views.forEach((v, i) => expect(bytes(v.data).equals(bytes(first.views[i].data))).toBe(true));

    const brighter = await computeAugmentedViews(job({ cache, augment: { ...AUGMENT, brightness: 0.3 } }));
    expect(brighter.computed).toBe(280);
    expect(bytes(brighter.views[0].data).equals(bytes(first.views[0].data))).toBe(false);
    expect((await computeAugmentedViews(job({ cache, seed: 43 }))).computed).toBe(280);
    expect((await computeAugmentedViews(job({ cache: { dir, featureKey: 'another base' } }))).computed).toBe(280);

    // One more view costs one more pass; the first four come from the cache unchanged.
    const more = await computeAugmentedViews(job({ cache, augment: { ...AUGMENT, views: 5 } }));
    expect(more.computed).toBe(70);
    first.views.forEach((v, i) => expect(bytes(more.views[i].data).equals(bytes(v.data))).toBe(true));
  });
});

// Runs the frozen backbone once per example and pools its output into one feature vector.
import { tf } from '../backend/tf.js';
import type { Backbone } from '../model/backbone.js';
import type { Example } from '../data/types.js';
import type { Logger } from '../util/log.js';
import { imagesToTensor, type Preprocess } from './preprocess.js';
import type { FeatureCache } from './cache.js';

export interface FeatureMatrix {
  rows: number;
  dim: number;
  data: Float32Array;
}

const BATCH = 32;

/** Feature vectors for the examples, in order. Cached rows are reused; new rows go to the cache. */
export async function extractFeatures(
  backbone: Backbone,
  examples: Example[],
  pre: Preprocess,
  cache: FeatureCache | undefined,
  log: Logger,
): Promise<{ features: FeatureMatrix; computed: number }> {
  const dim = backbone.featureDim;
  const data = new Float32Array(examples.length * dim);
  const missing: number[] = [];
  examples.forEach((e, i) => {
    const row = cache?.get(e.sha256);
    if (row) data.set(row, i * dim);
    else missing.push(i);
  });
  if (examples.length > missing.length) log.info(`features: ${examples.length - missing.length} of ${examples.length} from the cache`);
  const progress = progressReporter(missing.length, log);
  const fresh: Array<[string, Float32Array]> = [];
  for (let start = 0; start < missing.length; start += BATCH) {
    const idx = missing.slice(start, start + BATCH);
    const rows = await forward(backbone, idx.map((i) => examples[i]), pre);
    idx.forEach((i, k) => {
      const row = rows.slice(k * dim, (k + 1) * dim);
      data.set(row, i * dim);
      fresh.push([examples[i].sha256, row]);
    });
    progress(start + idx.length);
  }
  cache?.addPack(fresh);
  return { features: { rows: examples.length, dim, data }, computed: missing.length };
}

async function forward(backbone: Backbone, batch: Example[], pre: Preprocess): Promise<Float32Array> {
  const out = tf.tidy(() => {
    const x = imagesToTensor(batch.map((e) => (e.image as () => ReturnType<NonNullable<Example['image']>>)()), pre);
    const y = backbone.model.predict(x) as tf.Tensor;
    // A spatial output is averaged over height and width (global average pooling).
    return y.rank === 4 ? y.mean([1, 2]) : y;
  });
  const values = (await out.data()) as Float32Array;
  out.dispose();
  return values;
}

function progressReporter(total: number, log: Logger): (done: number) => void {
  const started = Date.now();
  let nextReport = 0.1;
  return (done) => {
    if (total === 0 || (done / total < nextReport && done !== total)) return;
    nextReport = Math.floor((done / total) * 10) / 10 + 0.1;
    const secs = (Date.now() - started) / 1000;
    const rate = done / Math.max(secs, 1e-3);
    const eta = (total - done) / rate;
    log.progress(`features: ${done}/${total} (${Math.round((done / total) * 100)}%), ${rate.toFixed(1)} img/s, ETA ${eta.toFixed(0)} s`);
  };
}

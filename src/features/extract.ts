// Runs the frozen backbone once per example and pools its output into one feature vector.
import { isMainThread } from 'node:worker_threads';
import { tf } from '../backend/tf.js';
import type { Backbone } from '../model/backbone.js';
import type { DecodedImage, Example } from '../data/types.js';
import type { Logger } from '../util/log.js';
import type { Preprocess } from './preprocess.js';
import type { FeatureCache } from './cache.js';
import { BATCH, forwardImages } from './forward.js';
import { extractInWorkers } from './worker-pool.js';
import { bundleScript, requestedWorkers, workersFor } from './worker-plan.js';

export interface FeatureMatrix {
  rows: number;
  dim: number;
  data: Float32Array;
}

/**
 * What extraction needs of a base: its (frozen) model and the length of a pooled row, or, for a
 * GraphModel base, its own forward pass (on the calling thread: workers rebuild LayersModels only).
 */
export type FeatureBase = Pick<Backbone, 'model' | 'featureDim'> | { featureDim: number; forward: (images: DecodedImage[], pre: Preprocess) => Promise<Float32Array> };

export interface ExtractOptions {
  /** Worker threads (wasm only); default FINETUNE_WORKERS or one per core up to 4. */
  workers?: number;
  /** The script the workers run; default the running bundle (none from TypeScript sources). */
  workerScript?: string;
}

/** Feature vectors for the examples, in order. Cached rows are reused; new rows go to the cache. */
export async function extractFeatures(
  backbone: FeatureBase,
  examples: Example[],
  pre: Preprocess,
  cache: FeatureCache | undefined,
  log: Logger,
  opts: ExtractOptions = {},
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
  const rows = await computeRows(backbone, missing.map((i) => examples[i]), pre, log, opts);
  const fresh: Array<[string, Float32Array]> = missing.map((i, k) => {
    const row = rows.slice(k * dim, (k + 1) * dim);
    data.set(row, i * dim);
    return [examples[i].sha256, row];
  });
  cache?.addPack(fresh);
  return { features: { rows: examples.length, dim, data }, computed: missing.length };
}

async function computeRows(backbone: FeatureBase, todo: Example[], pre: Preprocess, log: Logger, opts: ExtractOptions): Promise<Float32Array> {
  const progress = progressReporter(todo.length, log);
  const script = opts.workerScript ?? bundleScript();
  const workers = workerCount(todo.length, opts);
  if (workers > 1 && script && 'model' in backbone) {
    let done = 0;
    const onRows = (n: number) => progress((done += n));
    const rows = await extractInWorkers({ model: backbone.model, examples: todo, dim: backbone.featureDim, pre, workers, script, onRows }, log);
    if (rows) return rows;
  }
  return computeHere(backbone, todo, pre, progress);
}

/** Workers only for wasm (tfjs-node already uses every core) and never from inside a worker. */
function workerCount(todo: number, opts: ExtractOptions): number {
  if (tf.getBackend() !== 'wasm' || !isMainThread) return 1;
  return workersFor(Math.ceil(todo / BATCH), opts.workers ?? requestedWorkers());
}

async function computeHere(backbone: FeatureBase, todo: Example[], pre: Preprocess, progress: (done: number) => void): Promise<Float32Array> {
  const out = new Float32Array(todo.length * backbone.featureDim);
  for (let start = 0; start < todo.length; start += BATCH) {
    const batch = todo.slice(start, start + BATCH);
    const images = batch.map((e) => (e.image as NonNullable<Example['image']>)());
    const rows = 'model' in backbone ? await forwardImages(backbone.model, images, pre) : await backbone.forward(images, pre);
    out.set(rows, start * backbone.featureDim);
    progress(start + batch.length);
  }
  return out;
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

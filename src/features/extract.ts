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
import { throwIfCancelled, type RowSink } from './row-sink.js';

export interface FeatureMatrix {
  rows: number;
  dim: number;
  data: Float32Array;
}

/**
 * What extraction needs of a base: its (frozen) model and the length of a pooled row, or, for a
 * GraphModel base, its own forward pass (on the calling thread: workers rebuild LayersModels only).
 */
export type FeatureBase =
  | Pick<Backbone, 'model' | 'featureDim'>
  | { featureDim: number; forward: (images: DecodedImage[], pre: Preprocess) => Promise<Float32Array> };

export interface ExtractOptions {
  /** Worker threads (wasm only); default FINETUNE_WORKERS or one per core up to 4. */
  workers?: number;
  /** The script the workers run; default the running bundle (none from TypeScript sources). */
  workerScript?: string;
  /** Cancels between batches: the batches already done still go to the cache. */
  signal?: AbortSignal;
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
  const done = new Uint8Array(missing.length);
  const sink: RowSink = (start, rows) => {
    for (let k = 0; k < rows.length / dim; k++) {
      data.set(rows.subarray(k * dim, (k + 1) * dim), missing[start + k] * dim);
      done[start + k] = 1;
    }
  };
  // Finished rows reach the cache even when the run is cancelled, so a re-run starts from them.
  const save = () =>
    cache?.addPack(
      missing.flatMap((i, k) => (done[k] ? [[examples[i].sha256, data.slice(i * dim, (i + 1) * dim)] as [string, Float32Array]] : [])),
    );
  try {
    await computeRows(
      backbone,
      missing.map((i) => examples[i]),
      pre,
      log,
      opts,
      sink,
    );
  } finally {
    save();
  }
  return { features: { rows: examples.length, dim, data }, computed: missing.length };
}

async function computeRows(
  backbone: FeatureBase,
  todo: Example[],
  pre: Preprocess,
  log: Logger,
  opts: ExtractOptions,
  sink: RowSink,
): Promise<void> {
  const progress = progressReporter(todo.length, log);
  const script = opts.workerScript ?? bundleScript();
  const workers = workerCount(todo.length, opts);
  if (workers > 1 && script && 'model' in backbone) {
    let done = 0;
    const onRows = (n: number) => progress((done += n));
    const ran = await extractInWorkers(
      { model: backbone.model, examples: todo, dim: backbone.featureDim, pre, workers, script, onRows, sink, signal: opts.signal },
      log,
    );
    if (ran) return;
  }
  await computeHere(backbone, todo, pre, progress, sink, opts.signal);
}

/** Workers only for wasm (tfjs-node already uses every core) and never from inside a worker. */
function workerCount(todo: number, opts: ExtractOptions): number {
  if (tf.getBackend() !== 'wasm' || !isMainThread) return 1;
  return workersFor(Math.ceil(todo / BATCH), opts.workers ?? requestedWorkers());
}

async function computeHere(
  backbone: FeatureBase,
  todo: Example[],
  pre: Preprocess,
  progress: (done: number) => void,
  sink: RowSink,
  signal?: AbortSignal,
): Promise<void> {
  for (let start = 0; start < todo.length; start += BATCH) {
    throwIfCancelled(signal);
    const batch = todo.slice(start, start + BATCH);
    const images = batch.map((e) => (e.image as NonNullable<Example['image']>)());
    sink(start, 'model' in backbone ? await forwardImages(backbone.model, images, pre) : await backbone.forward(images, pre));
    progress(start + batch.length);
  }
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

// Computes feature rows in worker threads, each with its own wasm backend: one wasm instance uses
// one core, and wasm threads do not work in Node. Each worker takes a contiguous run of the batches
// the main thread would have made, so the rows are bit-identical to a single-thread run.
import { Worker } from 'node:worker_threads';
import type { Example } from '../data/types.js';
import type { tf } from '../backend/tf.js';
import { serialiseModel } from '../model/export.js';
import type { Logger } from '../util/log.js';
import { BATCH } from './forward.js';
import type { Preprocess } from './preprocess.js';
import { splitBatches } from './worker-plan.js';
import { throwIfCancelled, type RowSink } from './row-sink.js';
import { WORKER_ROLE, type BatchRequest, type WireImage, type WorkerInit, type WorkerReply } from './worker-protocol.js';

const READY_TIMEOUT_MS = 120_000;

export interface PoolJob {
  model: tf.LayersModel;
  examples: Example[];
  dim: number;
  pre: Preprocess;
  workers: number;
  script: string;
  /** Called with the number of rows each finished batch added. */
  onRows: (n: number) => void;
  /** Where each finished batch's rows go. */
  sink: RowSink;
  /** Checked before each batch is sent. */
  signal?: AbortSignal;
}

/** Sends every example's rows to job.sink; false when the workers could not start (nothing computed). */
export async function extractInWorkers(job: PoolJob, log: Logger): Promise<boolean> {
  const pool = await startPool(job);
  if (!Array.isArray(pool)) {
    log.warn(`feature workers did not start (${pool.message}); computing on one thread`);
    return false;
  }
  log.info(`features: ${pool.length} worker threads`);
  try {
    const ranges = splitBatches(Math.ceil(job.examples.length / BATCH), pool.length);
    await Promise.all(pool.map((w, k) => runRange(w, job, ranges[k])));
    return true;
  } finally {
    await Promise.all(pool.map((w) => w.stop()));
  }
}

async function startPool(job: PoolJob): Promise<FeatureWorker[] | Error> {
  const saved = await serialiseModel(job.model);
  const init: WorkerInit = {
    role: WORKER_ROLE,
    modelTopology: saved.modelJson.modelTopology,
    weightSpecs: (saved.modelJson.weightsManifest as Array<{ weights: unknown }>)[0].weights,
    weights: saved.weights,
    pre: job.pre,
  };
  const started = await Promise.allSettled(Array.from({ length: job.workers }, () => FeatureWorker.start(job.script, init)));
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  const workers = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  if (!failed) return workers;
  await Promise.all(workers.map((w) => w.stop()));
  return failed.reason as Error;
}

/** Two batches in flight per worker, so it never waits for the next one. */
async function runRange(w: FeatureWorker, job: PoolJob, [from, to]: [number, number]): Promise<void> {
  let next = from;
  const lane = async () => {
    while (next < to) {
      throwIfCancelled(job.signal);
      const b = next++;
      const batch = job.examples.slice(b * BATCH, (b + 1) * BATCH);
      job.sink(b * BATCH, await w.forward(batch.map(toWire)));
      job.onRows(batch.length);
    }
  };
  await Promise.all([lane(), lane()]);
}

/** An image file is read and decoded by the worker; anything else is decoded here. */
function toWire(e: Example): WireImage {
  if ('file' in e && typeof e.file === 'string') return { file: e.file };
  const img = (e.image as NonNullable<Example['image']>)();
  // A copy (Buffer#slice would not copy): a view into a file buffer would move the whole buffer.
  return { ...img, data: new Uint8Array(img.data) };
}

class FeatureWorker {
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (rows: Float32Array) => void; reject: (err: Error) => void }>();

  private readonly onExit = (code: number) => this.failAll(new Error(`feature worker exited (code ${code})`));

  private constructor(private readonly worker: Worker) {
    worker.on('message', (msg: WorkerReply) => this.settle(msg));
    worker.on('error', (err) => this.failAll(err));
    worker.on('exit', this.onExit);
  }

  static start(script: string, init: WorkerInit): Promise<FeatureWorker> {
    const worker = new Worker(script, { workerData: init });
    return new Promise((resolve, reject) => {
      // Only our own listeners come off: removeAllListeners() would stop the worker's messages.
      const done = () => {
        clearTimeout(timer);
        worker.off('error', fail).off('exit', exited).off('message', first);
      };
      const fail = (err: Error) => {
        done();
        void worker.terminate();
        reject(err);
      };
      const exited = (code: number) => fail(new Error(`${script} exited (code ${code}) without starting a feature worker`));
      const first = (msg: WorkerReply) => {
        if (msg.type !== 'ready') return fail(new Error(msg.type === 'error' ? msg.message : `unexpected "${msg.type}"`));
        done();
        resolve(new FeatureWorker(worker));
      };
      const timer = setTimeout(() => fail(new Error(`not ready after ${READY_TIMEOUT_MS / 1000} s`)), READY_TIMEOUT_MS);
      worker.on('error', fail).on('exit', exited).on('message', first);
    });
  }

  forward(images: WireImage[]): Promise<Float32Array> {
    const req: BatchRequest = { id: this.nextId++, images };
    const transfer = images.flatMap((img) => ('data' in img ? [img.data.buffer as ArrayBuffer] : []));
    return new Promise((resolve, reject) => {
      this.pending.set(req.id, { resolve, reject });
      this.worker.postMessage(req, transfer);
    });
  }

  async stop(): Promise<void> {
    this.worker.off('exit', this.onExit);
    await this.worker.terminate();
    this.failAll(new Error('feature worker stopped'));
  }

  private settle(msg: WorkerReply): void {
    if (msg.type === 'rows') this.take(msg.id)?.resolve(msg.rows);
    else if (msg.type === 'error' && msg.id !== undefined) this.take(msg.id)?.reject(new Error(`feature worker: ${msg.message}`));
    else if (msg.type === 'error') this.failAll(new Error(`feature worker: ${msg.message}`));
  }

  private take(id: number) {
    const p = this.pending.get(id);
    this.pending.delete(id);
    return p;
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}

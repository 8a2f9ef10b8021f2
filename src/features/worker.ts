// The feature worker: a thread with its own wasm backend and its own copy of the backbone, which
// turns batches of images into feature rows. The bundle is its script (see src/cli.ts).
import fs from 'node:fs';
import { isMainThread, parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { tf } from '../backend/tf.js';
import { selectBackend } from '../backend/select.js';
import { decodeImage } from '../data/decode.js';
import type { DecodedImage } from '../data/types.js';
import { silentLogger } from '../util/log.js';
import { forwardImages } from './forward.js';
import { WORKER_ROLE, type BatchRequest, type WireImage, type WorkerInit, type WorkerReply } from './worker-protocol.js';

export function isFeatureWorker(): boolean {
  return !isMainThread && (workerData as Partial<WorkerInit> | null)?.role === WORKER_ROLE;
}

/** Sets up the backend and the model, then answers batches one at a time, in arrival order. */
export async function serveFeatures(): Promise<void> {
  const port = parentPort as MessagePort;
  const init = workerData as WorkerInit;
  let model: tf.LayersModel;
  try {
    await selectBackend('wasm', silentLogger);
    model = await loadModel(init);
  } catch (err) {
    reply(port, { type: 'error', message: `feature worker: ${(err as Error).message}` });
    return;
  }
  let queue = Promise.resolve();
  port.on('message', (req: BatchRequest) => {
    queue = queue.then(() => answer(port, model, init, req));
  });
  reply(port, { type: 'ready' });
}

async function answer(port: MessagePort, model: tf.LayersModel, init: WorkerInit, req: BatchRequest): Promise<void> {
  try {
    const rows = await forwardImages(model, req.images.map(decodeWire), init.pre);
    // A copy owns its buffer, so it can be moved rather than cloned.
    const own = rows.slice();
    port.postMessage({ type: 'rows', id: req.id, rows: own } satisfies WorkerReply, [own.buffer]);
  } catch (err) {
    reply(port, { type: 'error', id: req.id, message: (err as Error).message });
  }
}

function decodeWire(img: WireImage): DecodedImage {
  return 'file' in img ? decodeImage(fs.readFileSync(img.file)) : img;
}

async function loadModel(init: WorkerInit): Promise<tf.LayersModel> {
  const { weights } = init;
  const weightData = weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer;
  const handler = tf.io.fromMemory({
    modelTopology: init.modelTopology as object,
    weightSpecs: init.weightSpecs as tf.io.WeightsManifestEntry[],
    weightData,
  });
  return tf.loadLayersModel(handler);
}

function reply(port: MessagePort, msg: WorkerReply): void {
  port.postMessage(msg);
}

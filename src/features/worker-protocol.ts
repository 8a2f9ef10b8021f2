// What the feature workers and the thread that hands them work say to each other.
import type { DecodedImage } from '../data/types.js';
import type { Preprocess } from './preprocess.js';

export const WORKER_ROLE = 'finetune-features';

/** workerData: the backbone as saved (model.json content and weight bytes) and the preprocessing. */
export interface WorkerInit {
  role: typeof WORKER_ROLE;
  modelTopology: unknown;
  weightSpecs: unknown;
  weights: Uint8Array;
  pre: Preprocess;
}

/** Pixels decoded by the sender, or an image file the worker decodes itself. */
export type WireImage = DecodedImage | { file: string };

export interface BatchRequest {
  id: number;
  images: WireImage[];
}

export type WorkerReply =
  { type: 'ready' } | { type: 'rows'; id: number; rows: Float32Array } | { type: 'error'; id?: number; message: string };

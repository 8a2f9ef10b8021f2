// The setup the feature-worker tests share: the compiled worker, wasm, the real base cut early at
// 48 px, and the first test images of the example, plus a logger that keeps its lines.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { selectBackend } from '../../src/backend/select.js';
import { readIdxExamples } from '../../src/data/idx.js';
import type { Example } from '../../src/data/types.js';
import { buildBackbone, type Backbone } from '../../src/model/backbone.js';
import { readModelSource } from '../../src/model/source.js';
import type { Preprocess } from '../../src/features/preprocess.js';
import { silentLogger, type Logger } from '../../src/util/log.js';
import { compileFeatureWorker } from './compile-src.js';

const DATA = 'examples/fashion-mnist/data';
export const WORKER_PRE: Preprocess = { size: [48, 48], channels: 3, scale: [-1, 1], resize: 'bilinear' };

export interface WorkerFixture {
  /** A temp folder; the caller removes it. */
  tmp: string;
  /** The compiled worker, to pass as `workerScript`. */
  entry: string;
  backbone: Backbone;
  examples: Example[];
}

export async function workerFixture(prefix: string, images: number): Promise<WorkerFixture> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const entry = compileFeatureWorker(path.join(tmp, 'build'));
  await selectBackend('wasm', silentLogger);
  const source = await readModelSource('model.json', 'examples/fashion-mnist/models/mobilenet_v2/model.json');
  const backbone = await buildBackbone(source, { cut: 'block_6_expand_relu', size: WORKER_PRE.size, channels: 3 });
  const examples = readIdxExamples(`${DATA}/t10k-images-idx3-ubyte.gz`, `${DATA}/t10k-labels-idx1-ubyte.gz`, 'test', 'data.test').slice(
    0,
    images,
  );
  return { tmp, entry, backbone, examples };
}

export function recordingLog(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, info: (m) => lines.push(m), warn: (m) => lines.push(`warning: ${m}`), progress: () => {} };
}

export const bytes = (a: Float32Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

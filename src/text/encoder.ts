// A sentence encoder as the frozen base of text-classification (docs/text.md): a TF.js GraphModel
// in the Universal Sentence Encoder lite layout, model.json + weight shards + vocab.json in one
// folder of the repository. The graph takes the texts' pieces as a sparse batch, inputs "indices"
// ([n, 2] int32: text, position) and "values" ([n] int32: piece ids), and gives one row per text.
// model.json and the shards pass the same checks as any base model (src/model/source.ts).
import fs from 'node:fs';
import path from 'node:path';
import { tf } from '../backend/tf.js';
import { ModelError } from '../errors.js';
import { readModelSource } from '../model/source.js';
import { sha256 } from '../util/hash.js';
import { encodePieces, parseVocab, type PieceSettings, type PieceVocab, type Pieces } from './pieces.js';

/** A vocabulary is a list of pieces, not a data set: USE lite's is about 0.3 MB. */
export const MAX_VOCAB_BYTES = 64 * 1024 * 1024;
const BATCH = 64;

export interface SentenceEncoder {
  location: string;
  /** sha256 over model.json, the weights and vocab.json. */
  sha256: string;
  vocab: PieceVocab;
  dim: number;
  /** Weights of the graph (frozen). */
  params: number;
  /** One row of `dim` per text; `counts` gets each text's pieces. */
  encode(texts: string[], s: PieceSettings, each?: (p: Pieces) => void): Promise<Float32Array>;
  dispose(): void;
}

/** A text base given as a path ending in model.json is a sentence encoder; anything else word vectors. */
export function isEncoderPath(location: string): boolean {
  return !location.startsWith('npm:') && path.basename(location).toLowerCase() === 'model.json';
}

export async function loadSentenceEncoder(location: string, root: string): Promise<SentenceEncoder> {
  const where = `model.base (${location})`;
  const modelJson = path.join(root, location);
  if (!fs.existsSync(modelJson)) throw new ModelError(`${where}: file does not exist`);
  const source = await readModelSource(location, modelJson, { graph: true });
  const vocabFile = path.join(path.dirname(modelJson), 'vocab.json');
  const vocabBytes = readVocab(vocabFile, where);
  let vocabJson: unknown;
  try {
    vocabJson = JSON.parse(vocabBytes.toString('utf8'));
  } catch (err) {
    throw new ModelError(`${where}: vocab.json is not valid JSON (${(err as Error).message})`);
  }
  const vocab = parseVocab(vocabJson, `${where}: vocab.json`);
  let model: tf.GraphModel;
  try {
    model = await tf.loadGraphModel(
      tf.io.fromMemory({ modelTopology: source.modelTopology as object, weightSpecs: source.weightSpecs, weightData: source.weightData }),
    );
  } catch (err) {
    throw new ModelError(`${where}: the graph could not be loaded: ${(err as Error).message}`);
  }
  const inputs = model.inputs.map((i) => i.name);
  if (!inputs.includes('indices') || !inputs.includes('values') || model.outputs.length !== 1) {
    model.dispose();
    throw new ModelError(
      `${where}: expected a graph with inputs "indices" and "values" and one output (the Universal Sentence Encoder lite signature), ` +
        `got inputs ${inputs.map((n) => `"${n}"`).join(', ') || 'none'} and ${model.outputs.length} outputs`,
    );
  }
  const run = async (batch: Pieces[]): Promise<tf.Tensor> => {
    const indices: number[] = [];
    const values: number[] = [];
    batch.forEach((p, row) => p.ids.forEach((id, pos) => (indices.push(row, pos), values.push(id))));
    const feed = { indices: tf.tensor2d(indices, [values.length, 2], 'int32'), values: tf.tensor1d(values, 'int32') };
    try {
      return (await model.executeAsync(feed)) as tf.Tensor;
    } finally {
      feed.indices.dispose();
      feed.values.dispose();
    }
  };
  // The output width, from one text.
  const probe = await run([encodePieces('a', vocab, { lowercase: false, max_tokens: 8 })]);
  const dim = probe.shape[1] ?? 0;
  probe.dispose();
  if (probe.shape.length !== 2 || dim < 1)
    throw new ModelError(`${where}: the output must be [texts, features], got shape [${probe.shape.join(', ')}]`);
  return {
    location,
    sha256: sha256(`${source.sha256}\n${sha256(vocabBytes)}`),
    vocab,
    dim,
    params: source.weightSpecs.reduce((sum, w) => sum + w.shape.reduce((a, b) => a * b, 1), 0),
    async encode(texts, s, each) {
      const out = new Float32Array(texts.length * dim);
      for (let start = 0; start < texts.length; start += BATCH) {
        const pieces = texts.slice(start, start + BATCH).map((t) => encodePieces(t, vocab, s));
        pieces.forEach((p) => each?.(p));
        // A text with no piece left would be a missing row of the sparse batch: it gets zeros.
        const present = pieces.map((p, i) => [p, i] as const).filter(([p]) => p.ids.length > 0);
        if (present.length === 0) continue;
        const y = await run(present.map(([p]) => p));
        const rows = (await y.data()) as Float32Array;
        y.dispose();
        present.forEach(([, i], k) => out.set(rows.subarray(k * dim, (k + 1) * dim), (start + i) * dim));
      }
      return out;
    },
    dispose: () => model.dispose(),
  };
}

function readVocab(file: string, where: string): Buffer {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    throw new ModelError(`${where}: vocab.json is missing next to model.json (a sentence encoder needs its vocabulary)`);
  }
  if (!stat.isFile()) throw new ModelError(`${where}: vocab.json is not a file`);
  if (stat.size > MAX_VOCAB_BYTES) throw new ModelError(`${where}: vocab.json is larger than ${MAX_VOCAB_BYTES / 1024 / 1024} MiB`);
  const real = fs.realpathSync(file);
  const dir = fs.realpathSync(path.dirname(file));
  if (path.dirname(real) !== dir) throw new ModelError(`${where}: vocab.json resolves to ${real}, outside the model's folder`);
  return fs.readFileSync(real);
}

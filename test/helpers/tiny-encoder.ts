// Builds a small sentence encoder in the Universal Sentence Encoder lite layout for the tests:
// model.json (a TF.js GraphModel) + one weight shard + vocab.json. The graph takes the sparse
// inputs "indices" ([n, 2] int32) and "values" ([n] int32) and gives, per text, the mean of its
// pieces' embedding rows (SparseSegmentMean over the text index in column 0 of indices).
import fs from 'node:fs';
import path from 'node:path';

export interface TinyEncoder {
  /** [piece, score] pairs; a piece's id is its index. */
  vocab: Array<[string, number]>;
  /** One row per piece. */
  embeddings: number[][];
}

const int32 = { type: 'DT_INT32' };
const dims = (...sizes: number[]) => ({ dim: sizes.map((s) => ({ size: String(s) })) });

export function writeEncoder(dir: string, e: TinyEncoder, opts: { inputName?: string; weightPath?: string } = {}): void {
  const v = e.vocab.length;
  const d = e.embeddings[0].length;
  const constNode = (name: string, dtype: string, shape: number[]) => ({
    name,
    op: 'Const',
    attr: { dtype: { type: dtype }, value: { tensor: { dtype, tensorShape: dims(...shape) } } },
  });
  const node = [
    { name: opts.inputName ?? 'indices', op: 'Placeholder', attr: { dtype: int32, shape: { shape: dims(-1, 2) } } },
    { name: 'values', op: 'Placeholder', attr: { dtype: int32, shape: { shape: dims(-1) } } },
    constNode('embeddings', 'DT_FLOAT', [v, d]),
    constNode('begin', 'DT_INT32', [2]),
    constNode('size', 'DT_INT32', [2]),
    constNode('flat', 'DT_INT32', [1]),
    { name: 'rows2d', op: 'Slice', input: [opts.inputName ?? 'indices', 'begin', 'size'], attr: { T: int32, Index: int32 } },
    { name: 'rows', op: 'Reshape', input: ['rows2d', 'flat'], attr: { T: int32 } },
    {
      name: 'encoding',
      op: 'SparseSegmentMean',
      input: ['embeddings', 'values', 'rows'],
      attr: { T: { type: 'DT_FLOAT' }, Tidx: int32, Tsegmentids: int32 },
    },
  ];
  const floats = Float32Array.from(e.embeddings.flat());
  const ints = Int32Array.from([0, 0, -1, 1, -1]);
  const bytes = Buffer.concat([Buffer.from(floats.buffer), Buffer.from(ints.buffer)]);
  const weights = [
    { name: 'embeddings', shape: [v, d], dtype: 'float32' },
    { name: 'begin', shape: [2], dtype: 'int32' },
    { name: 'size', shape: [2], dtype: 'int32' },
    { name: 'flat', shape: [1], dtype: 'int32' },
  ];
  fs.mkdirSync(dir, { recursive: true });
  const shard = opts.weightPath ?? 'group1-shard1of1.bin';
  fs.writeFileSync(
    path.join(dir, 'model.json'),
    JSON.stringify({
      format: 'graph-model',
      modelTopology: { node, versions: { producer: 1 } },
      weightsManifest: [{ paths: [shard], weights }],
    }),
  );
  if (!shard.includes('..')) fs.writeFileSync(path.join(dir, shard), bytes);
  fs.writeFileSync(path.join(dir, 'vocab.json'), JSON.stringify(e.vocab));
}

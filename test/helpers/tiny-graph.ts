// Builds a small image GraphModel for the tests, in the layout tensorflowjs_converter writes from a
// SavedModel: model.json (format "graph-model", a GraphDef whose string attributes are base64) and
// one weight shard. The graph: image [n, 16, 16, 3] -> conv 3x3/2 + bias + ReLU (8) -> conv 3x3/2
// + bias + ReLU (16, the map "conv2/relu") -> mean over height and width ("pool", 16) -> MatMul
// ("logits", 10: the graph's own output). Weights come from a seeded generator.
import fs from 'node:fs';
import path from 'node:path';

const f32 = { type: 'DT_FLOAT' };
const dims = (...sizes: number[]) => ({ dim: sizes.map((s) => ({ size: String(s) })) });
const str = (s: string) => ({ s: Buffer.from(s).toString('base64') });
const ints = (...v: number[]) => ({ list: { i: v.map(String) } });

export interface TinyGraphOptions {
  /** Where the manifest says the shard is (default group1-shard1of1.bin). */
  weightPath?: string;
  /** Seed of the weights. */
  seed?: number;
  /** The input's channels (default 3). */
  channels?: number;
}

/** Numbers in [-1, 1) from a 32-bit LCG: the same weights on every machine. */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  };
}

export function writeImageGraph(dir: string, opts: TinyGraphOptions = {}): void {
  const c = opts.channels ?? 3;
  const rand = seeded(opts.seed ?? 11);
  const weights: Array<{ name: string; shape: number[]; dtype: string; values: number[] }> = [];
  const constNode = (name: string, shape: number[], values: number[], dtype = 'float32') => {
    weights.push({ name, shape, dtype, values });
    const t = dtype === 'float32' ? 'DT_FLOAT' : 'DT_INT32';
    return { name, op: 'Const', attr: { dtype: { type: t }, value: { tensor: { dtype: t, tensorShape: dims(...shape) } } } };
  };
  const random = (n: number, scale: number) => Array.from({ length: n }, () => rand() * scale);
  const conv = (name: string, input: string, k: number, from: number, to: number) => [
    constNode(`${name}/filter`, [k, k, from, to], random(k * k * from * to, 1 / Math.sqrt(k * k * from))),
    constNode(`${name}/bias`, [to], random(to, 0.1)),
    {
      name,
      op: 'Conv2D',
      input: [input, `${name}/filter`],
      attr: { T: f32, strides: ints(1, 2, 2, 1), padding: str('SAME'), data_format: str('NHWC'), dilations: ints(1, 1, 1, 1) },
    },
    { name: `${name}/biasadd`, op: 'BiasAdd', input: [name, `${name}/bias`], attr: { T: f32, data_format: str('NHWC') } },
    { name: `${name}/relu`, op: 'Relu', input: [`${name}/biasadd`], attr: { T: f32 } },
  ];
  const node = [
    { name: 'image', op: 'Placeholder', attr: { dtype: f32, shape: { shape: dims(-1, 16, 16, c) } } },
    ...conv('conv1', 'image', 3, c, 8),
    ...conv('conv2', 'conv1/relu', 3, 8, 16),
    constNode('pool/axes', [2], [1, 2], 'int32'),
    { name: 'pool', op: 'Mean', input: ['conv2/relu', 'pool/axes'], attr: { T: f32, Tidx: { type: 'DT_INT32' }, keep_dims: { b: false } } },
    constNode('logits/kernel', [16, 10], random(160, 0.25)),
    {
      name: 'logits',
      op: 'MatMul',
      input: ['pool', 'logits/kernel'],
      attr: { T: f32, transpose_a: { b: false }, transpose_b: { b: false } },
    },
  ];
  const bytes = Buffer.concat(
    weights.map((w) => Buffer.from((w.dtype === 'float32' ? Float32Array.from(w.values) : Int32Array.from(w.values)).buffer)),
  );
  const shard = opts.weightPath ?? 'group1-shard1of1.bin';
  const manifest = [{ paths: [shard], weights: weights.map(({ name, shape, dtype }) => ({ name, shape, dtype })) }];
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'model.json'),
    JSON.stringify({
      format: 'graph-model',
      generatedBy: '2.15.0',
      modelTopology: { node, versions: { producer: 1 } },
      weightsManifest: manifest,
    }),
  );
  if (!shard.includes('..')) fs.writeFileSync(path.join(dir, shard), bytes);
}

/** Weights of the tiny graph: 3x3x3x8 + 8 + 3x3x8x16 + 16 + 16x10 (float32; the int32 axes are not parameters). */
export const TINY_GRAPH_PARAMS = 3 * 3 * 3 * 8 + 8 + 3 * 3 * 8 * 16 + 16 + 16 * 10;

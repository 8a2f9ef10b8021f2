import fs from 'node:fs';
import { it } from 'vitest';
import { selectBackend } from '../src/backend/select.js';
import { readIdxExamples } from '../src/data/idx.js';
import { computeFeatures } from '../src/pipeline/features.js';
import { SpecSchema } from '../src/spec/schema.js';
import { silentLogger } from '../src/util/log.js';
import { trainHead } from '../src/train/loop.js';
import { evaluateHead } from '../src/train/evaluate.js';
import { disposeHead } from '../src/train/head.js';

const D = 'examples/fashion-mnist/data/';
const SIZE = Number(process.env.EXP_SIZE ?? 64);
const CUT = process.env.EXP_CUT ?? 'block_13_expand_relu';
const NTR = Number(process.env.EXP_NTR ?? 600), NVA = Number(process.env.EXP_NVA ?? 200), NTE = Number(process.env.EXP_NTE ?? 400);

it('experiment', async () => {
  await selectBackend('wasm', silentLogger);
  const cacheFile = `/tmp/exp/feat-${SIZE}-${CUT}-${NTR}-${NVA}-${NTE}.json`;
  const spec = SpecSchema.parse({ version: 1, name: 'x', task: 'image-classification', model: { base: 'examples/fashion-mnist/models/mobilenet_v2/model.json', cut: CUT, input: { size: [SIZE, SIZE] } }, data: { format: 'idx', train: { images: 'a', labels: 'b' } } });
  let feats: any;
  if (fs.existsSync(cacheFile)) {
    const j = JSON.parse(fs.readFileSync(cacheFile, 'utf8'));
    const mk = (p: any) => ({ x: { rows: p.rows, dim: p.dim, data: Float32Array.from(p.data) }, y: Int32Array.from(p.y) });
    feats = { train: mk(j.train), validation: mk(j.validation), test: mk(j.test) };
  } else {
    const tr = readIdxExamples(D + 'train-images-idx3-ubyte.gz', D + 'train-labels-idx1-ubyte.gz', 'train', 'data.train');
    const te = readIdxExamples(D + 't10k-images-idx3-ubyte.gz', D + 't10k-labels-idx1-ubyte.gz', 'test', 'data.test');
    const t0 = Date.now();
    feats = await computeFeatures(spec, process.cwd(), { classes: [], train: tr.slice(0, NTR), validation: tr.slice(NTR, NTR + NVA), test: te.slice(0, NTE), skipped: [] }, { backend: 'wasm' }, silentLogger);
    console.log('features s', (Date.now() - t0) / 1000);
    const ser = (p: any) => ({ rows: p.x.rows, dim: p.x.dim, data: Array.from(p.x.data), y: Array.from(p.y) });
    fs.writeFileSync(cacheFile, JSON.stringify({ train: ser(feats.train), validation: ser(feats.validation), test: ser(feats.test) }));
  }
  const labels = Array.from({ length: 10 }, (_, i) => String(i));
  const configs: Record<string, any> = JSON.parse(process.env.EXP_CONFIGS ?? '{}');
  const seeds = Number(process.env.EXP_SEEDS ?? 8);
  for (const [name, c] of Object.entries(configs)) {
    const train = SpecSchema.shape.train.parse(c.train ?? {});
    const head = c.head ?? { hidden: [], dropout: 0 };
    const accs: number[] = []; const eps: number[] = [];
    const t0 = Date.now();
    for (let s = Number(process.env.EXP_FROM ?? 0); s < seeds; s++) {
      const r = await trainHead(feats.train, feats.validation, { train, head, labels, seed: 1000 + s, log: silentLogger });
      const ev = await evaluateHead(r.head, feats.test.x, feats.test.y, labels);
      if (process.env.EXP_DUMP) console.log(name, 1000 + s, r.history.map((h) => `${h.epoch}:${h.val_f1_macro.toFixed(3)}/${h.val_loss.toFixed(3)}`).join(' '));
      accs.push(ev.metrics.accuracy); eps.push(r.bestEpoch + r.history.length / 1000);
      disposeHead(r.head);
    }
    const mean = accs.reduce((a, b) => a + b) / accs.length;
    console.log(`${name}: mean ${mean.toFixed(4)} min ${Math.min(...accs).toFixed(4)} max ${Math.max(...accs).toFixed(4)} spread ${(Math.max(...accs) - Math.min(...accs)).toFixed(4)} accs ${accs.map((a) => a.toFixed(3)).join(' ')} best/len ${eps.join(' ')} ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  }
}, 1_200_000);

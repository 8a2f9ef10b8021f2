// 1000 seeded random mutations of a valid weights manifest: the validator either accepts it (and
// then every number it returns is sound) or throws a ModelError, never anything else.
import { describe, expect, it } from 'vitest';
import { ModelError } from '../src/errors.js';
import { bytesOf, validateManifest } from '../src/model/weights-manifest.js';
import { createRng } from '../src/util/random.js';

type Rng = () => number;
type Obj = Record<string, unknown>;

const VALID = [
  {
    paths: ['group1-shard1of2.bin', 'group1-shard2of2.bin'],
    weights: [
      { name: 'conv/kernel', shape: [3, 3, 3, 16], dtype: 'float32' },
      { name: 'conv/bias', shape: [16], dtype: 'float32', quantization: { dtype: 'uint8', min: -0.5, scale: 0.004 } },
    ],
  },
  {
    paths: ['group2-shard1of1.bin'],
    weights: [
      { name: 'step', shape: [], dtype: 'int32' },
      { name: 'mask', shape: [4], dtype: 'bool' },
    ],
  },
];

const pick = <T>(rng: Rng, list: readonly T[]): T => list[Math.floor(rng() * list.length)];

const ODD_VALUES: unknown[] = [null, undefined, 0, -1, 1.5, NaN, Infinity, '', 'x', true, [], {}, [[]], { length: 3 }, Object.create(null)];
const PATHS = [
  '../w.bin',
  '/etc/passwd',
  'file:///etc/passwd',
  'https://evil.example/w.bin',
  '%2e%2e/w.bin',
  '..\\w.bin',
  'C:\\w.bin',
  'a/../../w.bin',
  'a\0b',
  '.',
  './w.bin',
  'deep/ok/w.bin',
  '\\\\host\\w',
  'w.bin?x=1',
  '%zz',
  '€.bin',
];
const DTYPES = [
  'float32',
  'int32',
  'bool',
  'float16',
  'string',
  'complex64',
  'uint8',
  'toString',
  '__proto__',
  'constructor',
  'hasOwnProperty',
  'valueOf',
  '',
];
const SHAPE_DIMS = [0, 1, 7, -1, 2.5, NaN, Infinity, 1e9, 1e15, 2 ** 53, '3', null, [2], {}];

function randomValue(rng: Rng): unknown {
  const r = rng();
  if (r < 0.4) return pick(rng, ODD_VALUES);
  if (r < 0.6) return pick(rng, PATHS);
  if (r < 0.8) return pick(rng, DTYPES);
  return pick(rng, SHAPE_DIMS);
}

/** Every object or array inside `root`, with a way to replace or delete a key of it. */
function containers(root: unknown): Array<Obj | unknown[]> {
  const out: Array<Obj | unknown[]> = [];
  const visit = (v: unknown) => {
    if (v && typeof v === 'object') {
      out.push(v as Obj);
      Object.values(v).forEach(visit);
    }
  };
  visit(root);
  return out;
}

const MUTATIONS: Array<(m: unknown[], rng: Rng) => unknown> = [
  // A path replaced by something hostile or malformed.
  (m, rng) => {
    const g = pick(rng, m) as Obj;
    if (Array.isArray(g?.paths) && g.paths.length)
      g.paths[Math.floor(rng() * g.paths.length)] = rng() < 0.8 ? pick(rng, PATHS) : randomValue(rng);
    return m;
  },
  // A shape dimension changed, or the shape replaced.
  (m, rng) => {
    const w = containers(m).find((c) => !Array.isArray(c) && 'shape' in c && rng() < 0.5) as Obj | undefined;
    if (!w) return m;
    if (Array.isArray(w.shape) && w.shape.length && rng() < 0.7) w.shape[Math.floor(rng() * w.shape.length)] = pick(rng, SHAPE_DIMS);
    else w.shape = rng() < 0.5 ? randomValue(rng) : Array.from({ length: 1 + Math.floor(rng() * 6) }, () => pick(rng, SHAPE_DIMS));
    return m;
  },
  // A dtype or quantization changed.
  (m, rng) => {
    const w = containers(m).find((c) => !Array.isArray(c) && 'dtype' in c && rng() < 0.5) as Obj | undefined;
    if (w) w.dtype = rng() < 0.8 ? pick(rng, DTYPES) : randomValue(rng);
    const q = containers(m).find((c) => !Array.isArray(c) && 'name' in c && rng() < 0.3) as Obj | undefined;
    if (q) q.quantization = rng() < 0.5 ? { dtype: pick(rng, DTYPES), min: randomValue(rng), scale: randomValue(rng) } : randomValue(rng);
    return m;
  },
  // Any key of any object or array deleted or replaced.
  (m, rng) => {
    const c = pick(rng, containers(m));
    const keys = Object.keys(c);
    if (!keys.length) return m;
    const key = pick(rng, keys);
    if (rng() < 0.4) delete (c as Obj)[key];
    else (c as Obj)[key] = randomValue(rng);
    return m;
  },
  // Structure: groups and weights duplicated, nested, emptied, or the whole manifest replaced.
  (m, rng) => {
    const r = rng();
    if (r < 0.2) return randomValue(rng);
    if (r < 0.4) return [m];
    if (r < 0.6) return [...m, ...m];
    if (r < 0.8) return m.map((g) => (g && typeof g === 'object' ? { ...(g as Obj), weights: [(g as Obj).weights] } : g));
    return Object.assign({}, m);
  },
];

/** JSON with the values JSON cannot show (NaN, Infinity, undefined, holes) spelt out. */
function show(v: unknown): string {
  return (
    JSON.stringify(v, (_, x) => (typeof x === 'number' && !Number.isFinite(x) ? String(x) : x === undefined ? 'undefined' : x)) ?? String(v)
  );
}

function mutate(rng: Rng): unknown {
  let m: unknown = structuredClone(VALID);
  const steps = 1 + Math.floor(rng() * 3);
  for (let s = 0; s < steps; s++) m = Array.isArray(m) ? pick(rng, MUTATIONS)(m, rng) : m;
  return m;
}

describe('validateManifest under 1000 seeded mutations', () => {
  it('accepts the valid manifest', () => {
    const r = validateManifest(structuredClone(VALID), 'model.json');
    expect(r.totalBytes).toBe(3 * 3 * 3 * 16 * 4 + 16 + 4 + 4);
  });

  it('returns sound results or throws ModelError, never anything else', () => {
    const rng = createRng(20261128);
    const outcomes = { accepted: 0, refused: 0 };
    for (let i = 0; i < 1000; i++) {
      const manifest = mutate(rng);
      let result: ReturnType<typeof validateManifest>;
      try {
        result = validateManifest(manifest, 'model.json');
      } catch (err) {
        if (!(err instanceof ModelError)) throw new Error(`mutation ${i} threw ${String(err)} for ${show(manifest)}`);
        expect(err.message.startsWith('model.json: ')).toBe(true);
        outcomes.refused++;
        continue;
      }
      outcomes.accepted++;
      expect(Number.isSafeInteger(result.totalBytes) && result.totalBytes >= 0, `mutation ${i}: ${show(manifest)}`).toBe(true);
      for (const w of result.specs) expect(Number.isSafeInteger(bytesOf(w))).toBe(true);
      for (const g of result.groups) for (const p of g.paths) expect(p).not.toMatch(/(^|[\\/])\.\.([\\/]|$)|^[\\/]|^[a-z][a-z0-9+.-]*:/i);
    }
    // Both outcomes happen, so the mutations reach past the first check.
    expect(outcomes.refused).toBeGreaterThan(500);
    expect(outcomes.accepted).toBeGreaterThan(20);
  });
});

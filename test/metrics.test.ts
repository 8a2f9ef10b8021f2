import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  AVERAGE_METRICS,
  classificationMetrics,
  confusionMatrix,
  crossEntropy,
  metricsFromConfusion,
} from '../src/metrics/classification.js';

// Debian's interpreter: the python3 first on PATH may be a shim that cannot see python3-sklearn.
const PYTHON = '/usr/bin/python3';
const REFERENCE_SCRIPT = fileURLToPath(new URL('./reference/sklearn_metrics.py', import.meta.url));
const TOLERANCE = 1e-9;
const CASES_PER_SCENARIO = 30;

const labelsFor = (k: number): string[] => Array.from({ length: k }, (_, c) => `class_${c}`);

describe('classificationMetrics on hand-checked cases', () => {
  it('counts, per-class scores and averages for a three-class example', () => {
    const { metrics, perClass, confusion } = classificationMetrics([0, 0, 1, 1, 2], [0, 1, 1, 1, 0], ['a', 'b', 'c']);
    expect(confusion).toEqual({
      labels: ['a', 'b', 'c'],
      matrix: [
        [1, 1, 0],
        [0, 2, 0],
        [1, 0, 0],
      ],
    });
    expect(perClass.map((p) => p.label)).toEqual(['a', 'b', 'c']);
    expect(perClass.map((p) => p.support)).toEqual([2, 2, 1]);
    expect(perClass[0].precision).toBeCloseTo(0.5, 12);
    expect(perClass[1].precision).toBeCloseTo(2 / 3, 12);
    expect(perClass[1].recall).toBeCloseTo(1, 12);
    expect(perClass[1].f1).toBeCloseTo(0.8, 12);
    // Class c is never predicted: precision is undefined and counts as 0.
    expect(perClass[2]).toEqual({ label: 'c', precision: 0, recall: 0, f1: 0, support: 1 });
    expect(metrics.accuracy).toBeCloseTo(0.6, 12);
    expect(metrics.precision_macro).toBeCloseTo(7 / 18, 12);
    expect(metrics.recall_macro).toBeCloseTo(0.5, 12);
    expect(metrics.f1_macro).toBeCloseTo(1.3 / 3, 12);
    expect(metrics.precision_weighted).toBeCloseTo(7 / 15, 12);
    expect(metrics.recall_weighted).toBeCloseTo(0.6, 12);
    expect(metrics.f1_weighted).toBeCloseTo(0.52, 12);
    expect(metrics.f1_micro).toBeCloseTo(0.6, 12);
  });

  it('macro averages include a class absent from both truth and predictions as zero', () => {
    const { metrics, perClass } = classificationMetrics([0, 1, 0, 1], [0, 1, 1, 1], labelsFor(3));
    expect(perClass[2]).toEqual({ label: 'class_2', precision: 0, recall: 0, f1: 0, support: 0 });
    // Class 0: precision 1, recall 1/2; class 1: precision 2/3, recall 1; class 2: all 0.
    expect(metrics.precision_macro).toBeCloseTo(5 / 9, 12);
    expect(metrics.recall_macro).toBeCloseTo(0.5, 12);
    expect(metrics.f1_macro).toBeCloseTo(22 / 45, 12);
    // Weighted averages ignore it: its support is 0.
    expect(metrics.f1_weighted).toBeCloseTo(11 / 15, 12);
    expect(metrics.precision_weighted).toBeCloseTo(5 / 6, 12);
    expect(metrics.recall_weighted).toBeCloseTo(0.75, 12);
    expect(metrics.accuracy).toBeCloseTo(0.75, 12);
    expect(metrics.f1_micro).toBeCloseTo(0.75, 12);
  });

  it('scores perfect predictions of a single class as 1 everywhere', () => {
    const { metrics, perClass, confusion } = classificationMetrics([0, 0, 0], [0, 0, 0], ['only']);
    expect(Object.values(metrics)).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
    expect(perClass).toEqual([{ label: 'only', precision: 1, recall: 1, f1: 1, support: 3 }]);
    expect(confusion.matrix).toEqual([[3]]);
  });

  it('scores predictions that are all wrong as 0 everywhere', () => {
    const { metrics } = classificationMetrics([0, 1, 1, 0], [1, 0, 0, 1], ['x', 'y']);
    expect(Object.values(metrics)).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('scores a confusion matrix without examples as 0 everywhere, not NaN, as its contract says', () => {
    const nan = () => new Float64Array(2).fill(Number.NaN);
    const per = { precision: nan(), recall: nan(), f1: nan(), support: nan() };
    const out = metricsFromConfusion([0, 0, 0, 0], 2, new Float64Array(AVERAGE_METRICS.length).fill(Number.NaN), per);
    expect(Array.from(out)).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(per).toEqual({
      precision: new Float64Array(2),
      recall: new Float64Array(2),
      f1: new Float64Array(2),
      support: new Float64Array(2),
    });
  });

  it('accepts typed arrays', () => {
    const m = confusionMatrix(Int32Array.from([2, 0, 2]), Float32Array.from([2, 1, 0]), 3);
    expect(m).toEqual([
      [0, 1, 0],
      [0, 0, 0],
      [1, 0, 1],
    ]);
  });

  it('returns a copy of the labels, not the caller array', () => {
    const labels = ['a', 'b'];
    const { confusion } = classificationMetrics([0, 1], [0, 1], labels);
    expect(confusion.labels).toEqual(labels);
    expect(confusion.labels).not.toBe(labels);
  });
});

describe('crossEntropy', () => {
  it('is the mean negative log-probability of the true class', () => {
    const probs = [0.7, 0.2, 0.1, 0.1, 0.8, 0.1, 0.5, 0.25, 0.25, 0.2, 0.2, 0.6];
    expect(crossEntropy(probs, 3, [0, 1, 0, 1])).toBeCloseTo(-(Math.log(0.7) + Math.log(0.8) + Math.log(0.5) + Math.log(0.2)) / 4, 12);
  });

  it('refuses a NaN probability of the true class and names its index', () => {
    expect(() => crossEntropy([0.5, 0.5, 0.2, NaN], 2, [0, 1])).toThrow('probs[3] is NaN');
  });

  it('clips probabilities to [1e-7, 1 - 1e-7] like Keras', () => {
    expect(crossEntropy([0, 1], 2, [0])).toBeCloseTo(-Math.log(1e-7), 12);
    expect(crossEntropy([0, 1], 2, [1])).toBeCloseTo(-Math.log(1 - 1e-7), 15);
    expect(crossEntropy([1], 1, [0])).toBeCloseTo(-Math.log(1 - 1e-7), 15);
  });
});

describe('input validation', () => {
  it('rejects arrays of different lengths', () => {
    expect(() => classificationMetrics([0, 1], [0], ['a', 'b'])).toThrow(/differ in length: 2 vs 1/);
    expect(() => confusionMatrix([0], [0, 1], 2)).toThrow(/differ in length/);
  });

  it('rejects empty arrays', () => {
    expect(() => classificationMetrics([], [], ['a'])).toThrow(/empty/);
    expect(() => crossEntropy([], 2, [])).toThrow(/empty/);
  });

  it('rejects class indices outside 0..K-1', () => {
    expect(() => classificationMetrics([0, 2], [0, 1], ['a', 'b'])).toThrow(/yTrue\[1\] = 2 is not a class index in 0\.\.1/);
    expect(() => classificationMetrics([0, 1], [-1, 1], ['a', 'b'])).toThrow(/yPred\[0\] = -1/);
    expect(() => confusionMatrix([0.5], [0], 2)).toThrow(/yTrue\[0\] = 0\.5/);
    expect(() => confusionMatrix([0], [Number.NaN], 2)).toThrow(/yPred\[0\] = NaN/);
    expect(() => crossEntropy([0.5, 0.5], 2, [2])).toThrow(/yTrue\[0\] = 2/);
  });

  it('rejects an empty label list and a non-positive class count', () => {
    expect(() => classificationMetrics([0], [0], [])).toThrow(/at least one class/);
    expect(() => confusionMatrix([0], [0], 0)).toThrow(/positive integer/);
    expect(() => crossEntropy([1], 1.5, [0])).toThrow(/positive integer/);
  });

  it('rejects probabilities whose count is not rows x classes', () => {
    expect(() => crossEntropy([0.5, 0.5, 1], 2, [0, 1])).toThrow(/expected 2 rows x 2 classes = 4/);
  });
});

// --- Agreement with scikit-learn on seeded random cases -------------------------------------

// mulberry32: tiny, seeded and good enough to spread cases over the input space.
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Case {
  scenario: string;
  k: number;
  yTrue: number[];
  yPred: number[];
  probs: number[];
}

type Rng = () => number;
const randInt = (rng: Rng, lo: number, hi: number): number => lo + Math.floor(rng() * (hi - lo + 1));
const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)];
const draw = (rng: Rng, n: number, classes: readonly number[]): number[] => Array.from({ length: n }, () => pick(rng, classes));
const range = (k: number): number[] => Array.from({ length: k }, (_, c) => c);

// A random proper subset of 0..k-1 with at least one class, so some classes never occur.
function properSubset(rng: Rng, k: number): number[] {
  const shuffled = range(k).sort(() => rng() - 0.5);
  return shuffled.slice(0, randInt(rng, 1, k - 1)).sort((a, b) => a - b);
}

function wrongClass(rng: Rng, k: number, truth: number): number {
  return (truth + randInt(rng, 1, k - 1)) % k;
}

// Each scenario returns [k, yTrue, yPred].
const SCENARIOS: Record<string, (rng: Rng) => [number, number[], number[]]> = {
  uniform: (rng) => {
    const k = randInt(rng, 1, 12);
    const n = randInt(rng, 1, 400);
    return [k, draw(rng, n, range(k)), draw(rng, n, range(k))];
  },
  'absent-from-true': (rng) => {
    const k = randInt(rng, 2, 12);
    const n = randInt(rng, 1, 400);
    return [k, draw(rng, n, properSubset(rng, k)), draw(rng, n, range(k))];
  },
  'absent-from-pred': (rng) => {
    const k = randInt(rng, 2, 12);
    const n = randInt(rng, 1, 400);
    return [k, draw(rng, n, range(k)), draw(rng, n, properSubset(rng, k))];
  },
  'absent-from-both': (rng) => {
    const k = randInt(rng, 2, 12);
    const n = randInt(rng, 1, 400);
    const seen = properSubset(rng, k);
    return [k, draw(rng, n, seen), draw(rng, n, seen)];
  },
  'single-class': (rng) => {
    const n = randInt(rng, 1, 400);
    return [1, new Array<number>(n).fill(0), new Array<number>(n).fill(0)];
  },
  imbalanced: (rng) => {
    const k = randInt(rng, 2, 12);
    const n = randInt(rng, 10, 400);
    const major = randInt(rng, 0, k - 1);
    const majorCount = Math.ceil(0.9 * n) + randInt(rng, 0, n - Math.ceil(0.9 * n));
    const yTrue = Array.from({ length: n }, (_, i) => (i < majorCount ? major : wrongClass(rng, k, major))).sort(() => rng() - 0.5);
    // A lazy model: mostly predicts the majority class.
    const yPred = yTrue.map(() => (rng() < 0.95 ? major : randInt(rng, 0, k - 1)));
    return [k, yTrue, yPred];
  },
  perfect: (rng) => {
    const k = randInt(rng, 1, 12);
    const yTrue = draw(rng, randInt(rng, 1, 400), range(k));
    return [k, yTrue, [...yTrue]];
  },
  'all-wrong': (rng) => {
    const k = randInt(rng, 2, 12);
    const yTrue = draw(rng, randInt(rng, 1, 400), range(k));
    return [k, yTrue, yTrue.map((t) => wrongClass(rng, k, t))];
  },
  'mostly-right': (rng) => {
    const k = randInt(rng, 2, 12);
    const yTrue = draw(rng, randInt(rng, 1, 400), range(k));
    return [k, yTrue, yTrue.map((t) => (rng() < 0.8 ? t : randInt(rng, 0, k - 1)))];
  },
  tiny: (rng) => {
    const k = randInt(rng, 1, 12);
    const n = randInt(rng, 1, 3);
    return [k, draw(rng, n, range(k)), draw(rng, n, range(k))];
  },
};

// Softmax-like rows leaning towards the predicted class, kept well inside (1e-7, 1 - 1e-7)
// so clipping plays no part and sklearn's own clipping cannot differ from ours.
function probabilities(rng: Rng, k: number, yPred: readonly number[]): number[] {
  const out: number[] = [];
  for (const p of yPred) {
    const row = range(k).map((c) => 0.05 + rng() + (c === p ? 3 * rng() : 0));
    const sum = row.reduce((a, b) => a + b, 0);
    out.push(...row.map((x) => x / sum));
  }
  return out;
}

function generateCases(seed: number): Case[] {
  const rng = mulberry32(seed);
  const cases: Case[] = [];
  for (let i = 0; i < CASES_PER_SCENARIO; i++) {
    for (const [scenario, make] of Object.entries(SCENARIOS)) {
      const [k, yTrue, yPred] = make(rng);
      cases.push({ scenario, k, yTrue, yPred, probs: probabilities(rng, k, yPred) });
    }
  }
  return cases;
}

interface Reference {
  accuracy: number;
  precision_macro: number;
  recall_macro: number;
  f1_macro: number;
  precision_weighted: number;
  recall_weighted: number;
  f1_weighted: number;
  f1_micro: number;
  per_class: { precision: number[]; recall: number[]; f1: number[]; support: number[] };
  confusion: number[][];
  log_loss: number | null;
}

function runSklearn(cases: readonly Case[]): Reference[] {
  const probe = spawnSync(PYTHON, ['-c', 'import sklearn'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      `scikit-learn is not importable by ${PYTHON}; install Debian's python3-sklearn ` +
        `(apt-get install python3-sklearn). ${probe.error?.message ?? probe.stderr.trim()}`,
    );
  }
  const dir = mkdtempSync(join(tmpdir(), 'metrics-ref-'));
  try {
    const file = join(dir, 'cases.json');
    const payload = cases.map((c) => ({
      k: c.k,
      y_true: c.yTrue,
      y_pred: c.yPred,
      probs: c.yTrue.map((_, i) => c.probs.slice(i * c.k, (i + 1) * c.k)),
    }));
    writeFileSync(file, JSON.stringify({ cases: payload }));
    const stdout = execFileSync(PYTHON, [REFERENCE_SCRIPT, file], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    const results = (JSON.parse(stdout) as { results: Reference[] }).results;
    if (results.length !== cases.length) throw new Error(`sklearn returned ${results.length} results for ${cases.length} cases`);
    return results;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('agreement with scikit-learn', () => {
  const cases = generateCases(20240607);
  let reference: Reference[] | undefined;
  let referenceError: unknown;

  beforeAll(() => {
    try {
      reference = runSklearn(cases);
    } catch (err) {
      referenceError = err;
    }
  });

  // Every test fails, not skips, when the reference cannot be computed.
  function sklearn(): Reference[] {
    if (!reference) throw referenceError instanceof Error ? referenceError : new Error(String(referenceError));
    return reference;
  }

  // Compares numbers within TOLERANCE and collects every mismatch so one failure shows them all.
  function comparer(): { close: (where: string, got: number, want: number) => void; mismatches: string[]; count: () => number } {
    const mismatches: string[] = [];
    let compared = 0;
    return {
      close: (where, got, want) => {
        compared++;
        if (!(Math.abs(got - want) <= TOLERANCE)) mismatches.push(`${where}: got ${got}, sklearn ${want}`);
      },
      mismatches,
      count: () => compared,
    };
  }

  const describeCase = (i: number): string => `case ${i} (${cases[i].scenario}, K=${cases[i].k}, n=${cases[i].yTrue.length})`;

  it('covers absent classes, a single class, imbalance, perfect and all-wrong predictions', () => {
    const absent = (ys: number[], k: number): boolean => new Set(ys).size < k;
    expect(cases.length).toBe(300);
    expect(cases.some((c) => c.k > 1 && absent(c.yTrue, c.k) && !absent(c.yPred, c.k))).toBe(true);
    expect(cases.some((c) => c.k > 1 && absent(c.yPred, c.k) && !absent(c.yTrue, c.k))).toBe(true);
    expect(cases.some((c) => range(c.k).some((cls) => !c.yTrue.includes(cls) && !c.yPred.includes(cls)))).toBe(true);
    // Classes with support that are never predicted, and classes predicted without support.
    expect(cases.some((c) => range(c.k).some((cls) => c.yTrue.includes(cls) && !c.yPred.includes(cls)))).toBe(true);
    expect(cases.some((c) => range(c.k).some((cls) => !c.yTrue.includes(cls) && c.yPred.includes(cls)))).toBe(true);
    expect(cases.some((c) => c.k === 1)).toBe(true);
    expect(
      cases.some((c) => c.k > 1 && c.yTrue.filter((y) => y === c.yTrue[0]).length >= 0.9 * c.yTrue.length && c.yTrue.length >= 10),
    ).toBe(true);
    expect(cases.some((c) => c.k > 1 && c.yTrue.every((y, i) => y === c.yPred[i]))).toBe(true);
    expect(cases.some((c) => c.yTrue.every((y, i) => y !== c.yPred[i]))).toBe(true);
    expect(Math.max(...cases.map((c) => c.k))).toBe(12);
  });

  it('accuracy and the macro, weighted and micro averages match within 1e-9', () => {
    const ref = sklearn();
    const { close, mismatches, count } = comparer();
    cases.forEach((c, i) => {
      const { metrics } = classificationMetrics(c.yTrue, c.yPred, labelsFor(c.k));
      for (const key of Object.keys(metrics) as (keyof typeof metrics)[]) close(`${describeCase(i)} ${key}`, metrics[key], ref[i][key]);
    });
    expect(mismatches).toEqual([]);
    expect(count()).toBe(cases.length * 8);
  });

  it('per-class precision, recall, f1 and support match within 1e-9', () => {
    const ref = sklearn();
    const { close, mismatches, count } = comparer();
    cases.forEach((c, i) => {
      const labels = labelsFor(c.k);
      const { perClass } = classificationMetrics(c.yTrue, c.yPred, labels);
      expect(perClass.map((p) => p.label)).toEqual(labels);
      expect(
        perClass.map((p) => p.support),
        describeCase(i),
      ).toEqual(ref[i].per_class.support);
      perClass.forEach((p, cls) => {
        close(`${describeCase(i)} class ${cls} precision`, p.precision, ref[i].per_class.precision[cls]);
        close(`${describeCase(i)} class ${cls} recall`, p.recall, ref[i].per_class.recall[cls]);
        close(`${describeCase(i)} class ${cls} f1`, p.f1, ref[i].per_class.f1[cls]);
      });
    });
    expect(mismatches).toEqual([]);
    expect(count()).toBe(3 * cases.reduce((a, c) => a + c.k, 0));
  });

  it('confusion matrices equal sklearn.metrics.confusion_matrix exactly', () => {
    const ref = sklearn();
    cases.forEach((c, i) => {
      expect(confusionMatrix(c.yTrue, c.yPred, c.k), describeCase(i)).toEqual(ref[i].confusion);
      expect(classificationMetrics(c.yTrue, c.yPred, labelsFor(c.k)).confusion.matrix, describeCase(i)).toEqual(ref[i].confusion);
    });
  });

  it('cross-entropy matches sklearn log_loss within 1e-9', () => {
    const ref = sklearn();
    const { close, mismatches, count } = comparer();
    cases.forEach((c, i) => {
      const got = crossEntropy(c.probs, c.k, c.yTrue);
      const want = ref[i].log_loss;
      // sklearn refuses a single label; with K=1 every row is [1], clipped to 1 - 1e-7.
      if (c.k === 1) close(`${describeCase(i)} log loss`, got, -Math.log(1 - 1e-7));
      else if (want === null) mismatches.push(`${describeCase(i)}: sklearn gave no log loss`);
      else close(`${describeCase(i)} log loss`, got, want);
    });
    expect(mismatches).toEqual([]);
    expect(count()).toBe(cases.length);
  });
});

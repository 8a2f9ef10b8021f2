import { describe, expect, it } from 'vitest';
import { Rng, createStreamRng } from '../src/util/random.js';
import { RESAMPLABLE_METRICS, confusionCodes, isResamplable, metricsOf } from '../src/gate/resample-metrics.js';
import { bootstrapMeans, replicateVariance } from '../src/gate/bootstrap.js';
import { mcnemar, pairingOf, toResampleSet } from '../src/gate/pairing.js';
import type { EvaluatedModel } from '../src/gate/types.js';
import {
  binomialUpperTail,
  incompleteBeta,
  logGamma,
  normalCdf,
  normalQuantile,
  sampleVariance,
  studentTCdf,
  studentTQuantile,
} from '../src/gate/stats.js';

// Reference values from scipy 1.17 (scipy.stats.norm / t / binom).
describe('distribution functions', () => {
  it('normal quantile matches scipy norm.ppf', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 14);
    expect(normalQuantile(0.95)).toBeCloseTo(1.6448536269514722, 14);
    expect(normalQuantile(0.8)).toBeCloseTo(0.8416212335729143, 14);
    expect(normalQuantile(0.3)).toBeCloseTo(-0.5244005127080409, 14);
    expect(normalQuantile(1e-10)).toBeCloseTo(-6.361340902404056, 12);
    expect(normalQuantile(0.5)).toBe(0);
    expect(normalQuantile(0)).toBe(-Infinity);
  });

  it('normal CDF matches scipy norm.cdf and inverts the quantile', () => {
    expect(normalCdf(1)).toBeCloseTo(0.8413447460685429, 14);
    expect(normalCdf(0.25)).toBeCloseTo(0.5987063256829237, 14);
    expect(normalCdf(-3)).toBeCloseTo(0.0013498980316300933, 15);
    expect(normalCdf(-8.5) / 9.47953482220325e-18).toBeCloseTo(1, 6);
    for (const p of [0.01, 0.2, 0.5, 0.77, 0.999]) expect(normalCdf(normalQuantile(p))).toBeCloseTo(p, 13);
  });

  it('Student t quantile and CDF match scipy t.ppf / t.cdf, fractional df included', () => {
    expect(studentTQuantile(0.95, 4)).toBeCloseTo(2.1318467863266495, 11);
    expect(studentTQuantile(0.975, 10)).toBeCloseTo(2.228138851986274, 11);
    expect(studentTQuantile(0.95, 1)).toBeCloseTo(6.313751514675037, 10);
    expect(studentTQuantile(0.95, 7.5)).toBeCloseTo(1.8757474792112878, 11);
    expect(studentTQuantile(0.99, 2.3)).toBeCloseTo(5.8538967681157965, 10);
    expect(studentTQuantile(0.05, 4)).toBeCloseTo(-2.1318467863266495, 11);
    expect(studentTQuantile(0.95, Infinity)).toBe(normalQuantile(0.95));
    expect(studentTCdf(2, 5)).toBeCloseTo(0.9490302605850708, 14);
  });

  it('binomial upper tail: 9 or more heads in 10 fair tosses is 11/1024', () => {
    expect(binomialUpperTail(9, 10, 0.5)).toBeCloseTo(11 / 1024, 15);
    expect(binomialUpperTail(3, 3, 0.5)).toBeCloseTo(1 / 8, 15);
    expect(binomialUpperTail(0, 5, 0.5)).toBe(1);
    expect(binomialUpperTail(6, 5, 0.5)).toBe(0);
    // scipy binom.sf(59, 100, 0.5) and binom.sf(529, 1000, 0.5)
    expect(binomialUpperTail(60, 100, 0.5)).toBeCloseTo(0.028443966820490444, 13);
    expect(binomialUpperTail(530, 1000, 0.5)).toBeCloseTo(0.031011597549181716, 12);
  });

  it('sample variance uses n - 1', () => {
    expect(sampleVariance([1, 2, 3, 4])).toBeCloseTo(5 / 3, 15);
    // Two values: (1 - 2)^2 + (3 - 2)^2 over 1.
    expect(sampleVariance([1, 3])).toBe(2);
    expect(sampleVariance(Float64Array.from([0.5, 0.5, 2]))).toBeCloseTo(0.75, 15);
    expect(sampleVariance([7])).toBe(0);
    expect(sampleVariance([])).toBe(0);
  });

  it('normal quantile: the far tails and the ends of (0, 1)', () => {
    // Beyond p = exp(-25) AS 241 switches to its third rational function (scipy norm.ppf).
    expect(normalQuantile(1e-20)).toBeCloseTo(-9.262340089798409, 12);
    expect(normalQuantile(1 - 1e-13)).toBeCloseTo(7.3487545403000425, 2);
    expect(normalQuantile(0.9999999)).toBeCloseTo(5.199337582290661, 8);
    expect(normalQuantile(0.999)).toBeCloseTo(3.090232306167813, 13);
    expect(normalQuantile(0.075)).toBeCloseTo(-1.4395314709384563, 13);
    expect(normalQuantile(0.93)).toBeCloseTo(1.475791028179171, 13);
    expect(normalQuantile(1)).toBe(Infinity);
    for (const p of [-0.1, 1.5, Number.NaN]) expect(normalQuantile(p)).toBeNaN();
  });

  it('normal CDF in the far tails (scipy norm.cdf), 0 and 1 beyond 37 standard deviations', () => {
    // Past 7.07 a continued fraction takes over: about 1e-8 relative, 1e-21 absolute.
    expect(normalCdf(-7.2) / 3.010627981117422e-13).toBeCloseTo(1, 7);
    expect(normalCdf(-7) / 1.279812543885835e-12).toBeCloseTo(1, 7);
    // Where the continued fraction is needed: the rational function alone would be 1e-6 off here.
    expect(normalCdf(-20) / 2.7536241186061556e-89).toBeCloseTo(1, 9);
    expect(normalCdf(2.5)).toBeCloseTo(0.9937903346742238, 15);
    expect(normalCdf(-37) / 5.7255712225239266e-300).toBeCloseTo(1, 6);
    expect(normalCdf(-38)).toBe(0);
    expect(normalCdf(38)).toBe(1);
    expect(normalCdf(0)).toBe(0.5);
  });

  it('log Gamma matches scipy gammaln, below 1/2 by reflection', () => {
    // Close to 0 the Lanczos sum alone loses digits (3e-11 at 1e-6); the reflection keeps them.
    expect(logGamma(1e-6)).toBeCloseTo(13.81550998074943, 13);
    expect(logGamma(1e-10)).toBeCloseTo(23.025850929882733, 12);
    expect(logGamma(0.1)).toBeCloseTo(2.252712651734206, 13);
    expect(logGamma(0.25)).toBeCloseTo(1.2880225246980774, 13);
    expect(logGamma(0.5)).toBeCloseTo(0.5723649429247, 13);
    expect(logGamma(0.75)).toBeCloseTo(0.20328095143129538, 13);
    expect(logGamma(1)).toBeCloseTo(0, 14);
    expect(logGamma(3)).toBeCloseTo(Math.log(2), 14);
    expect(logGamma(100.5)).toBeCloseTo(361.43554046777757, 11);
  });

  it('regularized incomplete beta matches scipy betainc on both sides of its switch, 0 and 1 outside (0, 1)', () => {
    // I_0.3(2, 3) = 0.3483 and I_0.9(2, 3) = 0.9963 are polynomials: 1 - (1-x)^4 - 4x(1-x)^3.
    expect(incompleteBeta(0.3, 2, 3)).toBeCloseTo(0.3483, 14);
    expect(incompleteBeta(0.9, 2, 3)).toBeCloseTo(0.9963, 14);
    expect(incompleteBeta(0.05, 0.5, 4)).toBeCloseTo(0.4654078517387551, 13);
    expect(incompleteBeta(0.6, 30, 40)).toBeCloseTo(0.998074111202461, 13);
    expect(incompleteBeta(0, 2, 3)).toBe(0);
    expect(incompleteBeta(-0.5, 2, 3)).toBe(0);
    expect(incompleteBeta(1, 2, 3)).toBe(1);
    expect(incompleteBeta(1.5, 2, 3)).toBe(1);
  });

  it('Student t below one degree of freedom, in the lower tail, and as df goes to infinity (scipy t)', () => {
    expect(studentTCdf(-2, 5)).toBeCloseTo(0.05096973941492914, 14);
    expect(studentTCdf(-0.7, 3.3)).toBeCloseTo(0.2650440396616292, 14);
    expect(studentTCdf(1.5, 0.5)).toBeCloseTo(0.7460491046759459, 13);
    expect(studentTCdf(0, 3)).toBe(0.5);
    expect(studentTCdf(1.5, Infinity)).toBe(normalCdf(1.5));
    // Closed forms: with 2 degrees of freedom F(t) = 1/2 + t / (2 sqrt(2 + t^2)), so t_0.8 = sqrt(9/8)
    // and t_0.6 = 1/sqrt(12); with 1 it is Cauchy, t_p = tan(pi (p - 1/2)).
    expect(studentTQuantile(0.8, 2)).toBeCloseTo(Math.sqrt(9 / 8), 13);
    expect(studentTQuantile(0.6, 2)).toBeCloseTo(1 / Math.sqrt(12), 13);
    expect(studentTQuantile(0.99, 1)).toBeCloseTo(Math.tan(0.49 * Math.PI), 9);
    // Elsewhere the quantile inverts the CDF (scipy's own t.ppf is off by 1e-9 at df = 30).
    for (const [p, df] of [
      [0.975, 0.5],
      [0.6, 30],
      [0.9, 100],
    ])
      expect(studentTCdf(studentTQuantile(p, df), df)).toBeCloseTo(p, 13);
    expect(studentTQuantile(0.5, 3)).toBe(0);
  });

  it('binomial upper tail: at least k of n, for p other than one half (scipy binom.sf)', () => {
    // P(X >= 2), X ~ B(7, 1/2) = 1 - 8/128.
    expect(binomialUpperTail(2, 7, 0.5)).toBeCloseTo(0.9375, 15);
    expect(binomialUpperTail(5, 12, 0.3)).toBeCloseTo(0.2763445304699998, 14);
    expect(binomialUpperTail(1, 1, 0.5)).toBeCloseTo(0.5, 14);
    expect(binomialUpperTail(-1, 5, 0.5)).toBe(1);
    expect(binomialUpperTail(0, 5, 0.1)).toBe(1);
    expect(binomialUpperTail(7, 5, 0.5)).toBe(0);
  });
});

describe('resampling metrics', () => {
  // Confusion (rows true): [[5,1,0],[2,3,1],[0,0,0]]; class 2 has no support but one prediction.
  const yTrue = [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1];
  const yPred = [0, 0, 0, 0, 0, 1, 0, 0, 1, 1, 1, 2];

  it('computes scikit-learn averages from a confusion matrix (worked by hand)', () => {
    const m = metricsOf(yTrue, yPred, 3);
    expect(m.accuracy).toBeCloseTo(2 / 3, 15);
    expect(m.precision_macro).toBeCloseTo(41 / 84, 15);
    expect(m.recall_macro).toBeCloseTo(4 / 9, 15);
    expect(m.f1_macro).toBeCloseTo(89 / 195, 15);
    expect(m.precision_weighted).toBeCloseTo(41 / 56, 15);
    expect(m.recall_weighted).toBeCloseTo(2 / 3, 15);
    expect(m.f1_weighted).toBeCloseTo(89 / 130, 15);
    expect(m.f1_micro).toBeCloseTo(2 / 3, 15);
  });

  it('bootstraps 2000 resamples of 10k paired examples well under a second', () => {
    const rng = createStreamRng(1);
    const n = 10_000;
    const y = Array.from({ length: n }, () => Math.floor(rng.next() * 10));
    const noisy = () => y.map((v) => (rng.next() < 0.9 ? v : Math.floor(rng.next() * 10)));
    const sets = [noisy(), noisy()].map((p) => ({ n, k: 10, codes: [confusionCodes(y, p, 10)] }));
    // CPU time, not wall time, so a busy CI machine does not fail the test.
    const start = process.cpuUsage();
    const [a] = bootstrapMeans(sets, 2000, createStreamRng(2));
    const used = process.cpuUsage(start);
    // Mutation testing instruments every statement and runs it ten times slower: speed is not what it measures.
    if (!process.env.FINETUNE_MUTATION_RUN) expect((used.user + used.system) / 1000).toBeLessThan(1000);
    expect(a.length).toBe(2000 * RESAMPLABLE_METRICS.length);
  });

  it('the random stream is reproducible and differs between seeds', () => {
    const draw = (seed: number) => {
      const rng = createStreamRng(seed);
      return Array.from({ length: 5 }, () => rng.next());
    };
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
    expect(draw(42).every((x) => x >= 0 && x < 1)).toBe(true);
    // indices() is the same stream, scaled to [0, n).
    expect(Array.from(createStreamRng(42).indices(new Int32Array(5), 1000))).toEqual(draw(42).map((u) => Math.floor(u * 1000)));
  });
});

/** Draws the given examples, one list per resample, instead of random ones: replicates can then be counted by hand. */
class FixedDraws extends Rng {
  constructor(private readonly draws: number[][]) {
    super(0);
  }

  override indices(out: Int32Array): Int32Array {
    out.set(this.draws.shift() ?? []);
    return out;
  }
}

const M = RESAMPLABLE_METRICS.length;
/** Replicate b of a samples x M array, by metric name. */
const replicate = (out: Float64Array, b: number) => Object.fromEntries(RESAMPLABLE_METRICS.map((m, i) => [m, out[b * M + i]]));

function expectMetrics(got: Record<string, number>, want: Record<string, number>): void {
  expect(Object.keys(got)).toEqual(Object.keys(want));
  for (const [name, value] of Object.entries(want)) expect(got[name], name).toBeCloseTo(value, 14);
}

describe('bootstrap replicates', () => {
  // Two classes, four examples: (true, predicted) = (0,0) (0,1) (1,1) (1,1).
  const yTrue = [0, 0, 1, 1];
  const yPred = [0, 1, 1, 1];

  it('each replicate holds the metrics of the drawn examples, counted as often as drawn', () => {
    const set = { n: 4, k: 2, codes: [confusionCodes(yTrue, yPred, 2)] };
    const [out] = bootstrapMeans(
      [set],
      2,
      new FixedDraws([
        [0, 0, 1, 2],
        [3, 3, 3, 1],
      ]),
    );
    expect(out.length).toBe(2 * M);
    // Draw 1, confusion [[2, 1], [0, 1]]: precision 1 and 1/2, recall 2/3 and 1, f1 4/5 and 2/3, support 3 and 1.
    expectMetrics(replicate(out, 0), {
      accuracy: 3 / 4,
      precision_macro: 3 / 4,
      recall_macro: 5 / 6,
      f1_macro: 11 / 15,
      precision_weighted: 7 / 8,
      recall_weighted: 3 / 4,
      f1_weighted: 23 / 30,
      f1_micro: 3 / 4,
    });
    // Draw 2, counted afresh, confusion [[0, 1], [0, 3]]: class 0 is never predicted (precision 0), class 1
    // has precision 3/4, recall 1, f1 6/7; supports 1 and 3.
    expectMetrics(replicate(out, 1), {
      accuracy: 3 / 4,
      precision_macro: 3 / 8,
      recall_macro: 1 / 2,
      f1_macro: 3 / 7,
      precision_weighted: 9 / 16,
      recall_weighted: 3 / 4,
      f1_weighted: 9 / 14,
      f1_micro: 3 / 4,
    });
  });

  it('a model trained several times is resampled as the mean of its repeats, on the same drawn examples as the other model', () => {
    const candidate = { n: 4, k: 2, codes: [confusionCodes(yTrue, yPred, 2)] };
    // A perfect repeat and one right on examples 1 and 2 only.
    const baseline = { n: 4, k: 2, codes: [confusionCodes(yTrue, [0, 0, 1, 1], 2), confusionCodes(yTrue, [1, 0, 1, 0], 2)] };
    const [c, b] = bootstrapMeans([candidate, baseline], 1, new FixedDraws([[0, 0, 1, 2]]));
    expect(c[0]).toBeCloseTo(3 / 4, 15);
    // Accuracy 1 and 2/4 on the drawn examples 0, 0, 1, 2.
    expect(b[0]).toBeCloseTo(3 / 4, 15);
    // Recall macro: 1 and (1/3 + 1) / 2.
    expect(b[2]).toBeCloseTo((1 + 2 / 3) / 2, 15);
  });

  it('keeps examples apart with 12 classes and more, where confusion cells have two digits', () => {
    // Example 0 falls in cells 1 and 10 of its two repeats, example 1 in cells 11 and 0.
    const set = { n: 2, k: 12, codes: [Int32Array.from([1, 11]), Int32Array.from([10, 0])] };
    const [out] = bootstrapMeans(
      [set],
      2,
      new FixedDraws([
        [0, 0],
        [1, 1],
      ]),
    );
    // Example 0 is wrong in both repeats; example 1 (true class 0) is right in the second.
    expect(out[0]).toBe(0);
    expect(out[M]).toBe(0.5);
  });

  it('draws exactly one resample per replicate, so later draws from the same generator stay reproducible', () => {
    const data = createStreamRng(3);
    const truth = Array.from({ length: 50 }, (_, i) => i % 3);
    const set = {
      n: 50,
      k: 3,
      codes: [
        confusionCodes(
          truth,
          truth.map((y) => (data.next() < 0.7 ? y : (y + 1) % 3)),
          3,
        ),
      ],
    };
    const rng = createStreamRng(7);
    const first = bootstrapMeans([set], 3, rng)[0];
    const next = bootstrapMeans([set], 2, rng)[0];
    const together = bootstrapMeans([set], 5, createStreamRng(7))[0];
    expect(Array.from(first)).toEqual(Array.from(together.subarray(0, 3 * M)));
    expect(Array.from(next)).toEqual(Array.from(together.subarray(3 * M)));
  });

  it('refuses to pair test sets of different sizes', () => {
    const set = (n: number) => ({ n, k: 2, codes: [new Int32Array(n)] });
    expect(() => bootstrapMeans([set(4), set(5)], 1, createStreamRng(1))).toThrow('paired resampling needs test sets of the same size');
  });

  it('the variance of a metric over replicates, and of the difference between two models', () => {
    // Three replicates; metric 2 (recall_macro) is 1, 2, 3 for a and 1/2, 0, 0 for b; the others are decoys.
    const a = new Float64Array(3 * M).fill(7);
    const b = new Float64Array(3 * M).fill(-7);
    [1, 2, 3].forEach((v, i) => (a[i * M + 2] = v));
    [0.5, 0, 0].forEach((v, i) => (b[i * M + 2] = v));
    expect(replicateVariance(a, undefined, 2)).toBeCloseTo(1, 15);
    // a - b = 1/2, 2, 3: mean 11/6, squares about it sum to 19/6, over n - 1 = 2.
    expect(replicateVariance(a, b, 2)).toBeCloseTo(19 / 12, 14);
    expect(replicateVariance(a, b, 0)).toBe(0);
  });
});

describe('resampling input and pairing', () => {
  const model = (predictions: EvaluatedModel['predictions'], extra: Partial<EvaluatedModel> = {}): EvaluatedModel => ({
    metrics: {},
    labels: ['a', 'b'],
    predictions,
    ...extra,
  });

  it('turns predictions into confusion cells (true class x k + predicted class), every repeat of the right length', () => {
    expect(toResampleSet(model({ y_true: [0, 1, 1], y_pred: [1, 1, 0] }), 'candidate')).toEqual({
      n: 3,
      k: 2,
      codes: [Int32Array.from([1, 3, 2])],
    });
    const repeats = [
      [0, 1, 1],
      [1, 1],
      [1, 0, 0],
    ];
    expect(toResampleSet(model({ y_true: [0, 1, 1], y_pred: [0, 1, 1], repeats }), 'candidate')).toEqual({
      n: 3,
      k: 2,
      codes: [Int32Array.from([0, 3, 3]), Int32Array.from([1, 2, 2])],
    });
    // No repeat of the right length: the shipped predictions stand alone.
    expect(toResampleSet(model({ y_true: [0, 1], y_pred: [1, 1], repeats: [[0]] }), 'candidate')?.codes).toEqual([Int32Array.from([1, 3])]);
    expect(confusionCodes([0, 1, 2], [2, 0, 1], 3)).toEqual(Int32Array.from([2, 3, 7]));
  });

  it('has nothing to resample without predictions, with none, or with mismatched lengths', () => {
    expect(toResampleSet(undefined, 'baseline')).toBeUndefined();
    expect(toResampleSet(model(undefined), 'baseline')).toBeUndefined();
    expect(toResampleSet(model({ y_true: [], y_pred: [] }), 'baseline')).toBeUndefined();
    expect(toResampleSet(model({ y_true: [0, 1], y_pred: [0] }), 'baseline')).toBeUndefined();
  });

  it('refuses a class index outside the labels, naming the model, the array and the example', () => {
    const set = (p: EvaluatedModel['predictions']) => () => toResampleSet(model(p), 'baseline');
    expect(set({ y_true: [0, 2], y_pred: [0, 1] })).toThrowError(new Error('baseline y_true[1] = 2 is not a class index in 0..1'));
    expect(set({ y_true: [0, 1], y_pred: [0.5, 1] })).toThrowError(
      new Error('baseline predictions (repeat 0)[0] = 0.5 is not a class index in 0..1'),
    );
    expect(
      set({
        y_true: [0, 1],
        y_pred: [0, 1],
        repeats: [
          [0, 1],
          [-1, 1],
        ],
      }),
    ).toThrowError(new Error('baseline predictions (repeat 1)[0] = -1 is not a class index in 0..1'));
    expect(toResampleSet(model({ y_true: [1, 0], y_pred: [1, 1] }), 'baseline')?.n).toBe(2);
  });

  it('pairs only the same test set: same hash, size, labels in the same order and stored truth', () => {
    const p = { y_true: [0, 1, 1], y_pred: [0, 1, 0] };
    const cand = model(p, { test_set_sha256: 'abc' });
    expect(pairingOf(cand, model({ ...p, y_pred: [1, 1, 1] }, { test_set_sha256: 'abc' }))).toEqual({ paired: true });
    expect(pairingOf(cand, model(undefined, { test_set_sha256: 'abc' }))).toEqual({ paired: false });
    expect(pairingOf(model(undefined, { test_set_sha256: 'abc' }), cand)).toEqual({ paired: false });
    expect(pairingOf(cand, model(p, { test_set_sha256: 'abd' }))).toEqual({ paired: false });
    // No fingerprint on either side: not known to be the same test set.
    expect(pairingOf(model(p), model(p))).toEqual({ paired: false });
    expect(pairingOf(cand, model({ y_true: [0, 1, 1, 0], y_pred: [0, 1, 0, 0] }, { test_set_sha256: 'abc' }))).toEqual({ paired: false });
    const labelsNote = { paired: false, note: 'The baseline uses different labels; it was compared unpaired.' };
    expect(pairingOf(cand, model(p, { test_set_sha256: 'abc', labels: ['b', 'a'] }))).toEqual(labelsNote);
    // Labels that read alike when run together are still different labels.
    const twoWords = (labels: string[]) => model(p, { test_set_sha256: 'abc', labels });
    expect(pairingOf(twoWords(['ab', 'c']), twoWords(['a', 'bc']))).toEqual(labelsNote);
    expect(pairingOf(cand, model({ y_true: [0, 1, 0], y_pred: [0, 1, 0] }, { test_set_sha256: 'abc' }))).toEqual({
      paired: false,
      note: 'The test set hashes match but the stored labels differ; the comparison is unpaired.',
    });
  });

  it("McNemar's exact test counts the discordant examples and sums the binomial tail by hand", () => {
    const yTrue = [0, 0, 0, 0, 0, 1, 1, 2, 2];
    const cand = [0, 1, 2, 1, 1, 1, 0, 2, 0];
    const base = [0, 2, 1, 0, 0, 0, 1, 1, 2];
    // Example 0 both right, 1 and 2 both wrong (differently); the baseline alone is right on 3, 4, 6, 8,
    // the candidate alone on 5 and 7. P(X >= 4), X ~ B(6, 1/2) = (15 + 6 + 1) / 64.
    expect(mcnemar(yTrue, cand, base)).toEqual({ baselineOnly: 4, candidateOnly: 2, p: expect.closeTo(22 / 64, 14) });
    // The other way round: P(X >= 2) = 1 - (1 + 6) / 64.
    expect(mcnemar(yTrue, base, cand)).toEqual({ baselineOnly: 2, candidateOnly: 4, p: expect.closeTo(57 / 64, 14) });
    // No discordant example: no evidence either way.
    expect(mcnemar([0, 1], [0, 0], [0, 0])).toEqual({ baselineOnly: 0, candidateOnly: 0, p: 1 });
  });

  it('resamples exactly the averaged metrics, not loss or per-class ones', () => {
    expect(RESAMPLABLE_METRICS).toEqual([
      'accuracy',
      'precision_macro',
      'recall_macro',
      'f1_macro',
      'precision_weighted',
      'recall_weighted',
      'f1_weighted',
      'f1_micro',
    ]);
    expect(isResamplable('f1_macro')).toBe(true);
    expect(isResamplable('loss')).toBe(false);
    expect(isResamplable('')).toBe(false);
  });
});

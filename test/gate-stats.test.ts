import { describe, expect, it } from 'vitest';
import { createStreamRng } from '../src/util/random.js';
import { RESAMPLABLE_METRICS, confusionCodes, metricsOf } from '../src/gate/resample-metrics.js';
import { bootstrapMeans } from '../src/gate/bootstrap.js';
import { binomialUpperTail, normalCdf, normalQuantile, sampleVariance, studentTCdf, studentTQuantile } from '../src/gate/stats.js';

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
    expect(sampleVariance([7])).toBe(0);
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

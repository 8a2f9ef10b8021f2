import { describe, expect, it } from 'vitest';
import { evaluateGate, exitCodeFor, type EvaluatedModel, type GateConfig } from '../src/gate/evaluate.js';
import { metricsOf } from '../src/gate/resample-metrics.js';
import { normalQuantile } from '../src/gate/stats.js';
import type { GateResult } from '../src/report/types.js';

const LABELS = ['cat', 'dog'];
const Z95 = normalQuantile(0.95);
const Z80 = normalQuantile(0.8);

function config(metrics: GateConfig['metrics'], extra: Partial<GateConfig> = {}): GateConfig {
  return { metrics, confidence: 0.95, on_inconclusive: 'pass', seed: 42, bootstrap_samples: 2000, ...extra };
}

/** Binary predictions that are right exactly where `correct(i)` holds. */
function model(n: number, correct: (i: number) => boolean, sha: string | undefined = 'test-a'): EvaluatedModel {
  const yTrue = Array.from({ length: n }, (_, i) => i % 2);
  const yPred = yTrue.map((y, i) => (correct(i) ? y : 1 - y));
  return {
    metrics: { ...metricsOf(yTrue, yPred, 2), loss: 0.3 },
    predictions: { y_true: yTrue, y_pred: yPred },
    test_set_sha256: sha,
    labels: LABELS,
  };
}

const metricsOnly = (m: EvaluatedModel): EvaluatedModel => ({ metrics: m.metrics, labels: m.labels });
const check = (r: GateResult, metric: string) => r.checks.find((c) => c.metric === metric)!;
const width = (r: GateResult, metric: string) => check(r, metric).ci![1] - check(r, metric).ci![0];

describe('absolute thresholds', () => {
  const candidate = model(200, (i) => i % 10 !== 0); // accuracy 0.9

  it('passes when accuracy meets min, with no baseline', () => {
    const r = evaluateGate(config({ accuracy: { min: 0.85 } }), candidate);
    expect(r.verdict).toBe('pass');
    expect(check(r, 'accuracy')).toMatchObject({ value: 0.9, min: 0.85, status: 'pass' });
    expect(check(r, 'accuracy').reason).toContain('0.9000 meets min 0.85');
  });

  it('fails when accuracy is below min, and says the floor is on the point estimate', () => {
    const r = evaluateGate(config({ accuracy: { min: 0.95 } }), candidate);
    expect(r.verdict).toBe('fail');
    expect(check(r, 'accuracy').reason).toBe('accuracy 0.9000 is below min 0.95 (a floor on the point estimate)');
  });

  it('fails when loss is above max (lower is better)', () => {
    const r = evaluateGate(config({ loss: { max: 0.25 } }), candidate);
    expect(check(r, 'loss')).toMatchObject({ value: 0.3, max: 0.25, status: 'fail' });
    expect(evaluateGate(config({ loss: { max: 0.5 } }), candidate).verdict).toBe('pass');
  });

  it('ignores max_drop without a baseline and says so', () => {
    const r = evaluateGate(config({ accuracy: { max_drop: 0.01 } }), candidate);
    expect(r.verdict).toBe('pass');
    expect(check(r, 'accuracy').reason).toContain('no baseline accuracy');
    expect(r.detectable_drop).toBeUndefined();
  });

  it('fails a gated metric the candidate does not report', () => {
    const r = evaluateGate(config({ recall_at_5: { min: 0.5 } }), candidate);
    expect(check(r, 'recall_at_5').status).toBe('fail');
    expect(check(r, 'recall_at_5').reason).toContain('missing');
  });
});

describe('max_drop against a baseline', () => {
  it('fails when f1_macro drops more than max_drop', () => {
    const baseline = model(2000, (i) => i % 10 !== 0); // 0.90
    const candidate = model(2000, (i) => i % 5 !== 0); // 0.80, wrong wherever the baseline is
    const r = evaluateGate(config({ f1_macro: { max_drop: 0.01 } }), candidate, baseline);
    const c = check(r, 'f1_macro');
    expect(c.status).toBe('fail');
    expect(c.delta).toBeCloseTo(-0.1, 2);
    expect(c.ci![1]).toBeLessThan(-0.01);
    expect(c.reason).toMatch(/with 95% confidence the drop is at least 0\.0\d+, more than max_drop 0\.01/);
    expect(r.verdict).toBe('fail');
  });

  it('passes when the change is provably within max_drop', () => {
    // 50 errors fixed, 50 new ones: no change, and few examples differ.
    const baseline = model(5000, (i) => i % 10 !== 0);
    const candidate = model(5000, (i) => (i < 500 ? i % 10 !== 1 : i % 10 !== 0));
    const r = evaluateGate(config({ accuracy: { max_drop: 0.01 } }), candidate, baseline);
    expect(check(r, 'accuracy')).toMatchObject({ status: 'pass', delta: 0 });
    expect(check(r, 'accuracy').ci![0]).toBeGreaterThan(-0.01);
  });

  it('is inconclusive when the interval straddles the tolerance', () => {
    // 400 examples: candidate fixes 10 baseline errors and makes 14 new ones (delta -0.01).
    const baseline = model(400, (i) => i >= 40);
    const candidate = model(400, (i) => (i < 40 ? i < 10 : i >= 54));
    const r = evaluateGate(config({ accuracy: { max_drop: 0.01 } }), candidate, baseline);
    const c = check(r, 'accuracy');
    expect(c.status).toBe('inconclusive');
    expect(c.ci![0]).toBeLessThan(-0.01);
    expect(c.ci![1]).toBeGreaterThan(-0.01);
    expect(c.reason).toContain('straddles max_drop 0.01');
    expect(r.verdict).toBe('inconclusive');
    expect(exitCodeFor(r, 'pass')).toBe(0);
    expect(exitCodeFor(r, 'fail')).toBe(1);
  });

  it('states the detectable drop as max_drop + (z_conf + z_0.8) * standard error', () => {
    const baseline = model(400, (i) => i >= 40);
    const candidate = model(400, (i) => (i < 40 ? i < 10 : i >= 54));
    const r = evaluateGate(config({ accuracy: { max_drop: 0.01 } }), candidate, baseline);
    const se = width(r, 'accuracy') / 2 / Z95;
    expect(r.detectable_drop!.accuracy).toBeCloseTo(0.01 + (Z95 + Z80) * se, 10);
  });

  it('treats a loss rise beyond max_rise as a regression and a fall as fine', () => {
    const withLoss = (loss: number, spread: number[]): EvaluatedModel => ({
      metrics: { loss }, labels: LABELS, repeat_metrics: spread.map((d) => ({ loss: loss + d })),
    });
    const rule = { loss: { max_rise: 0.02 } };
    const seeds = [-0.01, 0, 0.01, 0.005, -0.005];
    const worse = evaluateGate(config(rule), withLoss(0.6, seeds), withLoss(0.4, seeds));
    expect(check(worse, 'loss')).toMatchObject({ status: 'fail', delta: expect.closeTo(0.2, 10) });
    expect(check(worse, 'loss').reason).toContain('the rise is at least');
    const better = evaluateGate(config(rule), withLoss(0.35, seeds), withLoss(0.4, seeds));
    expect(check(better, 'loss').status).toBe('pass');
    expect(check(better, 'loss').reason).toContain('there is no rise');
  });
});

describe('how the comparison is made', () => {
  const baseline = model(1000, (i) => i % 10 !== 0);
  const candidate = model(1000, (i) => (i < 100 ? i % 10 !== 1 : i % 10 !== 0));

  it('uses a paired bootstrap when both runs share the test set', () => {
    const r = evaluateGate(config({ accuracy: { max_drop: 0.01 } }), candidate, baseline);
    expect(r.method).toContain('paired bootstrap over 1000 test examples');
  });

  it('falls back to independent bootstraps when the test sets differ, with a wider interval', () => {
    const rule = { accuracy: { max_drop: 0.01 } };
    const paired = evaluateGate(config(rule), candidate, baseline);
    const unpaired = evaluateGate(config(rule), { ...candidate, test_set_sha256: 'test-b' }, baseline);
    expect(unpaired.method).toContain('unpaired bootstrap');
    expect(width(unpaired, 'accuracy')).toBeGreaterThan(2 * width(paired, 'accuracy'));
  });

  it('uses the binomial variance for accuracy when the baseline has only metrics', () => {
    const r = evaluateGate(config({ accuracy: { max_drop: 0.01 } }), candidate, metricsOnly(baseline));
    expect(r.method).toContain('normal approximation');
    const p = 0.9;
    const se = Math.sqrt((2 * p * (1 - p)) / 1000);
    expect(width(r, 'accuracy') / 2).toBeCloseTo(Z95 * se, 10);
  });

  it('compares point estimates when neither side has per-example results', () => {
    const r = evaluateGate(config({ accuracy: { max_drop: 0.01 } }), metricsOnly(candidate), metricsOnly(baseline));
    expect(check(r, 'accuracy').ci).toBeUndefined();
    expect(check(r, 'accuracy').reason).toContain('point comparison');
  });

  it("reports McNemar's exact p-value for accuracy: 9 vs 1 discordant pairs give p = 11/1024", () => {
    const baseline = model(100, (i) => i >= 1); // wrong on 0
    const candidate = model(100, (i) => i < 1 || i >= 10); // right on 0, wrong on 1..9
    const r = evaluateGate(config({ accuracy: { max_drop: 0.01 } }), candidate, baseline);
    // P(X >= 9), X ~ Binomial(10, 1/2) = (10 + 1) / 1024
    expect(check(r, 'accuracy').reason).toContain('9 examples right only in the baseline, 1 only in the candidate, one-sided p = 0.011');
  });

  it('does not fail on the interval alone when McNemar finds too few changed examples', () => {
    // 20 examples, 4 newly wrong: the normal interval lies beyond max_drop but p = 1/16.
    const r = evaluateGate(config({ accuracy: { max_drop: 0.01 } }), model(20, (i) => i >= 4), model(20, () => true));
    const c = check(r, 'accuracy');
    expect(c.ci![1]).toBeLessThan(-0.01);
    expect(c.status).toBe('inconclusive');
    expect(c.reason).toContain('one-sided p = 0.062');
  });

  it('gives identical results for the same seed and slightly different intervals for another', () => {
    const rule = { accuracy: { max_drop: 0.01 }, f1_macro: { max_drop: 0.01 } };
    const a = evaluateGate(config(rule), candidate, baseline);
    expect(evaluateGate(config(rule), candidate, baseline)).toEqual(a);
    const b = evaluateGate(config(rule, { seed: 7 }), candidate, baseline);
    expect(check(b, 'f1_macro').ci).not.toEqual(check(a, 'f1_macro').ci);
    expect(width(b, 'f1_macro')).toBeCloseTo(width(a, 'f1_macro'), 2);
  });
});

describe('training noise (repeats)', () => {
  const baseline = model(1000, (i) => i % 10 !== 0);
  const candidate = model(1000, (i) => (i < 100 ? i % 10 !== 1 : i % 10 !== 0));
  const withRepeats = (m: EvaluatedModel, offsets: number[]): EvaluatedModel => ({
    ...m, repeat_metrics: offsets.map((d) => ({ accuracy: m.metrics.accuracy + d })),
  });
  const rule = { accuracy: { max_drop: 0.01 } };

  it('widens the interval by the spread between seeds and reports the spread', () => {
    const plain = evaluateGate(config(rule), candidate, baseline);
    const seeds = [-0.03, 0.01, 0.02, -0.01, 0.01];
    const noisy = evaluateGate(config(rule), withRepeats(candidate, seeds), withRepeats(baseline, seeds));
    expect(width(noisy, 'accuracy')).toBeGreaterThan(3 * width(plain, 'accuracy'));
    expect(noisy.method).toContain('between-seed variance');
    expect(noisy.notes!.join('\n')).toMatch(/accuracy across seeds: candidate 5 seeds 0\.8700 to 0\.9200 \(mean 0\.9000, sd 0\.0200\)/);
    expect(plain.notes!.join('\n')).toContain('Training noise is not measured');
  });

  it('reports the seed spread even without a baseline', () => {
    const r = evaluateGate(config({ accuracy: { min: 0.8 } }), withRepeats(candidate, [-0.01, 0, 0.01]));
    expect(r.notes).toEqual(['accuracy across seeds: candidate 3 seeds 0.8900 to 0.9100 (mean 0.9000, sd 0.0100).']);
  });

  it("borrows the other side's seed spread when one side was trained once", () => {
    const r = evaluateGate(config(rule), withRepeats(candidate, [-0.02, 0, 0.02]), baseline);
    expect(r.notes!.join('\n')).toContain("The baseline was trained with one seed; its seed spread is taken to equal the candidate's");
  });

  it('measures the spread from per-repeat predictions when repeat metrics are absent', () => {
    const a = model(1000, (i) => i % 10 !== 0).predictions!.y_pred;
    const b = model(1000, (i) => i % 5 !== 0).predictions!.y_pred;
    const cand: EvaluatedModel = { ...candidate, predictions: { ...candidate.predictions!, repeats: [a, b, a] } };
    const r = evaluateGate(config(rule), cand, baseline);
    expect(r.notes!.join('\n')).toContain('candidate 3 seeds 0.8000 to 0.9000');
  });
});

describe('verdict and exit code', () => {
  const candidate = model(200, (i) => i % 10 !== 0);

  it('fails if any check fails, even when others pass', () => {
    const r = evaluateGate(config({ accuracy: { min: 0.5 }, f1_macro: { min: 0.95 } }), candidate);
    expect(r.verdict).toBe('fail');
    expect(exitCodeFor(r, 'pass')).toBe(1);
  });

  it('passes with exit code 0 when every check passes', () => {
    const r = evaluateGate(config({ accuracy: { min: 0.5 } }), candidate);
    expect([r.verdict, exitCodeFor(r, 'fail')]).toEqual(['pass', 0]);
  });

  it('rejects a confidence outside [0.5, 1)', () => {
    expect(() => evaluateGate(config({}, { confidence: 1 }), candidate)).toThrow(/gate.confidence/);
  });
});

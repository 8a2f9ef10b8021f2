import { describe, expect, it } from 'vitest';
import { evaluateGate, exitCodeFor, type EvaluatedModel, type GateConfig } from '../src/gate/evaluate.js';
import { metricsOf } from '../src/gate/resample-metrics.js';
import { normalQuantile } from '../src/gate/stats.js';
import type { GateResult } from '../src/domain/types.js';

const LABELS = ['cat', 'dog'];
// Every interval is two-sided at gate.confidence: 95% uses the 97.5% quantile.
const Z975 = normalQuantile(0.975);
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
    expect(check(r, 'accuracy').reason).toBe('Meets min 0.85.');
  });

  it('fails when accuracy is below min, and the reason starts with by how much', () => {
    const r = evaluateGate(config({ accuracy: { min: 0.95 } }), candidate);
    expect(r.verdict).toBe('fail');
    expect(check(r, 'accuracy').reason).toBe('Below min 0.95 by 0.0500.');
  });

  it('a failing row names only what failed, never "meets min" first', () => {
    const baseline = model(2000, (i) => i % 10 !== 0); // 0.90
    const worse = model(2000, (i) => i % 5 !== 0); // 0.80
    const r = evaluateGate(config({ accuracy: { min: 0.5, max_drop: 0.01 } }), worse, baseline);
    expect(check(r, 'accuracy').status).toBe('fail');
    expect(check(r, 'accuracy').reason).toBe('Drop 0.1000 beyond max_drop 0.01, significant at 95%.');
  });

  it('fails when loss is above max (lower is better)', () => {
    const r = evaluateGate(config({ loss: { max: 0.25 } }), candidate);
    expect(check(r, 'loss')).toMatchObject({ value: 0.3, max: 0.25, status: 'fail' });
    expect(evaluateGate(config({ loss: { max: 0.5 } }), candidate).verdict).toBe('pass');
  });

  it('ignores max_drop without a baseline and says so', () => {
    const r = evaluateGate(config({ accuracy: { max_drop: 0.01 } }), candidate);
    expect(r.verdict).toBe('pass');
    expect(check(r, 'accuracy').reason).toBe('No baseline accuracy to compare with, so max_drop does not apply.');
    expect(r.detectable_drop).toBeUndefined();
  });

  it('fails a gated metric the candidate does not report', () => {
    const r = evaluateGate(config({ recall_at_5: { min: 0.5 } }), candidate);
    expect(check(r, 'recall_at_5').status).toBe('fail');
    expect(check(r, 'recall_at_5').reason).toContain('missing');
  });
});

// Round up to two significant digits, as the reason does.
const roundUp = (x: number) => {
  const step = 10 ** Math.max(0, Math.floor(Math.log10(x)) - 1);
  return Math.ceil(x / step) * step;
};

describe('max_drop against a baseline (gate.mode default)', () => {
  it('fails when f1_macro drops more than max_drop and the whole interval is beyond it', () => {
    const baseline = model(2000, (i) => i % 10 !== 0); // 0.90
    const candidate = model(2000, (i) => i % 5 !== 0); // 0.80, wrong wherever the baseline is
    const r = evaluateGate(config({ f1_macro: { max_drop: 0.01 } }), candidate, baseline);
    const c = check(r, 'f1_macro');
    expect(c.status).toBe('fail');
    expect(c.delta).toBeCloseTo(-0.1, 2);
    expect(c.ci![1]).toBeLessThan(-0.01);
    expect(c.reason).toMatch(/^Drop 0\.\d{4} beyond max_drop 0\.01, significant at 95%\.$/);
    expect(c.detail).toMatch(/95% interval \[-0\.\d{4}, -0\.\d{4}\]; se 0\.\d{4} \(test set 0\.\d{4}\), normal quantile 1\.960/);
    expect(r.verdict).toBe('fail');
    expect(r.mode).toBe('default');
  });

  it('passes an unchanged model even when the interval is wide: no evidence of a regression', () => {
    // 50 errors fixed, 50 new ones on 400 examples: no change, interval about +/-0.05.
    const baseline = model(400, (i) => i % 10 !== 0);
    const candidate = model(400, (i) => (i < 100 ? i % 10 !== 1 : i % 10 !== 0));
    const r = evaluateGate(config({ accuracy: { max_drop: 0.01 } }), candidate, baseline);
    expect(check(r, 'accuracy')).toMatchObject({ status: 'pass', delta: 0 });
    expect(check(r, 'accuracy').ci![0]).toBeLessThan(-0.01);
    expect(check(r, 'accuracy').reason).toBe('No drop against the baseline.');
    const strict = evaluateGate(config({ accuracy: { max_drop: 0.01 } }, { mode: 'strict' }), candidate, baseline);
    expect(check(strict, 'accuracy').status).toBe('inconclusive');
  });

  it('is inconclusive when the point drop is beyond max_drop but not significant, and says how many examples would decide it', () => {
    // 400 examples: candidate fixes 10 baseline errors and makes 16 new ones (delta -0.015).
    const baseline = model(400, (i) => i >= 40);
    const candidate = model(400, (i) => (i < 40 ? i < 10 : i >= 56));
    const r = evaluateGate(config({ accuracy: { max_drop: 0.01 } }), candidate, baseline);
    const c = check(r, 'accuracy');
    expect(c.status).toBe('inconclusive');
    expect(c.ci![0]).toBeLessThan(-0.01);
    expect(c.ci![1]).toBeGreaterThan(-0.01);
    // The half-width h must shrink to the gap 0.005: n' = 400 * (h / 0.005)^2 (test-set noise only).
    const h = (c.ci![1] - c.ci![0]) / 2;
    const n = roundUp(400 * (h / (0.015 - 0.01)) ** 2).toLocaleString('en-US');
    expect(c.reason).toBe(
      `Drop 0.0150 beyond max_drop 0.01, not significant at 95%; about ${n} test examples (this run has 400) would decide it if the change stays this size.`,
    );
    expect(r.verdict).toBe('inconclusive');
    expect(exitCodeFor(r, 'pass')).toBe(0);
    expect(exitCodeFor(r, 'fail')).toBe(1);
  });

  it('states the detectable drop as max_drop + (z_0.975 + z_0.8) * standard error', () => {
    const baseline = model(400, (i) => i >= 40);
    const candidate = model(400, (i) => (i < 40 ? i < 10 : i >= 56));
    const r = evaluateGate(config({ accuracy: { max_drop: 0.01 } }), candidate, baseline);
    const se = width(r, 'accuracy') / 2 / Z975;
    expect(r.detectable_drop!.accuracy).toBeCloseTo(0.01 + (Z975 + Z80) * se, 10);
  });

  it('treats a loss rise beyond max_rise as a regression and a fall as fine', () => {
    const withLoss = (loss: number, spread: number[]): EvaluatedModel => ({
      metrics: { loss },
      labels: LABELS,
      repeat_metrics: spread.map((d) => ({ loss: loss + d })),
    });
    const rule = { loss: { max_rise: 0.02 } };
    const seeds = [-0.01, 0, 0.01, 0.005, -0.005];
    const worse = evaluateGate(config(rule), withLoss(0.6, seeds), withLoss(0.4, seeds));
    expect(check(worse, 'loss')).toMatchObject({ status: 'fail', delta: expect.closeTo(0.2, 10), max_rise: 0.02 });
    expect(check(worse, 'loss').reason).toBe('Rise 0.2000 beyond max_rise 0.02, significant at 95%.');
    const better = evaluateGate(config(rule), withLoss(0.35, seeds), withLoss(0.4, seeds));
    expect(check(better, 'loss').status).toBe('pass');
    expect(check(better, 'loss').reason).toBe('No rise against the baseline.');
  });
});

describe('the rule on a known standard error (seed noise only, both sides 3 repeats)', () => {
  // Candidate and baseline repeats m-0.01, m, m+0.01: s^2 = 1e-4 each, K = 3. se^2 = 1e-4/3 + 1e-4/3,
  // df = se^4 / (2 (1e-4/3)^2 / 2) = 4, t_0.975(4) = 2.7764451 (scipy): half-width h = 0.0226697.
  const side = (m: number, metric = 'accuracy'): EvaluatedModel => ({
    metrics: { [metric]: m },
    labels: LABELS,
    repeat_metrics: [-0.01, 0, 0.01].map((d) => ({ [metric]: m + d })),
  });
  const H = 2.7764451051977987 * Math.sqrt(2e-4 / 3);
  const status = (
    candidate: number,
    mode: 'default' | 'strict' = 'default',
    rule: GateConfig['metrics'] = { accuracy: { max_drop: 0.01 } },
  ) => check(evaluateGate(config(rule, { mode }), side(candidate), side(0.8)), 'accuracy').status;

  it('reports the interval at the stated confidence with that half-width', () => {
    const r = evaluateGate(config({ accuracy: { max_drop: 0.01 } }), side(0.79), side(0.8));
    const c = check(r, 'accuracy');
    expect(c.ci![1] - c.ci![0]).toBeCloseTo(2 * H, 9);
    expect(c.detail).toContain('Student t quantile 2.776 on 4.0 df');
    expect(c).toMatchObject({ runs: 3, baseline_runs: 3 });
  });

  it('default: a rise passes, a drop within passes, a drop beyond but inside the noise is inconclusive, a significant one fails', () => {
    expect(status(0.83)).toBe('pass');
    expect(status(0.795)).toBe('pass');
    expect(status(0.78)).toBe('inconclusive'); // 0.02 - h < 0.01
    expect(status(0.8 - 0.01 - H - 0.001)).toBe('fail');
    expect(status(0.8 - 0.01 - H + 0.001)).toBe('inconclusive');
  });

  it('default: a drop exactly at max_drop passes (the point estimate is within the tolerance)', () => {
    // 0.75 - 0.5 is exact in binary, so the drop is exactly the tolerance.
    const r = evaluateGate(config({ accuracy: { max_drop: 0.25 } }), side(0.5), side(0.75));
    expect(check(r, 'accuracy')).toMatchObject({ delta: -0.25, status: 'pass' });
    const strict = evaluateGate(config({ accuracy: { max_drop: 0.25 } }, { mode: 'strict' }), side(0.5), side(0.75));
    expect(check(strict, 'accuracy').status).toBe('inconclusive');
  });

  it('strict: a pass needs the whole interval within max_drop', () => {
    expect(status(0.83, 'strict')).toBe('pass'); // worst end -0.03 + h < 0.01
    expect(status(0.8 - 0.01 + H + 0.001, 'strict')).toBe('pass');
    expect(status(0.8 - 0.01 + H - 0.001, 'strict')).toBe('inconclusive');
    expect(status(0.795, 'strict')).toBe('inconclusive');
    expect(status(0.75, 'strict')).toBe('fail');
  });

  it('max_rise mirrors max_drop on loss: a fall passes, a rise within passes, beyond the noise fails', () => {
    const loss = (candidate: number, mode: 'default' | 'strict' = 'default') =>
      check(evaluateGate(config({ loss: { max_rise: 0.01 } }, { mode }), side(candidate, 'loss'), side(0.4, 'loss')), 'loss').status;
    expect(loss(0.37)).toBe('pass');
    expect(loss(0.405)).toBe('pass');
    expect(loss(0.42)).toBe('inconclusive');
    expect(loss(0.4 + 0.01 + H + 0.001)).toBe('fail');
    expect(loss(0.37, 'strict')).toBe('pass');
    expect(loss(0.405, 'strict')).toBe('inconclusive');
  });

  it('says when neither more examples nor more repeats alone would decide it', () => {
    // gap 0.01, (gap / q)^2 = (0.01 / 2.7764451)^2 = 1.29725e-5 is below the baseline's fixed part 1e-4 / 3.
    const r = evaluateGate(config({ accuracy: { max_drop: 0.01 } }), side(0.78), side(0.8));
    expect(check(r, 'accuracy').reason).toBe(
      'Drop 0.0200 beyond max_drop 0.01, not significant at 95%; neither more test examples nor more repeats alone would decide it.',
    );
  });
});

describe('how many repeats would decide an inconclusive drop', () => {
  it('K such that s_c^2 / K < (gap / q)^2 - s_b^2 / K_b, worked by hand', () => {
    // Candidate 0.74, 0.76, 0.78 (mean 0.76, s_c^2 = 4e-4, K = 3); baseline 0.799, 0.8, 0.801 (s_b^2 = 1e-6, K = 3).
    // se^2 = 4e-4/3 + 1e-6/3 = 1.336667e-4; df = se^4 / ((1.333333e-4)^2 / 2 + (3.333333e-7)^2 / 2) = 2.0100;
    // q = t_0.975(2.01) = 4.2822044 (scipy), half-width 0.0495084: the drop 0.04 is 0.03 beyond max_drop 0.01
    // and inconclusive. (0.03 / 4.2822044)^2 = 4.908036e-5, minus 3.333333e-7 leaves 4.874702e-5:
    // K > 4e-4 / 4.874702e-5 = 8.21, so gate.repeats 9.
    const cand: EvaluatedModel = {
      metrics: { accuracy: 0.76 },
      labels: LABELS,
      repeat_metrics: [0.74, 0.76, 0.78].map((accuracy) => ({ accuracy })),
    };
    const base: EvaluatedModel = {
      metrics: { accuracy: 0.8 },
      labels: LABELS,
      repeat_metrics: [0.799, 0.8, 0.801].map((accuracy) => ({ accuracy })),
    };
    const r = evaluateGate(config({ accuracy: { max_drop: 0.01 } }), cand, base);
    const c = check(r, 'accuracy');
    expect(c.status).toBe('inconclusive');
    expect(c.reason).toBe(
      'Drop 0.0400 beyond max_drop 0.01, not significant at 95%; gate.repeats 9 (now 3) would decide it if the change stays this size.',
    );
  });
});

describe('a point comparison (no per-example results, no repeats)', () => {
  const only = (accuracy: number, loss: number): EvaluatedModel => ({ metrics: { accuracy, loss }, labels: LABELS });
  const rule = { accuracy: { max_drop: 0.02 }, loss: { max_rise: 0.05 } };
  const statuses = (c: EvaluatedModel) => {
    const r = evaluateGate(config(rule), c, only(0.8, 0.5));
    return [check(r, 'accuracy').status, check(r, 'loss').status];
  };

  it('passes a rise and a drop within max_drop, fails a drop beyond it', () => {
    expect(statuses(only(0.85, 0.5))[0]).toBe('pass');
    expect(statuses(only(0.79, 0.5))[0]).toBe('pass');
    expect(statuses(only(0.77, 0.5))[0]).toBe('fail');
  });

  it('mirrored for max_rise: a fall and a rise within pass, a rise beyond fails', () => {
    expect(statuses(only(0.8, 0.4))[1]).toBe('pass');
    expect(statuses(only(0.8, 0.54))[1]).toBe('pass');
    expect(statuses(only(0.8, 0.56))[1]).toBe('fail');
    const r = evaluateGate(config(rule), only(0.8, 0.56), only(0.8, 0.5));
    expect(check(r, 'loss').reason).toMatch(/^Rise 0\.0600 beyond max_rise 0\.05 \(point comparison/);
    expect(check(r, 'loss').ci).toBeUndefined();
  });
});

describe('gate.repeats: the variance of mean(candidate) - baseline, worked by hand', () => {
  // Candidate: 1000 test examples, 3 repeats with accuracy 0.80, 0.82, 0.84, so its value is the mean 0.82
  // and s_c^2 = (0.02^2 + 0 + 0.02^2) / 2 = 4e-4. Baseline: one run, accuracy 0.85, no per-example results.
  //   test-set part (binomial, both sides): (0.82 * 0.18 + 0.85 * 0.15) / 1000 = 2.751e-4
  //   seed part, K_c = 3, K_b = 1 (baseline's s^2 taken to equal the candidate's): 4e-4 * (1/3 + 1/1) = 5.33333e-4
  //   se^2 = 8.08433e-4, se = 0.0284330
  //   df (Welch-Satterthwaite, the test-set part has infinite df) = se^4 / ((5.33333e-4)^2 / 2) = 4.595375
  //   t_0.975(4.595375) = 2.6401751 (scipy.stats.t.ppf), half-width = 2.6401751 * 0.0284330 = 0.0750680
  // K = 5 with the same s^2 (0.80, 0.80, 0.82, 0.84, 0.84): seed part 4e-4 * (1/5 + 1) = 4.8e-4,
  //   se^2 = 7.551e-4, df = (7.551e-4)^2 / ((4.8e-4)^2 / 4) = 9.898889, half-width 0.0613121 (scipy).
  // K = 1: test-set part only, 1.959964 * sqrt(2.751e-4) = 0.0325082; no training noise measured.
  const yTrue = Array.from({ length: 1000 }, (_, i) => i % 2);
  const candidate = (accs: number[]): EvaluatedModel => ({
    metrics: { accuracy: accs.reduce((a, b) => a + b, 0) / accs.length },
    labels: LABELS,
    predictions: { y_true: yTrue, y_pred: yTrue.map((y, i) => (i % 50 < 9 ? 1 - y : y)) },
    test_set_sha256: 'test-a',
    ...(accs.length > 1 ? { repeat_metrics: accs.map((accuracy) => ({ accuracy })) } : {}),
  });
  const baseline: EvaluatedModel = { metrics: { accuracy: 0.85 }, labels: LABELS };
  const rule = { accuracy: { max_drop: 0.01 } };
  const halfWidth = (r: GateResult) => width(r, 'accuracy') / 2;

  it('K = 3: test-set variance + s_c^2 / K + borrowed baseline s^2, t on Welch-Satterthwaite df', () => {
    const r = evaluateGate(config(rule), candidate([0.8, 0.82, 0.84]), baseline);
    expect(halfWidth(r)).toBeCloseTo(0.075068, 6);
    expect(check(r, 'accuracy').detail).toContain('Student t quantile 2.640 on 4.6 df');
    expect(check(r, 'accuracy')).toMatchObject({ value: 0.82, runs: 3 });
    expect(check(r, 'accuracy').baseline_runs).toBeUndefined();
  });

  it('K = 5 with the same seed spread is tighter than K = 3, and K = 1 is the narrowest and says training noise is not measured', () => {
    const k5 = evaluateGate(config(rule), candidate([0.8, 0.8, 0.82, 0.84, 0.84]), baseline);
    expect(halfWidth(k5)).toBeCloseTo(0.0613121, 6);
    const k1 = evaluateGate(config(rule), candidate([0.82]), baseline);
    expect(halfWidth(k1)).toBeCloseTo(0.0325082, 6);
    expect(check(k1, 'accuracy').runs).toBeUndefined();
    expect(k1.notes!.join('\n')).toContain('Training noise is not measured (one seed per model)');
    expect(k5.notes!.join('\n')).not.toContain('Training noise is not measured');
  });

  it('seed noise on both sides: t interval on Welch-Satterthwaite df 3.5328 (hand-computed)', () => {
    // Candidate 0.80, 0.82, 0.84 (s^2 = 4e-4, K = 3), baseline 0.85, 0.87, 0.86, 0.88, 0.84 (s^2 = 2.5e-4, K = 5),
    // no per-example results: se^2 = 4e-4/3 + 2.5e-4/5 = 1.83333e-4, se = 0.0135401;
    // df = (1.83333e-4)^2 / ((1.33333e-4)^2 / 2 + (5e-5)^2 / 4) = 3.532847; t_0.975(3.532847) = 2.9274053 (scipy);
    // half-width = 0.0396373.
    const cand: EvaluatedModel = {
      metrics: { accuracy: 0.82 },
      labels: LABELS,
      repeat_metrics: [0.8, 0.82, 0.84].map((accuracy) => ({ accuracy })),
    };
    const base: EvaluatedModel = {
      metrics: { accuracy: 0.86 },
      labels: LABELS,
      repeat_metrics: [0.85, 0.87, 0.86, 0.88, 0.84].map((accuracy) => ({ accuracy })),
    };
    const r = evaluateGate(config(rule), cand, base);
    expect(halfWidth(r)).toBeCloseTo(0.0396373, 6);
    expect(check(r, 'accuracy').detail).toContain('on 3.5 df');
    expect(check(r, 'accuracy')).toMatchObject({ runs: 3, baseline_runs: 5 });
  });
});

describe('a baseline scored on another test set', () => {
  const baseline = model(1000, (i) => i % 10 !== 0, 'a'.repeat(64));
  const candidate = model(1000, (i) => i % 10 !== 0, 'b'.repeat(64));

  it('is never compared: its tolerance checks are inconclusive, naming both fingerprints and the remedy', () => {
    const r = evaluateGate(config({ accuracy: { min: 0.5, max_drop: 0.01 } }), candidate, baseline);
    const c = check(r, 'accuracy');
    expect(c.status).toBe('inconclusive');
    expect(c.baseline).toBeUndefined();
    expect(c.delta).toBeUndefined();
    expect(c.reason).toBe(
      'Not compared: the baseline was scored on another test set (sha256 aaaaaaaaaaaa, this run bbbbbbbbbbbb); ' +
        'set gate.baseline.from: model to re-score the baseline model on this test set, or update the baseline file in this pull request.',
    );
    expect(r.verdict).toBe('inconclusive');
    expect(r.test_set_changed).toEqual({ baseline: 'a'.repeat(64), candidate: 'b'.repeat(64) });
    expect(exitCodeFor(r, 'pass')).toBe(0);
    expect(exitCodeFor(r, 'fail')).toBe(1);
  });

  it('still fails on an absolute threshold', () => {
    const r = evaluateGate(config({ accuracy: { min: 0.95, max_drop: 0.01 } }), candidate, baseline);
    expect(r.verdict).toBe('fail');
    expect(check(r, 'accuracy').reason).toBe('Below min 0.95 by 0.0500.');
  });
});

describe('how the comparison is made', () => {
  const baseline = model(1000, (i) => i % 10 !== 0);
  const candidate = model(1000, (i) => (i < 100 ? i % 10 !== 1 : i % 10 !== 0));

  it('uses a paired bootstrap when both runs share the test set', () => {
    const r = evaluateGate(config({ accuracy: { max_drop: 0.01 } }), candidate, baseline);
    expect(r.method).toContain('paired bootstrap over 1000 test examples');
    expect(r.method).toContain('intervals two-sided at 95%');
  });

  it('falls back to independent bootstraps when the candidate has no test-set fingerprint, with a wider interval', () => {
    const rule = { accuracy: { max_drop: 0.01 } };
    const paired = evaluateGate(config(rule), candidate, baseline);
    const unpaired = evaluateGate(config(rule), { ...candidate, test_set_sha256: undefined }, baseline);
    expect(unpaired.method).toContain('unpaired bootstrap');
    expect(width(unpaired, 'accuracy')).toBeGreaterThan(2 * width(paired, 'accuracy'));
  });

  it('uses the binomial variance for accuracy when the baseline has only metrics', () => {
    const r = evaluateGate(config({ accuracy: { max_drop: 0.01 } }), candidate, metricsOnly(baseline));
    expect(r.method).toContain('normal approximation');
    const p = 0.9;
    const se = Math.sqrt((2 * p * (1 - p)) / 1000);
    expect(width(r, 'accuracy') / 2).toBeCloseTo(Z975 * se, 10);
  });

  it('compares point estimates when neither side has per-example results', () => {
    const r = evaluateGate(config({ accuracy: { max_drop: 0.01 } }), metricsOnly(candidate), metricsOnly(baseline));
    expect(check(r, 'accuracy').ci).toBeUndefined();
    expect(check(r, 'accuracy').reason).toContain('point comparison');
    // Both score 0.9: no change, so the point rule passes (its direction is pinned further up).
    expect(check(r, 'accuracy').delta).toBeCloseTo(0, 12);
    expect(check(r, 'accuracy').status).toBe('pass');
    expect(r.verdict).toBe('pass');
  });

  it("reports McNemar's exact p-value for accuracy in the detail: 9 vs 1 discordant pairs give p = 11/1024", () => {
    const baseline = model(100, (i) => i >= 1); // wrong on 0
    const candidate = model(100, (i) => i < 1 || i >= 10); // right on 0, wrong on 1..9
    const r = evaluateGate(config({ accuracy: { max_drop: 0.01 } }), candidate, baseline);
    // P(X >= 9), X ~ Binomial(10, 1/2) = (10 + 1) / 1024 < 0.025: significant, so the drop fails.
    expect(check(r, 'accuracy').status).toBe('fail');
    expect(check(r, 'accuracy').detail).toContain('9 examples right only in the baseline, 1 only in the candidate, one-sided p = 0.011');
  });

  it('does not fail on the interval alone when McNemar finds too few changed examples', () => {
    // 20 examples, 4 newly wrong: the normal interval lies beyond max_drop but p = 1/16.
    const r = evaluateGate(
      config({ accuracy: { max_drop: 0.01 } }),
      model(20, (i) => i >= 4),
      model(20, () => true),
    );
    const c = check(r, 'accuracy');
    expect(c.ci![1]).toBeLessThan(-0.01);
    expect(c.status).toBe('inconclusive');
    expect(c.reason).toContain("McNemar's exact test finds too few changed examples");
    expect(c.detail).toContain('one-sided p = 0.062');
  });

  it("guards at the interval's own level: McNemar p = 1/32 is above (1 - confidence) / 2, so no fail", () => {
    // 20 examples, 5 newly wrong, none newly right: P(X >= 5), X ~ Binomial(5, 1/2) = 1/32 = 0.031.
    const r = evaluateGate(
      config({ accuracy: { max_drop: 0.01 } }),
      model(20, (i) => i >= 5),
      model(20, () => true),
    );
    const c = check(r, 'accuracy');
    expect(c.ci![1]).toBeLessThan(-0.01);
    expect(c.detail).toContain('one-sided p = 0.031');
    expect(c.status).toBe('inconclusive');
    // At confidence 0.9 the level is 0.05, and the same change fails.
    expect(
      check(
        evaluateGate(
          config({ accuracy: { max_drop: 0.01 } }, { confidence: 0.9 }),
          model(20, (i) => i >= 5),
          model(20, () => true),
        ),
        'accuracy',
      ).status,
    ).toBe('fail');
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
    ...m,
    repeat_metrics: offsets.map((d) => ({ accuracy: m.metrics.accuracy + d })),
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

  it('a failing check and an inconclusive one give fail and exit 1 whatever on_inconclusive says', () => {
    const baseline = model(400, (i) => i >= 40);
    const worse = model(400, (i) => (i < 40 ? i < 10 : i >= 56)); // accuracy 0.885, drop 0.015: inconclusive
    const r = evaluateGate(config({ accuracy: { max_drop: 0.01 }, f1_macro: { min: 0.95 } }), worse, baseline);
    expect(r.checks.map((c) => c.status)).toEqual(['inconclusive', 'fail']);
    expect(r.verdict).toBe('fail');
    expect(exitCodeFor(r, 'pass')).toBe(1);
    expect(exitCodeFor(r, 'fail')).toBe(1);
  });

  it('passes with exit code 0 when every check passes', () => {
    const r = evaluateGate(config({ accuracy: { min: 0.5 } }), candidate);
    expect([r.verdict, exitCodeFor(r, 'fail')]).toEqual(['pass', 0]);
  });

  it('rejects a confidence outside [0.5, 1) and an unknown mode', () => {
    expect(() => evaluateGate(config({}, { confidence: 1 }), candidate)).toThrow(/gate.confidence/);
    expect(() => evaluateGate(config({}, { mode: 'lenient' as 'strict' }), candidate)).toThrow(
      /gate.mode must be "default" or "strict", got "lenient"/,
    );
  });
});

// What the gate tells a reviewer, pinned whole: the method line, the detail of a check, the
// notes. Each assertion here was added for a change to src/gate/ that no other test noticed
// (docs/mutation-results.md, "The gate's decision rule"): a wrong word in the method, a
// borrowed seed spread on the wrong side, a reason that names the wrong tolerance.
import { describe, expect, it } from 'vitest';
import { neededToDecide } from '../src/gate/checks.js';
import { evaluateGate, exitCodeFor, type EvaluatedModel, type GateConfig } from '../src/gate/evaluate.js';
import type { MetricNoise } from '../src/gate/noise.js';
import { metricsOf } from '../src/gate/resample-metrics.js';
import type { GateResult } from '../src/domain/types.js';

const LABELS = ['cat', 'dog'];

function config(metrics: GateConfig['metrics'], extra: Partial<GateConfig> = {}): GateConfig {
  return { metrics, confidence: 0.95, on_inconclusive: 'pass', seed: 42, bootstrap_samples: 200, ...extra };
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

const check = (r: GateResult, metric: string) => r.checks.find((c) => c.metric === metric)!;
const lossOnly = (loss: number, repeats: number[] = []): EvaluatedModel => ({
  metrics: { loss },
  labels: LABELS,
  ...(repeats.length > 0 ? { repeat_metrics: repeats.map((l) => ({ loss: l })) } : {}),
});

describe('the method line names how the noise was measured', () => {
  const candidate = model(100, (i) => i % 10 !== 0);
  const baseline = model(100, (i) => i % 10 !== 1);

  it('paired: the bootstrap over the shared test set, McNemar only when accuracy is compared', () => {
    expect(evaluateGate(config({ accuracy: { max_drop: 0.02 } }), candidate, baseline).method).toBe(
      'paired bootstrap over 100 test examples of the same test set (200 resamples), McNemar exact test for accuracy; intervals two-sided at 95%',
    );
    expect(evaluateGate(config({ f1_macro: { max_drop: 0.02 } }), candidate, baseline).method).toBe(
      'paired bootstrap over 100 test examples of the same test set (200 resamples); intervals two-sided at 95%',
    );
  });

  it('unpaired, and the candidate alone when the baseline has only its numbers', () => {
    const unknownSet = { ...baseline, test_set_sha256: undefined };
    expect(evaluateGate(config({ accuracy: { max_drop: 0.02 } }), candidate, unknownSet).method).toBe(
      'unpaired bootstrap of 100 candidate and 100 baseline test examples (not known to be the same test set, 200 resamples each); intervals two-sided at 95%',
    );
    expect(
      evaluateGate(config({ accuracy: { max_drop: 0.02 } }, { confidence: 0.9 }), candidate, { metrics: baseline.metrics, labels: LABELS })
        .method,
    ).toBe(
      "normal approximation from the candidate's 100 test examples, as the baseline has no per-example results " +
        "(binomial variance for accuracy, twice the candidate's bootstrap variance for other metrics); intervals two-sided at 90%",
    );
  });

  it('no per-example results and no repeats: no interval is claimed', () => {
    const r = evaluateGate(config({ loss: { max_rise: 0.02 } }), lossOnly(0.3), lossOnly(0.3));
    expect(r.method).toBe('no per-example test results: test-set noise not measured');
    expect(check(r, 'loss')).toEqual({
      metric: 'loss',
      value: 0.3,
      max_rise: 0.02,
      baseline: 0.3,
      delta: 0,
      status: 'pass',
      reason: 'No rise, so within max_rise 0.02 (point comparison: no per-example results or repeats measure the noise).',
    });
    expect(r.detectable_drop).toBeUndefined();
  });
});

describe("a side trained once borrows the other side's seed spread", () => {
  // Repeats 0.29 and 0.31: s^2 = 2e-4, K = 2. se^2 = s^2 (1/2 + 1/1) = 3e-4, se = 0.0173205,
  // one term with K - 1 = 1 degree of freedom: t_0.975(1) = 12.7062047 (scipy), h = 0.2200779.
  const H = 12.706204736174705 * Math.sqrt(3e-4);

  it('the candidate repeated, the baseline once: t on 1 df, the baseline said to borrow', () => {
    const r = evaluateGate(config({ loss: { max_rise: 0.02 } }), lossOnly(0.3, [0.29, 0.31]), lossOnly(0.3));
    const c = check(r, 'loss');
    expect(c.ci![1]).toBeCloseTo(H, 9);
    expect(c.ci![0]).toBeCloseTo(-H, 9);
    expect(c).toMatchObject({ runs: 2, status: 'pass', reason: 'No rise against the baseline.' });
    expect(c.baseline_runs).toBeUndefined();
    expect(c.detail).toBe(
      'max_rise: delta +0.0000, 95% interval [-0.2201, +0.2201]; se 0.0173 (seeds 0.0173), Student t quantile 12.706 on 1.0 df',
    );
    expect(r.notes).toEqual([
      'loss across seeds: candidate 2 seeds 0.2900 to 0.3100 (mean 0.3000, sd 0.0141).',
      "The baseline was trained with one seed; its seed spread is taken to equal the candidate's.",
    ]);
    expect(r.method).toBe(
      'no per-example test results: test-set noise not measured; ' +
        'plus the between-seed variance of the repeats (Student t, Welch-Satterthwaite degrees of freedom); intervals two-sided at 95%',
    );
  });

  it('the baseline repeated, the candidate once: the same interval, the candidate said to borrow', () => {
    const r = evaluateGate(config({ loss: { max_rise: 0.02 } }), lossOnly(0.3), lossOnly(0.3, [0.29, 0.31]));
    const c = check(r, 'loss');
    expect(c.ci![1]).toBeCloseTo(H, 9);
    expect(c).toMatchObject({ baseline_runs: 2, status: 'pass' });
    expect(c.runs).toBeUndefined();
    expect(r.notes).toEqual([
      'loss across seeds: baseline 2 seeds 0.2900 to 0.3100 (mean 0.3000, sd 0.0141).',
      "The candidate was trained with one seed; its seed spread is taken to equal the baseline's.",
    ]);
  });
});

describe('exit codes', () => {
  it('an inconclusive verdict blocks the merge only when on_inconclusive is fail; a pass never does', () => {
    const r = evaluateGate(config({ loss: { max_rise: 0.02 } }), lossOnly(0.3), lossOnly(0.3));
    expect(r.verdict).toBe('pass');
    expect([exitCodeFor(r, 'pass'), exitCodeFor(r, 'fail')]).toEqual([0, 0]);
  });
});

describe('strict mode says what a pass needs', () => {
  // Both sides 3 repeats m - 0.01, m, m + 0.01: se = sqrt(2e-4 / 3), t on 4 df, half-width 0.0226697.
  const side = (m: number): EvaluatedModel => ({
    metrics: { accuracy: m },
    labels: LABELS,
    repeat_metrics: [-0.01, 0, 0.01].map((d) => ({ accuracy: m + d })),
  });
  const strict = (candidate: number, baseline: number, maxDrop: number) =>
    check(evaluateGate(config({ accuracy: { max_drop: maxDrop } }, { mode: 'strict' }), side(candidate), side(baseline)), 'accuracy');

  it('a pass: the whole interval within max_drop', () => {
    expect(strict(0.8, 0.8, 0.03)).toMatchObject({ status: 'pass', reason: 'Whole 95% interval within max_drop 0.03.' });
  });

  it('inconclusive: the interval reaches beyond, with the drop and what would decide it', () => {
    expect(strict(0.795, 0.8, 0.01)).toMatchObject({
      status: 'inconclusive',
      reason:
        '95% interval reaches beyond max_drop 0.01 (drop 0.0050; strict mode needs all of it within); ' +
        'neither more test examples nor more repeats alone would decide it.',
    });
  });

  it('a drop exactly on max_drop: no amount of data decides it', () => {
    // 0.75 - 0.5 is exactly 0.25 in binary floating point.
    expect(strict(0.5, 0.75, 0.25)).toMatchObject({
      status: 'inconclusive',
      reason:
        '95% interval reaches beyond max_drop 0.25 (drop 0.2500; strict mode needs all of it within); no amount of data decides a change sitting on max_drop.',
    });
  });
});

describe('how much more data would decide an inconclusive change, worked by hand', () => {
  // gap 0.01 and q = 2: se^2 must fall below (0.01 / 2)^2 = 2.5e-5.
  const noise = (candidatePerRun: number, testVariance = 1e-5): MetricNoise => ({
    se: 0.01,
    df: 10,
    testVariance,
    examples: 400,
    seed: {
      terms: [
        { variance: candidatePerRun / 3, df: 2 },
        { variance: 1e-6, df: 2 },
      ],
      candidate: { perRun: candidatePerRun, runs: 3 },
      baseline: { perRun: 3e-6, runs: 3 },
    },
  });

  it('examples: n * test variance / (target - seed variance), rounded up to two digits; repeats: s_c^2 / room', () => {
    // Seed part 4.5e-5 / 3 + 1e-6 = 1.6e-5: 400 * 1e-5 / (2.5e-5 - 1.6e-5) = 444.4, so 450.
    // Room for the candidate's seed part: 2.5e-5 - 1e-5 - 1e-6 = 1.4e-5; 4.5e-5 / 1.4e-5 = 3.2, so K = 4.
    expect(neededToDecide(0.01, 2, noise(4.5e-5))).toEqual({ examples: 450, repeats: 4 });
    // 400 * 4e-5 / (2.5e-5 - 1.1e-5) = 1142.9, so 1,200; the room is negative: no number of repeats decides.
    expect(neededToDecide(0.01, 2, noise(3e-5, 4e-5))).toEqual({ examples: 1200 });
  });

  it('suggests no more repeats than it already has, and none beyond the 50 the spec allows', () => {
    // 3e-5 / 1.4e-5 = 2.1: three repeats already, so more repeats are no suggestion.
    expect(neededToDecide(0.01, 2, noise(3e-5)).repeats).toBeUndefined();
    // 6.8e-4 / 1.4e-5 = 48.6: 49 is allowed, and 6.95e-4 / 1.4e-5 = 49.6 is 50, the most there can be;
    // 1e-3 / 1.4e-5 = 71.4 is beyond 50.
    expect(neededToDecide(0.01, 2, noise(6.8e-4)).repeats).toBe(49);
    expect(neededToDecide(0.01, 2, noise(6.95e-4)).repeats).toBe(50);
    expect(neededToDecide(0.01, 2, noise(1e-3)).repeats).toBeUndefined();
  });
});

describe('the gate settings it refuses, by name and value', () => {
  const candidate = model(100, (i) => i % 10 !== 0);

  it('confidence: 0.5 is the lowest allowed, 1 and anything below 0.5 are refused', () => {
    expect(evaluateGate(config({ accuracy: { min: 0.5 } }, { confidence: 0.5 }), candidate).verdict).toBe('pass');
    expect(() => evaluateGate(config({}, { confidence: 0.49 }), candidate)).toThrow('gate.confidence must be in [0.5, 1), got 0.49');
    expect(() => evaluateGate(config({}, { confidence: 1 }), candidate)).toThrow('gate.confidence must be in [0.5, 1), got 1');
  });

  it('bootstrap_samples: an integer of at least 2', () => {
    expect(evaluateGate(config({ accuracy: { min: 0.5 } }, { bootstrap_samples: 2 }), candidate).verdict).toBe('pass');
    expect(() => evaluateGate(config({}, { bootstrap_samples: 1 }), candidate)).toThrow(
      'gate.bootstrap_samples must be an integer >= 2, got 1',
    );
    expect(() => evaluateGate(config({}, { bootstrap_samples: 2.5 }), candidate)).toThrow(
      'gate.bootstrap_samples must be an integer >= 2, got 2.5',
    );
  });

  it('a tolerance below zero, named with its metric; zero is allowed', () => {
    expect(() => evaluateGate(config({ loss: { max_rise: -0.01 } }), candidate)).toThrow(
      'gate.metrics.loss.max_rise must be >= 0, got -0.01',
    );
    expect(() => evaluateGate(config({ accuracy: { max_drop: -0.01 } }), candidate)).toThrow(
      'gate.metrics.accuracy.max_drop must be >= 0, got -0.01',
    );
    expect(evaluateGate(config({ accuracy: { max_drop: 0 } }), candidate).verdict).toBe('pass');
  });
});

describe('the seed spread from per-repeat predictions', () => {
  const a = model(100, (i) => i % 10 !== 0).predictions!; // accuracy 0.9
  const b = model(100, (i) => i % 5 !== 0).predictions!.y_pred; // accuracy 0.8
  const withRepeats = (repeats: number[][]): EvaluatedModel => ({ ...model(100, (i) => i % 10 !== 0), predictions: { ...a, repeats } });
  const notes = (m: EvaluatedModel, metrics: GateConfig['metrics']) => evaluateGate(config(metrics), m).notes ?? [];

  it('leaves out a repeat whose predictions do not cover the test set', () => {
    expect(notes(withRepeats([a.y_pred, b, b.slice(0, 50)]), { accuracy: { min: 0.5 } })).toEqual([
      'accuracy across seeds: candidate 2 seeds 0.8000 to 0.9000 (mean 0.8500, sd 0.0707).',
    ]);
  });

  it('needs two repeats, and a metric computed from predictions (not loss)', () => {
    expect(notes(withRepeats([a.y_pred]), { accuracy: { min: 0.5 } })).toEqual([]);
    expect(notes(withRepeats([a.y_pred, b]), { accuracy: { min: 0.5 } })).toEqual([
      'accuracy across seeds: candidate 2 seeds 0.8000 to 0.9000 (mean 0.8500, sd 0.0707).',
    ]);
    expect(notes(withRepeats([a.y_pred, b]), { loss: { max: 1 } })).toEqual([]);
  });
});

describe('one check per metric: limits, reasons and what it carries', () => {
  const point = (accuracy: number, loss = 0.3): EvaluatedModel => ({ metrics: { accuracy, loss }, labels: LABELS });

  it('min and max are inclusive, and the reason says by how much', () => {
    const r = evaluateGate(config({ accuracy: { min: 0.8 }, loss: { max: 0.3 } }), point(0.8));
    expect(r.checks.map((c) => [c.status, c.reason])).toEqual([
      ['pass', 'Meets min 0.8.'],
      ['pass', 'Within max 0.3.'],
    ]);
    const over = evaluateGate(config({ loss: { max: 0.25 } }), point(0.8, 0.3));
    expect(check(over, 'loss')).toMatchObject({ status: 'fail', reason: 'Above max 0.25 by 0.0500.' });
  });

  it('every failing part is named, in rule order, and only those', () => {
    const r = evaluateGate(config({ loss: { min: 0.35, max: 0.25 } }), point(0.8, 0.3));
    expect(check(r, 'loss')).toMatchObject({ status: 'fail', reason: 'Below min 0.35 by 0.0500; above max 0.25 by 0.0500.' });
  });

  it('a metric the candidate lacks fails with its limits shown', () => {
    const r = evaluateGate(config({ recall_at_5: { min: 0.9, max_drop: 0.01 } }), point(0.8));
    expect(check(r, 'recall_at_5')).toEqual({
      metric: 'recall_at_5',
      value: Number.NaN,
      min: 0.9,
      max_drop: 0.01,
      status: 'fail',
      reason: "recall_at_5 is missing from the candidate's metrics.",
    });
    expect(exitCodeFor(r, 'pass')).toBe(1);
  });

  it('both tolerances without a baseline: neither applies, and the check says so', () => {
    const r = evaluateGate(config({ loss: { max_drop: 0.1, max_rise: 0.02 } }), point(0.8));
    expect(check(r, 'loss')).toEqual({
      metric: 'loss',
      value: 0.3,
      max_drop: 0.1,
      max_rise: 0.02,
      status: 'pass',
      reason: 'No baseline loss to compare with, so max_drop and max_rise do not apply.',
    });
  });

  it('a drop within max_drop passes, and a point drop beyond it names both', () => {
    const within = evaluateGate(config({ accuracy: { max_drop: 0.02 } }), point(0.79), point(0.8));
    expect(check(within, 'accuracy').reason).toBe(
      'Drop 0.0100 within max_drop 0.02 (point comparison: no per-example results or repeats measure the noise).',
    );
    const both = evaluateGate(config({ accuracy: { max_drop: 0.02, max_rise: 0.5 } }), point(0.7), point(0.8));
    expect(check(both, 'accuracy')).toMatchObject({
      status: 'fail',
      delta: expect.closeTo(-0.1, 10),
      reason: 'Drop 0.1000 beyond max_drop 0.02 (point comparison: no per-example results or repeats measure the noise).',
    });
  });
});

describe("McNemar's guard is for a single model only", () => {
  it('with repeats on both sides the verdict is on the means over seeds: the guard does not apply', () => {
    // 20 examples, 4 newly wrong: alone, p = 1/16 keeps the drop inconclusive (gate.test.ts). With
    // three repeats a side spread 0.001 apart the interval stays beyond max_drop, and the drop fails.
    const seeds = (m: number) => [m - 0.001, m, m + 0.001].map((accuracy) => ({ accuracy }));
    const candidate = { ...model(20, (i) => i >= 4), repeat_metrics: seeds(0.8) };
    const baseline = { ...model(20, () => true), repeat_metrics: seeds(1) };
    const c = check(evaluateGate(config({ accuracy: { max_drop: 0.01 } }), candidate, baseline), 'accuracy');
    expect(c.ci![1]).toBeLessThan(-0.01);
    expect(c.detail).toContain('one-sided p = 0.062');
    expect(c).toMatchObject({ status: 'fail', reason: 'Drop 0.2000 beyond max_drop 0.01, significant at 95%.' });
  });
});

describe("unpaired test sets: each side's own test-set noise", () => {
  it("adds the baseline's variance, not a copy of the candidate's: close to p(1-p)/n summed over both sides", () => {
    // Candidate accuracy 0.95, baseline 0.5 on 400 examples each: (0.0475 + 0.25) / 400 = 7.4375e-4,
    // se = 0.02727; twice the candidate's alone would be 0.01541. The bootstrap (2000 resamples)
    // estimates it within a few percent.
    const candidate = { ...model(400, (i) => i % 20 !== 0), test_set_sha256: undefined };
    const baseline = model(400, (i) => i % 4 < 2);
    const r = evaluateGate(config({ accuracy: { max_drop: 0.5 } }, { bootstrap_samples: 2000 }), candidate, baseline);
    expect(r.method).toContain('unpaired bootstrap of 400 candidate and 400 baseline test examples');
    const c = check(r, 'accuracy');
    // McNemar's test needs the same examples on both sides: not applied, not reported.
    expect(c.detail).not.toContain('McNemar');
    const se = (c.ci![1] - c.ci![0]) / 2 / 1.959963984540054;
    expect(se).toBeGreaterThan(0.02727 * 0.93);
    expect(se).toBeLessThan(0.02727 * 1.07);
  });
});

describe('seeds that agree exactly measure no noise', () => {
  // Every repeat the same: the seed variance is 0, so se is 0 and the interval is the point.
  // Welch-Satterthwaite's df is then 0 / 0; the gate takes the normal quantile instead.
  const candidate = lossOnly(0.5, [0.5, 0.5]);
  const baseline = lossOnly(0.25, [0.25, 0.25]);

  it('a rise exactly on max_rise passes, in either mode, and the detail shows the zero-width interval', () => {
    // 0.5 - 0.25 is exactly 0.25 in binary floating point.
    const r = evaluateGate(config({ loss: { max_rise: 0.25 } }), candidate, baseline);
    expect(check(r, 'loss')).toStrictEqual({
      metric: 'loss',
      value: 0.5,
      runs: 2,
      max_rise: 0.25,
      baseline: 0.25,
      delta: 0.25,
      baseline_runs: 2,
      ci: [0.25, 0.25],
      status: 'pass',
      reason: 'Rise 0.2500 within max_rise 0.25.',
      detail: 'max_rise: delta +0.2500, 95% interval [+0.2500, +0.2500]; se 0.0000 (seeds 0.0000), normal quantile 1.960',
    });
    expect(r.notes).toEqual([
      'loss across seeds: candidate 2 seeds 0.5000 to 0.5000 (mean 0.5000, sd 0.0000); baseline 2 seeds 0.2500 to 0.2500 (mean 0.2500, sd 0.0000).',
    ]);
    const strict = evaluateGate(config({ loss: { max_rise: 0.25 } }, { mode: 'strict' }), candidate, baseline);
    expect(check(strict, 'loss')).toMatchObject({ status: 'pass', reason: 'Whole 95% interval within max_rise 0.25.' });
  });

  it('two tolerances: both reasons in rule order, both details', () => {
    const r = evaluateGate(config({ loss: { max_drop: 0.1, max_rise: 0.25 } }), candidate, baseline);
    expect(check(r, 'loss')).toMatchObject({
      status: 'pass',
      reason: 'No drop against the baseline; rise 0.2500 within max_rise 0.25.',
      detail:
        'max_drop: delta +0.2500, 95% interval [+0.2500, +0.2500]; se 0.0000 (seeds 0.0000), normal quantile 1.960 ' +
        'max_rise: delta +0.2500, 95% interval [+0.2500, +0.2500]; se 0.0000 (seeds 0.0000), normal quantile 1.960',
    });
  });
});

describe('the point rule at its limit', () => {
  it('a rise exactly on max_rise passes: the limit is inclusive', () => {
    const r = evaluateGate(config({ loss: { max_rise: 0.25 } }), lossOnly(0.5), lossOnly(0.25));
    expect(check(r, 'loss')).toMatchObject({
      status: 'pass',
      reason: 'Rise 0.2500 within max_rise 0.25 (point comparison: no per-example results or repeats measure the noise).',
    });
  });
});

describe('both sides repeated twice', () => {
  it('two seed terms of 1 df each: Welch-Satterthwaite gives 2 df, t_0.975(2) = 4.3027, and nothing is borrowed', () => {
    // s^2 = 2e-4 on each side, K = 2: se^2 = 2e-4 / 2 + 2e-4 / 2 = 2e-4, df = (2e-4)^2 / (2 (1e-4)^2 / 1) = 2,
    // h = 4.302652729749462 (scipy) * sqrt(2e-4) = 0.0608490.
    const r = evaluateGate(config({ loss: { max_rise: 0.02 } }), lossOnly(0.3, [0.29, 0.31]), lossOnly(0.3, [0.29, 0.31]));
    const c = check(r, 'loss');
    expect(c.ci![1]).toBeCloseTo(4.302652729749462 * Math.sqrt(2e-4), 8);
    expect(c.detail).toBe(
      'max_rise: delta +0.0000, 95% interval [-0.0608, +0.0608]; se 0.0141 (seeds 0.0141), Student t quantile 4.303 on 2.0 df',
    );
    expect(c).toMatchObject({ runs: 2, baseline_runs: 2, status: 'pass', reason: 'No rise against the baseline.' });
    expect(r.notes).toEqual([
      'loss across seeds: candidate 2 seeds 0.2900 to 0.3100 (mean 0.3000, sd 0.0141); baseline 2 seeds 0.2900 to 0.3100 (mean 0.3000, sd 0.0141).',
    ]);
  });
});

describe('a single repeat is one training run, not a mean', () => {
  it('no "mean of 1", no seed spread, a point comparison, and the note that training noise is not measured', () => {
    const r = evaluateGate(config({ loss: { max_rise: 0.02 } }), lossOnly(0.31, [0.31]), lossOnly(0.3, [0.3]));
    expect(check(r, 'loss')).toStrictEqual({
      metric: 'loss',
      value: 0.31,
      max_rise: 0.02,
      baseline: 0.3,
      delta: expect.closeTo(0.01, 10),
      status: 'pass',
      reason: 'Rise 0.0100 within max_rise 0.02 (point comparison: no per-example results or repeats measure the noise).',
    });
    expect(r.notes).toEqual([
      'Training noise is not measured (one seed per model): a retrained head can move by more than these intervals; ' +
        'set gate.repeats (e.g. 5) to include it.',
    ]);
  });

  it('a repeat that did not record the metric is left out of its spread', () => {
    const candidate: EvaluatedModel = { ...lossOnly(0.3), repeat_metrics: [{ loss: 0.29 }, { loss: 0.31 }, { accuracy: 0.9 }] };
    const r = evaluateGate(config({ loss: { max: 1 } }), candidate);
    expect(check(r, 'loss').runs).toBe(2);
    expect(r.notes).toEqual(['loss across seeds: candidate 2 seeds 0.2900 to 0.3100 (mean 0.3000, sd 0.0141).']);
  });
});

describe('metrics measured differently in one gate', () => {
  it('loss with repeats and accuracy without: the method names both, and training noise counts as measured', () => {
    const candidate: EvaluatedModel = {
      metrics: { loss: 0.3, accuracy: 0.8 },
      labels: LABELS,
      repeat_metrics: [{ loss: 0.29 }, { loss: 0.31 }],
    };
    const baseline: EvaluatedModel = { metrics: { loss: 0.3, accuracy: 0.8 }, labels: LABELS };
    const r = evaluateGate(config({ loss: { max_rise: 0.02 }, accuracy: { max_drop: 0.02 } }), candidate, baseline);
    expect(r.method).toBe(
      'no per-example test results: test-set noise not measured; ' +
        'plus the between-seed variance of the repeats (Student t, Welch-Satterthwaite degrees of freedom); intervals two-sided at 95%',
    );
    expect(check(r, 'accuracy').reason).toBe(
      'No drop, so within max_drop 0.02 (point comparison: no per-example results or repeats measure the noise).',
    );
    expect(r.notes).toEqual([
      'loss across seeds: candidate 2 seeds 0.2900 to 0.3100 (mean 0.3000, sd 0.0141).',
      "The baseline was trained with one seed; its seed spread is taken to equal the candidate's.",
    ]);
  });

  it('paired predictions: accuracy gets its bootstrap interval even when loss, which has none, is gated too', () => {
    const r = evaluateGate(
      config({ accuracy: { max_drop: 0.02 }, loss: { max_rise: 0.02 } }),
      model(100, (i) => i % 10 !== 0),
      model(100, (i) => i % 10 !== 1),
    );
    expect(check(r, 'accuracy').detail).toMatch(
      /^max_drop: delta \+0\.0000, 95% interval \[-0\.\d{4}, \+0\.\d{4}\]; se 0\.\d{4} \(test set /,
    );
    expect(check(r, 'loss').reason).toBe(
      'No rise, so within max_rise 0.02 (point comparison: no per-example results or repeats measure the noise).',
    );
    expect(r.notes).toEqual([
      'Training noise is not measured (one seed per model): a retrained head can move by more than these intervals; ' +
        'set gate.repeats (e.g. 5) to include it.',
    ]);
  });
});

describe('what a gate compares with a baseline, and what it does not', () => {
  const candidate = model(100, (i) => i % 10 !== 0);
  const baseline = model(100, (i) => i % 10 !== 1);

  it('a floor alone is not a comparison: no baseline columns, no interval, no method of measuring noise', () => {
    const r = evaluateGate(config({ accuracy: { min: 0.5 } }), candidate, baseline);
    expect(r).toStrictEqual({
      verdict: 'pass',
      mode: 'default',
      confidence: 0.95,
      checks: [{ metric: 'accuracy', value: 0.9, min: 0.5, status: 'pass', reason: 'Meets min 0.5.' }],
      method: 'absolute thresholds on the point estimates (no baseline comparison)',
    });
  });

  it("McNemar is named only when accuracy's change is judged, not for a floor on accuracy", () => {
    const r = evaluateGate(config({ accuracy: { min: 0.5 }, f1_macro: { max_drop: 0.02 } }), candidate, baseline);
    expect(r.method).toBe('paired bootstrap over 100 test examples of the same test set (200 resamples); intervals two-sided at 95%');
  });

  it('a changed test set leaves a floor to decide: the floor is no tolerance made inconclusive', () => {
    const r = evaluateGate(config({ accuracy: { min: 0.5 } }), candidate, { ...baseline, test_set_sha256: 'test-b' });
    expect(r.verdict).toBe('pass');
    expect(r.checks).toStrictEqual([{ metric: 'accuracy', value: 0.9, min: 0.5, status: 'pass', reason: 'Meets min 0.5.' }]);
    expect(r.test_set_changed).toEqual({ baseline: 'test-b', candidate: 'test-a' });
  });

  it('a metric gated with no limit passes and says no threshold is set', () => {
    const r = evaluateGate(config({ accuracy: {} }), candidate, baseline);
    expect(r.checks).toStrictEqual([{ metric: 'accuracy', value: 0.9, status: 'pass', reason: 'No threshold set.' }]);
  });

  it('predictions that are not class indices are refused, naming the side they came from', () => {
    const bad = (m: EvaluatedModel): EvaluatedModel => ({
      ...m,
      predictions: { ...m.predictions!, y_pred: [5, ...m.predictions!.y_pred.slice(1)] },
    });
    const rule = config({ accuracy: { max_drop: 0.02 } });
    expect(() => evaluateGate(rule, bad(candidate), baseline)).toThrow(
      'candidate predictions (repeat 0)[0] = 5 is not a class index in 0..1',
    );
    expect(() => evaluateGate(rule, candidate, bad(baseline))).toThrow(
      'baseline predictions (repeat 0)[0] = 5 is not a class index in 0..1',
    );
  });
});

describe("McNemar's guard at its level", () => {
  it('p exactly (1 - confidence) / 2 is not significant: 3 of 3 changed examples at 75% (p = 1/8) stay inconclusive', () => {
    const r = evaluateGate(
      config({ accuracy: { max_drop: 0.01 } }, { confidence: 0.75 }),
      model(20, (i) => i >= 3),
      model(20, () => true),
    );
    expect(check(r, 'accuracy')).toMatchObject({
      status: 'inconclusive',
      reason: "Drop 0.1500 beyond max_drop 0.01, but McNemar's exact test finds too few changed examples to call it significant.",
    });
    expect(check(r, 'accuracy').ci![1]).toBeLessThan(-0.01);
  });
});

describe('strict mode with no drop at all', () => {
  it('an interval reaching beyond max_drop is inconclusive and says "no drop"', () => {
    // Both sides 3 repeats 0.79, 0.8, 0.81: half-width 0.0227 against max_drop 0.01.
    const side: EvaluatedModel = {
      metrics: { accuracy: 0.8 },
      labels: LABELS,
      repeat_metrics: [0.79, 0.8, 0.81].map((accuracy) => ({ accuracy })),
    };
    const r = evaluateGate(config({ accuracy: { max_drop: 0.01 } }, { mode: 'strict' }), side, side);
    expect(check(r, 'accuracy')).toMatchObject({
      status: 'inconclusive',
      reason:
        '95% interval reaches beyond max_drop 0.01 (no drop; strict mode needs all of it within); ' +
        'neither more test examples nor more repeats alone would decide it.',
    });
  });
});

describe('what would decide it: more examples, more repeats, or both', () => {
  it('names both when either would do, with the noise of each part', () => {
    // Candidate: 1,000 examples at accuracy 0.85, three seeds 0.82, 0.85, 0.88 (s^2 = 9e-4); baseline:
    // only its number 0.9, three seeds 0.899, 0.9, 0.901 (s^2 = 1e-6). Test-set variance, binomial
    // for both sides: (0.85 * 0.15 + 0.9 * 0.1) / 1000 = 2.175e-4 (sd 0.0147); seeds 9e-4 / 3 + 1e-6 / 3
    // = 3.0033e-4 (sd 0.0173); se = sqrt(5.1783e-4) = 0.0228 on (5.1783e-4)^2 / ((3e-4)^2 / 2 + (3.3e-7)^2 / 2)
    // = 5.96 df, t = 2.4509 (scipy). Against max_drop 0 the gap is 0.05: target (0.05 / 2.4509)^2 = 4.162e-4;
    // examples 1000 * 2.175e-4 / (4.162e-4 - 3.0033e-4) = 1877, so 1,900; repeats 9e-4 / (4.162e-4 - 2.175e-4 - 3.3e-7) = 4.5, so 5.
    const n = 1000;
    const candidate = { ...model(n, (i) => i < 850), repeat_metrics: [0.82, 0.85, 0.88].map((accuracy) => ({ accuracy })) };
    const baseline: EvaluatedModel = {
      metrics: { accuracy: 0.9 },
      labels: LABELS,
      repeat_metrics: [0.899, 0.9, 0.901].map((accuracy) => ({ accuracy })),
    };
    const c = check(evaluateGate(config({ accuracy: { max_drop: 0 } }), candidate, baseline), 'accuracy');
    expect(c).toMatchObject({
      status: 'inconclusive',
      reason:
        'Drop 0.0500 beyond max_drop 0, not significant at 95%; ' +
        'about 1,900 test examples (this run has 1,000) or gate.repeats 5 (now 3) would decide it if the change stays this size.',
      detail:
        'max_drop: delta -0.0500, 95% interval [-0.1058, +0.0058]; se 0.0228 (test set 0.0147, seeds 0.0173), Student t quantile 2.451 on 6.0 df',
    });
  });
});

describe('more test examples are suggested only where they help', () => {
  const noise = (testVariance: number, seedTerm: number): MetricNoise => ({
    se: 1,
    df: Infinity,
    testVariance,
    examples: 100,
    seed: {
      terms: [
        { variance: seedTerm, df: 2 },
        { variance: seedTerm, df: 2 },
      ],
      candidate: { perRun: 3 * seedTerm, runs: 3 },
      baseline: { perRun: 3 * seedTerm, runs: 3 },
    },
  });

  it('not when every example already agrees (no test-set variance)', () => {
    // gap 1, q 2: target 0.25, seed part 0.02; the test set adds nothing to shrink.
    expect(neededToDecide(1, 2, noise(0, 0.01)).examples).toBeUndefined();
  });

  it('not when the seeds alone fill the target, or exactly fill it', () => {
    // Seed part 0.3 > 0.25, then 0.125 + 0.125 = 0.25 exactly: no test set is large enough.
    expect(neededToDecide(1, 2, noise(0.1, 0.15)).examples).toBeUndefined();
    expect(neededToDecide(1, 2, noise(0.1, 0.125)).examples).toBeUndefined();
    // Seed part 0.125: 100 * 0.1 / (0.25 - 0.125) = 80.
    expect(neededToDecide(1, 2, noise(0.1, 0.0625)).examples).toBe(80);
  });
});

describe('the binomial variance needs both accuracies', () => {
  it("a candidate whose metrics lack accuracy keeps the bootstrap's variance: the power figure is a number", () => {
    const { accuracy: _, ...rest } = model(100, (i) => i % 10 !== 0).metrics;
    const candidate = { ...model(100, (i) => i % 10 !== 0), metrics: rest };
    const r = evaluateGate(config({ accuracy: { max_drop: 0.02 } }), candidate, { metrics: { accuracy: 0.9 }, labels: LABELS });
    expect(check(r, 'accuracy').reason).toBe("accuracy is missing from the candidate's metrics.");
    expect(r.detectable_drop?.accuracy).toBeGreaterThan(0.02);
    expect(r.detectable_drop?.accuracy).toBeLessThan(0.2);
  });
});

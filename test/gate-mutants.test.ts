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
    // 6.8e-4 / 1.4e-5 = 48.6: 49 is allowed; 1e-3 / 1.4e-5 = 71.4 is beyond 50.
    expect(neededToDecide(0.01, 2, noise(6.8e-4)).repeats).toBe(49);
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
    const se = (c.ci![1] - c.ci![0]) / 2 / 1.959963984540054;
    expect(se).toBeGreaterThan(0.02727 * 0.93);
    expect(se).toBeLessThan(0.02727 * 1.07);
  });
});

// Does the gate keep its promises on data where the truth is known? Seeded synthetic
// evaluations of a binary classifier (true accuracy 0.85 on 1000 test examples unless a
// scenario says otherwise).
import { describe, expect, it } from 'vitest';
import { evaluateGate, type EvaluatedModel, type GateConfig } from '../src/gate/evaluate.js';
import { Rng } from '../src/util/random.js';
import { normalCdf, normalQuantile } from '../src/gate/stats.js';
import type { GateResult } from '../src/domain/types.js';

const N_TEST = 1000;
const P = 0.85;
const MAX_DROP = 0.01;
const CONFIDENCE = 0.95;
/** A true drop of exactly max_drop fails when the two-sided interval lies beyond it: (1 - confidence) / 2. */
const ALPHA = (1 - CONFIDENCE) / 2;
const Z_CONF = normalQuantile(1 - ALPHA);
const Z80 = normalQuantile(0.8);

// 200 resamples estimate a standard error within about 5% (relative sd 1/sqrt(2 * 200)); the
// product default is 2000, fewer here keep the runs fast, and the extra noise only adds fails.
const gateConfig = (seed: number, mode: GateConfig['mode'] = 'default'): GateConfig => ({
  metrics: { accuracy: { max_drop: MAX_DROP } },
  confidence: CONFIDENCE,
  mode,
  on_inconclusive: 'pass',
  seed,
  bootstrap_samples: 200,
});

interface TestSet {
  /** Unknown for the unpaired scenarios: independent test sets without fingerprints are compared unpaired. */
  sha: string | undefined;
  yTrue: number[];
  /** Difficulty of each example, shared by every model evaluated on this set. */
  difficulty: Float64Array;
}

function testSet(rng: Rng, sha: string | undefined, n = N_TEST): TestSet {
  const yTrue = Array.from({ length: n }, () => (rng.next() < 0.5 ? 0 : 1));
  return { sha, yTrue, difficulty: Float64Array.from(yTrue, () => rng.next()) };
}

// A trained head with accuracy `acc`: right on the examples easier than acc, except that on
// a share `mix` of them its correctness is an independent draw. Two heads on one set then
// disagree on roughly mix * 2p(1-p) of the examples, as retrained models do.
function predict(rng: Rng, set: TestSet, acc: number, mix: number): number[] {
  return set.yTrue.map((y, i) => {
    const right = rng.next() < mix ? rng.next() < acc : set.difficulty[i] < acc;
    return right ? y : 1 - y;
  });
}

const accuracyOf = (set: TestSet, pred: number[]) => pred.filter((p, i) => p === set.yTrue[i]).length / set.yTrue.length;

function evaluated(set: TestSet, repeats: number[][]): EvaluatedModel {
  const accs = repeats.map((pred) => accuracyOf(set, pred));
  return {
    metrics: { accuracy: accs.reduce((a, b) => a + b, 0) / accs.length },
    predictions: { y_true: set.yTrue, y_pred: repeats[0], ...(repeats.length > 1 ? { repeats } : {}) },
    test_set_sha256: set.sha,
    labels: ['negative', 'positive'],
    ...(repeats.length > 1 ? { repeat_metrics: accs.map((accuracy) => ({ accuracy })) } : {}),
  };
}

function gaussian(rng: Rng): number {
  return Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
}

interface Scenario {
  runs: number;
  trueDrop: number;
  paired: boolean;
  mix: number;
  /** Test examples (default N_TEST) and the baseline's true accuracy (default P). */
  n?: number;
  accuracy?: number;
  mode?: GateConfig['mode'];
  repeats?: number;
  /** Repeats of the baseline when they differ from the candidate's. */
  baselineRepeats?: number;
  /** Accuracy offset of one training seed (training noise); none by default. */
  seedOffset?: (rng: Rng) => number;
}

interface Outcome {
  fails: number;
  passes: number;
  /** Point-estimate rule on the first head of each side: fail when the drop exceeds max_drop. */
  pointFails: number;
  results: GateResult[];
}

function heads(rng: Rng, set: TestSet, acc: number, s: Scenario, repeats = s.repeats ?? 1): number[][] {
  return Array.from({ length: repeats }, () => predict(rng, set, acc + (s.seedOffset?.(rng) ?? 0), s.mix));
}

function simulate(s: Scenario, dataSeed: number): Outcome {
  const rng = new Rng(dataSeed);
  const out: Outcome = { fails: 0, passes: 0, pointFails: 0, results: [] };
  const p = s.accuracy ?? P;
  for (let run = 0; run < s.runs; run++) {
    const baseSet = testSet(rng, s.paired ? `base-${run}` : undefined, s.n);
    const candSet = s.paired ? baseSet : testSet(rng, undefined, s.n);
    const baseline = evaluated(baseSet, heads(rng, baseSet, p, s, s.baselineRepeats));
    const candidate = evaluated(candSet, heads(rng, candSet, p - s.trueDrop, s));
    const result = evaluateGate(gateConfig(run, s.mode), candidate, baseline);
    out.results.push(result);
    if (result.verdict === 'fail') out.fails++;
    if (result.verdict === 'pass') out.passes++;
    const first = accuracyOf(candSet, candidate.predictions!.y_pred) - accuracyOf(baseSet, baseline.predictions!.y_pred);
    if (first < -MAX_DROP) out.pointFails++;
  }
  return out;
}

// A fail rate whose true value is at most `rate`, seen in `runs` seeded runs, stays below this
// bound with probability 99% (normal approximation to the binomial, z = 2.33).
const allowance = (rate: number, runs: number) => rate + 2.33 * Math.sqrt((rate * (1 - rate)) / runs);

/**
 * Detection rate the report's own detectable_drop predicts for a true drop d. The report says
 * a drop of D is found with 80% power, i.e. D = max_drop + (z_conf + z_0.8) * se; solving for
 * se gives the power at d: Phi((d - max_drop) / se - z_conf). Averaged over runs.
 */
function predictedPower(results: GateResult[], trueDrop: number): number {
  const powers = results.map((r) => {
    const se = (r.detectable_drop!.accuracy - MAX_DROP) / (Z_CONF + Z80);
    return normalCdf((trueDrop - MAX_DROP) / se - Z_CONF);
  });
  return powers.reduce((a, b) => a + b, 0) / powers.length;
}

function meanDetectable(results: GateResult[]): number {
  return results.reduce((a, r) => a + r.detectable_drop!.accuracy, 0) / results.length;
}

// Criterion: the observed rate lies within 3 binomial standard deviations of the prediction,
// plus 0.03 for the normal approximation and the bootstrap's own error in se.
function expectRateNear(observed: number, predicted: number, runs: number): void {
  const band = 3 * Math.sqrt((predicted * (1 - predicted)) / runs) + 0.03;
  expect(Math.abs(observed - predicted)).toBeLessThanOrEqual(band);
}

const report = (label: string, o: Outcome, runs: number, extra = '') =>
  console.log(
    `${label}: gate fails ${o.fails}/${runs} (${(o.fails / runs).toFixed(3)}), passes ${o.passes}/${runs}, point rule ${o.pointFails}/${runs}${extra}`,
  );

describe('false-fail rate and power on test-set noise', () => {
  const RUNS = 400;

  for (const paired of [false, true]) {
    const kind = paired ? 'paired (shared test set)' : 'unpaired (independent test sets)';
    const base = { runs: RUNS, paired, mix: paired ? 0.3 : 1 };

    it(`${kind}: with no true change the gate fails at most (1 - confidence) / 2 of the runs`, () => {
      const o = simulate({ ...base, trueDrop: 0 }, 1);
      report(`${kind}, no change`, o, RUNS);
      expect(o.fails / RUNS).toBeLessThanOrEqual(ALPHA);
    });

    it(`${kind}: a true drop of exactly max_drop fails at most (1 - confidence) / 2 of the runs (99% allowance)`, () => {
      const o = simulate({ ...base, trueDrop: MAX_DROP }, 2);
      report(`${kind}, drop = max_drop`, o, RUNS);
      expect(o.fails / RUNS).toBeLessThanOrEqual(allowance(ALPHA, RUNS));
    });

    it(`${kind}: a true drop of 2 * max_drop is caught as often as the stated detectable drop predicts`, () => {
      const o = simulate({ ...base, trueDrop: 2 * MAX_DROP }, 3);
      const predicted = predictedPower(o.results, 2 * MAX_DROP);
      report(
        `${kind}, drop = 2 * max_drop`,
        o,
        RUNS,
        `, predicted ${predicted.toFixed(3)}, mean detectable drop ${meanDetectable(o.results).toFixed(4)}`,
      );
      expectRateNear(o.fails / RUNS, predicted, RUNS);
    });
  }
});

describe('training noise (gate.repeats)', () => {
  const RUNS = 300;
  const K = 5;
  // sd 0.03 per seed, as in the image task of the issue (25 seeds between 0.74 and 0.85).
  const normalSeeds = (rng: Rng) => 0.03 * gaussian(rng);
  // The shape: two thirds of seeds near the mean, a third 5-9 points low.
  const lopsidedSeeds = (rng: Rng) => (rng.next() < 1 / 3 ? -0.05 - 0.04 * rng.next() : 0.01 * gaussian(rng)) + 0.0233;
  const base = { runs: RUNS, paired: true, mix: 0.3 };

  for (const [name, seedOffset] of [
    ['normal seed spread', normalSeeds],
    ['lopsided seed spread', lopsidedSeeds],
  ] as const) {
    it(`${name}: identical reruns are blocked in under 5% of runs with ${K} repeats, far less than by a point rule`, () => {
      const o = simulate({ ...base, trueDrop: 0, repeats: K, seedOffset }, 4);
      report(`${name}, ${K} repeats, no change`, o, RUNS);
      expect(o.fails / RUNS).toBeLessThan(0.05);
      expect(o.pointFails / RUNS).toBeGreaterThan(0.25);
    });
  }

  it('without repeats the same training noise slips past the test-set interval and blocks reruns', () => {
    const o = simulate({ ...base, trueDrop: 0, repeats: 1, seedOffset: normalSeeds }, 5);
    report('normal seed spread, 1 repeat, no change', o, RUNS);
    expect(o.fails / RUNS).toBeGreaterThan(0.1);
  });

  it('a real regression larger than the stated detectable drop still fails in at least 80% of runs', () => {
    const drop = 0.08;
    const o = simulate({ ...base, trueDrop: drop, repeats: K, seedOffset: normalSeeds }, 6);
    const detectable = meanDetectable(o.results);
    report(`normal seed spread, ${K} repeats, drop ${drop}`, o, RUNS, `, mean detectable drop ${detectable.toFixed(4)}`);
    expect(detectable).toBeLessThanOrEqual(drop);
    expect(o.fails / RUNS).toBeGreaterThanOrEqual(0.8);
  });
});

describe('gate.mode default: unchanged reruns pass, real regressions fail', () => {
  const RUNS = 300;
  // A model of the task measured in test/verdict-e2e.test.ts: accuracy 0.78; two retrained heads
  // disagree on about 7% of the test examples (mix 0.108: (1 - (1 - mix)^2) * 2 * 0.78 * 0.22 = 0.070),
  // and a seed moves the true accuracy by sd 0.0027, which together give that task's seed sd of
  // 0.005 on 2,000 examples.
  const measured = { paired: true, mix: 0.108, accuracy: 0.78, seedOffset: (rng: Rng) => 0.0027 * gaussian(rng) };

  for (const [n, seed] of [
    [2000, 11],
    [539, 12],
  ] as const) {
    it(`${n} examples, one run each: pass exactly when the point drop is within max_drop, fail at most 5%`, () => {
      const o = simulate({ ...measured, runs: RUNS, n, trueDrop: 0 }, seed);
      report(`measured task, ${n} examples, no change`, o, RUNS);
      // K = 1: pass <=> the point drop is within max_drop, so passes + point-rule fails = runs.
      expect(o.passes + o.pointFails).toBe(RUNS);
      expect(o.fails / RUNS).toBeLessThanOrEqual(0.05);
      // The target of 90% passes holds where the test set resolves max_drop (2,000 examples here),
      // not on 539, where the point drop alone exceeds 0.01 in about a fifth of reruns.
      if (n === 2000) expect(o.passes / RUNS).toBeGreaterThanOrEqual(0.9);
    });
  }

  it('a 3x max_drop regression on 2,000 examples fails as often as the stated detectable drop predicts', () => {
    const o = simulate({ ...measured, runs: RUNS, n: 2000, trueDrop: 3 * MAX_DROP }, 13);
    const predicted = predictedPower(o.results, 3 * MAX_DROP);
    report(
      'measured task, 2000 examples, drop = 3 * max_drop',
      o,
      RUNS,
      `, predicted ${predicted.toFixed(3)}, mean detectable drop ${meanDetectable(o.results).toFixed(4)}`,
    );
    expectRateNear(o.fails / RUNS, predicted, RUNS);
  });

  it('a 3x max_drop regression on 2,000 examples fails in at least 95% of runs when retrained heads disagree on under 3% of examples', () => {
    // accuracy 0.9, mix 0.08: (1 - 0.92^2) * 2 * 0.9 * 0.1 = 0.028 of examples change between seeds.
    const o = simulate(
      { paired: true, mix: 0.08, accuracy: 0.9, runs: RUNS, n: 2000, trueDrop: 3 * MAX_DROP, seedOffset: (rng) => 0.002 * gaussian(rng) },
      14,
    );
    report('low-churn task, 2000 examples, drop = 3 * max_drop', o, RUNS, `, mean detectable drop ${meanDetectable(o.results).toFixed(4)}`);
    expect(o.fails / RUNS).toBeGreaterThanOrEqual(0.95);
  });

  it('strict mode passes the same unchanged reruns far less often: a pass must be proven', () => {
    const base = simulate({ ...measured, runs: RUNS, n: 2000, trueDrop: 0 }, 11);
    const strict = simulate({ ...measured, runs: RUNS, n: 2000, trueDrop: 0, mode: 'strict' }, 11);
    report('measured task, 2000 examples, no change, strict', strict, RUNS);
    expect(strict.fails).toBe(base.fails);
    expect(strict.passes / RUNS).toBeLessThan(base.passes / RUNS - 0.3);
  });

  it('gate.repeats 3 on both sides lets more unchanged reruns pass (means move less than single runs)', () => {
    const one = simulate({ ...measured, runs: 150, n: 539, trueDrop: 0 }, 15);
    const three = simulate({ ...measured, runs: 150, n: 539, trueDrop: 0, repeats: 3 }, 15);
    report('measured task, 539 examples, no change, 3 repeats', three, 150);
    expect(three.passes).toBeGreaterThan(one.passes + 15);
    expect(three.fails / 150).toBeLessThanOrEqual(0.05);
  });
});

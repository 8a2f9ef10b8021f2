// One gate check per metric: absolute thresholds on the point estimate, and the change
// against the baseline judged with its interval. docs/verdict.md explains the rule for users.
//
// Let `worse` be the change in the bad direction (-delta for max_drop, +delta for max_rise),
// se its standard error and h = q * se, where q is the two-sided quantile at gate.confidence
// (normal, or Student t when seed variances come from a few repeats). delta -/+ h is the
// interval shown, at the stated confidence, and the same interval decides:
//   gate.mode default
//     fail          worse - h > limit: the whole interval is beyond the tolerance (significant)
//     pass          worse <= limit: the point estimate is within it, so no evidence of a regression
//     inconclusive  otherwise: the point estimate is beyond the tolerance, the noise could explain it
//   gate.mode strict (non-inferiority)
//     fail          as in default
//     pass          worse + h <= limit: the whole interval is within the tolerance
//     inconclusive  otherwise
// A true change of exactly `limit` therefore fails with probability (1 - confidence) / 2 in
// either mode. For accuracy on paired predictions without repeats, a fail also needs McNemar's
// exact test to find the change significant at that level (the normal interval is poor when
// few examples changed).

import type { CheckStatus, GateCheck } from '../domain/types.js';
import type { MetricNoise } from './noise.js';
import { normalQuantile, studentTQuantile } from './stats.js';
import type { EvaluatedModel, GateMetricRule, GateMode } from './types.js';

interface Part {
  status: CheckStatus;
  reason: string;
}

interface Tolerance {
  key: 'max_drop' | 'max_rise';
  limit: number;
}

/** Largest gate.repeats the spec allows: a suggestion beyond it is no suggestion. */
const MAX_REPEATS = 50;

const RANK: Record<CheckStatus, number> = { pass: 0, inconclusive: 1, fail: 2 };
const f = (x: number): string => x.toFixed(4);
const signed = (x: number): string => (x >= 0 ? '+' : '') + f(x);
const pct = (x: number): string => `${Number((x * 100).toFixed(2))}%`;
const count = (n: number): string => n.toLocaleString('en-US');

export function worstStatus(statuses: readonly CheckStatus[]): CheckStatus {
  // Equivalent mutant: `>=` picks another status of the same rank, which is the same string.
  return statuses.reduce<CheckStatus>((a, s) => (RANK[s] > RANK[a] ? s : a), 'pass');
}

export function tolerancesOf(rule: GateMetricRule): Tolerance[] {
  const out: Tolerance[] = [];
  if (rule.max_drop !== undefined) out.push({ key: 'max_drop', limit: rule.max_drop });
  if (rule.max_rise !== undefined) out.push({ key: 'max_rise', limit: rule.max_rise });
  return out;
}

// min / max are plain thresholds on the point estimate: what users expect of a floor.
function absoluteParts(value: number, rule: GateMetricRule): Part[] {
  const parts: Part[] = [];
  if (rule.min !== undefined) {
    parts.push(
      value >= rule.min
        ? { status: 'pass', reason: `meets min ${rule.min}` }
        : { status: 'fail', reason: `below min ${rule.min} by ${f(rule.min - value)}` },
    );
  }
  if (rule.max !== undefined) {
    parts.push(
      value <= rule.max
        ? { status: 'pass', reason: `within max ${rule.max}` }
        : { status: 'fail', reason: `above max ${rule.max} by ${f(value - rule.max)}` },
    );
  }
  return parts;
}

/** Two-sided quantile at `confidence` for the noise's degrees of freedom: the interval is delta -/+ q * se. */
export function quantileFor(confidence: number, df: number): number {
  const p = (1 + confidence) / 2;
  // Equivalent mutant: without this test, studentTQuantile(p, Infinity) returns normalQuantile(p) itself.
  return df === Infinity ? normalQuantile(p) : studentTQuantile(p, df);
}

/** Smallest true drop (or rise) that fails with 80% power: limit + (q + z_0.8) * se. */
export function detectableChange(limit: number, noise: MetricNoise, confidence: number): number | undefined {
  if (noise.se === undefined) return undefined;
  return limit + (quantileFor(confidence, noise.df) + normalQuantile(0.8)) * noise.se;
}

const nounOf = (tol: Tolerance): string => (tol.key === 'max_drop' ? 'drop' : 'rise');

/** "drop 0.0312" or "no drop": the change in the direction the tolerance limits. */
function changeText(worse: number, tol: Tolerance): string {
  return worse > 0 ? `${nounOf(tol)} ${f(worse)}` : `no ${nounOf(tol)}`;
}

function pointPart(delta: number, tol: Tolerance): Part {
  const worse = tol.key === 'max_drop' ? -delta : delta;
  const beyond = worse > tol.limit;
  return {
    status: beyond ? 'fail' : 'pass',
    reason: `${worse > 0 ? changeText(worse, tol) : `no ${nounOf(tol)}, so`} ${beyond ? 'beyond' : 'within'} ${tol.key} ${tol.limit} (point comparison: no per-example results or repeats measure the noise)`,
  };
}

/** More test examples and more repeats that would bring the interval's half-width below `gap`, if the change stays as it is. */
export interface Needed {
  examples?: number;
  repeats?: number;
}

// Rounded up to two significant digits: an estimate should not look more exact than it is.
function roundUp(x: number): number {
  const step = 10 ** Math.max(0, Math.floor(Math.log10(x)) - 1);
  return Math.ceil(x / step) * step;
}

/**
 * se^2 must fall below (gap / q)^2. More test examples shrink only the test-set part (in
 * proportion to 1 / n); more candidate repeats shrink only the candidate's seed part
 * (s_c^2 / K). q is held at its current value, so both are estimates.
 */
export function neededToDecide(gap: number, q: number, noise: MetricNoise): Needed {
  const target = (gap / q) ** 2;
  const seedVariance = noise.seed.terms.reduce((a, t) => a + t.variance, 0);
  const out: Needed = {};
  const { testVariance, examples } = noise;
  if (testVariance !== undefined && testVariance > 0 && examples !== undefined && target > seedVariance) {
    out.examples = roundUp((examples * testVariance) / (target - seedVariance));
  }
  const c = noise.seed.candidate;
  const b = noise.seed.baseline;
  // Equivalent mutants (`c.perRun > 0`, `room > 0` forced true or made `>=`): with perRun 0 or room <= 0, k is
  // 0, negative or Infinity, which the `k > c.runs && k <= MAX_REPEATS` test refuses as it refuses no suggestion.
  if (c && b && c.perRun > 0) {
    const room = target - (testVariance ?? 0) - b.perRun / b.runs;
    const k = room > 0 ? Math.ceil(c.perRun / room) : Infinity;
    if (k > c.runs && k <= MAX_REPEATS) out.repeats = k;
  }
  return out;
}

function neededText(needed: Needed, noise: MetricNoise): string {
  const options = [
    needed.examples !== undefined ? `about ${count(needed.examples)} test examples (this run has ${count(noise.examples ?? 0)})` : '',
    needed.repeats !== undefined ? `gate.repeats ${needed.repeats} (now ${noise.seed.candidate?.runs ?? 1})` : '',
  ].filter(Boolean);
  return options.length > 0
    ? `${options.join(' or ')} would decide it if the change stays this size`
    : 'neither more test examples nor more repeats alone would decide it';
}

function mcnemarText(noise: MetricNoise): string {
  const m = noise.mcnemar;
  if (!m) return '';
  return (
    `; McNemar exact test: ${m.baselineOnly} examples right only in the baseline, ${m.candidateOnly} only in the candidate, ` +
    `one-sided p = ${m.p.toPrecision(2)}`
  );
}

function noiseText(noise: MetricNoise, q: number): string {
  const se = noise.se ?? 0;
  const parts = [noise.testVariance !== undefined ? `test set ${f(Math.sqrt(noise.testVariance))}` : ''];
  const seeds = noise.seed.terms.reduce((a, t) => a + t.variance, 0);
  if (noise.seed.terms.length > 0) parts.push(`seeds ${f(Math.sqrt(seeds))}`);
  const quantile =
    noise.df === Infinity ? `normal quantile ${q.toFixed(3)}` : `Student t quantile ${q.toFixed(3)} on ${noise.df.toFixed(1)} df`;
  return `se ${f(se)} (${parts.filter(Boolean).join(', ')}), ${quantile}`;
}

interface Judged {
  status: CheckStatus;
  /** The McNemar test overruled an interval beyond the tolerance. */
  guarded: boolean;
}

function judge(worse: number, h: number, tol: Tolerance, noise: MetricNoise, confidence: number, mode: GateMode): Judged {
  if (worse - h > tol.limit) {
    // With repeats the verdict is on means over seeds, which the single-model McNemar test does not describe.
    const guarded = noise.mcnemar !== undefined && noise.seed.terms.length === 0 && noise.mcnemar.p >= (1 - confidence) / 2;
    return { status: guarded ? 'inconclusive' : 'fail', guarded };
  }
  const pass = mode === 'strict' ? worse + h <= tol.limit : worse <= tol.limit;
  return { status: pass ? 'pass' : 'inconclusive', guarded: false };
}

interface Relative extends Part {
  ci: [number, number];
  detail: string;
}

function relativePart(delta: number, tol: Tolerance, noise: MetricNoise, confidence: number, mode: GateMode): Relative {
  const se = noise.se ?? 0;
  const q = quantileFor(confidence, noise.df);
  const h = q * se;
  const worse = tol.key === 'max_drop' ? -delta : delta;
  const { status, guarded } = judge(worse, h, tol, noise, confidence, mode);
  const level = pct(confidence);
  const change = changeText(worse, tol);
  let reason: string;
  if (status === 'fail') {
    reason = `${change} beyond ${tol.key} ${tol.limit}, significant at ${level}`;
  } else if (status === 'pass') {
    reason =
      mode === 'strict'
        ? `whole ${level} interval within ${tol.key} ${tol.limit}`
        : worse > 0
          ? `${change} within ${tol.key} ${tol.limit}`
          : `no ${nounOf(tol)} against the baseline`;
  } else if (guarded) {
    reason = `${change} beyond ${tol.key} ${tol.limit}, but McNemar's exact test finds too few changed examples to call it significant`;
  } else {
    const gap = Math.abs(worse - tol.limit);
    const decide = gap > 0 ? neededText(neededToDecide(gap, q, noise), noise) : `no amount of data decides a change sitting on ${tol.key}`;
    reason =
      worse > tol.limit
        ? `${change} beyond ${tol.key} ${tol.limit}, not significant at ${level}; ${decide}`
        : `${level} interval reaches beyond ${tol.key} ${tol.limit} (${change}; strict mode needs all of it within); ${decide}`;
  }
  const detail =
    `${tol.key}: delta ${signed(delta)}, ${level} interval [${signed(delta - h)}, ${signed(delta + h)}]; ` +
    `${noiseText(noise, q)}${mcnemarText(noise)}`;
  return { status, reason, ci: [delta - h, delta + h], detail };
}

export interface CheckInput {
  metric: string;
  rule: GateMetricRule;
  candidate: EvaluatedModel;
  baseline?: EvaluatedModel;
  noise?: MetricNoise;
  confidence: number;
  mode: GateMode;
  /** Why the baseline cannot be compared (a different test set); its tolerances are then inconclusive. */
  notComparable?: string;
  /** How many runs each side's number is the mean of (gate.repeats). */
  runs?: { candidate: number; baseline: number };
}

// The deciding fact first: the parts with the worst status, in rule order.
function sentence(parts: readonly Part[]): string {
  const worst = worstStatus(parts.map((p) => p.status));
  const text = parts
    .filter((p) => p.status === worst)
    .map((p) => p.reason)
    .join('; ');
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}.`;
}

function pick<K extends keyof GateMetricRule>(rule: GateMetricRule, key: K): Partial<Record<K, number>> {
  const v = rule[key];
  return v === undefined ? {} : ({ [key]: v } as Partial<Record<K, number>>);
}

export function buildCheck(input: CheckInput): GateCheck {
  const { metric, rule, candidate, baseline, noise, confidence, mode } = input;
  const value = candidate.metrics[metric];
  const limits = { ...pick(rule, 'min'), ...pick(rule, 'max'), ...pick(rule, 'max_drop'), ...pick(rule, 'max_rise') };
  if (!Number.isFinite(value)) {
    return { metric, value: Number.NaN, ...limits, status: 'fail', reason: `${metric} is missing from the candidate's metrics.` };
  }
  const runs = input.runs && input.runs.candidate > 1 ? { runs: input.runs.candidate } : {};
  const parts = absoluteParts(value, rule);
  const tolerances = tolerancesOf(rule);
  const base = baseline?.metrics[metric];
  const compared: Partial<GateCheck> = {};
  const details: string[] = [];
  if (tolerances.length > 0 && input.notComparable) {
    parts.push({ status: 'inconclusive', reason: input.notComparable });
  } else if (tolerances.length > 0 && base !== undefined && Number.isFinite(base)) {
    const delta = value - base;
    Object.assign(compared, { baseline: base, delta }, input.runs && input.runs.baseline > 1 ? { baseline_runs: input.runs.baseline } : {});
    for (const tol of tolerances) {
      if (noise?.se === undefined) {
        parts.push(pointPart(delta, tol));
        continue;
      }
      const part = relativePart(delta, tol, noise, confidence, mode);
      compared.ci = part.ci;
      details.push(part.detail);
      parts.push(part);
    }
  } else if (tolerances.length > 0) {
    parts.push({
      status: 'pass',
      reason: `no baseline ${metric} to compare with, so ${tolerances.map((t) => t.key).join(' and ')} ${tolerances.length > 1 ? 'do' : 'does'} not apply`,
    });
  }
  const status = worstStatus(parts.map((p) => p.status));
  const reason = parts.length > 0 ? sentence(parts) : 'No threshold set.';
  return { metric, value, ...runs, ...limits, ...compared, status, reason, ...(details.length > 0 ? { detail: details.join(' ') } : {}) };
}

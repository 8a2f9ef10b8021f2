// One gate check per metric: absolute thresholds on the point estimate, and the change
// against the baseline judged with its interval.
//
// Decision rule for max_drop (max_rise mirrors it). Let d = candidate - baseline and
// [lo, hi] = d -/+ q * se, where q is the one-sided quantile at gate.confidence (normal, or
// Student t when seed variances come from a few repeats). Each bound alone holds with
// probability `confidence`, so [lo, hi] is the two-sided (2 * confidence - 1) interval.
//   fail          hi < -max_drop: the drop exceeds the tolerance, significant at `confidence`
//   pass          lo >= -max_drop: with that confidence the drop is within the tolerance
//   inconclusive  otherwise: the interval straddles the tolerance
// A true drop of exactly max_drop therefore fails with probability 1 - confidence, and a
// smaller one less often: that is the false-fail guarantee the simulation tests check.
// (Failing whenever the point drop exceeds max_drop and differs from zero would block a
// drop of exactly max_drop about half the time.) For accuracy on paired predictions
// without repeats, a fail also needs McNemar's exact test to find the drop significant.

import type { CheckStatus, GateCheck } from '../report/types.js';
import type { MetricNoise } from './noise.js';
import { normalQuantile, studentTQuantile } from './stats.js';
import type { EvaluatedModel, GateMetricRule } from './types.js';

interface Part {
  status: CheckStatus;
  reason: string;
}

interface Tolerance {
  key: 'max_drop' | 'max_rise';
  limit: number;
}

const RANK: Record<CheckStatus, number> = { pass: 0, inconclusive: 1, fail: 2 };
const f = (x: number): string => x.toFixed(4);
const signed = (x: number): string => (x >= 0 ? '+' : '') + f(x);
const pct = (x: number): string => `${Number((x * 100).toFixed(2))}%`;

export function worstStatus(statuses: readonly CheckStatus[]): CheckStatus {
  return statuses.reduce<CheckStatus>((a, s) => (RANK[s] > RANK[a] ? s : a), 'pass');
}

export function tolerancesOf(rule: GateMetricRule): Tolerance[] {
  const out: Tolerance[] = [];
  if (rule.max_drop !== undefined) out.push({ key: 'max_drop', limit: rule.max_drop });
  if (rule.max_rise !== undefined) out.push({ key: 'max_rise', limit: rule.max_rise });
  return out;
}

// min / max are plain thresholds on the point estimate: what users expect of a floor.
function absoluteParts(metric: string, value: number, rule: GateMetricRule): Part[] {
  const parts: Part[] = [];
  if (rule.min !== undefined) {
    parts.push(value >= rule.min
      ? { status: 'pass', reason: `${metric} ${f(value)} meets min ${rule.min} (a floor on the point estimate)` }
      : { status: 'fail', reason: `${metric} ${f(value)} is below min ${rule.min} (a floor on the point estimate)` });
  }
  if (rule.max !== undefined) {
    parts.push(value <= rule.max
      ? { status: 'pass', reason: `${metric} ${f(value)} is within max ${rule.max} (a ceiling on the point estimate)` }
      : { status: 'fail', reason: `${metric} ${f(value)} is above max ${rule.max} (a ceiling on the point estimate)` });
  }
  return parts;
}

/** One-sided quantile at `confidence` for the noise's degrees of freedom. */
export function quantileFor(confidence: number, df: number): number {
  return df === Infinity ? normalQuantile(confidence) : studentTQuantile(confidence, df);
}

/** Smallest true drop (or rise) beyond the tolerance found with 80% power: limit + (q + z_0.8) * se. */
export function detectableChange(limit: number, noise: MetricNoise, confidence: number): number | undefined {
  if (noise.se === undefined) return undefined;
  return limit + (quantileFor(confidence, noise.df) + normalQuantile(0.8)) * noise.se;
}

function pointPart(metric: string, base: number, delta: number, tol: Tolerance): Part {
  const worse = tol.key === 'max_drop' ? -delta : delta;
  const status = worse > tol.limit ? 'fail' : 'pass';
  return {
    status,
    reason: `${metric} vs baseline ${f(base)}: delta ${signed(delta)} is ${status === 'fail' ? 'beyond' : 'within'} ${tol.key} ${tol.limit}; ` +
      'point comparison, as no per-example results or repeats measure the noise',
  };
}

function mcnemarText(noise: MetricNoise): string {
  const m = noise.mcnemar;
  if (!m) return '';
  return `; McNemar exact test: ${m.baselineOnly} examples right only in the baseline, ${m.candidateOnly} only in the candidate, ` +
    `one-sided p = ${m.p.toPrecision(2)}`;
}

function intervalStatus(lo: number, hi: number, tol: Tolerance, noise: MetricNoise, confidence: number): CheckStatus {
  if (hi <= tol.limit) return 'pass';
  if (lo <= tol.limit) return 'inconclusive';
  // The exact test guards the normal interval when few examples changed; with repeats the
  // verdict is on means over seeds, which the single-model McNemar test does not describe.
  const guarded = noise.mcnemar && noise.seed.terms.length === 0 && noise.mcnemar.p >= 1 - confidence;
  return guarded ? 'inconclusive' : 'fail';
}

function relativePart(metric: string, base: number, delta: number, tol: Tolerance, noise: MetricNoise, confidence: number): Part & { ci: [number, number] } {
  const se = noise.se ?? 0;
  const h = quantileFor(confidence, noise.df) * se;
  const worse = tol.key === 'max_drop' ? -delta : delta;
  const [lo, hi] = [worse - h, worse + h];
  const noun = tol.key === 'max_drop' ? 'drop' : 'rise';
  const status = intervalStatus(lo, hi, tol, noise, confidence);
  const head = `${metric} vs baseline ${f(base)}: delta ${signed(delta)}, ${pct(2 * confidence - 1)} interval [${f(delta - h)}, ${f(delta + h)}]`;
  const body: Record<CheckStatus, string> = {
    fail: `with ${pct(confidence)} confidence the ${noun} is at least ${f(lo)}, more than ${tol.key} ${tol.limit}`,
    pass: hi <= 0
      ? `with ${pct(confidence)} confidence there is no ${noun}`
      : `with ${pct(confidence)} confidence the ${noun} is at most ${f(hi)}, within ${tol.key} ${tol.limit}`,
    inconclusive: lo > tol.limit
      ? `the interval is beyond ${tol.key} ${tol.limit}, but McNemar's exact test does not find the change significant`
      : `the interval straddles ${tol.key} ${tol.limit}, so the noise is too large to tell whether the ${noun} exceeds it`,
  };
  return { status, reason: `${head}; ${body[status]}${mcnemarText(noise)}`, ci: [delta - h, delta + h] };
}

export interface CheckInput {
  metric: string;
  rule: GateMetricRule;
  candidate: EvaluatedModel;
  baseline?: EvaluatedModel;
  noise?: MetricNoise;
  confidence: number;
}

export function buildCheck(input: CheckInput): GateCheck {
  const { metric, rule, candidate, baseline, noise, confidence } = input;
  const value = candidate.metrics[metric];
  const limits = { ...pick(rule, 'min'), ...pick(rule, 'max'), ...pick(rule, 'max_drop') };
  if (!Number.isFinite(value)) {
    return { metric, value: Number.NaN, ...limits, status: 'fail', reason: `${metric} is missing from the candidate's metrics` };
  }
  const parts = absoluteParts(metric, value, rule);
  const base = baseline?.metrics[metric];
  const tolerances = tolerancesOf(rule);
  let compared: Partial<GateCheck> = {};
  if (tolerances.length > 0 && base !== undefined && Number.isFinite(base)) {
    const delta = value - base;
    compared = { baseline: base, delta };
    for (const tol of tolerances) {
      const part = noise?.se !== undefined ? relativePart(metric, base, delta, tol, noise, confidence) : pointPart(metric, base, delta, tol);
      if ('ci' in part) compared.ci = part.ci as [number, number];
      parts.push(part);
    }
  } else if (tolerances.length > 0) {
    parts.push({ status: 'pass', reason: `no baseline ${metric} to compare with, so ${tolerances.map((t) => t.key).join(' and ')} does not apply` });
  }
  const status = worstStatus(parts.map((p) => p.status));
  const reason = parts.length > 0 ? parts.map((p) => p.reason).join('. ') : `${metric} ${f(value)}: no threshold set`;
  return { metric, value, ...limits, ...compared, status, reason };
}

function pick<K extends keyof GateMetricRule>(rule: GateMetricRule, key: K): Partial<Record<K, number>> {
  const v = rule[key];
  return v === undefined ? {} : ({ [key]: v } as Partial<Record<K, number>>);
}

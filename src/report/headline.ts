// The one line a reviewer reads first (report.md, the job summary, the PR comment, the check's
// title): the verdict, the metric that decided it and by how much. Pure: report in, string out.
import { crashCause } from './crash.js';
import type { GateCheck, Report } from '../domain/types.js';

const ICON: Record<string, string> = { pass: '✅', fail: '❌', inconclusive: '⚠️' };
const f = (x: number): string => x.toFixed(4);
const pct = (x: number): string => `${Number((x * 100).toFixed(2))}%`;

/** How far the check is beyond its worst limit (negative: the margin left). */
function excess(c: GateCheck): number {
  // Equivalent mutants: -Infinity made +Infinity here and in excessOfChange is filtered out below as well, and
  // `all.length > 0` forced true takes Math.max() of nothing, which is -Infinity too.
  const absolute = [c.min !== undefined ? c.min - c.value : -Infinity, c.max !== undefined ? c.value - c.max : -Infinity];
  const all = [excessOfChange(c), ...absolute].filter(Number.isFinite);
  return all.length > 0 ? Math.max(...all) : -Infinity;
}

// The check that decided: among those with the verdict's status, the one furthest beyond (or,
// for a pass, closest to) its limit.
function decidingCheck(r: Report): GateCheck | undefined {
  const same = r.gate.checks.filter((c) => c.status === r.verdict);
  return [...same].sort((a, b) => excess(b) - excess(a))[0];
}

interface Limit {
  key: 'max_drop' | 'max_rise';
  limit: number;
  worse: number;
  verb: string;
}

// The tolerance the change is furthest beyond (or closest to).
function worstLimit(c: GateCheck): Limit | undefined {
  if (c.delta === undefined) return undefined;
  const limits: Limit[] = [];
  if (c.max_drop !== undefined) limits.push({ key: 'max_drop', limit: c.max_drop, worse: -c.delta, verb: 'dropped' });
  if (c.max_rise !== undefined) limits.push({ key: 'max_rise', limit: c.max_rise, worse: c.delta, verb: 'rose' });
  return limits.sort((a, b) => b.worse - b.limit - (a.worse - a.limit))[0];
}

function changeText(c: GateCheck): string | undefined {
  const t = worstLimit(c);
  if (!t || c.delta === undefined || c.baseline === undefined) return undefined;
  const moved = t.worse > 0 ? `${t.verb} ${f(t.worse)}` : `${c.delta >= 0 ? '+' : ''}${f(c.delta)}`;
  return `${c.metric} ${moved} vs baseline ${f(c.baseline)} (${t.key} ${t.limit})`;
}

function absoluteText(c: GateCheck): string {
  if (c.min !== undefined && c.value < c.min) return `${c.metric} ${f(c.value)} is ${f(c.min - c.value)} below min ${c.min}`;
  if (c.max !== undefined && c.value > c.max) return `${c.metric} ${f(c.value)} is ${f(c.value - c.max)} above max ${c.max}`;
  if (c.min !== undefined) return `${c.metric} ${f(c.value)}, ${f(c.value - c.min)} above min ${c.min}`;
  if (c.max !== undefined) return `${c.metric} ${f(c.value)}, ${f(c.max - c.value)} below max ${c.max}`;
  const tolerance = c.max_drop !== undefined || c.max_rise !== undefined;
  return `${c.metric} ${f(c.value)}${tolerance && c.baseline === undefined ? ', no baseline to compare with' : ''}`;
}

function checkText(r: Report, c: GateCheck): string {
  if (!Number.isFinite(c.value)) return c.reason.replace(/\.$/, '');
  const change = changeText(c);
  const relativeDecided = change !== undefined && (c.status !== 'fail' || excess(c) === excessOfChange(c));
  if (!relativeDecided) return absoluteText(c);
  const level = r.gate.confidence !== undefined ? ` at ${pct(r.gate.confidence)}` : '';
  if (c.status === 'fail') return `${change}, significant${level}`;
  if (c.status === 'inconclusive') return `${change}, not significant${level}`;
  return change;
}

function excessOfChange(c: GateCheck): number {
  const t = worstLimit(c);
  // Equivalent mutant: -Infinity made +Infinity; excess() filters it out, and checkText compares only where t is defined.
  return t ? t.worse - t.limit : -Infinity;
}

/** "❌ FAIL: accuracy dropped 0.0312 vs baseline 0.8640 (max_drop 0.01), significant at 95%". */
export function verdictHeadline(report: Report): string {
  // Equivalent mutant: `?? ''` never applies, as every verdict has an icon.
  const head = `${ICON[report.verdict] ?? ''} ${report.verdict.toUpperCase()}`;
  if (report.status === 'crashed') {
    const how = report.crash ? `${crashCause(report.crash)} on backend ${report.crash.backend}` : 'no details recorded';
    return `${head}: the training process died (${how}); nothing was evaluated`;
  }
  if (report.error) {
    return `${head} (${report.status.replaceAll('_', ' ')}): training failed (${report.error.message.split('\n')[0]}); nothing was evaluated`;
  }
  const status = report.status === 'complete' ? '' : ` (${report.status.replaceAll('_', ' ')})`;
  const changed = report.gate.test_set_changed;
  if (changed && report.verdict !== 'fail') {
    return `${head}${status}: baseline not compared, its test set changed (sha256 ${changed.baseline.slice(0, 12)} → ${changed.candidate.slice(0, 12)})`;
  }
  const deciding = decidingCheck(report);
  if (!deciding) return `${head}${status}: no gate metrics configured`;
  const others = report.gate.checks.filter((c) => c !== deciding && c.status === report.verdict && report.verdict !== 'pass').length;
  const more = others > 0 ? ` (+${others} more ${report.verdict === 'fail' ? 'failing' : 'inconclusive'})` : '';
  return `${head}${status}: ${checkText(report, deciding)}${more}`;
}

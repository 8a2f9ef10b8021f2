// The PR comment: the verdict and gate first, details folded away.
import type { Report } from '../domain/types.js';
import {
  baselineWarning,
  blockOf,
  classChangeChart,
  classF1Delta,
  confusionTable,
  gateDetails,
  gateTable,
  gpuFallbackNote,
  metricsTable,
  perClassTable,
  runLine,
  trainedWith,
  verdictLine,
  worstClass,
} from './markdown.js';
import { crashCause, crashSection, isTrainingFailure } from './crash.js';
import { verdictHeadline } from './headline.js';

const signedText = (v: number): string => `${v >= 0 ? '+' : ''}${v.toFixed(4)}`;

export function renderCommentBody(r: Report): string {
  if (isTrainingFailure(r)) return [`### ${verdictHeadline(r)}`, '', verdictLine(r), '', crashSection(r)].join('\n');
  const delta = classF1Delta(r);
  const worst = worstClass(r, delta);
  const change =
    worst && delta(worst.label, worst.f1) !== undefined ? `, ${signedText(delta(worst.label, worst.f1) as number)} vs baseline` : '';
  const notes = r.gate.notes ?? [];
  return [
    `### ${verdictHeadline(r)}`,
    '',
    runLine(r),
    ...blockOf(baselineWarning(r)),
    '',
    gateTable(r),
    ...blockOf(notes.map((n) => `- ${n}`).join('\n')),
    ...blockOf(gateDetails(r)),
    '',
    worst ? `Weakest class: **${worst.label}** (f1 ${worst.f1.toFixed(4)}${change}, recall ${worst.recall.toFixed(4)}).` : '',
    ...blockOf(classChangeChart(r)),
    '',
    '<details><summary>All metrics against the baseline</summary>',
    '',
    metricsTable(r),
    '',
    '</details>',
    '',
    '<details><summary>Per class</summary>',
    '',
    perClassTable(r),
    '',
    '</details>',
    '',
    '<details><summary>Confusion matrix (rows = true, columns = predicted)</summary>',
    '',
    confusionTable(r),
    '',
    '</details>',
    '',
    ...gpuFallbackNote(r),
    `<sub>${trainedWith(r)}</sub>`,
  ].join('\n');
}

/** The number the comment charts across pushes: f1_macro (accuracy when there is none); none for a crash. */
export function historyPoint(r: Report): { metric?: string; value?: number } {
  if (r.status === 'crashed') return {};
  for (const metric of ['f1_macro', 'accuracy']) {
    if (Number.isFinite(r.metrics[metric])) return { metric, value: r.metrics[metric] };
  }
  return {};
}

/** One line for the comment's history of earlier pushes. */
export function historySummary(r: Report): string {
  if (r.status === 'crashed') return `crashed (${r.crash ? crashCause(r.crash) : 'no details'})`;
  if (isTrainingFailure(r)) return `${r.status.replaceAll('_', ' ')} after ${r.history.length} epochs`;
  const base = r.baseline.metrics?.f1_macro;
  const delta = base === undefined ? '' : ` (${r.metrics.f1_macro - base >= 0 ? '+' : ''}${(r.metrics.f1_macro - base).toFixed(4)})`;
  return `f1_macro ${r.metrics.f1_macro.toFixed(4)}${delta}, accuracy ${r.metrics.accuracy.toFixed(4)}`;
}

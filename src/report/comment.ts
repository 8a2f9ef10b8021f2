// The PR comment: the verdict and gate first, details folded away.
import type { Report } from './types.js';
import { confusionTable, gateTable, metricsTable, perClassTable, verdictLine, worstClass, classF1Delta } from './markdown.js';
import { crashCause, crashSection, isTrainingFailure } from './crash.js';

const signedText = (v: number): string => `${v >= 0 ? '+' : ''}${v.toFixed(4)}`;

export function renderCommentBody(r: Report): string {
  if (isTrainingFailure(r)) return [`### finetune: ${r.name}`, '', verdictLine(r), '', crashSection(r)].join('\n');
  const delta = classF1Delta(r);
  const worst = worstClass(r, delta);
  const change = worst && delta(worst.label, worst.f1) !== undefined ? `, ${signedText(delta(worst.label, worst.f1) as number)} vs baseline` : '';
  return [
    `### finetune: ${r.name}`,
    '',
    verdictLine(r),
    '',
    gateTable(r),
    '',
    worst ? `Weakest class: **${worst.label}** (f1 ${worst.f1.toFixed(4)}${change}, recall ${worst.recall.toFixed(4)}).` : '',
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
  ].join('\n');
}

/** One line for the comment's history of earlier pushes. */
export function historySummary(r: Report): string {
  if (r.status === 'crashed') return `crashed (${r.crash ? crashCause(r.crash) : 'no details'})`;
  if (isTrainingFailure(r)) return `${r.status.replace('_', ' ')} after ${r.history.length} epochs`;
  const base = r.baseline.metrics?.f1_macro;
  const delta = base === undefined ? '' : ` (${r.metrics.f1_macro - base >= 0 ? '+' : ''}${(r.metrics.f1_macro - base).toFixed(4)})`;
  return `f1_macro ${r.metrics.f1_macro.toFixed(4)}${delta}, accuracy ${r.metrics.accuracy.toFixed(4)}`;
}

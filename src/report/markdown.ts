// Pure renderers of a Report for people: report.md, the job summary and the PR comment share them.
import type { GateCheck, Report } from './types.js';

const ICON: Record<string, string> = { pass: '✅', fail: '❌', inconclusive: '⚠️' };

const fmt = (v: number | undefined, digits = 4): string => (v === undefined || Number.isNaN(v) ? '–' : v.toFixed(digits));
const signed = (v: number | undefined): string => (v === undefined ? '–' : `${v >= 0 ? '+' : ''}${v.toFixed(4)}`);

export function verdictLine(r: Report): string {
  const status = r.status === 'complete' ? '' : ` (${r.status.replace('_', ' ')})`;
  return `${ICON[r.verdict]} **${r.verdict.toUpperCase()}**${status}: \`${r.name}\` accuracy ${fmt(r.metrics.accuracy)}, f1_macro ${fmt(r.metrics.f1_macro)} on ${r.data.test} test examples`;
}

export function gateTable(r: Report): string {
  if (r.gate.checks.length === 0) return '_No gate metrics configured (gate.metrics is empty)._';
  const rows = r.gate.checks.map((c: GateCheck) => {
    const threshold = [c.min !== undefined ? `min ${c.min}` : '', c.max !== undefined ? `max ${c.max}` : '', c.max_drop !== undefined ? `max_drop ${c.max_drop}` : '']
      .filter(Boolean)
      .join(', ');
    const ci = c.ci ? `[${signed(c.ci[0])}, ${signed(c.ci[1])}]` : '–';
    return `| ${c.metric} | ${fmt(c.value)} | ${fmt(c.baseline)} | ${signed(c.delta)} | ${ci} | ${threshold || '–'} | ${ICON[c.status]} ${c.status} | ${c.reason} |`;
  });
  return ['| metric | value | baseline | delta | CI | threshold | status | reason |', '|---|---|---|---|---|---|---|---|', ...rows].join('\n');
}

export function metricsTable(r: Report): string {
  const base = r.baseline.metrics ?? {};
  const rows = Object.entries(r.metrics).map(([k, v]) => `| ${k} | ${fmt(v)} | ${fmt(base[k])} | ${base[k] === undefined ? '–' : signed(v - base[k])} |`);
  return ['| metric | value | baseline | delta |', '|---|---|---|---|', ...rows].join('\n');
}

export function perClassTable(r: Report): string {
  const worst = [...r.per_class].sort((a, b) => a.f1 - b.f1)[0];
  const rows = r.per_class.map(
    (c) => `| ${c.label}${c === worst ? ' (worst)' : ''} | ${fmt(c.precision)} | ${fmt(c.recall)} | ${fmt(c.f1)} | ${c.support} |`,
  );
  return ['| class | precision | recall | f1 | support |', '|---|---|---|---|---|', ...rows].join('\n');
}

export function confusionTable(r: Report): string {
  const { labels, matrix } = r.confusion_matrix;
  const head = `| true \\ predicted | ${labels.join(' | ')} |`;
  const sep = `|---|${labels.map(() => '---').join('|')}|`;
  const rows = matrix.map((row, i) => `| **${labels[i]}** | ${row.join(' | ')} |`);
  return [head, sep, ...rows].join('\n');
}

/** A Mermaid xychart of the learning curves; GitHub renders it inline. */
export function curvesChart(r: Report): string {
  if (r.history.length < 2) return '';
  const epochs = r.history.map((h) => h.epoch);
  const line = (key: string) => `  line [${r.history.map((h) => fmt(h[key] ?? NaN, 4).replace('–', '0')).join(', ')}]`;
  const lines = ['```mermaid', 'xychart-beta', '  title "loss (train, validation) and validation f1_macro per epoch"', `  x-axis [${epochs.join(', ')}]`, line('loss')];
  if (r.history.some((h) => Number.isFinite(h.val_loss))) lines.push(line('val_loss'));
  if (r.history.some((h) => h.val_f1_macro !== undefined)) lines.push(line('val_f1_macro'));
  lines.push('```');
  return lines.join('\n');
}

export function renderReportMarkdown(r: Report): string {
  const notes = [...(r.gate.notes ?? []), ...(r.baseline.ignored_reason ? [r.baseline.ignored_reason] : [])];
  return [
    `# finetune: ${r.name}`,
    '',
    verdictLine(r),
    '',
    '## Gate',
    '',
    gateTable(r),
    r.gate.method ? `\nComparison: ${r.gate.method}.` : '',
    notes.length ? `\n${notes.map((n) => `- ${n}`).join('\n')}` : '',
    '',
    '## Metrics (test set)',
    '',
    metricsTable(r),
    '',
    '## Per class',
    '',
    perClassTable(r),
    '',
    '<details><summary>Confusion matrix (rows = true, columns = predicted)</summary>',
    '',
    confusionTable(r),
    '',
    '</details>',
    '',
    '## Training',
    '',
    `Best epoch ${r.best_epoch} of ${r.history.length}; ${r.data.train} train / ${r.data.validation} validation / ${r.data.test} test examples.`,
    '',
    curvesChart(r),
    '',
    `<sub>backend ${r.fingerprint.backend} · seed ${r.fingerprint.seed} · test set ${r.fingerprint.test_set_sha256.slice(0, 12)} · base ${r.fingerprint.base_model_sha256.slice(0, 12)} · ${r.timing.total_s.toFixed(1)} s</sub>`,
    '',
  ].join('\n');
}

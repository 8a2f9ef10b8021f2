// Pure renderers of a Report for people: report.md, the job summary and the PR comment share them.
import type { GateCheck, Report } from '../domain/types.js';
import { crashVerdictLine, isTrainingFailure, renderCrashMarkdown } from './crash.js';
import { sweepSection } from './sweep-table.js';
import { verdictHeadline } from './headline.js';
import { textSection } from './text-section.js';

const ICON: Record<string, string> = { pass: '✅', fail: '❌', inconclusive: '⚠️' };

const fmt = (v: number | undefined, digits = 4): string => (v === undefined || Number.isNaN(v) ? '–' : v.toFixed(digits));
const signed = (v: number | undefined): string => (v === undefined ? '–' : `${v >= 0 ? '+' : ''}${v.toFixed(4)}`);

export function verdictLine(r: Report): string {
  if (isTrainingFailure(r)) return crashVerdictLine(r);
  const status = r.status === 'complete' ? '' : ` (${r.status.replaceAll('_', ' ')})`;
  return `${ICON[r.verdict]} **${r.verdict.toUpperCase()}**${status}: \`${r.name}\` accuracy ${fmt(r.metrics.accuracy)}, f1_macro ${fmt(r.metrics.f1_macro)} on ${r.data.test} test examples`;
}

/** What was evaluated, under the headline: name, the two headline metrics, test-set size. */
export function runLine(r: Report): string {
  return `\`${r.name}\`: accuracy ${fmt(r.metrics.accuracy)}, f1_macro ${fmt(r.metrics.f1_macro)} on ${r.data.test} test examples`;
}

const pct = (x: number): string => `${Number((x * 100).toFixed(2))}%`;
const withRuns = (v: number | undefined, runs: number | undefined): string => `${fmt(v)}${runs ? ` (mean of ${runs})` : ''}`;

function thresholds(c: GateCheck): string {
  const keys = ['min', 'max', 'max_drop', 'max_rise'] as const;
  return (
    keys
      .filter((k) => c[k] !== undefined)
      .map((k) => `${k} ${c[k]}`)
      .join(', ') || '–'
  );
}

/** One row per gated metric: status, value, baseline, delta, the interval at the stated confidence, threshold, one-sentence reason. */
export function gateTable(r: Report): string {
  if (r.gate.checks.length === 0) return '_No gate metrics configured (gate.metrics is empty)._';
  const level = r.gate.confidence !== undefined ? `${pct(r.gate.confidence)} interval` : 'interval';
  const rows = r.gate.checks.map((c: GateCheck) => {
    const ci = c.ci ? `[${signed(c.ci[0])}, ${signed(c.ci[1])}]` : '–';
    return `| ${c.metric} | ${ICON[c.status]} ${c.status} | ${withRuns(c.value, c.runs)} | ${withRuns(c.baseline, c.baseline_runs)} | ${signed(c.delta)} | ${ci} | ${thresholds(c)} | ${c.reason} |`;
  });
  return [
    `| metric | status | value | baseline | delta | ${level} | threshold | reason |`,
    '|---|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

/** The statistics behind the gate table, folded away: the test used, each check's interval and its parts, McNemar's counts and p-value, power. */
export function gateDetails(r: Report): string {
  const g = r.gate;
  const lines = [
    g.mode
      ? `- Mode: \`${g.mode}\`${g.mode === 'strict' ? ' (a pass needs the whole interval within the tolerance)' : ' (a fail needs the whole interval beyond the tolerance)'}.`
      : '',
    g.method ? `- Comparison: ${g.method}.` : '',
    ...g.checks.filter((c) => c.detail).map((c) => `- **${c.metric}** ${c.detail}.`),
    g.detectable_drop
      ? `- Smallest change found with 80% power: ${Object.entries(g.detectable_drop)
          .map(([m, d]) => `${m} ${d.toFixed(4)}`)
          .join(', ')}.`
      : '',
  ].filter(Boolean);
  if (lines.length === 0) return '';
  return ['<details><summary>How the gate decided (statistics)</summary>', '', ...lines, '', '</details>'].join('\n');
}

/** The baseline could not be compared (another test set, or none found): said right under the headline. */
export function baselineWarning(r: Report): string {
  return r.gate.test_set_changed && r.baseline.ignored_reason ? `> **Baseline not compared.** ${r.baseline.ignored_reason}` : '';
}

export function metricsTable(r: Report): string {
  // A baseline from another test set has numbers about other examples: no deltas.
  const base = r.gate.test_set_changed ? {} : (r.baseline.metrics ?? {});
  const rows = Object.entries(r.metrics).map(
    ([k, v]) => `| ${k} | ${fmt(v)} | ${fmt(base[k])} | ${base[k] === undefined ? '–' : signed(v - base[k])} |`,
  );
  return ['| metric | value | baseline | delta |', '|---|---|---|---|', ...rows].join('\n');
}

/** Mermaid bar chart of each class's F1 change against a comparable baseline (GitHub renders it in comments). */
export function classChangeChart(r: Report): string {
  const delta = classF1Delta(r);
  const rows = r.per_class
    .map((c) => [c.label, delta(c.label, c.f1)] as const)
    .filter((x): x is readonly [string, number] => x[1] !== undefined);
  if (rows.length === 0) return '';
  const quote = (label: string) => `"${label.replace(/"/g, "'")}"`;
  return [
    '```mermaid',
    'xychart-beta',
    '  title "F1 change per class vs baseline"',
    `  x-axis [${rows.map(([label]) => quote(label)).join(', ')}]`,
    '  y-axis "F1 change"',
    `  bar [${rows.map(([, d]) => d.toFixed(4)).join(', ')}]`,
    '```',
  ].join('\n');
}

/** Per class; with a comparable baseline, each class's F1 change, and the class that fell most called out. */
export function perClassTable(r: Report): string {
  const base = comparableBaselineClasses(r);
  const delta = classF1Delta(r);
  const worst = worstClass(r, delta);
  const rows = r.per_class.map((c) => {
    const d = base ? ` ${signed(delta(c.label, c.f1))} |` : '';
    return `| ${c.label}${c === worst ? ' (worst)' : ''} | ${fmt(c.precision)} | ${fmt(c.recall)} | ${fmt(c.f1)} |${d} ${c.support} |`;
  });
  const head = base ? '| class | precision | recall | f1 | f1 vs baseline | support |' : '| class | precision | recall | f1 | support |';
  const sep = base ? '|---|---|---|---|---|---|' : '|---|---|---|---|---|';
  return [head, sep, ...rows].join('\n');
}

function comparableBaselineClasses(r: Report): Report['per_class'] | undefined {
  return r.baseline.ignored_reason || r.gate.test_set_changed ? undefined : r.baseline.per_class;
}

/** A class's F1 change against a comparable baseline, or undefined. */
export function classF1Delta(r: Report): (label: string, f1: number) => number | undefined {
  const baseF1 = new Map((comparableBaselineClasses(r) ?? []).map((c) => [c.label, c.f1]));
  return (label, f1) => (baseF1.has(label) ? f1 - (baseF1.get(label) as number) : undefined);
}

/** The class with the largest F1 drop against the baseline, else the lowest F1. */
export function worstClass(
  r: Report,
  delta: (label: string, f1: number) => number | undefined = () => undefined,
): Report['per_class'][number] | undefined {
  const key = (c: Report['per_class'][number]) => delta(c.label, c.f1) ?? c.f1;
  // Among classes that moved alike (every change 0, say), the weakest is the one with the lowest F1.
  return [...r.per_class].sort((a, b) => key(a) - key(b) || a.f1 - b.f1)[0];
}

export function confusionTable(r: Report): string {
  const { labels, matrix } = r.confusion_matrix;
  const head = `| true \\ predicted | ${labels.join(' | ')} |`;
  const sep = `|---|${labels.map(() => '---').join('|')}|`;
  const rows = matrix.map((row, i) => `| **${labels[i]}** | ${row.join(' | ')} |`);
  return [head, sep, ...rows].join('\n');
}

/** Said when training ran out of GPU memory and was retried with a smaller batch. */
export function retriedBatchNote(r: Report): string {
  const size = r.history[0]?.batch_size;
  return size === undefined ? '' : `\nTrained with batch_size ${size}: larger batches ran out of GPU memory.`;
}

/** Two-phase fine-tuning: which epochs were phase two, what was unfrozen, and which phase was kept. */
export function phaseTwoNote(r: Report): string {
  const f = r.finetune;
  if (!f) return '';
  const first = r.history.find((e) => e.phase === 2)?.epoch;
  const span = first === undefined ? 'no epoch finished' : `epochs ${first}-${first + f.epochs - 1}`;
  const kept = f.kept === 'phase_two' ? 'kept (it beat phase one on validation)' : 'not kept (phase one was better on validation)';
  return (
    `\nPhase two (${span}): ${f.trainable_layers.length} base layers unfrozen (${f.trainable_layers[0]} .. ${f.trainable_layers[f.trainable_layers.length - 1]}) ` +
    `above the frozen part up to \`${f.split}\`, learning rate ${f.learning_rate}, batch ${f.batch_size}; ${kept}.`
  );
}

/** Line colours of the curves; xychart draws no legend, so each title names them. */
const CURVE_COLOURS: Array<[string, string]> = [
  ['#1f77b4', 'blue'],
  ['#ff7f0e', 'orange'],
];

/**
 * Mermaid xycharts of the learning curves, which GitHub renders inline: the losses in one chart
 * and the validation metrics in another, since their scales differ. Epochs missing a value
 * (no validation data) leave that curve out rather than drawing it at 0.
 */
export function curvesChart(r: Report): string {
  const h = r.history;
  if (h.length < 2) return '';
  const complete = (keys: string[]) => keys.filter((k) => h.every((e) => Number.isFinite(e[k])));
  const chart = (title: string, axis: string, keys: string[]): string[] => {
    if (keys.length === 0) return [];
    const palette = CURVE_COLOURS.slice(0, keys.length);
    const legend = keys.map((k, i) => `${k} (${palette[i][1]})`).join(', ');
    return [
      '```mermaid',
      `%%{init: {"themeVariables": {"xyChart": {"plotColorPalette": "${palette.map(([c]) => c).join(', ')}"}}}}%%`,
      'xychart-beta',
      `  title "${title}: ${legend}"`,
      `  x-axis "epoch" [${h.map((e) => e.epoch).join(', ')}]`,
      `  y-axis "${axis}"`,
      ...keys.map((k) => `  line [${h.map((e) => e[k].toFixed(4)).join(', ')}]`),
      '```',
    ];
  };
  const losses = chart('Loss per epoch', 'loss', complete(['loss', 'val_loss']));
  const metrics = chart('Validation metrics per epoch', 'metric', complete(['val_accuracy', 'val_f1_macro']));
  return [...losses, ...(losses.length && metrics.length ? [''] : []), ...metrics].join('\n');
}

export function renderReportMarkdown(r: Report): string {
  // The headline opens every report, a crash's too (its own title line gives way).
  if (isTrainingFailure(r)) return [`# ${verdictHeadline(r)}`, ...renderCrashMarkdown(r).split('\n').slice(1)].join('\n');
  const notes = [...(r.gate.notes ?? []), ...(r.baseline.ignored_reason && !r.gate.test_set_changed ? [r.baseline.ignored_reason] : [])];
  const chart = classChangeChart(r);
  return [
    `# ${verdictHeadline(r)}`,
    '',
    runLine(r),
    ...blockOf(baselineWarning(r)),
    '',
    '## Gate',
    '',
    gateTable(r),
    notes.length ? `\n${notes.map((n) => `- ${n}`).join('\n')}` : '',
    ...blockOf(gateDetails(r)),
    '',
    '## Metrics (test set)',
    '',
    metricsTable(r),
    '',
    '## Per class',
    '',
    perClassTable(r),
    ...blockOf(chart),
    '',
    '<details><summary>Confusion matrix (rows = true, columns = predicted)</summary>',
    '',
    confusionTable(r),
    '',
    '</details>',
    '',
    ...sweepSection(r.sweep),
    ...textSection(r),
    '## Training',
    '',
    `Best epoch ${r.best_epoch} of ${r.history.length}; ${r.data.train} train / ${r.data.validation} validation / ${r.data.test} test examples.`,
    retriedBatchNote(r),
    phaseTwoNote(r),
    '',
    curvesChart(r),
    '',
    ...gpuFallbackNote(r),
    `<sub>${trainedWith(r)} · seed ${r.fingerprint.seed} · test set ${r.fingerprint.test_set_sha256.slice(0, 12)} · base ${r.fingerprint.base_model_sha256.slice(0, 12)} · ${r.timing.total_s.toFixed(1)} s</sub>`,
    '',
  ].join('\n');
}

/** A blank line and the block, or nothing when the block is empty. */
export function blockOf(block: string): string[] {
  return block ? ['', block] : [];
}

/** "trained with webgpu on NVIDIA H100 (Vulkan)"; older reports only name the backend. */
export function trainedWith(r: Report): string {
  return `trained with ${r.fingerprint.device ?? `backend ${r.fingerprint.backend}`}`;
}

/** auto's warning when a GPU was left unused, where people see it: the job summary, report.md and the PR comment. */
export function gpuFallbackNote(r: Report): string[] {
  return r.fingerprint.gpu_fallback ? ['> [!WARNING]', `> GPU not used: ${r.fingerprint.gpu_fallback}`, ''] : [];
}

// How a report of a crashed run reads: no metrics exist, so it says what ended the training
// process, shows what that process last wrote to stderr and what to try next. A training that
// failed (diverged, out of memory, budget) reads the same way: its error and the epochs it reached.
import type { CrashInfo, Report } from '../domain/types.js';

/** "signal SIGABRT" or "exit code 70", for one-line messages. */
export function crashCause(c: Pick<CrashInfo, 'signal' | 'exit_code'>): string {
  return c.signal ? `signal ${c.signal}` : `exit code ${c.exit_code ?? 'unknown'} without a report`;
}

/** A run that ended without evaluating a model: a crash, or a training failure (exit 3). */
export function isTrainingFailure(r: Report): boolean {
  return r.status === 'crashed' || r.error !== undefined;
}

export function crashVerdictLine(r: Report): string {
  if (r.error && !r.crash)
    return `❌ **${r.verdict.toUpperCase()}** (${r.status.replaceAll('_', ' ')}): \`${r.name}\`: training failed; nothing was evaluated`;
  const c = r.crash;
  const how = c ? `${crashCause(c)} on backend ${c.backend}` : 'no details recorded';
  return `❌ **${r.verdict.toUpperCase()}** (crashed): \`${r.name}\`: the training process died (${how}); nothing was evaluated`;
}

/** The crash section of report.md, the job summary and the PR comment. */
export function crashSection(r: Report): string {
  const c = r.crash;
  if (!c) return r.error ? failureSection(r) : '';
  const tail = c.stderr_tail.length
    ? ['', 'Last lines of its stderr:', '', '```', ...c.stderr_tail.map((l) => l.replaceAll('```', "'''")), '```']
    : ['', '_It wrote nothing to stderr._'];
  return [
    '## Crash',
    '',
    `The training process ended with ${crashCause(c)} on backend \`${c.backend}\`.`,
    '',
    `Remedy: ${c.remedy}`,
    ...tail,
  ].join('\n');
}

export function renderCrashMarkdown(r: Report): string {
  return [
    `# finetune: ${r.name}`,
    '',
    crashVerdictLine(r),
    '',
    crashSection(r),
    '',
    `<sub>backend ${r.fingerprint.backend} · seed ${r.fingerprint.seed} · ${r.timing.total_s.toFixed(1)} s</sub>`,
    '',
  ].join('\n');
}

/** The error of a failed training and the epochs it finished, which show a loss running away. */
function failureSection(r: Report): string {
  const rows = r.history.map((h) => `| ${h.epoch} | ${num(h.loss)} | ${num(h.val_loss)} | ${num(h.val_f1_macro)} |`);
  const table = rows.length
    ? ['', `Epochs reached (${rows.length}):`, '', '| epoch | loss | val_loss | val_f1_macro |', '|---|---|---|---|', ...rows]
    : ['', '_No epoch finished._'];
  return ['## Training failed', '', (r.error?.message ?? '').replaceAll('\n', ' '), ...table].join('\n');
}

const num = (v: number | undefined): string => (v === undefined ? '–' : Number.isFinite(v) ? v.toFixed(4) : String(v));

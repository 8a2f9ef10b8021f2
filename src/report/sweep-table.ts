// Pure: the sweep's trials as a markdown table, best trial marked, for report.md and the job summary.
import type { SweepReport } from '../domain/types.js';

const fmt = (v: number | undefined): string => (v === undefined || Number.isNaN(v) ? '–' : v.toFixed(4));

export function sweepTable(s: SweepReport): string {
  const sharded = s.trials.some((t) => t.shard !== undefined);
  const head = `| trial | learning_rate | batch_size | ${s.metric} | best epoch | seconds |${sharded ? ' shard |' : ''}`;
  const sep = `|---|---|---|---|---|---|${sharded ? '---|' : ''}`;
  const rows = s.trials.map((t) => {
    const mark = t.index === s.best ? ' (best)' : '';
    return `| ${t.index}${mark} | ${t.learning_rate} | ${t.batch_size} | ${fmt(t[s.metric])} | ${t.best_epoch} | ${t.seconds.toFixed(1)} |${sharded ? ` ${t.shard ?? '–'} |` : ''}`;
  });
  return [head, sep, ...rows].join('\n');
}

/** The lines of report.md's sweep section; none without a sweep. */
export function sweepSection(s: SweepReport | undefined): string[] {
  if (!s) return [];
  const direction = s.mode === 'max' ? 'highest' : 'lowest';
  return [
    '## Hyperparameter sweep',
    '',
    `${s.trials.length} trials (${s.method}), ranked on ${s.metric} (${direction} wins, validation set only); trial ${s.best} was trained and gated.`,
    '',
    sweepTable(s),
    '',
  ];
}

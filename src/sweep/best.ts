// Pure: which trial wins. Ties go to the lower index, so the choice never depends on the order
// in which shards finished or files were read.
import type { SweepTrialRow } from '../domain/types.js';

export function bestTrial(rows: SweepTrialRow[], metric: string, mode: 'max' | 'min'): SweepTrialRow {
  if (rows.length === 0) throw new Error('bestTrial: no trials');
  // A trial whose metric is not a number (a diverged head) ranks below every real value.
  const score = (r: SweepTrialRow) => {
    const v = r[metric];
    if (typeof v !== 'number' || Number.isNaN(v)) return -Infinity;
    return mode === 'max' ? v : -v;
  };
  return rows.reduce((best, r) => {
    const [a, b] = [score(r), score(best)];
    return a > b || (a === b && r.index < best.index) ? r : best;
  });
}

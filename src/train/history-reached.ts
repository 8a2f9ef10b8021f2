// The epochs a training finished before it failed travel with the error, so the report written on
// the way out (pipeline/training-failure.ts) shows how far it got: a diverging loss reads off them.
import type { EpochRecord } from '../domain/types.js';

const reached = new WeakMap<object, EpochRecord[]>();

/** Records the epochs finished before `err`; the innermost phase to record keeps its rows. */
export function recordHistoryReached(err: unknown, history: EpochRecord[]): void {
  if (typeof err === 'object' && err !== null && !reached.has(err)) reached.set(err, [...history]);
}

/** The epochs recorded on `err` or on an error in its `cause` chain (wrappers add context, not epochs). */
export function historyReached(err: unknown): EpochRecord[] {
  for (let e: unknown = err, depth = 0; typeof e === 'object' && e !== null && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    const rows = reached.get(e);
    if (rows) return rows;
  }
  return [];
}

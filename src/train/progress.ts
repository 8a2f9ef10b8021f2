// One progress line per epoch: loss, validation metrics, the rate, seconds and an ETA.
import type { EpochRecord } from '../domain/types.js';
import type { Logger } from '../util/log.js';

/** `firstEpoch`: where the current phase began; `elapsed` is that phase's time, so the ETA uses its pace. */
export function epochLine(r: EpochRecord, epochs: number, secs: number, elapsed: number, improved: boolean, firstEpoch = 1): string {
  // An upper bound: early stopping may end sooner.
  const eta = (elapsed / (r.epoch - firstEpoch + 1)) * (epochs - r.epoch);
  const val = Number.isFinite(r.val_loss)
    ? ` val_loss ${r.val_loss.toFixed(4)} val_accuracy ${r.val_accuracy?.toFixed(4)} val_f1_macro ${r.val_f1_macro?.toFixed(4)}`
    : '';
  const lr = r.lr === undefined ? '' : ` lr ${r.lr.toPrecision(3)}`;
  return `epoch ${r.epoch}/${epochs}: loss ${r.loss.toFixed(4)}${val}${lr} (${secs.toFixed(1)} s, ETA ${eta.toFixed(0)} s)${improved ? ' *' : ''}`;
}

export function logEpoch(
  log: Logger,
  r: EpochRecord,
  epochs: number,
  secs: number,
  elapsed: number,
  improved: boolean,
  firstEpoch = 1,
): void {
  log.progress(epochLine(r, epochs, secs, elapsed, improved, firstEpoch));
}

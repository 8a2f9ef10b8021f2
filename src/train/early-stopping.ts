// Pure early-stopping bookkeeping with Keras's vocabulary: monitor, mode, patience, min_delta.

export interface EarlyStoppingConfig {
  monitor: string;
  mode: 'max' | 'min' | 'auto';
  patience: number;
  min_delta: number;
}

export interface EarlyStoppingState {
  best: number;
  bestEpoch: number;
  wait: number;
}

export function resolveMode(cfg: EarlyStoppingConfig): 'max' | 'min' {
  return cfg.mode !== 'auto' ? cfg.mode : autoMode(cfg.monitor);
}

/** Losses fall, every other metric rises. */
export const autoMode = (monitor: string): 'max' | 'min' => (monitor.endsWith('loss') ? 'min' : 'max');

export function initialState(mode: 'max' | 'min'): EarlyStoppingState {
  return { best: mode === 'max' ? -Infinity : Infinity, bestEpoch: 0, wait: 0 };
}

/** Updates the state after an epoch; `improved` means this epoch's weights are the new best. */
export function observe(
  state: EarlyStoppingState,
  value: number,
  epoch: number,
  cfg: EarlyStoppingConfig,
  mode: 'max' | 'min',
): { state: EarlyStoppingState; improved: boolean; stop: boolean } {
  const better = mode === 'max' ? value > state.best + cfg.min_delta : value < state.best - cfg.min_delta;
  // The first epoch always becomes the best, whatever min_delta says.
  if (better || state.bestEpoch === 0) return { state: { best: value, bestEpoch: epoch, wait: 0 }, improved: true, stop: false };
  const wait = state.wait + 1;
  return { state: { ...state, wait }, improved: false, stop: wait >= cfg.patience };
}

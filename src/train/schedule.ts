// Learning-rate schedules as pure functions of where training is. The rate is a plain number
// handed to our own optimizer each step, so nothing is rebuilt when it changes.
import type { ScheduleSettings } from './settings.js';

export interface ScheduleClock {
  /** 0-based epoch. */
  epoch: number;
  /** 0-based step within the epoch. */
  step: number;
  stepsPerEpoch: number;
  /** Planned epochs (early stopping may end sooner). */
  epochs: number;
}

/** The rate for one step. `plateauScale` is the product of plateau reductions so far (1 for the others). */
export function learningRateAt(base: number, s: ScheduleSettings, clock: ScheduleClock, plateauScale = 1): number {
  const global = clock.epoch * clock.stepsPerEpoch + clock.step;
  const warmupSteps = Math.round(s.warmup_epochs * clock.stepsPerEpoch);
  const warm = global < warmupSteps ? (global + 1) / warmupSteps : 1;
  return warm * scheduledRate(base, s, clock, global, warmupSteps, plateauScale);
}

function scheduledRate(
  base: number,
  s: ScheduleSettings,
  clock: ScheduleClock,
  global: number,
  warmupSteps: number,
  plateauScale: number,
): number {
  switch (s.type) {
    case 'constant':
      return base;
    case 'step':
      return base * s.gamma ** Math.floor(clock.epoch / s.step_size);
    case 'exponential':
      return base * s.gamma ** clock.epoch;
    case 'cosine': {
      // Cosine starts after the warmup and reaches min_lr one step past the last.
      const span = Math.max(1, clock.epochs * clock.stepsPerEpoch - warmupSteps);
      const progress = Math.min(1, Math.max(0, global - warmupSteps) / span);
      return s.min_lr + (base - s.min_lr) * 0.5 * (1 + Math.cos(Math.PI * progress));
    }
    case 'plateau':
      return Math.max(s.min_lr, base * plateauScale);
  }
}

export interface PlateauState {
  best: number;
  wait: number;
  /** Product of the reductions so far. */
  scale: number;
}

export const initialPlateau = (mode: 'max' | 'min'): PlateauState => ({ best: mode === 'max' ? -Infinity : Infinity, wait: 0, scale: 1 });

/** Keras ReduceLROnPlateau after an epoch: `patience` epochs without improvement multiply the rate by `factor`. */
export function observePlateau(state: PlateauState, value: number, mode: 'max' | 'min', s: ScheduleSettings): PlateauState {
  const better = mode === 'max' ? value > state.best : value < state.best;
  if (better) return { ...state, best: value, wait: 0 };
  const wait = state.wait + 1;
  if (wait < s.patience) return { ...state, wait };
  return { ...state, wait: 0, scale: state.scale * s.factor };
}

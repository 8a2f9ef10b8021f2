// Early stopping and reduce-on-plateau, fed one epoch record at a time; their state can be taken
// out and put back, for checkpoints.
import type { EpochRecord } from '../domain/types.js';
import { autoMode, initialState, observe, resolveMode, type EarlyStoppingState } from './early-stopping.js';
import { initialPlateau, observePlateau, type PlateauState } from './schedule.js';
import type { TrainSettings } from './settings.js';

export interface WatcherState {
  earlyStopping: EarlyStoppingState;
  plateau: PlateauState;
}

export type Watchers = ReturnType<typeof watchers>;

export function watchers(s: TrainSettings, hasValidation: boolean) {
  const es = s.early_stopping === false ? undefined : s.early_stopping;
  const mode = es ? resolveMode(es) : 'max';
  let state: EarlyStoppingState = initialState(mode);
  // Without validation data the plateau schedule watches the training loss.
  const plateauOn = s.schedule.type === 'plateau';
  const plateauKey = hasValidation ? s.schedule.monitor : 'loss';
  let plateau = initialPlateau(autoMode(plateauKey));
  return {
    observe(record: EpochRecord): { improved: boolean; stop: boolean } {
      if (plateauOn) plateau = observePlateau(plateau, monitored(record, plateauKey), autoMode(plateauKey), s.schedule);
      if (!es) {
        state = { ...state, bestEpoch: record.epoch };
        return { improved: true, stop: false };
      }
      const step = observe(state, monitored(record, es.monitor), record.epoch, es, mode);
      state = step.state;
      return step;
    },
    plateauScale: () => plateau.scale,
    bestEpoch: () => state.bestEpoch,
    state: (): WatcherState => ({ earlyStopping: { ...state }, plateau: { ...plateau } }),
    restore(saved: WatcherState): void {
      state = { ...saved.earlyStopping };
      plateau = { ...saved.plateau };
    },
  };
}

// Monitors were checked against what an epoch record holds when the settings were resolved.
const monitored = (record: EpochRecord, key: string): number => record[key] ?? NaN;

// The moment training starts, as a process event that anything loaded into the process may listen
// to. Production listens to nothing; the crash tests preload a listener (node --import, through
// NODE_OPTIONS: test/helpers/crash-at-training-start.mjs) that makes the process die there the
// way native code does, so the crash handling of the Action and the CLI is tested end to end.
export const TRAINING_START_EVENT = 'finetune:training-start';

export function trainingStarts(): void {
  (process as NodeJS.EventEmitter).emit(TRAINING_START_EVENT);
}

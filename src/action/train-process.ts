// Starts the Action's training process (pipeline/training-process.ts: the running bundle again,
// its inputs in its environment) and waits for it. What comes back is its result, its error, or
// how it died when it sent neither.
import type { RunResult } from '../pipeline/run.js';
import { startTrainingProcess } from '../pipeline/training-process.js';
import type { ChildEnd } from '../util/child-watch.js';
import type { Logger } from '../util/log.js';
import type { ActionInputs } from './io.js';
import { TRAIN_CHILD_ENV, encodeInputs, fromWireError, type ChildMessage } from './train-protocol.js';

export type ChildOutcome =
  { kind: 'result'; result: RunResult } | { kind: 'error'; error: Error } | ({ kind: 'crashed'; backend?: string } & ChildEnd);

export interface TrainProcessOptions {
  script: string;
  inputs: ActionInputs;
  log: Logger;
  env?: NodeJS.ProcessEnv;
}

export async function trainInChildProcess(opts: TrainProcessOptions): Promise<ChildOutcome> {
  const {
    reply: answer,
    backend,
    ...end
  } = await startTrainingProcess<Exclude<ChildMessage, { type: 'backend' }>>({
    script: opts.script,
    argv: [],
    marker: { name: TRAIN_CHILD_ENV, value: encodeInputs(opts.inputs) },
    env: opts.env,
    serialization: 'advanced',
  });
  if (answer?.type === 'result') {
    if (end.signal) opts.log.warn(`the training process ended with ${end.signal} after sending its result; the result stands`);
    return { kind: 'result', result: answer.result };
  }
  if (answer?.type === 'error') return { kind: 'error', error: fromWireError(answer.error) };
  return { kind: 'crashed', ...end, backend };
}

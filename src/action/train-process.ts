// Starts the Action's training process (the running bundle again, marked by its environment) and
// waits for it (util/child-watch.ts). What comes back is its result, its error, or how it died
// when it sent neither.
import { fork } from 'node:child_process';
import type { RunResult } from '../pipeline/run.js';
import { watchChild, type ChildEnd } from '../util/child-watch.js';
import type { Logger } from '../util/log.js';
import type { ActionInputs } from './io.js';
import { TRAIN_CHILD_ENV, encodeInputs, fromWireError, type ChildMessage } from './train-protocol.js';

export type ChildOutcome =
  | { kind: 'result'; result: RunResult }
  | { kind: 'error'; error: Error }
  | ({ kind: 'crashed'; backend?: string } & ChildEnd);

export interface TrainProcessOptions {
  script: string;
  inputs: ActionInputs;
  log: Logger;
  env?: NodeJS.ProcessEnv;
}

export async function trainInChildProcess(opts: TrainProcessOptions): Promise<ChildOutcome> {
  const child = fork(opts.script, [], {
    env: { ...(opts.env ?? process.env), [TRAIN_CHILD_ENV]: encodeInputs(opts.inputs) },
    stdio: ['inherit', 'inherit', 'pipe', 'ipc'],
    // Structured clone keeps what JSON would lose in a report (NaN in a gate check).
    serialization: 'advanced',
    // Its own process group: a terminal's Ctrl-C reaches it once, through watchChild's forwarding,
    // not twice (a second signal means "exit now" to it).
    detached: process.platform !== 'win32',
  });
  let backend: string | undefined;
  let reply: Exclude<ChildMessage, { type: 'backend' }> | undefined;
  child.on('message', (m: ChildMessage) => {
    if (m.type === 'backend') backend = m.name;
    else reply = m;
  });
  const end = await watchChild(child);
  const answer = reply;
  if (answer?.type === 'result') {
    if (end.signal) opts.log.warn(`the training process ended with ${end.signal} after sending its result; the result stands`);
    return { kind: 'result', result: answer.result };
  }
  if (answer?.type === 'error') return { kind: 'error', error: fromWireError(answer.error) };
  return { kind: 'crashed', ...end, backend };
}

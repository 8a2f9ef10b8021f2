// Starts the training process (the running bundle again, marked by its environment) and waits for
// it. Its stderr is passed through and its last lines kept; cancels are passed on to it. What comes
// back is its result, its error, or how it died when it sent neither.
import { fork } from 'node:child_process';
import type { RunResult } from '../pipeline/run.js';
import { LineTail } from '../util/line-tail.js';
import type { Logger } from '../util/log.js';
import type { ActionInputs } from './io.js';
import { TRAIN_CHILD_ENV, encodeInputs, fromWireError, type ChildMessage } from './train-protocol.js';

const STDERR_LINES = 30;

export type ChildOutcome =
  | { kind: 'result'; result: RunResult }
  | { kind: 'error'; error: Error }
  | { kind: 'crashed'; signal: NodeJS.Signals | null; code: number | null; stderrTail: string[]; backend?: string; cancelledBy?: NodeJS.Signals };

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
    // Its own process group: a terminal's Ctrl-C reaches it once, through the forwarding below,
    // not twice (a second signal means "exit now" to it).
    detached: process.platform !== 'win32',
  });
  const tail = new LineTail(STDERR_LINES);
  child.stderr?.on('data', (chunk: Buffer) => {
    process.stderr.write(chunk);
    tail.push(chunk.toString());
  });
  let backend: string | undefined;
  let reply: Exclude<ChildMessage, { type: 'backend' }> | undefined;
  child.on('message', (m: ChildMessage) => {
    if (m.type === 'backend') backend = m.name;
    else reply = m;
  });
  let cancelledBy: NodeJS.Signals | undefined;
  const forward = (sig: NodeJS.Signals) => {
    cancelledBy = sig;
    child.kill(sig);
  };
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  try {
    const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (c, s) => resolve({ code: c, signal: s }));
    });
    const answer = reply;
    if (answer?.type === 'result') {
      if (signal) opts.log.warn(`the training process ended with ${signal} after sending its result; the result stands`);
      return { kind: 'result', result: answer.result };
    }
    if (answer?.type === 'error') return { kind: 'error', error: fromWireError(answer.error) };
    return { kind: 'crashed', signal, code, stderrTail: tail.lines(), backend, cancelledBy };
  } finally {
    process.off('SIGINT', forward);
    process.off('SIGTERM', forward);
  }
}

// The training process: the bundle started again by the Action's step with its inputs in the
// environment. It runs the pipeline (which writes report.json as always) and sends the result or
// the error back; if native code kills it first, the step still has what it needs to report that.
import { onBackendSelected } from '../backend/select.js';
import { trainInProcess } from './train-in-process.js';
import { TRAIN_CHILD_ENV, decodeInputs, toWireError, type ChildMessage } from './train-protocol.js';

export function isTrainingChild(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env[TRAIN_CHILD_ENV]) && typeof process.send === 'function';
}

export async function serveTraining(): Promise<void> {
  const inputs = decodeInputs(process.env[TRAIN_CHILD_ENV] as string);
  // Nothing this process starts is a training process.
  delete process.env[TRAIN_CHILD_ENV];
  // Only informative: the parent names this backend if the process dies later.
  const stopListening = onBackendSelected((info) => send({ type: 'backend', name: info.name }).catch(() => {}));
  let message: ChildMessage;
  try {
    message = { type: 'result', result: await trainInProcess(inputs) };
  } catch (err) {
    message = { type: 'error', error: toWireError(err) };
  }
  stopListening();
  await send(message);
  process.disconnect();
  // Should a native library keep the event loop alive, the work is done and sent: leave anyway.
  setTimeout(() => process.exit(0), 10_000).unref();
}

function send(message: ChildMessage): Promise<void> {
  return new Promise((resolve, reject) => {
    (process.send as NonNullable<typeof process.send>)(message, undefined, {}, (err) => (err ? reject(err) : resolve()));
  });
}

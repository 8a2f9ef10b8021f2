// The Action's training process: the bundle started again by the Action's step with its inputs in
// the environment (pipeline/training-process.ts). It runs the pipeline (which writes report.json
// as always) and sends the result or the error back; if native code kills it first, the step
// still has what it needs to report that.
import { isTrainingProcess, sendToParent, serveTrainingProcess } from '../pipeline/training-process.js';
import { trainInProcess } from './train-in-process.js';
import { registerRunnerToolCache } from '../github/tool-cache.js';
import { TRAIN_CHILD_ENV, decodeInputs, toWireError, type ChildMessage } from './train-protocol.js';

export function isTrainingChild(env: NodeJS.ProcessEnv = process.env): boolean {
  return isTrainingProcess(TRAIN_CHILD_ENV, env);
}

export async function serveTraining(): Promise<void> {
  registerRunnerToolCache();
  const inputs = decodeInputs(process.env[TRAIN_CHILD_ENV] as string);
  await serveTrainingProcess(TRAIN_CHILD_ENV, async () => {
    let message: ChildMessage;
    try {
      message = { type: 'result', result: await trainInProcess(inputs) };
    } catch (err) {
      message = { type: 'error', error: toWireError(err) };
    }
    await sendToParent(message);
  });
}

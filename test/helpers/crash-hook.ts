// The environment that makes a process (and the training process it starts) die when training
// starts: the hook is preloaded with node --import; the production code only announces the moment
// (src/pipeline/training-start.ts).
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { TRAINING_START_EVENT } from '../../src/pipeline/training-start.js';

const HOOK_FILE = path.resolve('test/helpers/crash-at-training-start.mjs');
const HOOK = pathToFileURL(HOOK_FILE).href;

/** `env` with the crash hook preloaded where it asks for a crash (FINETUNE_TEST_CRASH). */
export function withCrashHook(env: Record<string, string | undefined>): Record<string, string | undefined> {
  if (!env.FINETUNE_TEST_CRASH) return env;
  // The hook is plain JavaScript (preloaded as is): it must listen to the event the pipeline emits.
  if (!fs.readFileSync(HOOK_FILE, 'utf8').includes(`'${TRAINING_START_EVENT}'`))
    throw new Error(`${HOOK_FILE} does not listen to ${TRAINING_START_EVENT}`);
  return { ...env, NODE_OPTIONS: `${env.NODE_OPTIONS ?? ''} --import ${HOOK}`.trim() };
}

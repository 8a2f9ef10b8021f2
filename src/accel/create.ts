// Makes the Accel that backend selection hands out: on unless FINETUNE_ACCEL=off, and only on the
// TF.js version whose internals accel/tfjs-internals.ts reads.
import { tf } from '../backend/tf.js';
import { BackendError } from '../backend/types.js';
import type { Logger } from '../util/log.js';
import { foldedDepthwise } from './fold/folded-depthwise.js';
import { foldedPointwise } from './fold/folded-pointwise.js';
import { onHostMemoryBackend } from './host/host-memory.js';
import { hostHeadSteps } from './host/step.js';
import { createVariableOptimizer, runsOnKernels } from './host/variable-optimizer.js';
import { NO_ACCEL, type Accel } from './index.js';
import { INTERNALS_TFJS_VERSION, internalsMatch } from './tfjs-internals.js';
import { registerAccelKernels, restoreStockKernels } from './wasm/register.js';

export const ACCEL_ENV = 'FINETUNE_ACCEL';

/** FINETUNE_ACCEL: unset, empty or "on" turns acceleration on, "off" turns it off; anything else is an error (exit 2). */
export function accelRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = (env[ACCEL_ENV] ?? '').trim().toLowerCase();
  if (v === '' || v === 'on') return true;
  if (v === 'off') return false;
  throw new BackendError(`${ACCEL_ENV}: expected "on" or "off", got "${env[ACCEL_ENV]}"`);
}

const ON: Accel = {
  enabled: true,
  registerKernels: (tfBackend) => {
    if (tfBackend === 'wasm') registerAccelKernels();
  },
  headSteps: (head, s) => (onHostMemoryBackend() ? hostHeadSteps(head, s) : undefined),
  variableOptimizer: (cfg, vars) => (onHostMemoryBackend() && runsOnKernels(cfg) ? createVariableOptimizer(cfg, vars) : undefined),
  folded: { pointwise: foldedPointwise, depthwise: foldedDepthwise },
};

/** Off after on in the same process: wasm's own kernels go back in. */
const OFF: Accel = { ...NO_ACCEL, registerKernels: () => restoreStockKernels() };

let told = false;

/** The Accel for this process: ON, or OFF with one info line saying why. */
export function createAccel(log: Logger, env: NodeJS.ProcessEnv = process.env, tfjsVersion: string = tf.version_core): Accel {
  const tell = (line: string): Accel => {
    if (!told) log.info(line);
    told = true;
    return OFF;
  };
  if (!accelRequested(env)) return tell(`acceleration: off (${ACCEL_ENV}=off); plain TF.js ops`);
  if (!internalsMatch(tfjsVersion)) {
    return tell(`acceleration: off (written for TF.js ${INTERNALS_TFJS_VERSION}, found ${tfjsVersion}); plain TF.js ops`);
  }
  told = false;
  return ON;
}

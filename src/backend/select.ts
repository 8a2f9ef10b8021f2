// Chooses and initialises the TensorFlow.js backend. All environment branching lives here.
import path from 'node:path';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { tf, cpuBackendClass } from './tf.js';
import { findWasmDir } from './wasm-paths.js';
import { registerWasmGradients } from './wasm-gradients.js';
import { createAccel } from '../accel/create.js';
import { activeAccel, useAccel } from '../accel/index.js';
import {
  BACKEND_CHOICES,
  BackendError,
  GpuPathError,
  NotInstalledError,
  firstLine,
  trainedOn,
  tfVersions,
  type BackendChoice,
  type BackendInfo,
} from './types.js';
import { initNative } from './native.js';
import { initWebGpu } from './webgpu.js';
import { CUDA_REMEDY, GPU_DOCS, VULKAN_REMEDY, gpuOutcome, planAuto, type GpuFacts } from './auto-plan.js';
import { probeGpu } from './gpu-probe.js';
import { cpuName } from './devices.js';
import { requestedWorkers } from '../features/worker-plan.js';
import type { Logger } from '../util/log.js';

export { BACKEND_CHOICES, BackendError, trainedOn, type BackendChoice, type BackendInfo };

export function parseBackendChoice(value: string | undefined): BackendChoice {
  const v = (value ?? '').trim() || 'auto';
  if ((BACKEND_CHOICES as readonly string[]).includes(v)) return v as BackendChoice;
  throw new BackendError(`backend: expected one of ${BACKEND_CHOICES.join(', ')}, got "${v}"`);
}

const selectedListeners = new Set<(info: BackendInfo) => void>();

/** Calls `listener` with every backend selected from now on (the Action's training process tells its parent). */
export function onBackendSelected(listener: (info: BackendInfo) => void): () => void {
  selectedListeners.add(listener);
  return () => selectedListeners.delete(listener);
}

export interface SelectOptions {
  /** require-gpu: a run that would train on the CPU stops with exit 2 instead (SPEC.md section 6). */
  requireGpu?: boolean;
  /**
   * What auto decides on; probed on this machine unless given. Tests give the facts of an NVIDIA
   * machine here, where there is none to probe.
   */
  facts?: GpuFacts;
}

export async function selectBackend(
  choice: BackendChoice,
  log: Logger,
  workspace = process.cwd(),
  opts: SelectOptions = {},
): Promise<BackendInfo> {
  const requireGpu = opts.requireGpu ?? false;
  // The speed machinery (src/accel/), or none where FINETUNE_ACCEL=off: handed to train/ and model/.
  const accel = createAccel(log);
  useAccel(accel);
  const info = await initBackend(choice, log, workspace, { requireGpu, facts: opts.facts });
  if (requireGpu && !info.onGpu) {
    throw new BackendError(
      `require-gpu: backend ${choice} trains on ${info.hardware}, not on a GPU; use backend auto, tensorflow-gpu or webgpu on a GPU runner (see ${GPU_DOCS})`,
    );
  }
  // Silences tfjs's "use tfjs-node" banner and debug warnings.
  tf.env().set('PROD', true);
  log.info(`backend: ${info.name} (${info.device})`);
  for (const listener of selectedListeners) listener(info);
  return info;
}

async function initBackend(
  choice: BackendChoice,
  log: Logger,
  workspace: string,
  auto: { requireGpu: boolean; facts?: GpuFacts },
): Promise<BackendInfo> {
  switch (choice) {
    case 'wasm':
      return initWasm(choice);
    case 'cpu':
      return initCpu(choice);
    case 'tensorflow':
    case 'tensorflow-gpu':
      return initNative(choice, choice, workspace, { log, install: true });
    case 'webgpu':
      return initWebGpu(choice, workspace);
    case 'auto':
      return initAuto(log, workspace, auto.requireGpu, auto.facts);
  }
}

/**
 * auto: probe first (no download, Dawn loaded only where a GPU is seen), try the GPU paths that can
 * work, and only then settle for the CPU: with one warning when an NVIDIA GPU is left unused, or
 * exit 2 under require-gpu. What decides is the pure planAuto / gpuOutcome in auto-plan.ts.
 */
async function initAuto(log: Logger, workspace: string, requireGpu: boolean, given?: GpuFacts): Promise<BackendInfo> {
  const facts = given ?? (await probeGpu({ workspace, vulkan: 'when-gpu' })).facts;
  const plan = planAuto(facts);
  const blocked = { ...plan.blocked };
  if (facts.nvidia !== undefined || facts.otherGpu) {
    for (const [name, b] of Object.entries(plan.blocked)) log.info(`backend auto: ${name} not used (${b.reason})`);
  }
  for (const name of plan.gpu) {
    try {
      if (name === 'webgpu') return await initWebGpu('auto', workspace, { hardwareOnly: true });
      // Only reached where CUDA 11 and cuDNN 8 were found: the download is worth it.
      return await initNative('auto', name, workspace, { log, install: true });
    } catch (err) {
      // A package that is not installed is the usual case, not news; one that is there and failed is.
      if (!(err instanceof NotInstalledError)) logOnce(log, `backend auto: ${name} not used (${firstLine(err)})`);
      blocked[name] =
        err instanceof GpuPathError
          ? { reason: err.reason, remedy: err.remedy }
          : { reason: firstLine(err), remedy: name === 'webgpu' ? VULKAN_REMEDY : CUDA_REMEDY };
    }
  }
  const outcome = gpuOutcome(facts, blocked, requireGpu);
  if (outcome.action === 'fail') throw new BackendError(outcome.message);
  if (outcome.action === 'warn') log.warn(outcome.message);
  const info = await initAutoCpu(plan.cpu, log, workspace);
  return outcome.action === 'warn' ? { ...info, gpuFallback: outcome.message } : info;
}

/** libtensorflow on the CPU where it is already at hand (never downloaded for the CPU alone), else wasm. */
async function initAutoCpu(cpu: 'tensorflow' | 'wasm', log: Logger, workspace: string): Promise<BackendInfo> {
  if (cpu === 'tensorflow') {
    try {
      return await initNative('auto', 'tensorflow', workspace, { log, install: false });
    } catch (err) {
      if (!(err instanceof NotInstalledError)) logOnce(log, `backend auto: tensorflow not used (${firstLine(err)})`);
    }
  }
  return initWasm('auto');
}

const logged = new Set<string>();

/** Backend notes are said once per process, however many times a backend is selected. */
function logOnce(log: Logger, message: string): void {
  if (logged.has(message)) return;
  logged.add(message);
  log.info(message);
}

async function initWasm(requested: BackendChoice): Promise<BackendInfo> {
  const dir = findWasmDir();
  // The bundled wasm loader refers to a bare __dirname, which ESM does not define.
  (globalThis as Record<string, unknown>).__dirname ??= dir;
  setWasmPaths(dir.endsWith(path.sep) ? dir : dir + path.sep);
  // Stock wasm lacks the conv gradient kernels that backbone fine-tuning needs.
  registerWasmGradients();
  activeAccel().registerKernels('wasm');
  if (!(await tf.setBackend('wasm'))) throw new BackendError('the wasm backend failed to initialise');
  await tf.ready();
  // TF.js's wasm runs one thread; our training products and feature workers use more.
  const threads = requestedWorkers();
  const device = `cpu (WebAssembly SIMD; ${threads} thread${threads === 1 ? '' : 's'} for features and training products)`;
  return { requested, name: 'wasm', tfBackend: 'wasm', device, versions: tfVersions(), hardware: `CPU (${cpuName()})`, onGpu: false };
}

async function initCpu(requested: BackendChoice): Promise<BackendInfo> {
  void cpuBackendClass;
  if (!(await tf.setBackend('cpu'))) throw new BackendError('the cpu backend failed to initialise');
  return {
    requested,
    name: 'cpu',
    tfBackend: 'cpu',
    device: 'cpu (JavaScript)',
    versions: tfVersions(),
    hardware: `CPU (${cpuName()})`,
    onGpu: false,
  };
}

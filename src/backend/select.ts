// Chooses and initialises the TensorFlow.js backend. All environment branching lives here.
import fs from 'node:fs';
import path from 'node:path';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { tf, cpuBackendClass } from './tf.js';
import { findWasmDir } from './wasm-paths.js';
import { registerWasmGradients } from './wasm-gradients.js';
import { createAccel } from '../accel/create.js';
import { activeAccel, useAccel } from '../accel/index.js';
import { BACKEND_CHOICES, BackendError, firstLine, tfVersions, type BackendChoice, type BackendInfo } from './types.js';
import { hasNvidiaGpu, initNative } from './native.js';
import { initWebGpu } from './webgpu.js';
import { resolveOptional } from './resolve.js';
import { requestedWorkers } from '../features/worker-plan.js';
import type { Logger } from '../util/log.js';

export { BACKEND_CHOICES, BackendError, type BackendChoice, type BackendInfo };

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

export async function selectBackend(choice: BackendChoice, log: Logger, workspace = process.cwd()): Promise<BackendInfo> {
  // The speed machinery (src/accel/), or none where FINETUNE_ACCEL=off: handed to train/ and model/.
  const accel = createAccel(log);
  useAccel(accel);
  const info = await initBackend(choice, log, workspace);
  // Silences tfjs's "use tfjs-node" banner and debug warnings.
  tf.env().set('PROD', true);
  log.info(`backend: ${info.name} (${info.device})`);
  for (const listener of selectedListeners) listener(info);
  return info;
}

async function initBackend(choice: BackendChoice, log: Logger, workspace: string): Promise<BackendInfo> {
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
      return initAuto(log, workspace);
  }
}

export type AutoCandidate = 'tensorflow-gpu' | 'webgpu' | 'tensorflow';

/**
 * Whether auto may download a native package it lacks (in Actions): only for CUDA, where an
 * NVIDIA GPU is present and worth the ~100 MB. On the CPU, wasm is already there, so auto uses
 * tfjs-node only when the workspace or the tool cache has it.
 */
export function autoInstalls(candidate: AutoCandidate): boolean {
  return candidate === 'tensorflow-gpu';
}

/**
 * What `auto` tries, in order, before wasm: a real GPU first (CUDA, then Vulkan), then libtensorflow
 * on the CPU. Dawn is only loaded where a GPU may exist: elsewhere it costs time for nothing.
 */
export function autoCandidates(machine: { nvidia: boolean; gpuDevice: boolean; dawnInstalled: boolean }): AutoCandidate[] {
  const order: AutoCandidate[] = [];
  if (machine.nvidia) order.push('tensorflow-gpu');
  if (machine.gpuDevice && machine.dawnInstalled) order.push('webgpu');
  return [...order, 'tensorflow'];
}

async function initAuto(log: Logger, workspace: string): Promise<BackendInfo> {
  const machine = { nvidia: hasNvidiaGpu(), gpuDevice: hasGpuDevice(), dawnInstalled: resolveOptional('webgpu', workspace) !== undefined };
  for (const name of autoCandidates(machine)) {
    try {
      if (name === 'webgpu') return await initWebGpu('auto', workspace, { hardwareOnly: true });
      return await initNative('auto', name, workspace, { log, install: autoInstalls(name) });
    } catch (err) {
      log.info(`backend auto: ${name} not used (${firstLine(err)})`);
    }
  }
  return initWasm('auto');
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
  return { requested, name: 'wasm', tfBackend: 'wasm', device, versions: tfVersions() };
}

async function initCpu(requested: BackendChoice): Promise<BackendInfo> {
  void cpuBackendClass;
  if (!(await tf.setBackend('cpu'))) throw new BackendError('the cpu backend failed to initialise');
  return { requested, name: 'cpu', tfBackend: 'cpu', device: 'cpu (JavaScript)', versions: tfVersions() };
}

/** An NVIDIA device, a Linux render node (AMD, Intel) or a desktop OS whose GPU Dawn reaches directly. */
function hasGpuDevice(): boolean {
  if (hasNvidiaGpu() || process.platform === 'darwin' || process.platform === 'win32') return true;
  try {
    return fs.readdirSync('/dev/dri').some((f) => f.startsWith('renderD'));
  } catch {
    return false;
  }
}

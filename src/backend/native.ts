// tfjs-node / tfjs-node-gpu: libtensorflow through a native binding, from the workspace or the tool cache.
// They register their kernels in tfjs's global engine, which the bundled copy of tfjs shares.
import fs from 'node:fs';
import os from 'node:os';
import { createRequire } from 'node:module';
import { tf } from './tf.js';
import { BackendError, GpuPathError, tfVersions, type BackendChoice, type BackendInfo } from './types.js';
import { packageVersion, requireFile } from './resolve.js';
import { GPU_REMEDY, gpuPreflightProblem, readTfDeviceReport } from './gpu-preflight.js';
import { locateNative } from './native-locate.js';
import { cpuName, nvidiaGpu } from './devices.js';
import type { Logger } from '../util/log.js';

export type NativeName = 'tensorflow' | 'tensorflow-gpu';

export interface NativeOptions {
  log: Logger;
  /** In Actions, npm-install a package missing from the workspace and the tool cache (false: only use a cached copy). */
  install: boolean;
}

export async function initNative(requested: BackendChoice, name: NativeName, workspace: string, opts: NativeOptions): Promise<BackendInfo> {
  const pkg = name === 'tensorflow-gpu' ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node';
  // A tfjs-node-gpu that failed the GPU check in auto is still a working CPU backend.
  if (name === 'tensorflow' && tf.findBackendFactory('tensorflow')) return useLoadedNative(requested);
  const { entry, from } = await locateNative(pkg, workspace, opts);
  if (from !== 'workspace') opts.log.info(`${pkg}: loading from the ${from}, ${entry}`);
  polyfillUtilForTfjsNode();
  try {
    requireFile(entry);
  } catch (err) {
    throw new BackendError(`${pkg} failed to load: ${(err as Error).message}`);
  }
  if (!(await tf.setBackend('tensorflow'))) throw new BackendError(`${pkg} loaded but its backend failed to initialise`);
  if (name === 'tensorflow-gpu') assertOnGpu();
  const gpu = name === 'tensorflow-gpu' ? (nvidiaGpu() ?? 'NVIDIA GPU') : undefined;
  const device = gpu ? `gpu (CUDA, ${gpu})` : cpuDevice();
  const hardware = gpu ? `${gpu} (CUDA)` : `CPU (${cpuName()})`;
  return {
    requested,
    name,
    tfBackend: 'tensorflow',
    device,
    versions: { ...tfVersions(), [pkg]: packageVersion(entry, pkg) },
    hardware,
    onGpu: gpu !== undefined,
  };
}

async function useLoadedNative(requested: BackendChoice): Promise<BackendInfo> {
  if (!(await tf.setBackend('tensorflow'))) throw new BackendError('the tensorflow backend failed to initialise');
  return {
    requested,
    name: 'tensorflow',
    tfBackend: 'tensorflow',
    device: cpuDevice(),
    versions: tfVersions(),
    hardware: `CPU (${cpuName()})`,
    onGpu: false,
  };
}

/** Fails fast when tfjs-node-gpu silently fell back to the CPU. */
function assertOnGpu(): void {
  const report = readTfDeviceReport(tf.backend(), { nvidiaDevice: hasNvidiaGpu(), cudaVisibleDevices: process.env.CUDA_VISIBLE_DEVICES });
  const problem = gpuPreflightProblem(report);
  if (problem)
    throw new GpuPathError(`backend tensorflow-gpu would train on the CPU: ${problem}. To fix: ${GPU_REMEDY}`, problem, GPU_REMEDY);
}

function cpuDevice(): string {
  return `cpu (libtensorflow, ${os.cpus().length} threads)`;
}

/** tfjs-node 4.22 calls util.isNullOrUndefined & co, which Node 23+ removed. */
function polyfillUtilForTfjsNode(): void {
  const require = createRequire(import.meta.url);
  const util = require('node:util') as Record<string, unknown>;
  const shims: Record<string, (v: unknown) => boolean> = {
    isNullOrUndefined: (v) => v === null || v === undefined,
    isArray: Array.isArray,
    isString: (v) => typeof v === 'string',
    isNumber: (v) => typeof v === 'number',
    isBoolean: (v) => typeof v === 'boolean',
    isFunction: (v) => typeof v === 'function',
    isObject: (v) => v !== null && typeof v === 'object',
  };
  for (const [key, fn] of Object.entries(shims)) util[key] ??= fn;
}

export function hasNvidiaGpu(): boolean {
  return fs.existsSync('/dev/nvidia0') || fs.existsSync('/proc/driver/nvidia/version');
}

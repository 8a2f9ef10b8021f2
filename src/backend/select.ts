// Chooses and initialises the TensorFlow.js backend. All environment branching lives here.
import path from 'node:path';
import fs from 'node:fs';
import os from 'node:os';
import { createRequire } from 'node:module';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { tf, cpuBackendClass } from './tf.js';
import { findWasmDir } from './wasm-paths.js';
import { EXIT, FinetuneError } from '../errors.js';
import type { Logger } from '../util/log.js';

export const BACKEND_CHOICES = ['auto', 'tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

export interface BackendInfo {
  /** What the user asked for. */
  requested: BackendChoice;
  /** The backend that runs: tensorflow-gpu | tensorflow | wasm | cpu. */
  name: string;
  /** The tfjs backend name registered in the engine. */
  tfBackend: string;
  device: string;
  versions: Record<string, string>;
}

/** The backend could not be set up as asked (exit 2: nothing was trained). */
export class BackendError extends FinetuneError {
  constructor(message: string) {
    super(message, EXIT.BAD_INPUT);
  }
}

export function parseBackendChoice(value: string | undefined): BackendChoice {
  const v = (value ?? '').trim() || 'auto';
  if ((BACKEND_CHOICES as readonly string[]).includes(v)) return v as BackendChoice;
  throw new BackendError(`backend: expected one of ${BACKEND_CHOICES.join(', ')}, got "${v}"`);
}

export async function selectBackend(choice: BackendChoice, log: Logger, workspace = process.cwd()): Promise<BackendInfo> {
  const info = await initBackend(choice, log, workspace);
  // Silences tfjs's "use tfjs-node" banner and debug warnings.
  tf.env().set('PROD', true);
  log.info(`backend: ${info.name} (${info.device})`);
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
      return initNative(choice, choice, workspace);
    case 'webgpu':
      throw new BackendError('backend "webgpu" is not available in this version; use tensorflow-gpu, tensorflow, wasm or cpu');
    case 'auto':
      return initAuto(log, workspace);
  }
}

async function initAuto(log: Logger, workspace: string): Promise<BackendInfo> {
  const order: Array<'tensorflow-gpu' | 'tensorflow'> = hasNvidiaGpu() ? ['tensorflow-gpu', 'tensorflow'] : ['tensorflow'];
  for (const name of order) {
    try {
      return await initNative('auto', name, workspace);
    } catch (err) {
      log.info(`backend auto: ${name} not used (${(err as Error).message.split('\n')[0]})`);
    }
  }
  return initWasm('auto');
}

async function initWasm(requested: BackendChoice): Promise<BackendInfo> {
  const dir = findWasmDir();
  // The bundled wasm loader refers to a bare __dirname, which ESM does not define.
  (globalThis as Record<string, unknown>).__dirname ??= dir;
  setWasmPaths(dir.endsWith(path.sep) ? dir : dir + path.sep);
  if (!(await tf.setBackend('wasm'))) throw new BackendError('the wasm backend failed to initialise');
  await tf.ready();
  return { requested, name: 'wasm', tfBackend: 'wasm', device: 'cpu (WebAssembly SIMD, 1 thread)', versions: tfVersions() };
}

async function initCpu(requested: BackendChoice): Promise<BackendInfo> {
  void cpuBackendClass;
  if (!(await tf.setBackend('cpu'))) throw new BackendError('the cpu backend failed to initialise');
  return { requested, name: 'cpu', tfBackend: 'cpu', device: 'cpu (JavaScript)', versions: tfVersions() };
}

/**
 * tfjs-node / tfjs-node-gpu hold native libraries and are never bundled: they are resolved at run
 * time from the workspace. They register their kernels in tfjs's global engine, which the bundled
 * copy of tfjs shares.
 */
async function initNative(requested: BackendChoice, name: 'tensorflow' | 'tensorflow-gpu', workspace: string): Promise<BackendInfo> {
  const pkg = name === 'tensorflow-gpu' ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node';
  const require = createRequire(path.join(workspace, 'package.json'));
  let resolved: string;
  try {
    resolved = require.resolve(pkg);
  } catch {
    throw new BackendError(`${pkg} is not installed in ${workspace}: run "npm install ${pkg}@4.22.0" there, or use backend wasm`);
  }
  polyfillUtilForTfjsNode();
  try {
    require(resolved);
  } catch (err) {
    throw new BackendError(`${pkg} failed to load: ${(err as Error).message}`);
  }
  if (!(await tf.setBackend('tensorflow'))) throw new BackendError(`${pkg} loaded but its backend failed to initialise`);
  const device = name === 'tensorflow-gpu' ? 'gpu (CUDA)' : `cpu (libtensorflow, ${os.cpus().length} threads)`;
  return { requested, name, tfBackend: 'tensorflow', device, versions: { ...tfVersions(), [pkg]: readVersion(require, pkg) } };
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

function hasNvidiaGpu(): boolean {
  return fs.existsSync('/dev/nvidia0') || fs.existsSync('/proc/driver/nvidia/version');
}

function readVersion(require: NodeJS.Require, pkg: string): string {
  try {
    return (require(`${pkg}/package.json`) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function tfVersions(): Record<string, string> {
  return { 'tfjs-core': tf.version_core, tfjs: tf.version.tfjs ?? tf.version_core };
}

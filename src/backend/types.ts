// What every backend initialiser shares: the choices, what they report, and how they fail.
import { tf } from './tf.js';
import { EXIT, FinetuneError } from '../errors.js';

export const BACKEND_CHOICES = ['auto', 'tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

export interface BackendInfo {
  /** What the user asked for. */
  requested: BackendChoice;
  /** The backend that runs: tensorflow-gpu | webgpu | tensorflow | wasm | cpu. */
  name: string;
  /** The tfjs backend name registered in the engine. */
  tfBackend: string;
  device: string;
  versions: Record<string, string>;
  /** The hardware that trains, in words: "NVIDIA H100 80GB HBM3 (Vulkan)", "CPU (Intel Xeon ..., 8 threads)". */
  hardware: string;
  /** Whether a GPU runs the kernels (a software Vulkan adapter is the CPU). */
  onGpu: boolean;
  /** Set by auto when a GPU was seen but no GPU path could use it: the warning, with each path's remedy. */
  gpuFallback?: string;
}

/** Which device trained the model, for reports: "webgpu on NVIDIA H100 (Vulkan)", "wasm on CPU (...)". */
export function trainedOn(info: Pick<BackendInfo, 'name' | 'hardware'>): string {
  return `${info.name} on ${info.hardware}`;
}

/** The backend could not be set up as asked (exit 2: nothing was trained). */
export class BackendError extends FinetuneError {
  constructor(message: string) {
    super(message, EXIT.BAD_INPUT);
  }
}

/** An optional package that is simply not there: an error when asked for, silent when auto passes it over. */
export class NotInstalledError extends BackendError {}

/** A GPU path that cannot use the GPU here: why, and how to fix it (auto puts both into its one warning). */
export class GpuPathError extends BackendError {
  constructor(
    message: string,
    readonly reason: string,
    readonly remedy: string,
  ) {
    super(message);
  }
}

export function tfVersions(): Record<string, string> {
  return { 'tfjs-core': tf.version_core, tfjs: tf.version.tfjs ?? tf.version_core };
}

/** The first line of an error, for one-line log messages. */
export function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0];
}

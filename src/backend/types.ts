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
}

/** The backend could not be set up as asked (exit 2: nothing was trained). */
export class BackendError extends FinetuneError {
  constructor(message: string) {
    super(message, EXIT.BAD_INPUT);
  }
}

/** An optional package that is simply not there: an error when asked for, silent when auto passes it over. */
export class NotInstalledError extends BackendError {}

export function tfVersions(): Record<string, string> {
  return { 'tfjs-core': tf.version_core, tfjs: tf.version.tfjs ?? tf.version_core };
}

/** The first line of an error, for one-line log messages. */
export function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0];
}

// How many feature workers to start, which script they run, and which batches each one computes.
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../errors.js';

const MAX_DEFAULT_WORKERS = 4;
/** Starting a worker costs about a second; below this many batches each, one thread is faster. */
export const MIN_BATCHES_PER_WORKER = 4;

/** FINETUNE_WORKERS, else one per core up to 4. 1 means no workers. */
export function requestedWorkers(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.FINETUNE_WORKERS?.trim();
  if (!raw) return Math.min(os.availableParallelism(), MAX_DEFAULT_WORKERS);
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new ConfigError(`FINETUNE_WORKERS: expected a whole number >= 1, got "${raw}"`);
  return n;
}

export function workersFor(batches: number, requested: number): number {
  return Math.max(1, Math.min(requested, Math.floor(batches / MIN_BATCHES_PER_WORKER)));
}

/**
 * The script a worker runs: the bundle this code was bundled into, which starts itself as a worker.
 * From TypeScript sources (tests) there is no such script.
 */
export function bundleScript(moduleUrl: string = import.meta.url): string | undefined {
  const file = fileURLToPath(moduleUrl);
  return file.endsWith('.js') ? file : undefined;
}

/** Contiguous, near-equal ranges of batch indices [from, to), one per worker. */
export function splitBatches(batches: number, workers: number): Array<[number, number]> {
  return Array.from({ length: workers }, (_, k) => [Math.floor((k * batches) / workers), Math.floor(((k + 1) * batches) / workers)]);
}

// Running out of memory shows up differently per backend (wasm: a RangeError or an out-of-bounds
// access past its 4 GB; tfjs-node: "OOM when allocating"; WebGPU: Dawn's out-of-memory). Each
// becomes one clear training failure (exit 3) with the remedy.
import { TrainingError } from '../errors.js';

const OOM_PATTERNS = [
  /out of memory/i,
  /\bOOM\b/,
  /memory access out of bounds/i,
  /Array buffer allocation failed/i,
  /Invalid typed array length/i,
  /Cannot enlarge memory/i,
  /failed to allocate/i,
];

export function isOutOfMemory(err: unknown): boolean {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return OOM_PATTERNS.some((re) => re.test(text));
}

/** Runs a memory-hungry stage; an out-of-memory error becomes a TrainingError naming the stage. */
export async function guardMemory<T>(stage: string, hint: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (!isOutOfMemory(err)) throw err;
    throw new TrainingError(`out of memory during ${stage} (${(err as Error).message.split('\n')[0]}); ${hint}`, {
      cause: err,
      failure: 'out_of_memory',
    });
  }
}

// The training state after a complete epoch, on disk: state.json (history, counters, bookkeeping)
// and tensors.bin (every float32 array, raw bytes). A resumed run continues bit for bit, so tensors
// never pass through decimal text, and non-finite numbers in the JSON are tagged, not nulled.
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../errors.js';
import type { EpochRecord } from '../domain/types.js';
import { replaceDirAtomic } from '../util/fs-atomic.js';
import { fingerprintDiff, type TrainingFingerprint } from './checkpoint-fingerprint.js';
import type { EarlyStoppingState } from './early-stopping.js';
import type { OptimizerState } from './optimizer.js';
import type { PlateauState } from './schedule.js';

export interface CheckpointOptions {
  dir: string;
  /** Continue from the checkpoint in `dir` when there is one. */
  resume: boolean;
}

export interface TrainingState {
  /** 1-based epoch to run next. */
  nextEpoch: number;
  /** Early stopping ended the run at the last epoch. */
  earlyStopped: boolean;
  /** Training seconds spent so far, over every process that took part. */
  seconds: number;
  history: EpochRecord[];
  earlyStopping: EarlyStoppingState;
  plateau: PlateauState;
  optimizer: OptimizerState;
  weights: Float32Array[];
  best: Float32Array[];
}

const FORMAT = 1;
const STATE = 'state.json';
const TENSORS = 'tensors.bin';

type Scalars = Omit<TrainingState, 'weights' | 'best' | 'optimizer'> & { optimizerStep: number };
interface StateFile extends Scalars {
  format: number;
  fingerprint: TrainingFingerprint;
  /** Lengths of the arrays in tensors.bin, in order. */
  lengths: { weights: number[]; best: number[]; slots: number[] };
}

export const checkpointDir = (outDir: string): string => path.join(outDir, 'checkpoint');
export const hasCheckpoint = (dir: string): boolean => fs.existsSync(path.join(dir, STATE));
export const removeCheckpoint = (dir: string): void => fs.rmSync(dir, { recursive: true, force: true });

export async function writeCheckpoint(dir: string, fingerprint: TrainingFingerprint, s: TrainingState): Promise<void> {
  const { weights, best, optimizer, ...rest } = s;
  const file: StateFile = {
    format: FORMAT,
    fingerprint,
    ...rest,
    optimizerStep: optimizer.step,
    lengths: { weights: weights.map((a) => a.length), best: best.map((a) => a.length), slots: optimizer.slots.map((a) => a.length) },
  };
  const bytes = Buffer.concat([...weights, ...best, ...optimizer.slots].map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength)));
  await replaceDirAtomic(dir, async (tmp) => {
    fs.writeFileSync(path.join(tmp, STATE), JSON.stringify(file, encodeNumber) + '\n');
    fs.writeFileSync(path.join(tmp, TENSORS), bytes);
  });
}

/** The saved state, or undefined when `dir` holds none; a ConfigError when it was written by a different run. */
export function readCheckpoint(dir: string, fingerprint: TrainingFingerprint): TrainingState | undefined {
  if (!hasCheckpoint(dir)) return undefined;
  const file = JSON.parse(fs.readFileSync(path.join(dir, STATE), 'utf8'), decodeNumber) as StateFile;
  if (file.format !== FORMAT) throw refuse(dir, [`checkpoint format ${file.format}, expected ${FORMAT}`]);
  const diff = fingerprintDiff(file.fingerprint, fingerprint);
  if (diff.length > 0) throw refuse(dir, diff);
  const { format: _f, fingerprint: _p, lengths, optimizerStep, ...rest } = file;
  const arrays = splitFloats(fs.readFileSync(path.join(dir, TENSORS)), [...lengths.weights, ...lengths.best, ...lengths.slots], dir);
  const weights = arrays.splice(0, lengths.weights.length);
  const best = arrays.splice(0, lengths.best.length);
  return { ...rest, weights, best, optimizer: { step: optimizerStep, slots: arrays } };
}

function refuse(dir: string, diff: string[]): ConfigError {
  return new ConfigError(
    `--resume: the checkpoint in ${dir} belongs to a different training run: ${diff.join('; ')}. Undo the change, or run without --resume to start over`,
  );
}

function splitFloats(buf: Buffer, lengths: number[], dir: string): Float32Array[] {
  const total = lengths.reduce((a, b) => a + b, 0);
  if (buf.byteLength !== total * 4)
    throw new ConfigError(
      `--resume: ${path.join(dir, TENSORS)} holds ${buf.byteLength} bytes, expected ${total * 4}; run without --resume to start over`,
    );
  // A copy per array: Buffer's own memory may not be 4-byte aligned.
  let offset = 0;
  return lengths.map((n) => {
    const out = new Float32Array(n);
    new Uint8Array(out.buffer).set(buf.subarray(offset, offset + n * 4));
    offset += n * 4;
    return out;
  });
}

// JSON writes NaN and the infinities as null, and -0 as 0; these keep them exact.
const TAG = '$number';

function encodeNumber(_key: string, value: unknown): unknown {
  if (typeof value !== 'number' || (Number.isFinite(value) && !Object.is(value, -0))) return value;
  return { [TAG]: Object.is(value, -0) ? '-0' : String(value) };
}

function decodeNumber(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || !(TAG in value)) return value;
  return Number((value as Record<string, string>)[TAG]);
}

// trials.json: what one shard of a sweep leaves for the merge job. It carries the whole plan and
// the fingerprints, so the merge can prove the shards ran the same sweep on the same data.
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import type { SweepTrialRow } from '../domain/types.js';
import { writeFileAtomic } from '../util/fs-atomic.js';
import type { SweepFingerprint } from './fingerprint.js';
import type { Shard, SweepPlan } from './plan.js';

export const TRIALS_FILE = 'trials.json';
const KIND = 'finetune-sweep-trials';

export interface TrialsFile {
  kind: typeof KIND;
  schema_version: 1;
  name: string;
  fingerprint: SweepFingerprint;
  method: SweepPlan['method'];
  metric: string;
  mode: SweepPlan['mode'];
  plan: SweepPlan['trials'];
  shard: Shard;
  trials: SweepTrialRow[];
  created_at: string;
}

const count = z.number().int().nonnegative();
const TrialSchema = z.object({ index: count, learning_rate: z.number().positive(), batch_size: count });
const FileSchema = z.object({
  kind: z.literal(KIND),
  schema_version: z.literal(1),
  name: z.string(),
  fingerprint: z.object({
    spec_sha256: z.string(),
    data_sha256: z.string(),
    base_model_sha256: z.string(),
    backend: z.string(),
    seed: z.number(),
  }),
  method: z.enum(['grid', 'random']),
  metric: z.string(),
  mode: z.enum(['max', 'min']),
  plan: z.array(TrialSchema),
  shard: z.object({ index: count, count }),
  // NaN is written as null by JSON: a diverged trial still counts as run.
  trials: z.array(TrialSchema.extend({ best_epoch: count, seconds: z.number(), shard: count.optional() }).catchall(z.number().nullable())),
  created_at: z.string(),
});

export function trialsFile(parts: Omit<TrialsFile, 'kind' | 'schema_version' | 'created_at'>): TrialsFile {
  return { kind: KIND, schema_version: 1, ...parts, created_at: new Date().toISOString() };
}

export function writeTrialsFile(dir: string, file: TrialsFile): string {
  const target = path.join(dir, TRIALS_FILE);
  writeFileAtomic(target, JSON.stringify(file, null, 2) + '\n');
  return target;
}

/**
 * Each argument is a trials file or a folder searched (recursively) for trials.json files, which
 * is how actions/download-artifact lays out one folder per shard's artifact.
 */
export function findTrialsFiles(args: string[]): string[] {
  const found = args.flatMap((arg) => {
    const abs = path.resolve(arg);
    let stat: fs.Stats;
    try {
      stat = fs.statSync(abs);
    } catch {
      throw new ConfigError(`--trials: ${arg} does not exist`);
    }
    if (!stat.isDirectory()) return [abs];
    const inside = fs
      .readdirSync(abs, { recursive: true, encoding: 'utf8' })
      .filter((rel) => path.basename(rel) === TRIALS_FILE)
      .sort()
      .map((rel) => path.join(abs, rel));
    if (inside.length === 0) throw new ConfigError(`--trials: no ${TRIALS_FILE} under ${arg}`);
    return inside;
  });
  return [...new Set(found)];
}

export function readTrialsFile(file: string): TrialsFile {
  let data: unknown;
  try {
    data = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(`--trials: cannot read ${file} as JSON: ${(err as Error).message}`, { cause: err });
  }
  const parsed = FileSchema.safeParse(data);
  if (!parsed.success) {
    const where = parsed.error.issues[0]?.path.join('.') || 'the file';
    throw new ConfigError(`--trials: ${file} is not a sweep trials file written by \`finetune sweep\` (${where} is wrong or missing)`);
  }
  const trials = parsed.data.trials.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v ?? NaN])) as SweepTrialRow);
  return { ...(parsed.data as Omit<TrialsFile, 'trials'>), trials };
}

// Pure: the spec's sweep section -> the ordered list of trials, and the slice of it one shard runs.
// Every shard of a matrix computes the same plan from the same spec, so the trial index alone
// identifies a trial across machines.
import { ConfigError } from '../errors.js';
import type { Spec } from '../spec/schema.js';
import { resolveMode } from '../train/early-stopping.js';
import { createRng, deriveSeed, permutation } from '../util/random.js';

export interface Trial {
  /** 0-based position in the plan. */
  index: number;
  learning_rate: number;
  batch_size: number;
}

export interface SweepPlan {
  method: 'grid' | 'random';
  /** The validation metric that ranks the trials, and whether higher is better. */
  metric: string;
  mode: 'max' | 'min';
  trials: Trial[];
}

export interface Shard {
  /** 1-based, as in `--shard 2/4`. */
  index: number;
  count: number;
}

const DEFAULT_METRIC = 'val_f1_macro';

/**
 * grid: learning_rate is the outer loop and batch_size the inner one, each in the order listed;
 * `trials` keeps the first N. random: N distinct combinations of that grid, drawn with a seed
 * derived from spec.seed, in the order drawn.
 */
export function planSweep(spec: Spec): SweepPlan {
  const sweep = spec.sweep;
  if (!sweep) throw new ConfigError('sweep: this spec has no sweep section');
  const rates = sweep.learning_rate ?? [spec.train.learning_rate];
  const sizes = sweep.batch_size ?? [spec.train.batch_size];
  const grid: Array<Omit<Trial, 'index'>> = rates.flatMap((learning_rate) => sizes.map((batch_size) => ({ learning_rate, batch_size })));
  const n = Math.min(sweep.trials ?? grid.length, grid.length);
  const picked =
    sweep.method === 'random'
      ? Array.from(permutation(grid.length, createRng(deriveSeed(spec.seed, 'sweep'))).subarray(0, n), (i) => grid[i])
      : grid.slice(0, n);
  const { metric, mode } = sweepMetric(spec);
  return { method: sweep.method, metric, mode, trials: picked.map((t, index) => ({ index, ...t })) };
}

/** sweep.metric, else the early-stopping monitor when it watches validation, else val_f1_macro. */
export function sweepMetric(spec: Spec): { metric: string; mode: 'max' | 'min' } {
  const es = spec.train.early_stopping;
  const monitor = es === false ? undefined : es.monitor;
  const metric = spec.sweep?.metric ?? (monitor?.startsWith('val_') ? monitor : DEFAULT_METRIC);
  // The early-stopping mode applies when the sweep ranks on what early stopping watches.
  const mode = resolveMode({ monitor: metric, mode: es !== false && es.monitor === metric ? es.mode : 'auto', patience: 0, min_delta: 0 });
  return { metric, mode };
}

/** Shard i of n runs trials k with k % n == i - 1: round robin keeps the shards' sizes within one. */
export function shardTrials(trials: Trial[], shard: Shard): Trial[] {
  return trials.filter((t) => t.index % shard.count === shard.index - 1);
}

/** `--shard i/n`, 1 <= i <= n. */
export function parseShard(text: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index < 1 || index > count) {
    throw new ConfigError(`--shard: expected i/n with 1 <= i <= n (e.g. 2/4), got "${text}"`);
  }
  return { index, count };
}

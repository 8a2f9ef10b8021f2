// Pure: the shards' trials files -> one table of every trial. Files from another spec, other data
// or another plan, a shard given twice and a trial missing are refused: a merge that silently
// compared different things, or picked the best of half the plan, would gate the wrong model.
import { ConfigError } from '../errors.js';
import type { SweepTrialRow } from '../domain/types.js';
import type { SweepFingerprint } from './fingerprint.js';
import type { SweepPlan } from './plan.js';
import type { TrialsFile } from './trials-file.js';

export interface NamedTrialsFile {
  /** Where it was read from, for messages. */
  file: string;
  data: TrialsFile;
}

/** What the merging run computed itself; the backend may differ (the final job may run elsewhere). */
export type ExpectedSweep = { fingerprint: Omit<SweepFingerprint, 'backend'>; plan: SweepPlan };

const fail = (message: string) => new ConfigError(`--trials: ${message}`);

export function mergeTrials(files: NamedTrialsFile[], expected: ExpectedSweep): SweepTrialRow[] {
  if (files.length === 0) throw fail('no trials files given');
  const [first] = files;
  for (const f of files) checkAgainst(f, expected);
  for (const f of files.slice(1)) {
    if (f.data.fingerprint.backend !== first.data.fingerprint.backend) {
      throw fail(
        `${f.file} ran on backend ${f.data.fingerprint.backend} but ${first.file} on ${first.data.fingerprint.backend}; trials are only comparable on one backend`,
      );
    }
    if (f.data.shard.count !== first.data.shard.count) {
      throw fail(
        `${f.file} is shard ${shardName(f)} but ${first.file} is shard ${shardName(first)}; every shard of one sweep has the same n`,
      );
    }
  }
  const byShard = new Map<number, string>();
  const byTrial = new Map<number, { row: SweepTrialRow; file: string }>();
  for (const f of files) {
    const other = byShard.get(f.data.shard.index);
    if (other !== undefined) throw fail(`shard ${shardName(f)} is given twice (${other} and ${f.file})`);
    byShard.set(f.data.shard.index, f.file);
    for (const row of f.data.trials) {
      checkRow(row, f, expected.plan);
      const seen = byTrial.get(row.index);
      if (seen) throw fail(`trial ${row.index} appears twice (${seen.file} and ${f.file})`);
      byTrial.set(row.index, { row, file: f.file });
    }
  }
  const missing = expected.plan.trials.filter((t) => !byTrial.has(t.index)).map((t) => t.index);
  if (missing.length > 0) throw fail(missingMessage(missing, first.data.shard.count, byShard));
  return expected.plan.trials.map((t) => (byTrial.get(t.index) as { row: SweepTrialRow }).row);
}

function checkAgainst(f: NamedTrialsFile, expected: ExpectedSweep): void {
  const got = f.data.fingerprint;
  const want = expected.fingerprint;
  const differs = (what: string, a: unknown, b: unknown) => {
    if (a !== b)
      throw fail(
        `${f.file} was written for a different ${what} (${String(a).slice(0, 12)}, this run has ${String(b).slice(0, 12)}); rerun the sweep shards from the same commit`,
      );
  };
  differs('spec file', got.spec_sha256, want.spec_sha256);
  differs('training and validation data', got.data_sha256, want.data_sha256);
  differs('base model', got.base_model_sha256, want.base_model_sha256);
  differs('seed', got.seed, want.seed);
  const plan = expected.plan;
  const samePlan =
    f.data.method === plan.method &&
    f.data.metric === plan.metric &&
    f.data.mode === plan.mode &&
    JSON.stringify(f.data.plan) === JSON.stringify(plan.trials);
  if (!samePlan) throw fail(`${f.file} holds a different trial plan (method, metric or trials) than this spec gives`);
  const { index, count } = f.data.shard;
  if (!(count >= 1 && index >= 1 && index <= count)) throw fail(`${f.file} names an impossible shard ${index}/${count}`);
}

/** A row must be one of the plan's trials, with its settings, and belong to the file's shard. */
function checkRow(row: SweepTrialRow, f: NamedTrialsFile, plan: SweepPlan): void {
  const trial = plan.trials[row.index];
  if (!trial || trial.learning_rate !== row.learning_rate || trial.batch_size !== row.batch_size) {
    throw fail(`${f.file}: trial ${row.index} does not match the plan`);
  }
  if (row.index % f.data.shard.count !== f.data.shard.index - 1) {
    throw fail(`${f.file}: trial ${row.index} does not belong to shard ${shardName(f)}`);
  }
  if (!(plan.metric in row)) throw fail(`${f.file}: trial ${row.index} has no ${plan.metric}`);
}

function missingMessage(missing: number[], count: number, byShard: Map<number, string>): string {
  const absent = [...new Set(missing.map((i) => (i % count) + 1))].filter((s) => !byShard.has(s));
  const why = absent.length > 0 ? ` (no file for shard ${absent.map((s) => `${s}/${count}`).join(', ')})` : '';
  const list = missing.length > 10 ? `${missing.slice(0, 10).join(', ')} and ${missing.length - 10} more` : missing.join(', ');
  return `trial${missing.length === 1 ? '' : 's'} ${list} of ${missing.length === 1 ? 'the plan is' : 'the plan are'} missing${why}; every shard's trials file is needed`;
}

const shardName = (f: NamedTrialsFile) => `${f.data.shard.index}/${f.data.shard.count}`;

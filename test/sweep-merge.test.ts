// Merging the shards' trials files: the best trial by the validation metric, ties to the lower
// index; files from another spec, data, base, seed or plan refused; shards given twice, trials
// repeated or missing refused with a message that says which.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../src/errors.js';
import type { SweepTrialRow } from '../src/domain/types.js';
import { parseSpec } from '../src/spec/load.js';
import { bestTrial } from '../src/sweep/best.js';
import type { SweepFingerprint } from '../src/sweep/fingerprint.js';
import { mergeTrials, type ExpectedSweep, type NamedTrialsFile } from '../src/sweep/merge.js';
import { planSweep, shardTrials, type SweepPlan } from '../src/sweep/plan.js';
import { findTrialsFiles, readTrialsFile, trialsFile, writeTrialsFile } from '../src/sweep/trials-file.js';
import { createRng } from '../src/util/random.js';
import { SPEC_HEAD } from './helpers/spec-text.js';
import { makeTmpRepo } from './helpers/tmp-repo.js';

const plan: SweepPlan = planSweep(
  parseSpec(`${SPEC_HEAD}sweep:\n  learning_rate: [0.1, 0.01, 0.001]\n  batch_size: [16, 32, 64]\n`, 'finetune.yml'),
);
const fingerprint: SweepFingerprint = {
  spec_sha256: 'a'.repeat(64),
  data_sha256: 'b'.repeat(64),
  base_model_sha256: 'c'.repeat(64),
  backend: 'wasm',
  seed: 42,
};
const expected: ExpectedSweep = {
  fingerprint: {
    spec_sha256: fingerprint.spec_sha256,
    data_sha256: fingerprint.data_sha256,
    base_model_sha256: fingerprint.base_model_sha256,
    seed: 42,
  },
  plan,
};

/** A validation score per trial, seeded, so the best is not where a hand-picked table would put it. */
const scores = (() => {
  const rng = createRng(7);
  return plan.trials.map(() => 0.5 + 0.5 * rng());
})();

function shardFile(index: number, count: number, edit: (f: ReturnType<typeof trialsFile>) => void = () => {}): NamedTrialsFile {
  const rows: SweepTrialRow[] = shardTrials(plan.trials, { index, count }).map((t) => ({
    ...t,
    [plan.metric]: scores[t.index],
    best_epoch: 1 + (t.index % 3),
    seconds: 0.5,
    shard: index,
  }));
  const data = trialsFile({
    name: 'demo',
    fingerprint: { ...fingerprint },
    method: plan.method,
    metric: plan.metric,
    mode: plan.mode,
    plan: plan.trials,
    shard: { index, count },
    trials: rows,
  });
  edit(data);
  return { file: `shard-${index}-of-${count}/trials.json`, data };
}

const shards = (count: number) => Array.from({ length: count }, (_, i) => shardFile(i + 1, count));

function refused(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).exitCode).toBe(2);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('mergeTrials', () => {
  it.each([1, 2, 4, 9])('%i shards give back every trial of the plan in plan order, each with its shard', (n) => {
    const rows = mergeTrials(shards(n).reverse(), expected);
    expect(rows.map((r) => r.index)).toEqual(plan.trials.map((t) => t.index));
    rows.forEach((r) => {
      expect(r[plan.metric]).toBe(scores[r.index]);
      expect(r.shard).toBe((r.index % n) + 1);
    });
  });

  it('picks the trial with the best validation metric, whatever the shard split', () => {
    const argmax = scores.indexOf(Math.max(...scores));
    for (const n of [1, 2, 3]) expect(bestTrial(mergeTrials(shards(n), expected), plan.metric, plan.mode).index).toBe(argmax);
  });

  it.each([
    ['spec_sha256', 'spec file'],
    ['data_sha256', 'training and validation data'],
    ['base_model_sha256', 'base model'],
  ] as const)('refuses a shard whose %s differs from this run', (key, what) => {
    const files = shards(2);
    files[1].data.fingerprint[key] = 'f'.repeat(64);
    expect(refused(() => mergeTrials(files, expected))).toContain(`${files[1].file} was written for a different ${what}`);
  });

  it('refuses a shard with another seed, another plan or another metric', () => {
    const seed = shards(2);
    seed[0].data.fingerprint.seed = 43;
    expect(refused(() => mergeTrials(seed, expected))).toMatch(/different seed/);
    const order = shards(2);
    order[1].data.plan = [...plan.trials].reverse();
    expect(refused(() => mergeTrials(order, expected))).toMatch(/shard-2-of-2\/trials\.json holds a different trial plan/);
    const metric = shards(2);
    metric[0].data.metric = 'val_loss';
    expect(refused(() => mergeTrials(metric, expected))).toMatch(/different trial plan/);
  });

  it('refuses shards run on different backends or with different shard counts', () => {
    const backend = shards(2);
    backend[1].data.fingerprint.backend = 'cpu';
    expect(refused(() => mergeTrials(backend, expected))).toMatch(/ran on backend cpu but .* on wasm/);
    const counts = [shardFile(1, 2), shardFile(2, 3)];
    expect(refused(() => mergeTrials(counts, expected))).toMatch(/is shard 2\/3 but .* is shard 1\/2/);
  });

  it('refuses a shard given twice and a trial listed twice', () => {
    const twice = [...shards(2), shardFile(1, 2)];
    expect(refused(() => mergeTrials(twice, expected))).toBe(
      '--trials: shard 1/2 is given twice (shard-1-of-2/trials.json and shard-1-of-2/trials.json)',
    );
    const repeated = shards(2);
    repeated[0].data.trials.push({ ...repeated[0].data.trials[0] });
    expect(refused(() => mergeTrials(repeated, expected))).toMatch(/^--trials: trial 0 appears twice/);
  });

  it('refuses a missing shard, naming its trials and the shard', () => {
    const files = shards(3).filter((f) => f.data.shard.index !== 2);
    const missing = plan.trials.filter((t) => t.index % 3 === 1).map((t) => t.index);
    expect(refused(() => mergeTrials(files, expected))).toBe(
      `--trials: trials ${missing.join(', ')} of the plan are missing (no file for shard 2/3); every shard's trials file is needed`,
    );
  });

  it('refuses a shard file that lacks one of its trials', () => {
    const files = shards(2);
    const dropped = files[0].data.trials.pop() as SweepTrialRow;
    expect(refused(() => mergeTrials(files, expected))).toMatch(new RegExp(`^--trials: trial ${dropped.index} of the plan is missing; `));
  });

  it("refuses a row that is not its shard's or not the plan's", () => {
    const foreign = shards(2);
    foreign[0].data.trials[0] = { ...foreign[1].data.trials[0] };
    expect(refused(() => mergeTrials(foreign, expected))).toMatch(/trial 1 does not belong to shard 1\/2/);
    const altered = shards(2);
    altered[0].data.trials[0] = { ...altered[0].data.trials[0], learning_rate: 0.5 };
    expect(refused(() => mergeTrials(altered, expected))).toMatch(/trial 0 does not match the plan/);
  });

  it('refuses an empty list of files', () => {
    expect(refused(() => mergeTrials([], expected))).toBe('--trials: no trials files given');
  });
});

describe('bestTrial', () => {
  const row = (index: number, v: number): SweepTrialRow => ({
    index,
    learning_rate: 0.1,
    batch_size: 8,
    best_epoch: 1,
    seconds: 1,
    val_loss: v,
    val_f1_macro: v,
  });

  it('highest wins for max, lowest for min', () => {
    const rows = [row(0, 0.4), row(1, 0.9), row(2, 0.1), row(3, 0.6)];
    expect(bestTrial(rows, 'val_f1_macro', 'max').index).toBe(1);
    expect(bestTrial(rows, 'val_loss', 'min').index).toBe(2);
  });

  it('a tie goes to the lower index, in any order', () => {
    const rows = [row(5, 0.8), row(2, 0.8), row(7, 0.3)];
    expect(bestTrial(rows, 'val_f1_macro', 'max').index).toBe(2);
    expect(bestTrial([...rows].reverse(), 'val_f1_macro', 'max').index).toBe(2);
  });

  it('a trial without a number (diverged) never wins', () => {
    expect(bestTrial([row(0, NaN), row(1, 0.2)], 'val_f1_macro', 'max').index).toBe(1);
    expect(bestTrial([row(0, NaN), row(1, 5)], 'val_loss', 'min').index).toBe(1);
  });
});

describe('trials files on disk', () => {
  const repo = makeTmpRepo('finetune-sweep-files-');
  afterAll(() => repo.remove());

  it('round-trips, NaN included, and finds each shard folder as download-artifact lays them out', () => {
    const files = shards(2);
    files[0].data.trials[0][plan.metric] = NaN;
    const written = files.map((f) => writeTrialsFile(repo.abs(`artifacts/sweep-shard-${f.data.shard.index}`), f.data));
    const found = findTrialsFiles([repo.abs('artifacts')]);
    expect(found).toEqual(written);
    const read = found.map((file) => ({ file, data: readTrialsFile(file) }));
    expect(read[0].data.trials[0][plan.metric]).toBeNaN();
    expect(read[1].data).toEqual(files[1].data);
    expect(mergeTrials(read, expected).map((r) => r.index)).toEqual(plan.trials.map((t) => t.index));
    // Files and folders may be mixed and repeated; each file is read once.
    expect(findTrialsFiles([written[0], repo.abs('artifacts'), written[1]])).toEqual(written);
  });

  it('refuses what is not a trials file, and paths that hold none', () => {
    repo.write('other/report.json', JSON.stringify({ verdict: 'pass' }));
    repo.write('broken/trials.json', '{ not json');
    expect(refused(() => readTrialsFile(repo.abs('other/report.json')))).toMatch(
      /is not a sweep trials file written by `finetune sweep` \(kind is wrong or missing\)/,
    );
    expect(refused(() => readTrialsFile(repo.abs('broken/trials.json')))).toMatch(/cannot read .*broken\/trials\.json as JSON/);
    expect(refused(() => findTrialsFiles([repo.abs('other')]))).toMatch(/no trials\.json under/);
    expect(refused(() => findTrialsFiles([repo.abs('nowhere')]))).toMatch(/nowhere does not exist/);
    expect(fs.existsSync(path.join(repo.root, 'nowhere'))).toBe(false);
  });
});

// A sweep on a small real task, end to end: in one process, and split over two shards through the
// command line then merged by `finetune run --trials`. Both pick the same trial by its validation
// metric and ship the same model; the shards never featurise the test set.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/main.js';
import { runPipeline } from '../src/pipeline/run.js';
import type { Report, SweepTrialRow } from '../src/domain/types.js';
import type { TrialsFile } from '../src/sweep/trials-file.js';
import { silentLogger } from '../src/util/log.js';
import { defaultSpec, makeTinyRepo, readJson } from './helpers/tiny-repo.js';
import { recordingLogger } from './helpers/tmp-repo.js';

const SWEEP = `sweep:
  learning_rate: [0.0003, 0.003, 0.03]
  batch_size: [16, 64]
`;

describe('hyperparameter sweep, in process and sharded', () => {
  let repo: string;
  let cache: string;
  let savedCacheEnv: string | undefined;
  let inProcess: Report;
  const spec = () => path.join(repo, 'finetune.yml');
  const cli = async (args: string[]) => {
    const log = recordingLogger();
    const code = await runCli(args, log);
    return { code, log, text: [...log.infos, ...log.warnings].join('\n') };
  };

  beforeAll(async () => {
    repo = makeTinyRepo({ train: 240, test: 100, spec: defaultSpec(SWEEP).replace('epochs: 6', 'epochs: 4') });
    cache = fs.mkdtempSync(path.join(os.tmpdir(), 'finetune-sweep-cache-'));
    savedCacheEnv = process.env.FINETUNE_CACHE_DIR;
    process.env.FINETUNE_CACHE_DIR = cache;
    inProcess = (
      await runPipeline({ specPath: spec(), outDir: path.join(repo, 'out-all'), backend: 'wasm', cacheDir: cache, log: silentLogger })
    ).report;
  });

  afterAll(() => {
    if (savedCacheEnv === undefined) delete process.env.FINETUNE_CACHE_DIR;
    else process.env.FINETUNE_CACHE_DIR = savedCacheEnv;
    for (const dir of [repo, cache]) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** The trial the validation metric ranks first (ties to the lower index), computed here. */
  const argmax = (rows: SweepTrialRow[], metric: string) =>
    rows.reduce((best, r) => ((r[metric] as number) > (best[metric] as number) ? r : best)).index;
  const settings = (rows: SweepTrialRow[], metric: string) =>
    rows.map((r) => [r.index, r.learning_rate, r.batch_size, r[metric], r.best_epoch]);

  it('runs every trial, ranks them on validation, and ships the best trial retrained', () => {
    const sweep = inProcess.sweep;
    expect(sweep).toBeDefined();
    if (!sweep) return;
    expect(sweep).toMatchObject({ metric: 'val_f1_macro', mode: 'max', method: 'grid' });
    expect(sweep.trials.map((t) => [t.learning_rate, t.batch_size])).toEqual([
      [0.0003, 16],
      [0.0003, 64],
      [0.003, 16],
      [0.003, 64],
      [0.03, 16],
      [0.03, 64],
    ]);
    for (const t of sweep.trials) {
      expect(t.val_f1_macro).toBeGreaterThan(0);
      expect(t.seconds).toBeGreaterThan(0);
      expect(t.shard).toBeUndefined();
    }
    // The settings really differ in effect, or selection would be vacuous.
    expect(new Set(sweep.trials.map((t) => t.val_f1_macro)).size).toBeGreaterThan(1);
    expect(sweep.best).toBe(argmax(sweep.trials, 'val_f1_macro'));
    // The shipped head is the best trial's: same seed, same settings, same best epoch and score.
    const best = sweep.trials[sweep.best];
    expect(inProcess.best_epoch).toBe(best.best_epoch);
    expect(inProcess.history[best.best_epoch - 1].val_f1_macro).toBe(best.val_f1_macro);
  });

  it('report.md holds the trials table with the best marked', () => {
    const md = fs.readFileSync(path.join(repo, 'out-all/report.md'), 'utf8');
    const sweep = inProcess.sweep as NonNullable<Report['sweep']>;
    const section = md.split('## Hyperparameter sweep')[1]?.split('## Training')[0] ?? '';
    expect(section).toContain('| trial | learning_rate | batch_size | val_f1_macro | best epoch | seconds |');
    const rows = section.split('\n').filter((l) => /^\| \d+( \(best\))? \| /.test(l));
    expect(rows).toHaveLength(sweep.trials.length);
    expect(rows.filter((l) => l.includes('(best)'))).toEqual([expect.stringMatching(new RegExp(`^\\| ${sweep.best} \\(best\\) \\| `))]);
    expect(readJson<Report>(path.join(repo, 'out-all/report.json')).sweep).toEqual(sweep);
  });

  it('two shards and a merge pick the same trial and give the same metrics; the shards never see the test set', async () => {
    const shard1 = await cli([
      'sweep',
      '--spec',
      spec(),
      '--shard',
      '1/2',
      '--out',
      path.join(repo, 'artifacts/sweep-shard-1'),
      '--backend',
      'wasm',
    ]);
    expect(shard1.code, shard1.text).toBe(0);
    const shard2 = await cli([
      'sweep',
      '--spec',
      spec(),
      '--shard',
      '2/2',
      '--out',
      path.join(repo, 'artifacts/sweep-shard-2'),
      '--backend',
      'wasm',
    ]);
    expect(shard2.code, shard2.text).toBe(0);
    const files = [1, 2].map((i) => readJson<TrialsFile>(path.join(repo, `artifacts/sweep-shard-${i}/trials.json`)));
    expect(files.map((f) => f.trials.map((t) => t.index))).toEqual([
      [0, 2, 4],
      [1, 3, 5],
    ]);
    expect(files[0].fingerprint.spec_sha256).toBe(inProcess.fingerprint.spec_sha256);
    // The shards featurised train and validation only, yet score every trial exactly as the
    // in-process run (which had the test set loaded) did: the test set plays no part in a trial.
    const sweep = inProcess.sweep as NonNullable<Report['sweep']>;
    const sharded = files.flatMap((f) => f.trials).sort((a, b) => a.index - b.index);
    expect(settings(sharded, 'val_f1_macro')).toEqual(settings(sweep.trials, 'val_f1_macro'));

    const merged = await cli([
      'run',
      '--spec',
      spec(),
      '--out',
      path.join(repo, 'out-merged'),
      '--backend',
      'wasm',
      '--trials',
      path.join(repo, 'artifacts'),
    ]);
    const report = readJson<Report>(path.join(repo, 'out-merged/report.json'));
    expect(merged.code, merged.text).toBe(report.verdict === 'fail' ? 1 : 0);
    expect(merged.text).toMatch(/sweep: merged 6 trials from 2 shard files/);
    expect(report.sweep?.best).toBe(sweep.best);
    expect(report.sweep?.trials.map((t) => t.shard)).toEqual([1, 2, 1, 2, 1, 2]);
    expect(settings(report.sweep?.trials ?? [], 'val_f1_macro')).toEqual(settings(sweep.trials, 'val_f1_macro'));
    expect(report.metrics).toEqual(inProcess.metrics);
    expect(report.predictions).toEqual(inProcess.predictions);
    expect(report.history).toEqual(inProcess.history);
    expect(fs.readFileSync(path.join(repo, 'out-merged/report.md'), 'utf8')).toMatch(
      /\| trial \| learning_rate \| batch_size \| val_f1_macro \| best epoch \| seconds \| shard \|/,
    );
    const weights = (dir: string) => fs.readFileSync(path.join(repo, dir, 'model/weights.bin'));
    expect(weights('out-merged').equals(weights('out-all'))).toBe(true);
  });

  it('refuses (exit 2) a bad --shard, a missing shard and shards of another spec, before training', async () => {
    const bad = await cli(['sweep', '--spec', spec(), '--shard', '3/2', '--backend', 'wasm']);
    expect(bad.code).toBe(2);
    expect(bad.text).toMatch(/--shard: expected i\/n with 1 <= i <= n .*got "3\/2"/);

    const half = await cli([
      'run',
      '--spec',
      spec(),
      '--out',
      path.join(repo, 'out-half'),
      '--backend',
      'wasm',
      '--trials',
      path.join(repo, 'artifacts/sweep-shard-1'),
    ]);
    expect(half.code).toBe(2);
    expect(half.text).toMatch(/trials 1, 3, 5 of the plan are missing \(no file for shard 2\/2\)/);
    expect(fs.existsSync(path.join(repo, 'out-half/report.json'))).toBe(false);

    fs.writeFileSync(path.join(repo, 'other.yml'), fs.readFileSync(spec(), 'utf8').replace('epochs: 4', 'epochs: 3'));
    const files = ['1', '2'].map((i) => path.join(repo, `artifacts/sweep-shard-${i}/trials.json`)).join(',');
    const other = await cli([
      'run',
      '--spec',
      path.join(repo, 'other.yml'),
      '--out',
      path.join(repo, 'out-other'),
      '--backend',
      'wasm',
      '--trials',
      files,
    ]);
    expect(other.code).toBe(2);
    expect(other.text).toMatch(/was written for a different spec file/);

    fs.writeFileSync(path.join(repo, 'plain.yml'), defaultSpec());
    const noSweep = await cli(['sweep', '--spec', path.join(repo, 'plain.yml'), '--backend', 'wasm']);
    expect(noSweep.code).toBe(2);
    expect(noSweep.text).toMatch(/plain\.yml has no sweep section/);
    const noPlan = await cli([
      'run',
      '--spec',
      path.join(repo, 'plain.yml'),
      '--out',
      path.join(repo, 'out-plain'),
      '--backend',
      'wasm',
      '--trials',
      files,
    ]);
    expect(noPlan.code).toBe(2);
    expect(noPlan.text).toMatch(/the spec has no sweep section, so there is nothing to merge/);
  });
});

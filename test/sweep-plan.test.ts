// The sweep: section and its plan: what the schema refuses, the documented grid order, seeded
// random draws, the ranking metric, and shards that split the plan exactly.
import { describe, expect, it } from 'vitest';
import { parseSpec } from '../src/spec/load.js';
import type { Spec } from '../src/spec/schema.js';
import { parseShard, planSweep, shardTrials, sweepMetric } from '../src/sweep/plan.js';
import { configError, SPEC_HEAD } from './helpers/spec-text.js';

const spec = (sections: string): Spec => parseSpec(SPEC_HEAD + sections, 'finetune.yml');

describe('sweep schema', () => {
  it('defaults the method to grid and leaves trials and metric to the plan', () => {
    const s = spec('sweep:\n  learning_rate: [0.01, 0.001]\n');
    expect(s.sweep).toEqual({ learning_rate: [0.01, 0.001], method: 'grid' });
    expect(spec('seed: 1\n').sweep).toBeUndefined();
  });

  it.each([
    ['sweep:\n  learning_rate: []\n', 'sweep.learning_rate', /non-empty list of learning rates/],
    ['sweep:\n  learning_rate: [0.01, -0.1]\n', 'sweep.learning_rate[1]', /a number in \(0, 10\]/],
    ['sweep:\n  batch_size: [16, 0]\n', 'sweep.batch_size[1]', /an integer from 1 to 65536/],
    ['sweep:\n  batch_size: [16, 32, 16]\n', 'sweep.batch_size[2]', /unique values, got 16 again \(first at \[0\]\)/],
    ['sweep:\n  batch_size: [16, 32]\n  trials: 0\n', 'sweep.trials', /an integer from 1 to 1000/],
    [
      'sweep:\n  learning_rate: [0.1, 0.01]\n  batch_size: [16, 32]\n  trials: 5\n',
      'sweep.trials',
      /at most 4 \(the number of learning_rate x batch_size combinations\), got 5/,
    ],
    ['sweep:\n  method: random\n', 'sweep', /at least one of learning_rate, batch_size/],
    ['sweep:\n  batch_size: [8]\n  method: bayes\n', 'sweep.method', /one of "grid", "random"/],
    ['sweep:\n  batch_size: [8]\n  metric: f1_macro\n', 'sweep.metric', /"val_f1_macro"/],
  ])('refuses %j at %s', (text, keyPath, message) => {
    const err = configError(() => spec(text));
    const issue = err.issues.find((i) => i.path === keyPath);
    expect(issue, err.message).toBeDefined();
    expect(issue?.message).toMatch(message);
    expect(issue?.line).toBeGreaterThanOrEqual(9);
  });

  it('names a misspelt key with a suggestion', () => {
    const err = configError(() => spec('sweep:\n  batch_size: [8]\n  trails: 1\n'));
    expect(err.message).toMatch(/sweep\.trails.*did you mean "trials"/);
  });

  it('refuses a swept rate at or below train.schedule.min_lr, pointing at that rate', () => {
    const err = configError(() =>
      spec('train:\n  learning_rate: 0.1\n  schedule: { type: cosine, min_lr: 0.001 }\nsweep:\n  learning_rate: [0.01, 0.001]\n'),
    );
    expect(err.issues.map((i) => i.path)).toEqual(['sweep.learning_rate[1]']);
    expect(err.issues[0].message).toBe('expected a rate above train.schedule.min_lr (0.001), got 0.001');
    expect(err.issues[0].line).toBe(13); // the line of sweep.learning_rate's list
  });
});

describe('planSweep', () => {
  it('grid: learning_rate outer, batch_size inner, each in the order listed, indexed from 0', () => {
    const rates = [0.1, 0.003, 0.02];
    const sizes = [64, 8];
    const plan = planSweep(spec(`sweep:\n  learning_rate: [${rates.join(', ')}]\n  batch_size: [${sizes.join(', ')}]\n`));
    expect(plan.method).toBe('grid');
    expect(plan.trials).toHaveLength(rates.length * sizes.length);
    plan.trials.forEach((t, k) => {
      expect(t.index).toBe(k);
      expect(t.learning_rate).toBe(rates[Math.floor(k / sizes.length)]);
      expect(t.batch_size).toBe(sizes[k % sizes.length]);
    });
  });

  it('grid with trials N keeps the first N of that order', () => {
    const full = planSweep(spec('sweep:\n  learning_rate: [0.1, 0.01]\n  batch_size: [16, 32, 64]\n'));
    const cut = planSweep(spec('sweep:\n  learning_rate: [0.1, 0.01]\n  batch_size: [16, 32, 64]\n  trials: 4\n'));
    expect(cut.trials).toEqual(full.trials.slice(0, 4));
  });

  it('a list left out sweeps only the other key, with the train value fixed', () => {
    const plan = planSweep(spec('train:\n  learning_rate: 0.005\n  batch_size: 48\nsweep:\n  batch_size: [16, 32]\n'));
    expect(plan.trials.map((t) => [t.learning_rate, t.batch_size])).toEqual([
      [0.005, 16],
      [0.005, 32],
    ]);
  });

  const randomSweep = (seed: number, trials = 6) =>
    spec(
      `seed: ${seed}\nsweep:\n  method: random\n  trials: ${trials}\n  learning_rate: [0.1, 0.03, 0.01, 0.003, 0.001]\n  batch_size: [8, 16, 32, 64, 128]\n`,
    );

  it('random: N distinct combinations of the grid, the same for the same seed', () => {
    const grid = planSweep(spec('sweep:\n  learning_rate: [0.1, 0.03, 0.01, 0.003, 0.001]\n  batch_size: [8, 16, 32, 64, 128]\n')).trials;
    const key = (t: { learning_rate: number; batch_size: number }) => `${t.learning_rate}/${t.batch_size}`;
    const gridKeys = new Set(grid.map(key));
    const a = planSweep(randomSweep(42));
    expect(a.method).toBe('random');
    expect(a.trials).toHaveLength(6);
    expect(a.trials.map((t) => t.index)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(new Set(a.trials.map(key)).size).toBe(6);
    for (const t of a.trials) expect(gridKeys.has(key(t))).toBe(true);
    expect(planSweep(randomSweep(42)).trials).toEqual(a.trials);
    // Not simply the grid's first N, and another seed draws another set.
    expect(a.trials.map(key)).not.toEqual(grid.slice(0, 6).map(key));
    expect(planSweep(randomSweep(43)).trials.map(key)).not.toEqual(a.trials.map(key));
  });

  it('random with trials equal to the grid size draws every combination once', () => {
    const plan = planSweep(spec('sweep:\n  method: random\n  trials: 6\n  learning_rate: [0.1, 0.01]\n  batch_size: [8, 16, 32]\n'));
    const key = (t: { learning_rate: number; batch_size: number }) => `${t.learning_rate}/${t.batch_size}`;
    expect(new Set(plan.trials.map(key)).size).toBe(6);
  });
});

describe('the ranking metric', () => {
  it.each([
    ['', 'val_f1_macro', 'max'],
    ['train:\n  early_stopping: { monitor: val_loss }\n', 'val_loss', 'min'],
    ['train:\n  early_stopping: { monitor: val_accuracy, mode: min }\n', 'val_accuracy', 'min'],
    ['train:\n  early_stopping: { monitor: loss }\n', 'val_f1_macro', 'max'],
    ['train:\n  early_stopping: false\n', 'val_f1_macro', 'max'],
    ['train:\n  early_stopping: { monitor: val_loss }\n', 'val_recall_macro', 'max', '  metric: val_recall_macro\n'],
  ])('%j ranks on the validation metric %s (%s)', (train, metric, mode, extra = '') => {
    const s = spec(`${train}sweep:\n  batch_size: [8, 16]\n${extra}`);
    expect(sweepMetric(s)).toEqual({ metric, mode });
    expect(planSweep(s)).toMatchObject({ metric, mode });
  });
});

describe('shards', () => {
  const plan = planSweep(spec('sweep:\n  learning_rate: [0.1, 0.05, 0.01, 0.005, 0.001]\n  batch_size: [16, 32]\n')).trials;

  it.each([1, 2, 3, 4, 7, 10, 13])('n = %i: the shards partition the plan, round robin, sizes within one', (n) => {
    const shards = Array.from({ length: n }, (_, i) => shardTrials(plan, { index: i + 1, count: n }));
    const all = shards
      .flat()
      .map((t) => t.index)
      .sort((a, b) => a - b);
    expect(all).toEqual(plan.map((t) => t.index));
    shards.forEach((s, i) => {
      for (const t of s) expect(t.index % n).toBe(i);
    });
    const sizes = shards.map((s) => s.length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
  });

  it('parses i/n and refuses what is not a shard', () => {
    expect(parseShard('2/4')).toEqual({ index: 2, count: 4 });
    expect(parseShard(' 1 / 1 ')).toEqual({ index: 1, count: 1 });
    for (const bad of ['0/2', '3/2', '1/0', '2', 'a/b', '1/2/3', '-1/2', '1.5/2']) {
      const err = configError(() => parseShard(bad));
      expect(err.exitCode).toBe(2);
      expect(err.message).toContain(`got "${bad}"`);
    }
  });
});

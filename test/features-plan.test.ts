import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { bundleScript, requestedWorkers, splitBatches, workersFor, MIN_BATCHES_PER_WORKER } from '../src/features/worker-plan.js';

describe('requestedWorkers', () => {
  it('defaults to one per core, at most 4', () => {
    expect(requestedWorkers({})).toBe(Math.min(os.availableParallelism(), 4));
  });

  it('reads FINETUNE_WORKERS; 1 means no workers', () => {
    expect(requestedWorkers({ FINETUNE_WORKERS: '1' })).toBe(1);
    expect(requestedWorkers({ FINETUNE_WORKERS: ' 6 ' })).toBe(6);
  });

  it('refuses anything but a whole number >= 1', () => {
    for (const v of ['0', '-2', '1.5', 'two']) expect(() => requestedWorkers({ FINETUNE_WORKERS: v })).toThrow(/FINETUNE_WORKERS/);
  });
});

describe('workersFor', () => {
  it('gives each worker enough batches to pay for its start', () => {
    expect(workersFor(1000, 2)).toBe(2);
    expect(workersFor(2 * MIN_BATCHES_PER_WORKER - 1, 2)).toBe(1);
    expect(workersFor(0, 4)).toBe(1);
  });
});

describe('splitBatches', () => {
  it('covers every batch once, in contiguous, near-equal runs', () => {
    expect(splitBatches(10, 2)).toEqual([
      [0, 5],
      [5, 10],
    ]);
    expect(splitBatches(188, 3)).toEqual([
      [0, 62],
      [62, 125],
      [125, 188],
    ]);
  });
});

describe('bundleScript', () => {
  it('is the bundle when bundled, nothing from TypeScript sources', () => {
    expect(bundleScript('file:///repo/dist/cli/index.js')).toBe('/repo/dist/cli/index.js');
    expect(bundleScript('file:///repo/src/features/worker-plan.ts')).toBeUndefined();
  });
});

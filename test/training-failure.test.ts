// Every exit 3 leaves report.json: a run whose loss becomes NaN (plain SGD at rate 10 on a small
// real csv set) writes a report with status diverged, the epochs it finished and the error, and
// the report reads as a failed training in report.md, the PR comment and its history line.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runPipeline } from '../src/pipeline/run.js';
import { buildFailureReport, failureOf } from '../src/pipeline/training-failure.js';
import { guardMemory } from '../src/pipeline/out-of-memory.js';
import { renderReportMarkdown } from '../src/report/markdown.js';
import { historySummary, renderCommentBody } from '../src/report/comment.js';
import { crashFailureMessage } from '../src/pipeline/crash-report.js';
import { silentLogger } from '../src/util/log.js';
import { runCli } from '../src/cli/main.js';
import { EXIT, TrainingError } from '../src/errors.js';
import type { Report } from '../src/domain/types.js';
import { DIVERGING_TRAIN, makeTabularRepo, tabularSpec } from './helpers/tabular-repo.js';

describe('a diverging run', () => {
  it('exits 3 and writes report.json with status diverged, the epochs reached and the error', async () => {
    const repo = makeTabularRepo(tabularSpec({ train: DIVERGING_TRAIN }));
    const res = await runPipeline({ specPath: path.join(repo, 'finetune.yml'), backend: 'cpu', noCache: true, log: silentLogger });
    expect(res.exitCode).toBe(EXIT.TRAINING_FAILED);
    const onDisk = JSON.parse(fs.readFileSync(path.join(repo, 'finetune-out/report.json'), 'utf8')) as Report;
    expect(onDisk.status).toBe('diverged');
    expect(onDisk.verdict).toBe('fail');
    const message = onDisk.error?.message ?? '';
    expect(message).toMatch(/^training diverged: the loss became (NaN|Infinity) at epoch \d+, step \d+ \(learning rate 10\.0\)/);
    // The epochs before the one that diverged, each with its numbers.
    const at = Number(/at epoch (\d+)/.exec(message)?.[1]);
    expect(at).toBeGreaterThan(1);
    expect(onDisk.history.map((h) => h.epoch)).toEqual(Array.from({ length: at - 1 }, (_, i) => i + 1));
    expect(onDisk.history.every((h) => typeof h.loss === 'number')).toBe(true);
    expect(onDisk.name).toBe('tab');
    expect(onDisk.fingerprint.backend).toBe('cpu');
    expect(res.modelDir).toBeUndefined();
    expect(fs.existsSync(path.join(repo, 'finetune-out/model'))).toBe(false);
    const md = fs.readFileSync(path.join(repo, 'finetune-out/report.md'), 'utf8');
    expect(md).toMatch(/\*\*FAIL\*\* \(diverged\): `tab`: training failed/);
    expect(md).toContain(message);
    expect(md).toContain(`Epochs reached (${at - 1}):`);
    expect(renderCommentBody(onDisk)).toMatch(/## Training failed[\s\S]*\| 1 \| \d/);
    expect(historySummary(onDisk)).toBe(`diverged after ${at - 1} epochs`);
    expect(crashFailureMessage(onDisk)).toBe(`training failed (diverged): ${message}`);
  });
});

describe('finetune run with a diverging spec', () => {
  it('exits 3, says what happened and where the report is', async () => {
    const repo = makeTabularRepo(tabularSpec({ train: DIVERGING_TRAIN }));
    const lines: string[] = [];
    const log = { ...silentLogger, info: (m: string) => lines.push(m), warn: (m: string) => lines.push(m) };
    const code = await runCli(['run', '--spec', path.join(repo, 'finetune.yml'), '--backend', 'cpu', '--no-cache'], log);
    expect(code).toBe(EXIT.TRAINING_FAILED);
    expect(lines.join('\n')).toMatch(/training failed \(diverged\): training diverged: the loss became/);
    expect(lines).toContain(`report: ${path.join(repo, 'finetune-out/report.json')}`);
    expect((JSON.parse(fs.readFileSync(path.join(repo, 'finetune-out/report.json'), 'utf8')) as Report).status).toBe('diverged');
  });
});

describe('failureOf', () => {
  it('names out of memory, budget and a cancel from the errors that stand for them; a bug is none', async () => {
    const oom = await guardMemory('training', 'lower train.batch_size', () =>
      Promise.reject(new RangeError('Array buffer allocation failed')),
    ).catch((e: unknown) => e);
    expect(failureOf(oom)).toMatchObject({ failure: 'out_of_memory', history: [] });
    expect(failureOf(new TrainingError('train.max_minutes (1) was reached', { failure: 'budget' }))?.failure).toBe('budget');
    expect(failureOf(new TrainingError('cancelled', { failure: 'interrupted' }))?.failure).toBe('interrupted');
    // The GPU batch fallback wraps the last error: its words are kept, the kind is found inside.
    const wrapped = new Error('out of memory during training (also after retrying with batch_size 16)', { cause: oom });
    expect(failureOf(wrapped)).toMatchObject({ failure: 'out_of_memory', message: wrapped.message });
    expect(failureOf(new TypeError('x is undefined'))).toBeUndefined();
  });

  it('a budget failure reads as such, with no epoch', () => {
    const r = buildFailureReport(
      { name: 'n', specSha256: 's', seed: 1, base: 'none' },
      {
        failure: 'budget',
        message: 'train.max_minutes (1) was reached before the first epoch finished',
        history: [],
        backend: 'wasm',
        seconds: 60,
      },
    );
    expect(r).toMatchObject({
      status: 'budget',
      verdict: 'fail',
      error: { message: 'train.max_minutes (1) was reached before the first epoch finished' },
    });
    expect(renderReportMarkdown(r)).toMatch(/\(budget\)[\s\S]*_No epoch finished\._/);
  });
});

// The pieces behind a crashed run's report: what to try per backend, the report and how it reads,
// the stderr tail, and errors crossing from the training process to the step.
import { describe, expect, it } from 'vitest';
import { buildCrashReport, crashFailureMessage, crashRemedy, type CrashFacts } from '../src/pipeline/crash-report.js';
import type { RunPlan } from '../src/pipeline/run-plan.js';
import { fromWireError, toWireError } from '../src/action/train-protocol.js';
import { renderReportMarkdown } from '../src/report/markdown.js';
import { historySummary, renderCommentBody } from '../src/report/comment.js';
import { LineTail } from '../src/util/line-tail.js';
import { ConfigError, DataError, FinetuneError, EXIT } from '../src/errors.js';

const plan: RunPlan = {
  name: 'fashion',
  specSha256: 'ab'.repeat(32),
  seed: 42,
  outDir: '/w/finetune-out',
  retentionDays: 7,
  base: 'models/m/model.json',
  featureScope: 'f00',
};
const facts = (over: Partial<CrashFacts> = {}): CrashFacts => ({
  signal: 'SIGSEGV',
  code: null,
  stderrTail: ['Segmentation fault'],
  backend: 'tensorflow',
  seconds: 12.5,
  ...over,
});

describe('the remedy', () => {
  it('names another backend for each native crash', () => {
    expect(crashRemedy(facts())).toMatch(/libtensorflow .*try backend: wasm/);
    expect(crashRemedy(facts({ backend: 'tensorflow-gpu' }))).toMatch(/CUDA 11\.2 \/ cuDNN 8\.1.*backend: webgpu or backend: wasm/);
    expect(crashRemedy(facts({ backend: 'webgpu' }))).toMatch(/Vulkan.*backend: wasm/);
    expect(crashRemedy(facts({ backend: 'wasm' }))).toMatch(/try backend: cpu/);
  });

  it('recognises a JavaScript heap exhaustion whatever the backend, and a cancel', () => {
    const heap = facts({
      signal: 'SIGABRT',
      stderrTail: ['FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory'],
    });
    expect(crashRemedy(heap)).toMatch(/max-old-space-size/);
    expect(crashRemedy(facts({ cancelledBy: 'SIGTERM' }))).toMatch(/cancelled \(SIGTERM\)/);
  });
});

describe('the crashed report', () => {
  const report = buildCrashReport(plan, facts(), new Date('2026-01-02T03:04:05Z'));

  it('fails, names the run, and records how the process died', () => {
    expect(report).toMatchObject({
      name: 'fashion',
      verdict: 'fail',
      status: 'crashed',
      metrics: {},
      created_at: '2026-01-02T03:04:05.000Z',
    });
    expect(report.crash).toEqual({
      signal: 'SIGSEGV',
      exit_code: null,
      backend: 'tensorflow',
      stderr_tail: ['Segmentation fault'],
      remedy: crashRemedy(facts()),
    });
    expect(report.fingerprint).toMatchObject({ spec_sha256: plan.specSha256, seed: 42, backend: 'tensorflow' });
    expect(report.timing.total_s).toBe(12.5);
  });

  it('without a plan still names something and fails', () => {
    const bare = buildCrashReport(undefined, facts({ signal: null, code: 70, stderrTail: [] }));
    expect(bare.name).toBe('finetune');
    expect(bare.crash?.exit_code).toBe(70);
    expect(crashFailureMessage(bare)).toMatch(/exit code 70 without a report on backend tensorflow/);
  });

  it('reads as a crash in report.md, the PR comment and the comment history', () => {
    const md = renderReportMarkdown(report);
    expect(md.split('\n')[0]).toBe('# ❌ FAIL: the training process died (signal SIGSEGV on backend tensorflow); nothing was evaluated');
    expect(md).toMatch(/\*\*FAIL\*\* \(crashed\)/);
    expect(md).toMatch(/signal SIGSEGV on backend `tensorflow`/);
    expect(md).toMatch(/```\nSegmentation fault\n```/);
    expect(md).not.toMatch(/## Metrics/);
    expect(renderCommentBody(report)).toMatch(/## Crash[\s\S]*Remedy: libtensorflow/);
    expect(historySummary(report)).toBe('crashed (signal SIGSEGV)');
    expect(crashFailureMessage(report)).toBe(
      `training crashed: the training process ended with signal SIGSEGV on backend tensorflow. Remedy: ${report.crash?.remedy}`,
    );
  });
});

describe('the stderr tail', () => {
  it('keeps the last lines across chunk boundaries, without blanks', () => {
    const tail = new LineTail(3);
    tail.push('one\ntw');
    tail.push('o\n\nthree\r\nfour\nfi');
    expect(tail.lines()).toEqual(['three', 'four', 'fi']);
    tail.push('ve\n');
    expect(tail.lines()).toEqual(['three', 'four', 'five']);
  });

  it('clips endless lines', () => {
    const tail = new LineTail(2, 10);
    tail.push('x'.repeat(100));
    expect(tail.lines()).toEqual([`${'x'.repeat(10)}…`]);
  });
});

describe('errors from the training process', () => {
  it('come back as the same kinds, with exit code, issues and location', () => {
    const spec = new ConfigError('bad spec', {
      issues: [{ path: 'model.cutt', message: 'unknown key', line: 7 }],
      location: { file: 'finetune.yml' },
    });
    const back = fromWireError(toWireError(spec));
    expect(back).toBeInstanceOf(ConfigError);
    expect((back as ConfigError).issues).toEqual(spec.issues);
    expect((back as ConfigError).location).toEqual({ file: 'finetune.yml' });
    expect((back as ConfigError).exitCode).toBe(EXIT.BAD_INPUT);

    const data = fromWireError(toWireError(new DataError('undecodable files')));
    expect(data).toBeInstanceOf(FinetuneError);
    expect(data).not.toBeInstanceOf(ConfigError);
    expect([data.name, (data as FinetuneError).exitCode]).toEqual(['DataError', EXIT.BAD_INPUT]);

    const bug = new TypeError('x is undefined');
    const plain = fromWireError(toWireError(bug));
    expect(plain).not.toBeInstanceOf(FinetuneError);
    expect(plain.stack).toBe(bug.stack);
  });
});

// `finetune run` trains in a process of its own. From sources there is no bundle, so src/cli.ts is
// compiled to a temp folder and run as bin/finetune.js runs dist/cli/index.js; FINETUNE_TEST_CRASH
// makes the training process die at the start of training the way native code does.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../src/domain/types.js';
import { compileSrc } from './helpers/compile-src.js';
import { withCrashHook } from './helpers/crash-hook.js';
import { defaultSpec, makeTinyRepo, readJson } from './helpers/tiny-repo.js';

let tmp: string;
let entry: string;

interface CliRun {
  status: number | null;
  signal: NodeJS.Signals | null;
  out: string;
}

function runCliProcess(repo: string, args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  // From sources there is no bundle for feature worker threads to run.
  const child = spawn(process.execPath, [entry, ...args], {
    cwd: repo,
    env: withCrashHook({ ...process.env, FINETUNE_WORKERS: '1', ...env }),
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve) => child.on('close', (status, signal) => resolve({ status, signal, out })));
}

const SMALL = { train: 120, test: 60 };
const LOOSE_GATE = 'gate:\n  metrics:\n    accuracy: { min: 0.2 }\n';

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-child-'));
  entry = compileSrc(path.join(tmp, 'build'), 'cli');
});

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('finetune run in its own training process', () => {
  it('passes on the training process exit code and leaves its report', async () => {
    const repo = makeTinyRepo({ ...SMALL, spec: defaultSpec(LOOSE_GATE) });
    const res = await runCliProcess(repo, ['run', '--backend', 'wasm', '--no-cache']);
    expect(res.status, res.out).toBe(0);
    expect(res.out).toMatch(/verdict: PASS/);
    const report = readJson<Report>(path.join(repo, 'finetune-out/report.json'));
    expect(report.status).toBe('complete');
    expect(report.metrics.accuracy).toBeGreaterThan(0.2);
  });

  it('an abort in the training process still leaves a report marked crashed, naming the signal and backend; exit 3', async () => {
    const repo = makeTinyRepo({ ...SMALL, spec: defaultSpec(LOOSE_GATE) });
    const res = await runCliProcess(repo, ['run', '--backend', 'wasm', '--no-cache'], { FINETUNE_TEST_CRASH: 'abort' });
    expect(res.status, res.out).toBe(3);
    expect(res.out).toMatch(/training crashed: the training process ended with signal SIGABRT on backend wasm/);
    const report = readJson<Report>(path.join(repo, 'finetune-out/report.json'));
    expect(report.status).toBe('crashed');
    expect(report.verdict).toBe('fail');
    expect(report.name).toBe('tiny-fashion');
    expect(report.crash?.signal).toBe('SIGABRT');
    expect(report.crash?.backend).toBe('wasm');
    expect(report.crash?.stderr_tail.join('\n')).toMatch(/FINETUNE_TEST_CRASH=abort/);
    expect(fs.existsSync(path.join(repo, 'finetune-out/report.md'))).toBe(true);
  });

  it('a training process that exits with a code of its own is a crash too, reported under --out', async () => {
    const repo = makeTinyRepo({ ...SMALL, spec: defaultSpec(LOOSE_GATE) });
    const res = await runCliProcess(repo, ['run', '--backend', 'wasm', '--no-cache', '--out', 'elsewhere'], {
      FINETUNE_TEST_CRASH: 'exit',
    });
    expect(res.status, res.out).toBe(3);
    const report = readJson<Report>(path.join(repo, 'elsewhere/report.json'));
    expect(report.status).toBe('crashed');
    expect(report.crash?.exit_code).toBe(70);
    expect(report.crash?.signal).toBeNull();
  });

  it('with FINETUNE_IN_PROCESS the same abort takes the command down and nothing is reported', async () => {
    const repo = makeTinyRepo({ ...SMALL, spec: defaultSpec(LOOSE_GATE) });
    const res = await runCliProcess(repo, ['run', '--backend', 'wasm', '--no-cache'], {
      FINETUNE_TEST_CRASH: 'abort',
      FINETUNE_IN_PROCESS: '1',
    });
    expect(res.signal, res.out).toBe('SIGABRT');
    expect(fs.existsSync(path.join(repo, 'finetune-out/report.json'))).toBe(false);
  });

  it('a bad argument is answered by the command itself, without a training process', async () => {
    const repo = makeTinyRepo({ ...SMALL, spec: defaultSpec(LOOSE_GATE) });
    const res = await runCliProcess(repo, ['run', '--backend', 'tpu'], { FINETUNE_TEST_CRASH: 'abort' });
    expect(res.status, res.out).toBe(2);
    expect(res.out).toMatch(/backend/);
    expect(res.out).not.toMatch(/FINETUNE_TEST_CRASH/);
  });
});

describe('finetune sweep in its own training process', () => {
  const SWEEP = 'sweep:\n  learning_rate: [0.01, 0.001]\n';

  it('writes its trials file as before', async () => {
    const repo = makeTinyRepo({ ...SMALL, spec: defaultSpec(SWEEP) });
    const res = await runCliProcess(repo, ['sweep', '--backend', 'wasm', '--no-cache']);
    expect(res.status, res.out).toBe(0);
    const trials = readJson<{ trials: unknown[] }>(path.join(repo, 'finetune-out/sweep/trials.json'));
    expect(trials.trials).toHaveLength(2);
  });

  it('an abort in the training process is named with its backend and remedy; exit 3, no trials file', async () => {
    const repo = makeTinyRepo({ ...SMALL, spec: defaultSpec(SWEEP) });
    const res = await runCliProcess(repo, ['sweep', '--backend', 'wasm', '--no-cache'], { FINETUNE_TEST_CRASH: 'abort' });
    expect(res.status, res.out).toBe(3);
    expect(res.out).toMatch(/training crashed: the training process ended with signal SIGABRT on backend wasm\. Remedy: /);
    expect(fs.existsSync(path.join(repo, 'finetune-out/sweep/trials.json'))).toBe(false);
    expect(fs.existsSync(path.join(repo, 'finetune-out/report.json'))).toBe(false);
  });
});

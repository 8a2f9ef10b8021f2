// The Action trains in a process of its own. From sources there is no bundle, so src/ is compiled
// to a temp folder and its index.js is run as a runner would run dist/index.js (inputs in INPUT_*,
// outputs to GITHUB_OUTPUT); it starts itself again as the training process, as the bundle does.
// FINETUNE_TEST_CRASH makes that process die at the start of training the way native code does.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../src/domain/types.js';
import { defaultSpec, makeTinyRepo, readJson } from './helpers/tiny-repo.js';
import { actionStep } from './helpers/action-env.js';
import { compileSrc } from './helpers/compile-src.js';
import { withCrashHook } from './helpers/crash-hook.js';

let tmp: string;
let entry: string;

interface ActionRun {
  status: number | null;
  out: string;
  outputs: Record<string, string>;
  summary: string;
}

/** Runs the compiled Action in `repo`; `onOutput` sees stdout and stderr as they come and may signal the process. */
function runAction(
  repo: string,
  inputs: Record<string, string>,
  extraEnv: Record<string, string> = {},
  onOutput?: (all: string, kill: (s: NodeJS.Signals) => void) => void,
): Promise<ActionRun> {
  // From sources there is no bundle for feature worker threads to run.
  const step = actionStep(repo, inputs, { FINETUNE_WORKERS: '1', ...extraEnv });
  const child = spawn(process.execPath, [entry], { cwd: repo, env: withCrashHook(step.env) });
  let out = '';
  const take = (d: Buffer) => {
    out += d.toString();
    onOutput?.(out, (s) => child.kill(s));
  };
  child.stdout.on('data', take);
  child.stderr.on('data', take);
  return new Promise((resolve) => {
    child.on('close', (status) => {
      resolve({ status, out, ...step.results() });
    });
  });
}

const SMALL = { train: 120, test: 60 };
const LOOSE_GATE = 'gate:\n  metrics:\n    accuracy: { min: 0.2 }\n';

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'action-child-'));
  entry = compileSrc(path.join(tmp, 'build'), 'index');
});

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('the training process', () => {
  it('trains there and hands the result back: the step sets the outputs and passes', async () => {
    const repo = makeTinyRepo({ ...SMALL, spec: defaultSpec(LOOSE_GATE) });
    const res = await runAction(repo, { spec: 'finetune.yml', backend: 'wasm' });
    expect(res.status, res.out).toBe(0);
    expect(res.outputs.verdict).toBe('pass');
    expect(Number(res.outputs.accuracy)).toBeGreaterThan(0.2);
    const report = readJson<Report>(path.join(repo, 'finetune-out/report.json'));
    expect(report.status).toBe('complete');
    expect(report.fingerprint.backend).toBe('wasm');
    expect(res.summary).toMatch(/PASS/);
  });

  it('a spec error raised there is annotated on its line by the step, exit 2', async () => {
    const repo = makeTinyRepo({ ...SMALL, spec: defaultSpec('').replace('cut:', 'cutt:') });
    const res = await runAction(repo, { spec: 'finetune.yml', backend: 'wasm' });
    expect(res.status, res.out).toBe(2);
    expect(res.out).toMatch(/::error file=finetune\.yml,line=7[^:]*::model\.cutt: unknown key; did you mean "cut"\?/);
  });

  it('dies from SIGABRT at the start of training: the step writes a crashed report, sets the outputs and exits 3', async () => {
    const repo = makeTinyRepo({ ...SMALL, spec: defaultSpec(LOOSE_GATE) });
    const res = await runAction(repo, { spec: 'finetune.yml', backend: 'wasm' }, { FINETUNE_TEST_CRASH: 'abort' });
    expect(res.status, res.out).toBe(3);
    const report = readJson<Report>(path.join(repo, 'finetune-out/report.json'));
    expect(report.status).toBe('crashed');
    expect(report.verdict).toBe('fail');
    expect(report.name).toBe('tiny-fashion');
    expect(report.crash).toMatchObject({ signal: 'SIGABRT', exit_code: null, backend: 'wasm' });
    expect(report.crash?.stderr_tail.join('\n')).toMatch(/FINETUNE_TEST_CRASH=abort: crashing at the start of training/);
    expect(res.outputs.verdict).toBe('fail');
    expect(res.outputs.passed).toBe('false');
    expect(res.outputs['report-path']).toBe(path.join(repo, 'finetune-out/report.json'));
    expect(res.outputs.accuracy).toBeUndefined();
    expect(res.out).toMatch(
      /::error::training crashed: the training process ended with signal SIGABRT on backend wasm.*Remedy: try backend: cpu/,
    );
    expect(res.summary).toMatch(/\(crashed\)/);
    expect(res.summary).toMatch(/## Crash/);
    expect(fs.readFileSync(path.join(repo, 'finetune-out/report.md'), 'utf8')).toMatch(/signal SIGABRT on backend `wasm`/);
  });

  it('exits without a report: the crashed report records the exit code', async () => {
    const repo = makeTinyRepo({ ...SMALL, spec: defaultSpec(LOOSE_GATE) });
    const res = await runAction(repo, { spec: 'finetune.yml', backend: 'wasm' }, { FINETUNE_TEST_CRASH: 'exit' });
    expect(res.status, res.out).toBe(3);
    const report = readJson<Report>(path.join(repo, 'finetune-out/report.json'));
    expect(report.crash).toMatchObject({ signal: null, exit_code: 70 });
    expect(res.out).toMatch(/exit code 70 without a report on backend wasm/);
  });

  it('a cancel reaches it once: it stops, writes a report marked interrupted, and the step exits 3', async () => {
    const long = defaultSpec(LOOSE_GATE)
      .replace('epochs: 6', 'epochs: 400')
      .replace('early_stopping: { patience: 3 }', 'early_stopping: false');
    const repo = makeTinyRepo({ ...SMALL, spec: long });
    let sent = false;
    const res = await runAction(repo, { spec: 'finetune.yml', backend: 'wasm' }, {}, (all, kill) => {
      if (!sent && /epoch 3\/400/.test(all)) {
        sent = true;
        kill('SIGINT');
      }
    });
    expect(sent, res.out).toBe(true);
    expect(res.status, res.out).toBe(3);
    expect(res.out).toMatch(/SIGINT received: stopping/);
    const report = readJson<Report>(path.join(repo, 'finetune-out/report.json'));
    expect(report.status).toBe('interrupted');
    expect(report.history.length).toBeGreaterThanOrEqual(3);
    expect(report.history.length).toBeLessThan(400);
    expect(res.outputs.verdict).toBeDefined();
  });
});

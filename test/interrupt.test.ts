// Cancels and budgets: a cancelled run still writes a report marked interrupted (exit 3); a budget
// reached before the first epoch is a training failure (exit 3) with a clear message.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/main.js';
import { silentLogger, type Logger } from '../src/util/log.js';
import type { Report } from '../src/domain/types.js';
import { defaultSpec, makeTinyRepo, readJson } from './helpers/tiny-repo.js';

const LONG_TRAINING = defaultSpec('')
  .replace('epochs: 6', 'epochs: 400')
  .replace('early_stopping: { patience: 3 }', 'early_stopping: false');

describe('cancel and budget', () => {
  it('SIGINT mid-training: the bundled CLI writes a report marked interrupted, with the epochs reached, and exits 3', async () => {
    const repo = makeTinyRepo({ spec: LONG_TRAINING });
    const child = spawn(process.execPath, [path.resolve('bin/finetune.js'), 'run', '--backend', 'wasm', '--no-cache'], { cwd: repo });
    let out = '';
    let sent = false;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (!sent && /epoch 3\/400/.test(out)) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(sent, out).toBe(true);
    expect(code, out).toBe(3);
    expect(out).toMatch(/SIGINT received/);
    const report = readJson<Report>(path.join(repo, 'finetune-out/report.json'));
    expect(report.status).toBe('interrupted');
    expect(report.history.length).toBeGreaterThanOrEqual(3);
    expect(report.history.length).toBeLessThan(400);
    expect(report.metrics.accuracy).toBeGreaterThan(0);
    expect(fs.existsSync(path.join(repo, 'finetune-out/model/sha256sums.txt'))).toBe(true);
  });

  it('a budget reached before the first epoch ends is a training failure: exit 3 naming train.max_minutes, with a report', async () => {
    const repo = makeTinyRepo({ spec: LONG_TRAINING.replace('batch_size: 32', 'batch_size: 1\n  max_minutes: 0.0001') });
    const warnings: string[] = [];
    const log: Logger = { ...silentLogger, warn: (m) => warnings.push(m) };
    const code = await runCli(['run', '--spec', path.join(repo, 'finetune.yml'), '--backend', 'wasm', '--no-cache'], log);
    expect(code).toBe(3);
    expect(warnings.join('\n')).toMatch(/train\.max_minutes \(0\.0001\) was reached before the first epoch finished/);
    // Every exit 3 leaves report.json (SPEC.md section 6): status budget, no epoch, the error.
    const report = readJson<Report>(path.join(repo, 'finetune-out/report.json'));
    expect(report).toMatchObject({ status: 'budget', verdict: 'fail', history: [] });
    expect(report.error?.message).toMatch(/^train\.max_minutes \(0\.0001\) was reached before the first epoch finished/);
    expect(fs.existsSync(path.join(repo, 'finetune-out/model'))).toBe(false);
  });

  it('a budget reached after some epochs stops cleanly, keeps the best epoch and marks the report', async () => {
    const repo = makeTinyRepo({ spec: LONG_TRAINING.replace('batch_size: 32', 'batch_size: 32\n  max_minutes: 0.05') });
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'finetune-budget-'));
    const code = await runCli(['run', '--spec', path.join(repo, 'finetune.yml'), '--backend', 'wasm', '--out', out], silentLogger);
    const report = readJson<Report>(path.join(out, 'report.json'));
    expect(report.status).toBe('budget_reached');
    expect(report.history.length).toBeGreaterThan(0);
    expect(report.history.length).toBeLessThan(400);
    expect([0, 1]).toContain(code);
  });
});

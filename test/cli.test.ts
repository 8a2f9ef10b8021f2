// The command line end to end, through the bundled dist/cli/index.js, on a small real subset.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, beforeAll } from 'vitest';
import { defaultSpec, makeTinyRepo, readJson } from './helpers/tiny-repo.js';
import type { Report } from '../src/domain/types.js';

const BIN = path.resolve('bin/finetune.js');

function finetune(args: string[], cwd: string, env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 240_000 });
}

describe('finetune run (bundled CLI)', () => {
  let repo: string;
  let cache: string;
  beforeAll(() => {
    repo = makeTinyRepo({
      spec: defaultSpec(`gate:
  metrics:
    accuracy: { min: 0.5 }
    f1_macro: { min: 0.4 }
`),
    });
    cache = fs.mkdtempSync(path.join(os.tmpdir(), 'finetune-cache-'));
  });

  it('passes the gate, exits 0 and writes a complete report and a verifiable bundle', () => {
    const res = finetune(['run', '--backend', 'wasm'], repo, { FINETUNE_CACHE_DIR: cache });
    expect(res.stderr).not.toMatch(/internal error/);
    expect(res.status, res.stdout + res.stderr).toBe(0);
    expect(res.stdout).toMatch(/verdict: PASS/);
    const report = readJson<Report>(path.join(repo, 'finetune-out/report.json'));
    expect(report.verdict).toBe('pass');
    expect(report.metrics.accuracy).toBeGreaterThan(0.5);
    for (const key of [
      'accuracy',
      'precision_macro',
      'recall_macro',
      'f1_macro',
      'precision_weighted',
      'recall_weighted',
      'f1_weighted',
      'f1_micro',
      'loss',
    ]) {
      expect(typeof report.metrics[key], key).toBe('number');
    }
    expect(report.per_class).toHaveLength(10);
    expect(report.per_class.reduce((s, c) => s + c.support, 0)).toBe(150);
    expect(report.confusion_matrix.matrix.flat().reduce((a, b) => a + b, 0)).toBe(150);
    expect(report.gate.checks.map((c) => c.metric).sort()).toEqual(['accuracy', 'f1_macro']);
    expect(report.history.length).toBeGreaterThan(0);
    expect(report.history[0]).toHaveProperty('val_f1_macro');
    expect(report.fingerprint.backend).toBe('wasm');
    expect(report.fingerprint.seed).toBe(7);
    expect(report.fingerprint.test_set_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(report.fingerprint.spec_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(report.data).toMatchObject({ test: 150, classes: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] });
    expect(report.timing.total_s).toBeGreaterThan(0);
    expect(fs.readFileSync(path.join(repo, 'finetune-out/report.md'), 'utf8')).toMatch(/## Gate/);
    for (const f of ['model.json', 'weights.bin', 'labels.json', 'preprocess.json', 'model-card.md', 'sha256sums.txt']) {
      expect(fs.existsSync(path.join(repo, 'finetune-out/model', f)), f).toBe(true);
    }
    const verify = finetune(['verify', 'finetune-out/model'], repo);
    expect(verify.status, verify.stdout + verify.stderr).toBe(0);
    const sums = spawnSync('sha256sum', ['-c', 'sha256sums.txt'], { cwd: path.join(repo, 'finetune-out/model'), encoding: 'utf8' });
    expect(sums.status, sums.stdout + sums.stderr).toBe(0);
  });

  it('fails the gate with exit 1 when a threshold is impossible, and still writes the report', () => {
    fs.writeFileSync(
      path.join(repo, 'impossible.yml'),
      defaultSpec(`gate:
  metrics:
    accuracy: { min: 0.999 }
output: { dir: out-impossible }
`),
    );
    const res = finetune(['run', '--spec', 'impossible.yml', '--backend', 'wasm'], repo, { FINETUNE_CACHE_DIR: cache });
    expect(res.status, res.stdout + res.stderr).toBe(1);
    expect(res.stdout).toMatch(/verdict: FAIL/);
    expect(res.stdout).toMatch(/features: \d+ of \d+ from the cache/);
    const report = readJson<Report>(path.join(repo, 'out-impossible/report.json'));
    expect(report.verdict).toBe('fail');
    const check = report.gate.checks.find((c) => c.metric === 'accuracy');
    expect(check?.status).toBe('fail');
    expect(check?.min).toBe(0.999);
  });

  it('exits 2 with the key path and line for a bad spec, before training', () => {
    fs.writeFileSync(path.join(repo, 'bad.yml'), defaultSpec('').replace('epochs: 6', 'epochs: -1'));
    const res = finetune(['run', '--spec', 'bad.yml', '--backend', 'wasm'], repo);
    expect(res.status).toBe(2);
    expect(res.stderr).toMatch(/train\.epochs/);
    expect(res.stderr).toMatch(/line 16/);
    expect(fs.existsSync(path.join(repo, 'finetune-out-bad'))).toBe(false);
  });

  it('validate checks the base model and the cut layer without training', () => {
    const ok = finetune(['validate'], repo);
    expect(ok.status, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/cut at "block_13_expand_relu" -> 3x3x576/);
    expect(ok.stdout).toMatch(/\d+ frozen .* \d+ trainable/);
    fs.writeFileSync(path.join(repo, 'badcut.yml'), defaultSpec('').replace('block_13_expand_relu', 'block_13_expand_relux'));
    const bad = finetune(['validate', '--spec', 'badcut.yml'], repo);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/no layer named "block_13_expand_relux".*close names: block_13_expand_relu/);
  });
});

describe('finetune validate with model.trainable', () => {
  it('names the unfrozen layers and counts trainable and frozen parameters; a pattern that matches nothing is exit 2', () => {
    const repo = makeTinyRepo({ spec: defaultSpec('').replace('cut: block_13_expand_relu', 'cut: block_13_expand_relu\n  trainable: 2') });
    const res = finetune(['validate'], repo);
    expect(res.status, res.stdout + res.stderr).toBe(0);
    expect(res.stdout).toMatch(
      /2 base layers unfrozen for phase two: block_13_expand, block_13_expand_BN; frozen part up to "block_12_add"/,
    );
    const counts = /parameters: (\d+) frozen, (\d+) trainable \((\d+) base \+ (\d+) head/.exec(res.stdout);
    expect(counts).not.toBeNull();
    const [frozen, trainable, base, head] = (counts as RegExpExecArray).slice(1).map(Number);
    // block_13_expand: 1x1 conv 96 -> 576 (no bias); its BatchNorm: scale and offset of 576.
    expect(base).toBe(96 * 576 + 2 * 576);
    expect(trainable).toBe(base + head);
    expect(frozen).toBeGreaterThan(base);
    fs.writeFileSync(
      path.join(repo, 'badpattern.yml'),
      defaultSpec('').replace('cut: block_13_expand_relu', "cut: block_13_expand_relu\n  trainable: ['block_99_*']"),
    );
    const bad = finetune(['validate', '--spec', 'badpattern.yml'], repo);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/model\.trainable: "block_99_\*" matches no layer up to the cut/);
  });
});

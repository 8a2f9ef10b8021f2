// Baseline sources end to end on a small real subset: a report file (same or another test set),
// a model bundle re-scored on this run's test set, an artifact outside Actions, and `finetune gate`.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runPipeline } from '../src/pipeline/run.js';
import { runCli } from '../src/cli/main.js';
import { silentLogger, type Logger } from '../src/util/log.js';
import type { Report } from '../src/domain/types.js';
import { defaultSpec, makeTinyRepo, readJson } from './helpers/tiny-repo.js';

const GATE = (baseline: string) => `gate:
  metrics:
    accuracy: { min: 0.3, max_drop: 0.05 }
    f1_macro: { min: 0.3, max_drop: 0.05 }
${baseline}`;

let repo: string;
let cacheDir: string;
let first: Report;

async function run(spec: string, out: string) {
  fs.writeFileSync(path.join(repo, `${out}.yml`), defaultSpec(spec));
  return runPipeline({
    specPath: path.join(repo, `${out}.yml`),
    outDir: path.join(repo, out),
    backend: 'wasm',
    cacheDir,
    log: silentLogger,
  });
}

beforeAll(async () => {
  repo = makeTinyRepo({ train: 300, test: 120 });
  cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'finetune-cache-'));
  first = (await run(GATE(''), 'first')).report;
  fs.copyFileSync(path.join(repo, 'first/report.json'), path.join(repo, 'baseline.json'));
});

describe('gate.baseline', () => {
  it('from file: the same run again passes, compared example by example with the stored predictions', async () => {
    const { report, exitCode } = await run(GATE('  baseline: { from: file, path: baseline.json }'), 'again');
    expect(exitCode).toBe(0);
    expect(report.baseline).toMatchObject({ source: 'file', path: 'baseline.json' });
    expect(report.baseline.metrics?.accuracy).toBe(first.metrics.accuracy);
    const acc = report.gate.checks.find((c) => c.metric === 'accuracy');
    expect(acc?.delta).toBe(0);
    expect(acc?.ci).toBeDefined();
    expect(report.gate.method).toMatch(/paired/i);
  });

  it('from file: a baseline scored on another test set is never a pass: inconclusive, naming both fingerprints and the remedy', async () => {
    const other = { ...first, fingerprint: { ...first.fingerprint, test_set_sha256: 'f'.repeat(64) } };
    fs.writeFileSync(path.join(repo, 'other.json'), JSON.stringify(other));
    const warnings: string[] = [];
    const log: Logger = { ...silentLogger, warn: (m) => warnings.push(m) };
    fs.writeFileSync(
      path.join(repo, 'other.yml'),
      defaultSpec(GATE('  baseline: { from: file, path: other.json }\n  on_inconclusive: fail')),
    );
    const { report, exitCode } = await runPipeline({
      specPath: path.join(repo, 'other.yml'),
      outDir: path.join(repo, 'other-out'),
      backend: 'wasm',
      cacheDir,
      log,
    });
    expect(report.verdict).toBe('inconclusive');
    expect(exitCode).toBe(1);
    const ours = first.fingerprint.test_set_sha256.slice(0, 12);
    for (const c of report.gate.checks) {
      expect(c.status).toBe('inconclusive');
      expect(c.baseline).toBeUndefined();
      expect(c.reason).toContain(`sha256 ffffffffffff, this run ${ours}`);
      expect(c.reason).toContain('gate.baseline.from: model');
    }
    expect(report.gate.test_set_changed).toEqual({ baseline: 'f'.repeat(64), candidate: first.fingerprint.test_set_sha256 });
    expect(report.baseline.ignored_reason).toMatch(/different test set/);
    expect(warnings.join('\n')).toMatch(/different test set/);
    const md = fs.readFileSync(path.join(repo, 'other-out/report.md'), 'utf8');
    expect(md.split('\n')[0]).toBe(`# ⚠️ INCONCLUSIVE: baseline not compared, its test set changed (sha256 ffffffffffff → ${ours})`);
  });

  it('from model: re-scores the baseline bundle on this test set and reproduces its metrics', async () => {
    const { report } = await run(GATE('  baseline: { from: model, path: first/model }'), 'vs-model');
    expect(report.baseline.source).toBe('model');
    expect(report.baseline.metrics?.accuracy).toBeCloseTo(first.metrics.accuracy, 2);
    expect(report.baseline.metrics?.f1_macro).toBeCloseTo(first.metrics.f1_macro, 2);
    expect(report.gate.method).toMatch(/paired/i);
  });

  it('from artifact outside Actions: absolute thresholds only, and the report says why', async () => {
    const { report, exitCode } = await run(GATE('  baseline: { from: artifact }'), 'artifact-abs');
    expect(exitCode).toBe(0);
    expect(report.baseline.ignored_reason).toMatch(/needs GitHub Actions.*absolute-only/s);
  });

  it('from artifact with first_run: fail: no baseline fails the gate with a stated check', async () => {
    const { report, exitCode } = await run(GATE('  baseline: { from: artifact, first_run: fail }'), 'artifact-fail');
    expect(exitCode).toBe(1);
    expect(report.verdict).toBe('fail');
    expect(report.gate.checks.find((c) => c.metric === 'baseline')?.status).toBe('fail');
  });

  it('finetune gate: the verdict from two reports without training, with the documented exit codes', async () => {
    fs.writeFileSync(path.join(repo, 'gate.yml'), defaultSpec(GATE('')));
    const worse = { ...first, metrics: { ...first.metrics, accuracy: 0.05, f1_macro: 0.05 }, predictions: undefined };
    fs.writeFileSync(path.join(repo, 'worse.json'), JSON.stringify(worse));
    const log = silentLogger;
    const spec = path.join(repo, 'gate.yml');
    expect(
      await runCli(
        ['gate', '--candidate', path.join(repo, 'first/report.json'), '--baseline', path.join(repo, 'baseline.json'), '--spec', spec],
        log,
      ),
    ).toBe(0);
    expect(
      await runCli(['gate', '--candidate', path.join(repo, 'worse.json'), '--spec', spec, '--out', path.join(repo, 'gated')], log),
    ).toBe(1);
    expect(readJson<Report>(path.join(repo, 'gated/report.json')).verdict).toBe('fail');
    expect(await runCli(['gate', '--candidate', path.join(repo, 'missing.json'), '--spec', spec], log)).toBe(2);
    // A baseline from another test set: inconclusive, and on_inconclusive decides the exit code.
    const other = { ...first, fingerprint: { ...first.fingerprint, test_set_sha256: 'e'.repeat(64) } };
    fs.writeFileSync(path.join(repo, 'other-set.json'), JSON.stringify(other));
    fs.writeFileSync(path.join(repo, 'gate-strict.yml'), defaultSpec(GATE('  on_inconclusive: fail')));
    const args = (s: string, out: string) => [
      'gate',
      '--candidate',
      path.join(repo, 'first/report.json'),
      '--baseline',
      path.join(repo, 'other-set.json'),
      '--spec',
      s,
      '--out',
      path.join(repo, out),
    ];
    expect(await runCli(args(spec, 'gated-other'), log)).toBe(0);
    expect(await runCli(args(path.join(repo, 'gate-strict.yml'), 'gated-other-fail'), log)).toBe(1);
    const gated = readJson<Report>(path.join(repo, 'gated-other/report.json'));
    expect(gated.verdict).toBe('inconclusive');
    expect(gated.gate.checks.map((c) => c.status)).toEqual(['inconclusive', 'inconclusive']);
    expect(gated.gate.checks[0].reason).toContain('sha256 eeeeeeeeeeee');
  });
});

// Runs the bundled dist/index.js the way a runner does: under Node 24, inputs in INPUT_* variables,
// outputs and the job summary written to the files GITHUB_OUTPUT and GITHUB_STEP_SUMMARY name.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultSpec, makeTinyRepo } from './helpers/tiny-repo.js';
import { node24 } from './helpers/node24.js';
import { actionStep } from './helpers/action-env.js';

const DIST = path.resolve('dist/index.js');

function runAction(repo: string, inputs: Record<string, string>) {
  const step = actionStep(repo, inputs);
  const res = spawnSync(node24(), [DIST], { cwd: repo, env: step.env, encoding: 'utf8', timeout: 240_000 });
  return { ...res, ...step.results() };
}

describe('the bundled Action (dist/index.js under Node 24)', () => {
  it('runs on Node 24', () => {
    const v = spawnSync(node24(), ['--version'], { encoding: 'utf8' });
    expect(v.stdout.trim()).toMatch(/^v24\./);
  });

  it('with only INPUT_SPEC set, trains, gates and sets every output and the job summary', () => {
    const repo = makeTinyRepo({ spec: defaultSpec('gate:\n  metrics:\n    accuracy: { min: 0.5 }\n') });
    const res = runAction(repo, { spec: 'finetune.yml' });
    expect(res.status, res.stdout + res.stderr).toBe(0);
    const o = res.outputs;
    expect(o.verdict).toBe('pass');
    expect(o.passed).toBe('true');
    expect(Number(o.accuracy)).toBeGreaterThan(0.5);
    expect(Number(o.f1)).toBeGreaterThan(0);
    expect(o['report-path']).toBe(path.join(repo, 'finetune-out/report.json'));
    expect(o['model-path']).toBe(path.join(repo, 'finetune-out/model'));
    expect(o['model-sha256']).toMatch(/^[0-9a-f]{64}$/);
    expect(fs.existsSync(o['report-path'])).toBe(true);
    // No runtime token outside a runner: nothing uploaded, and it says so.
    expect(o['model-artifact-id']).toBeUndefined();
    expect(res.stdout).toMatch(/not running in GitHub Actions: artifacts not uploaded/);
    expect(res.summary).toMatch(/PASS/);
    expect(res.summary).toMatch(/\| accuracy \| [0-9.]+ \|/);
    expect(res.summary).toMatch(/Confusion matrix/);
  });

  it('fails the step with exit 1 on a failed gate, after setting the outputs', () => {
    const repo = makeTinyRepo({ spec: defaultSpec('gate:\n  metrics:\n    accuracy: { min: 0.999 }\n') });
    const res = runAction(repo, { spec: 'finetune.yml', backend: 'wasm' });
    expect(res.status).toBe(1);
    expect(res.outputs.verdict).toBe('fail');
    expect(res.outputs.passed).toBe('false');
    expect(res.stdout).toMatch(/::error::gate failed: accuracy fail/);
    expect(res.summary).toMatch(/FAIL/);
  });

  it('annotates the spec line of a bad key and exits 2', () => {
    const repo = makeTinyRepo({ spec: defaultSpec('').replace('cut:', 'cutt:') });
    const res = runAction(repo, { spec: 'finetune.yml' });
    expect(res.status).toBe(2);
    expect(res.stdout).toMatch(/::error file=finetune\.yml,line=7[^:]*::model\.cutt: unknown key; did you mean "cut"\?/);
  });
});

// The same commit, spec and backend give the same metrics, run after run; a different seed gives
// a different run (so the seed really reaches every random choice).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runPipeline } from '../src/pipeline/run.js';
import { silentLogger } from '../src/util/log.js';
import { defaultSpec, makeTinyRepo } from './helpers/tiny-repo.js';

async function runOnce(repo: string, specFile: string, out: string) {
  const r = await runPipeline({
    specPath: path.join(repo, specFile),
    outDir: path.join(repo, out),
    backend: 'wasm',
    noCache: true,
    log: silentLogger,
  });
  return r.report;
}

describe('determinism', () => {
  it('two runs with the same seed give identical metrics, history, predictions and weights', async () => {
    const repo = makeTinyRepo({ train: 300, test: 100, spec: defaultSpec() });
    const a = await runOnce(repo, 'finetune.yml', 'out-a');
    const b = await runOnce(repo, 'finetune.yml', 'out-b');
    expect(b.metrics).toEqual(a.metrics);
    expect(b.history).toEqual(a.history);
    expect(b.predictions).toEqual(a.predictions);
    expect(b.fingerprint.test_set_sha256).toBe(a.fingerprint.test_set_sha256);
    const weights = (d: string) => fs.readFileSync(path.join(repo, d, 'model/weights.bin'));
    expect(weights('out-b').equals(weights('out-a'))).toBe(true);

    fs.writeFileSync(path.join(repo, 'seed8.yml'), fs.readFileSync(path.join(repo, 'finetune.yml'), 'utf8').replace('seed: 7', 'seed: 8'));
    const c = await runOnce(repo, 'seed8.yml', 'out-c');
    expect(c.history).not.toEqual(a.history);
  });
});

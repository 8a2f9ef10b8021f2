// The matrix workflow that splits a sweep, the example spec it runs, and the Action inputs it uses:
// they must fit together, or the merge job would find shards missing or files where none are.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { INPUTS, OUTPUTS, readInputs } from '../src/action/io.js';
import { ConfigError } from '../src/errors.js';
import { loadSpec } from '../src/spec/load.js';
import { planSweep } from '../src/sweep/plan.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const readYaml = (rel: string) => parse(fs.readFileSync(path.join(ROOT, rel), 'utf8'));

interface Step {
  id?: string;
  uses?: string;
  run?: string;
  with?: Record<string, string>;
}
interface Job {
  needs?: string;
  strategy?: { matrix: { shard: number[] } };
  steps: Step[];
}

describe('.github/workflows/finetune-sweep.yml', () => {
  const wf = readYaml('.github/workflows/finetune-sweep.yml') as { env: { SPEC: string }; jobs: { shard: Job; merge: Job } };
  const { shard, merge } = wf.jobs;
  const step = (job: Job, uses: string) => job.steps.find((s) => s.uses?.startsWith(uses)) as Step;

  it("runs shards 1..n, each as i/n, and uploads each shard's trials file under its own name", () => {
    const shards = shard.strategy?.matrix.shard ?? [];
    expect(shards).toEqual(Array.from({ length: shards.length }, (_, i) => i + 1));
    const action = step(shard, './');
    expect(action.with?.shard).toBe('${{ matrix.shard }}/${{ strategy.job-total }}');
    expect(action.with?.spec).toBe('${{ env.SPEC }}');
    const upload = step(shard, 'actions/upload-artifact');
    expect(upload.with?.name).toBe('sweep-shard-${{ matrix.shard }}');
    expect(upload.with?.path).toBe(`\${{ steps.${action.id}.outputs.${OUTPUTS.trialsPath} }}`);
  });

  it('merges after every shard: downloads all their artifacts and hands the folder to trials', () => {
    expect(merge.needs).toBe('shard');
    const download = step(merge, 'actions/download-artifact');
    const uploadName = step(shard, 'actions/upload-artifact').with?.name ?? '';
    expect(uploadName.startsWith((download.with?.pattern ?? '').replace('*', ''))).toBe(true);
    const action = step(merge, './');
    expect(action.with?.trials).toBe(download.with?.path);
    expect(action.with?.shard).toBeUndefined();
    expect(action.with?.spec).toBe('${{ env.SPEC }}');
  });

  it('runs a valid example spec whose plan gives every shard a trial', () => {
    const loaded = loadSpec(path.join(ROOT, wf.env.SPEC), { root: ROOT });
    const plan = planSweep(loaded.spec);
    expect(plan.metric).toBe('val_f1_macro');
    expect(plan.trials.length).toBeGreaterThanOrEqual(shard.strategy?.matrix.shard.length ?? Infinity);
  });
});

describe('Action inputs shard and trials', () => {
  const action = readYaml('action.yml') as { inputs: Record<string, { default: string }>; outputs: Record<string, unknown> };
  const get = (values: Record<string, string>) => (name: string) => values[name] ?? '';

  it('are declared in action.yml with the defaults the code applies', () => {
    for (const key of ['shard', 'trials'] as const) expect(action.inputs[INPUTS[key].name]?.default).toBe(INPUTS[key].default);
    expect(action.outputs).toHaveProperty(OUTPUTS.trialsPath);
  });

  it('read a shard, and trials as a comma or newline list', () => {
    expect(readInputs(get({ shard: '2/3' })).shard).toBe('2/3');
    expect(readInputs(get({ trials: 'a/trials.json, b\nc\n' })).trials).toEqual(['a/trials.json', 'b', 'c']);
    const plain = readInputs(get({}));
    expect(plain.shard).toBeUndefined();
    expect(plain.trials).toBeUndefined();
  });

  it('refuse a shard together with trials or the gate-only mode', () => {
    expect(() => readInputs(get({ shard: '1/2', trials: 'x' }))).toThrow(ConfigError);
    expect(() => readInputs(get({ shard: '1/2', mode: 'gate', candidate: 'r.json' }))).toThrow(/input shard/);
  });
});

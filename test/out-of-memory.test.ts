// Running out of memory is a training failure (exit 3) that says what to lower, not a crash.
import fs from 'node:fs';
import path from 'node:path';
import type { Report } from '../src/domain/types.js';
import { describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/main.js';
import { silentLogger, type Logger } from '../src/util/log.js';
import { isOutOfMemory } from '../src/pipeline/out-of-memory.js';
import { defaultSpec, makeTinyRepo } from './helpers/tiny-repo.js';

describe('out of memory', () => {
  it('recognises how each backend reports it', () => {
    expect(isOutOfMemory(new RangeError('Array buffer allocation failed'))).toBe(true);
    expect(isOutOfMemory(new Error('RuntimeError: memory access out of bounds'))).toBe(true);
    expect(isOutOfMemory(new Error('OOM when allocating tensor with shape[32,512,512,96]'))).toBe(true);
    expect(isOutOfMemory(new Error('Device out of memory'))).toBe(true);
    expect(isOutOfMemory(new Error('no layer named "x"'))).toBe(false);
  });

  it('a backbone that outgrows wasm memory (1024 px inputs) fails with exit 3 and the remedy', async () => {
    const spec = defaultSpec('').replace('input: { size: [48, 48] }', 'input: { size: [1024, 1024] }');
    const repo = makeTinyRepo({ train: 40, test: 20, spec });
    const warnings: string[] = [];
    const log: Logger = { ...silentLogger, warn: (m) => warnings.push(m) };
    const code = await runCli(['run', '--spec', path.join(repo, 'finetune.yml'), '--backend', 'wasm', '--no-cache'], log);
    expect(code, warnings.join('\n')).toBe(3);
    expect(warnings.join('\n')).toMatch(/out of memory during feature extraction .*lower model\.input\.size/);
    // Exit 3 still leaves report.json, naming what happened.
    const report = JSON.parse(fs.readFileSync(path.join(repo, 'finetune-out/report.json'), 'utf8')) as Report;
    expect(report).toMatchObject({ status: 'out_of_memory', verdict: 'fail', history: [] });
    expect(report.error?.message).toMatch(/^out of memory during feature extraction/);
  });
});

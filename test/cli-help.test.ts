// The command line's manners, through the bundle as users run it: every command answers --help
// and --version without doing any work; errors are `error: <message>` without class names or
// stacks (unless asked for); backend notes appear only when they say something.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS, reportError } from '../src/cli/main.js';
import { ConfigError } from '../src/errors.js';
import { selectBackend } from '../src/backend/select.js';
import { errorLine } from '../src/util/log.js';
import { recordingLogger } from './helpers/tmp-repo.js';
import { defaultSpec, makeTinyRepo } from './helpers/tiny-repo.js';

const BIN = path.resolve('bin/finetune.js');
const VERSION = (JSON.parse(fs.readFileSync('package.json', 'utf8')) as { version: string }).version;

function finetune(args: string[], cwd: string, env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, GITHUB_ACTIONS: '', ACTIONS_STEP_DEBUG: '', RUNNER_DEBUG: '', ...env },
    timeout: 120_000,
  });
}

describe('--help and --version', () => {
  const repo = makeTinyRepo({ train: 40, test: 20, spec: defaultSpec('gate:\n  metrics:\n    accuracy: { min: 0.1 }\n') });

  it('the top-level help lists every command and exits 0; no command at all is exit 2 with the same list', () => {
    const help = finetune(['--help'], repo);
    expect(help.status).toBe(0);
    for (const c of COMMANDS) expect(help.stdout).toMatch(new RegExp(`^  ${c.name} +\\S`, 'm'));
    const none = finetune([], repo);
    expect(none.status).toBe(2);
    expect(none.stdout).toBe(help.stdout);
  });

  it.each(COMMANDS.map((c) => [c.name]))('finetune %s --help prints its own options and does nothing else', (name) => {
    const res = finetune([name, '--help'], repo);
    expect(res.status, res.stderr).toBe(0);
    expect(res.stdout).toMatch(new RegExp(`^usage: finetune ${name}\\b`));
    for (const o of COMMANDS.find((c) => c.name === name)!.options) expect(res.stdout).toContain(`--${o}`);
    expect(res.stderr).toBe('');
    // A run or a sweep would have written the spec's output folder.
    expect(fs.existsSync(path.join(repo, 'finetune-out'))).toBe(false);
  });

  it.each([[[] as string[]], ...COMMANDS.map((c) => [[c.name]])])('finetune %s --version prints the version of package.json', (words) => {
    const res = finetune([...words, '--version'], repo);
    expect(res.status, res.stderr).toBe(0);
    expect(res.stdout.trim()).toBe(VERSION);
    expect(fs.existsSync(path.join(repo, 'finetune-out'))).toBe(false);
  });
});

describe('errors', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'finetune-errors-'));

  it('print as "error: <message>", without the class name or a stack, exit 2', () => {
    const res = finetune(['validate', '--spec', 'missing.yml'], dir);
    expect(res.status).toBe(2);
    expect(res.stderr.trim()).toBe(
      `error: spec file not found: missing.yml (looked for ${path.join(fs.realpathSync(dir), 'missing.yml')})`,
    );
    expect(res.stderr + res.stdout).not.toMatch(/ConfigError|warning:|\n\s+at /);
  });

  it('--debug and ACTIONS_STEP_DEBUG add the stack', () => {
    for (const [args, env] of [
      [['validate', '--spec', 'missing.yml', '--debug'], {}],
      [['validate', '--spec', 'missing.yml'], { ACTIONS_STEP_DEBUG: 'true' }],
    ] as const) {
      const res = finetune([...args], dir, env);
      expect(res.status).toBe(2);
      expect(res.stderr).toMatch(/^error: spec file not found/);
      expect(res.stdout).toMatch(/\n\s+at /);
    }
  });

  it('inside a GitHub Actions step, an error is an error annotation', () => {
    const res = finetune(['validate', '--spec', 'missing.yml'], dir, { GITHUB_ACTIONS: 'true' });
    expect(res.status).toBe(2);
    expect(res.stderr).toMatch(/^::error file=missing\.yml::spec file not found: missing\.yml/);
  });

  it('an option of another command names the commands that take it', () => {
    const res = finetune(['verify', '--spec', 'x.yml', 'bundle'], dir);
    expect(res.status).toBe(2);
    expect(res.stderr).toMatch(/^error: finetune verify: .*--spec.*\(--spec is an option of: run, sweep, validate, gate\)/);
    const misplaced = finetune(['run', '--shard', '1/2'], dir);
    expect(misplaced.stderr.trim()).toBe(
      'error: finetune run: --shard belongs to `finetune sweep`; `finetune run --trials` merges the shards',
    );
  });

  it('an unexpected error is called a bug, with its message, and the stack only on request', () => {
    const log = recordingLogger();
    const errors: string[] = [];
    const code = reportError(new TypeError('x is undefined'), { ...log, error: (m) => errors.push(m) });
    expect(code).toBe(3);
    expect(errors).toEqual(['internal error (a bug in finetune-action, please report it): x is undefined']);
    expect(log.infos.join('\n')).not.toMatch(/\n\s+at /);
    const debug = recordingLogger();
    reportError(new TypeError('x is undefined'), { ...debug, error: () => {} }, { debug: true });
    expect(debug.infos.join('\n')).toMatch(/TypeError: x is undefined\n\s+at /);
  });

  it('annotations escape what would end the workflow command, and point at the spec line', () => {
    const env = { GITHUB_ACTIONS: 'true' };
    expect(errorLine('50% bad\nsecond line', { file: 'a,b:c.yml', line: 7 }, env)).toBe(
      '::error file=a%2Cb%3Ac.yml,line=7::50%25 bad%0Asecond line',
    );
    expect(errorLine('plain', undefined, {})).toBe('error: plain');
    const err = new ConfigError('train.epochs: expected a positive integer', { location: { file: 'finetune.yml', line: 16 } });
    const seen: Array<[string, unknown]> = [];
    reportError(err, { ...recordingLogger(), error: (m, w) => seen.push([m, w]) });
    expect(seen).toEqual([['train.epochs: expected a positive integer', { file: 'finetune.yml', line: 16 }]]);
  });
});

describe('backend auto', () => {
  it('says nothing about an optional package that is not installed, and names one that fails to load, once', async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'finetune-ws-'));
    fs.writeFileSync(path.join(empty, 'package.json'), '{}');
    const quiet = recordingLogger();
    const info = await selectBackend('auto', quiet, empty);
    expect(info.name).toBe('wasm');
    expect(quiet.infos.join('\n')).not.toMatch(/tfjs-node|not used/);

    const broken = fs.mkdtempSync(path.join(os.tmpdir(), 'finetune-ws-'));
    fs.writeFileSync(path.join(broken, 'package.json'), '{}');
    const pkg = path.join(broken, 'node_modules/@tensorflow/tfjs-node');
    fs.mkdirSync(pkg, { recursive: true });
    fs.writeFileSync(path.join(pkg, 'package.json'), '{ "name": "@tensorflow/tfjs-node", "version": "4.22.0", "main": "index.js" }');
    fs.writeFileSync(path.join(pkg, 'index.js'), "throw new Error('libtensorflow.so.2: cannot open shared object file');\n");
    const loud = recordingLogger();
    await selectBackend('auto', loud, broken);
    await selectBackend('auto', loud, broken);
    const notes = loud.infos.filter((m) => /tfjs-node/.test(m));
    expect(notes).toEqual([
      'backend auto: tensorflow not used (@tensorflow/tfjs-node failed to load: libtensorflow.so.2: cannot open shared object file)',
    ]);
  });
});

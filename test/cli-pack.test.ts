// The command line as a user installs it: `npm pack` of this repository, the tarball installed into
// an empty project with no network (the package needs no dependencies: dist/ bundles them), and
// `finetune` run from that project against a repository elsewhere.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultSpec, makeTinyRepo } from './helpers/tiny-repo.js';

const pkg = JSON.parse(fs.readFileSync('package.json', 'utf8')) as {
  name: string;
  version: string;
  private?: boolean;
  files?: string[];
  dependencies?: object;
  bin: Record<string, string>;
};
let tmp: string;
let project: string;
let bin: string;
let packed: string[];

function npm(args: string[], cwd: string): string {
  // The npm that runs this test's Node, offline: nothing may come from the network.
  return execFileSync('npm', [...args, '--offline', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, npm_config_update_notifier: 'false' },
  });
}

function finetune(args: string[], cwd: string) {
  return spawnSync(bin, args, { cwd, encoding: 'utf8', env: { ...process.env, GITHUB_ACTIONS: '' }, timeout: 240_000 });
}

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'finetune-pack-'));
  const out = JSON.parse(npm(['pack', '--json', '--pack-destination', tmp], process.cwd())) as Array<{
    filename: string;
    files: Array<{ path: string }>;
  }>;
  packed = out[0].files.map((f) => f.path);
  project = path.join(tmp, 'project');
  fs.mkdirSync(project);
  fs.writeFileSync(path.join(project, 'package.json'), '{ "name": "uses-finetune", "version": "1.0.0", "private": true }\n');
  // Optional packages (webgpu, a Node 24 binary for this repository's tests) are not needed here.
  npm(['install', '--omit=optional', path.join(tmp, out[0].filename)], project);
  bin = path.join(project, 'node_modules', '.bin', 'finetune');
}, 240_000);

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('the packed command line', () => {
  it('is publishable: not private, no run-time dependencies, a bin, and the bundle with its wasm binaries inside', () => {
    expect(pkg.private).toBeUndefined();
    expect(pkg.dependencies).toBeUndefined();
    expect(pkg.bin.finetune).toBe('bin/finetune.js');
    for (const f of [
      'bin/finetune.js',
      'dist/index.js',
      'dist/package.json',
      'dist/tfjs-backend-wasm-simd.wasm',
      'dist/tfjs-backend-wasm.wasm',
      'action.yml',
      'LICENSE',
      'README.md',
    ]) {
      expect(packed, f).toContain(f);
    }
    // Sources and tests stay out of the package.
    expect(packed.filter((f) => f.startsWith('src/') || f.startsWith('test/'))).toEqual([]);
  });

  it('answers --version with the version in package.json', () => {
    const res = finetune(['--version'], project);
    expect(res.status, res.stderr).toBe(0);
    expect(res.stdout.trim()).toBe(pkg.version);
    // The way the README says to run it: npx finds the installed command.
    const npx = spawnSync('npx', ['--offline', '--no-install', 'finetune', '--version'], { cwd: project, encoding: 'utf8' });
    expect(npx.status, npx.stderr).toBe(0);
    expect(npx.stdout.trim()).toBe(pkg.version);
  });

  it('validates a repository elsewhere, naming its base model and cut', () => {
    const repo = makeTinyRepo({ train: 60, test: 30 });
    const res = finetune(['validate', '--spec', path.join(repo, 'finetune.yml')], project);
    expect(res.status, res.stdout + res.stderr).toBe(0);
    expect(res.stdout).toMatch(/cut at "block_13_expand_relu" -> 3x3x576/);
    expect(res.stdout).toMatch(/^OK$/m);
  });

  it('runs, trains and gates a repository elsewhere on wasm, writing the report there', () => {
    const repo = makeTinyRepo({ train: 120, test: 60, spec: defaultSpec('gate:\n  metrics:\n    accuracy: { min: 0.2 }\n') });
    const res = finetune(['run', '--spec', path.join(repo, 'finetune.yml'), '--backend', 'wasm', '--no-cache'], project);
    expect(res.status, res.stdout + res.stderr).toBe(0);
    expect(res.stdout).toMatch(/verdict: PASS/);
    expect(fs.existsSync(path.join(repo, 'finetune-out/report.json'))).toBe(true);
    expect(fs.existsSync(path.join(project, 'finetune-out'))).toBe(false);
  });
});

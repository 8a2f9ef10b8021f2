// tfjs-node on demand: the real npm installs a stand-in package (a local tarball, since the real
// package's install script downloads libtensorflow, which cannot happen here) into a real tool
// cache folder (RUNNER_TOOL_CACHE pointed at a temp dir), and the backend loads it from there.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../src/backend/tf.js';
import { BackendError, selectBackend } from '../src/backend/select.js';
import { planAuto, type GpuFacts } from '../src/backend/auto-plan.js';
import {
  NATIVE_VERSION,
  canInstallOnDemand,
  installManifest,
  notInstalledMessage,
  npmInstallArgs,
  registrySource,
  toolName,
} from '../src/backend/native-install.js';
import { findInToolCache, locateNative, useToolCache, type CommandRunner } from '../src/backend/native-locate.js';
import { registerRunnerToolCache } from '../src/github/tool-cache.js';
import { silentLogger, type Logger } from '../src/util/log.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'finetune-native-'));
const toolCache = path.join(tmp, 'tool-cache');
const runnerTemp = path.join(tmp, 'runner-temp');
const emptyWorkspace = path.join(tmp, 'workspace');
const ENV_KEYS = ['GITHUB_ACTIONS', 'RUNNER_TOOL_CACHE', 'RUNNER_TEMP'] as const;
const savedEnv = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));

function setEnv(values: Partial<Record<(typeof ENV_KEYS)[number], string>>): void {
  for (const k of ENV_KEYS) {
    if (values[k] === undefined) delete process.env[k];
    else process.env[k] = values[k];
  }
}
// The Action registers the runner's tool cache at start (src/github/tool-cache.ts); so do these tests.
const inActions = () => {
  setEnv({ GITHUB_ACTIONS: 'true', RUNNER_TOOL_CACHE: toolCache, RUNNER_TEMP: runnerTemp });
  registerRunnerToolCache();
};

/** A tarball of a package named like tfjs-node that registers a 'tensorflow' backend and says where it was loaded from. */
function standInTarball(): string {
  const pkg = path.join(tmp, 'stand-in');
  fs.mkdirSync(pkg, { recursive: true });
  fs.writeFileSync(
    path.join(pkg, 'package.json'),
    JSON.stringify({ name: '@tensorflow/tfjs-node', version: NATIVE_VERSION, main: 'index.js' }),
  );
  fs.writeFileSync(
    path.join(pkg, 'index.js'),
    `globalThis.__standInLoadedFrom = __dirname;
globalThis._tfengine.registerBackend('tensorflow', () => ({ dispose() {} }), 1);\n`,
  );
  const out = execFileSync('npm', ['pack', pkg, '--pack-destination', tmp, '--silent'], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .pop() as string;
  return path.join(tmp, out);
}

/** The real npm through execFileSync, counting the calls. */
function countingNpm(): CommandRunner & { calls: string[][] } {
  const calls: string[][] = [];
  const run = async (command: string, args: string[]) => {
    calls.push(args);
    try {
      execFileSync(command, args, { stdio: 'pipe' });
      return 0;
    } catch (err) {
      return (err as { status?: number }).status ?? 1;
    }
  };
  return Object.assign(run, { calls });
}

function recordingLog(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, info: (m) => lines.push(m), warn: (m) => lines.push(`warning: ${m}`), progress: () => {} };
}

let tarball: string;
beforeAll(() => {
  for (const d of [toolCache, runnerTemp, emptyWorkspace]) fs.mkdirSync(d, { recursive: true });
  fs.writeFileSync(path.join(emptyWorkspace, 'package.json'), '{}');
  tarball = standInTarball();
});

afterAll(async () => {
  setEnv(savedEnv);
  await tf.setBackend('cpu');
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('the install command and policy', () => {
  it('installs the pinned version into the given folder, scripts on, no lockfile or bin links', () => {
    const args = npmInstallArgs('/t/dir', registrySource('@tensorflow/tfjs-node-gpu'));
    expect(args[0]).toBe('install');
    expect(args[args.indexOf('--prefix') + 1]).toBe('/t/dir');
    expect(args.at(-1)).toBe(`@tensorflow/tfjs-node-gpu@${NATIVE_VERSION}`);
    expect(args).toEqual(expect.arrayContaining(['--ignore-scripts=false', '--no-package-lock', '--no-bin-links']));
    expect(toolName('@tensorflow/tfjs-node-gpu')).toBe('tfjs-node-gpu');
    expect(installManifest('@tensorflow/tfjs-node').allowScripts).toEqual({ [`@tensorflow/tfjs-node@${NATIVE_VERSION}`]: true });
  });

  it('installs only on a runner, and auto downloads only for CUDA', () => {
    expect(canInstallOnDemand({ GITHUB_ACTIONS: 'true', RUNNER_TOOL_CACHE: '/opt/hostedtoolcache' })).toBe(true);
    expect(canInstallOnDemand({ GITHUB_ACTIONS: 'true' })).toBe(false);
    expect(canInstallOnDemand({ RUNNER_TOOL_CACHE: '/opt/hostedtoolcache' })).toBe(false);
    // auto installs tfjs-node-gpu only where CUDA 11 and cuDNN 8 were found, and tfjs-node never (wasm is there).
    const machine: GpuFacts = {
      nvidia: 'NVIDIA A10',
      otherGpu: false,
      libs: { cudart: '/cuda/libcudart.so.11.0', cudnn: '/cuda/libcudnn.so.8' },
      vulkanIcds: [],
      container: { inside: false },
      adapter: { kind: 'not-installed' },
      tfjsNodeGpu: 'installable',
      tfjsNode: false,
    };
    expect(planAuto(machine).gpu).toEqual(['tensorflow-gpu']);
    expect(planAuto({ ...machine, libs: { cudart: '/cuda/libcudart.so.11.0' } }).gpu).toEqual([]);
    expect(planAuto({ ...machine, nvidia: undefined, libs: {} }).cpu).toBe('wasm');
  });
});

describe('outside GitHub Actions', () => {
  it('says how to install it, and runs no npm', async () => {
    setEnv({});
    const npm = countingNpm();
    const err = await locateNative('@tensorflow/tfjs-node', emptyWorkspace, { install: true, log: silentLogger, run: npm }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(BackendError);
    expect((err as Error).message).toBe(notInstalledMessage('@tensorflow/tfjs-node', emptyWorkspace));
    expect((err as Error).message).toContain(`npm install @tensorflow/tfjs-node@${NATIVE_VERSION}`);
    expect(npm.calls).toHaveLength(0);
  });

  it('selectBackend fails with that message (exit 2) before anything is trained', async () => {
    setEnv({});
    const err = await selectBackend('tensorflow', silentLogger, emptyWorkspace).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect((err as BackendError).exitCode).toBe(2);
    expect((err as Error).message).toMatch(/is not installed in .*use backend wasm/);
  });
});

describe('in GitHub Actions, with the tool cache in a temp dir', () => {
  it('without the runner tool cache registered (the command line inside a job), installs nothing and says how', async () => {
    setEnv({ GITHUB_ACTIONS: 'true', RUNNER_TOOL_CACHE: toolCache, RUNNER_TEMP: runnerTemp });
    useToolCache(undefined);
    const npm = countingNpm();
    const err = await locateNative('@tensorflow/tfjs-node', emptyWorkspace, { install: true, log: silentLogger, run: npm }).catch(
      (e: unknown) => e,
    );
    expect((err as Error).message).toBe(notInstalledMessage('@tensorflow/tfjs-node', emptyWorkspace));
    expect(npm.calls).toHaveLength(0);
    expect(findInToolCache('@tensorflow/tfjs-node')).toBeUndefined();
  });

  it('a failed npm install is a BackendError and leaves nothing in the tool cache', async () => {
    inActions();
    const npm = countingNpm();
    const opts = { install: true, log: silentLogger, run: npm, source: path.join(tmp, 'no-such.tgz') };
    const err = await locateNative('@tensorflow/tfjs-node-gpu', emptyWorkspace, opts).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect((err as Error).message).toMatch(/installing .*no-such\.tgz failed \(npm exited with \d+/);
    expect(npm.calls).toHaveLength(1);
    expect(findInToolCache('@tensorflow/tfjs-node-gpu')).toBeUndefined();
    expect(fs.readdirSync(runnerTemp)).toEqual([]);
  });

  it('auto (install: false) uses only a cached copy: none there, so no npm run', async () => {
    inActions();
    const npm = countingNpm();
    const err = await locateNative('@tensorflow/tfjs-node', emptyWorkspace, { install: false, log: silentLogger, run: npm }).catch(
      (e: unknown) => e,
    );
    expect((err as Error).message).toMatch(/neither in the workspace nor in the runner's tool cache/);
    expect(npm.calls).toHaveLength(0);
  });

  it('installs once with npm (through @actions/exec), then later lookups find the tool-cache copy without npm', async () => {
    inActions();
    const log = recordingLog();
    const first = await locateNative('@tensorflow/tfjs-node', emptyWorkspace, { install: true, log, source: tarball });
    const cacheRoot = path.join(toolCache, 'tfjs-node', NATIVE_VERSION, os.arch());
    expect(first.from).toMatch(/installed now/);
    expect(first.entry).toBe(path.join(cacheRoot, 'node_modules/@tensorflow/tfjs-node/index.js'));
    expect(fs.existsSync(`${cacheRoot}.complete`)).toBe(true);
    expect(log.lines.join('\n')).toMatch(/installing .* into the runner's tool cache/);
    // The staging folder is gone: only the tool-cache copy remains.
    expect(fs.readdirSync(runnerTemp)).toEqual([]);

    const npm = countingNpm();
    const again = await locateNative('@tensorflow/tfjs-node', emptyWorkspace, {
      install: true,
      log: silentLogger,
      run: npm,
      source: tarball,
    });
    expect(again).toEqual({ entry: first.entry, from: 'tool cache' });
    expect(npm.calls).toHaveLength(0);
  });

  it('selectBackend("tensorflow") loads the package from the tool cache', async () => {
    inActions();
    const log = recordingLog();
    const info = await selectBackend('tensorflow', log, emptyWorkspace);
    expect(info).toMatchObject({ name: 'tensorflow', tfBackend: 'tensorflow', versions: { '@tensorflow/tfjs-node': NATIVE_VERSION } });
    expect(tf.getBackend()).toBe('tensorflow');
    const loadedFrom = (globalThis as { __standInLoadedFrom?: string }).__standInLoadedFrom;
    expect(loadedFrom).toBe(path.join(toolCache, 'tfjs-node', NATIVE_VERSION, os.arch(), 'node_modules/@tensorflow/tfjs-node'));
    expect(log.lines.join('\n')).toMatch(/loading from the tool cache/);
  });
});

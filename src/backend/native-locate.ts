// Where tfjs-node comes from: the workspace, else the runner's tool cache, else (in Actions) an
// npm install into the tool cache, so later jobs on the same runner skip the ~100 MB download.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import type { Logger } from '../util/log.js';
import { BackendError, NotInstalledError } from './types.js';
import { resolveOptional } from './resolve.js';
import {
  NATIVE_VERSION,
  canInstallOnDemand,
  installManifest,
  notInstalledMessage,
  npmInstallArgs,
  registrySource,
  toolName,
  type NativePackage,
} from './native-install.js';

/** Runs a command, returning its exit code (the runner's exec by default). */
export type CommandRunner = (command: string, args: string[]) => Promise<number>;

/**
 * The runner's tool cache, as the Action provides it (src/github/tool-cache.ts): backend/ reads no
 * runner internals itself. Without one (the CLI, tests outside Actions) nothing is installed.
 */
export interface ToolCache {
  /** The folder of a complete cached copy, or '' when there is none. */
  find(tool: string, version: string): string;
  /** Copies `dir` into the cache and marks it complete; returns the cached folder. */
  cacheDir(dir: string, tool: string, version: string): Promise<string>;
  run: CommandRunner;
}

let toolCache: ToolCache | undefined;

/** The Action registers the runner's tool cache once, at start (and in its training process). */
export function useToolCache(cache: ToolCache | undefined): void {
  toolCache = cache;
}

export interface LocateOptions {
  /** false: use a copy already in the tool cache, never download (auto's CPU fallback). */
  install: boolean;
  log: Logger;
  env?: NodeJS.ProcessEnv;
  /** What npm installs; the pinned registry version unless given (a tarball in tests). */
  source?: string;
  run?: CommandRunner;
}

/** The package's entry file, ready to load; a BackendError saying how to get it otherwise. */
export async function locateNative(pkg: NativePackage, workspace: string, opts: LocateOptions): Promise<{ entry: string; from: string }> {
  const local = resolveOptional(pkg, workspace);
  if (local) return { entry: local, from: 'workspace' };
  const env = opts.env ?? process.env;
  if (!canInstallOnDemand(env) || !toolCache) throw new NotInstalledError(notInstalledMessage(pkg, workspace));
  const cached = findInToolCache(pkg);
  if (cached) return { entry: cached, from: 'tool cache' };
  if (!opts.install) throw new NotInstalledError(`${pkg} is neither in the workspace nor in the runner's tool cache`);
  const dir = await installIntoToolCache(pkg, opts);
  return { entry: entryIn(pkg, dir) ?? missingAfterInstall(pkg, dir), from: 'tool cache (installed now)' };
}

/** The entry file of a completed tool-cache copy of the pinned version, if there is one. */
export function findInToolCache(pkg: NativePackage): string | undefined {
  const dir = toolCache?.find(toolName(pkg), NATIVE_VERSION);
  return dir ? entryIn(pkg, dir) : undefined;
}

/**
 * npm installs into a fresh folder under RUNNER_TEMP; cacheDir then copies it into the tool cache
 * and marks it complete, so a job cancelled mid-install never leaves a half copy that find() returns.
 */
export async function installIntoToolCache(
  pkg: NativePackage,
  opts: Pick<LocateOptions, 'log' | 'source' | 'run' | 'env'>,
): Promise<string> {
  const env = opts.env ?? process.env;
  const tc = toolCache;
  if (!tc) throw new NotInstalledError(notInstalledMessage(pkg, process.cwd()));
  const staging = fs.mkdtempSync(path.join(env.RUNNER_TEMP || os.tmpdir(), `${toolName(pkg)}-`));
  try {
    fs.writeFileSync(path.join(staging, 'package.json'), JSON.stringify(installManifest(pkg), null, 2) + '\n');
    const source = opts.source ?? registrySource(pkg);
    opts.log.info(`${pkg} is not in the workspace: installing ${source} into the runner's tool cache (once per runner)`);
    const run = opts.run ?? tc.run;
    const code = await run('npm', npmInstallArgs(staging, source));
    if (code !== 0) {
      throw new BackendError(
        `installing ${source} failed (npm exited with ${code}; its log is above). Install it in the workspace yourself, or use backend wasm`,
      );
    }
    return await tc.cacheDir(staging, toolName(pkg), NATIVE_VERSION);
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

/** Resolved from `dir` alone: the workspace and this package's own node_modules were already tried. */
function entryIn(pkg: NativePackage, dir: string): string | undefined {
  try {
    return createRequire(path.join(dir, 'package.json')).resolve(pkg);
  } catch {
    return undefined;
  }
}

function missingAfterInstall(pkg: NativePackage, dir: string): never {
  throw new BackendError(`${pkg} was installed into ${dir} but cannot be resolved there`);
}

// Paths in the spec are relative to the repository root and may not leave it (docs/spec.md section 1):
// a spec from a pull request must not make CI read or write outside the checkout.
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../errors.js';
import type { Spec } from './schema.js';

/** "https://" and a URL that parses: "https:host/x" would parse too, and " https://x" once trimmed. */
export function isHttpsUrl(value: string): boolean {
  return /^https:\/\//i.test(value) && URL.canParse(value);
}

const URL_LIKE = /^[a-z][a-z0-9+.-]*:\/\//i;
const WINDOWS_ABSOLUTE = /^(?:[a-z]:|[\\/])/i;

/** What is wrong with a path without looking at the disk, or undefined when nothing is. */
export function lexicalPathProblem(value: string, allowUrl: boolean): string | undefined {
  const got = JSON.stringify(value);
  if (allowUrl && isHttpsUrl(value)) return undefined;
  if (URL_LIKE.test(value)) {
    return allowUrl
      ? `expected a repo-relative path or https:// URL, got ${got}`
      : `expected a path relative to the repository root (URLs are allowed only for model.base), got ${got}`;
  }
  if (value.includes('\0')) return `expected a path without NUL characters, got ${got}`;
  if (path.isAbsolute(value) || WINDOWS_ABSOLUTE.test(value)) {
    return `expected a path relative to the repository root, got ${got}`;
  }
  const normal = path.posix.normalize(value.replace(/\\/g, '/'));
  if (normal === '..' || normal.startsWith('../')) {
    return `expected a path inside the repository, got ${got} (it leads outside the repository root)`;
  }
  return undefined;
}

/** Also follows symlinks: the real path of the longest existing prefix must stay under the real root. */
export function repoPathProblem(root: string, value: string, allowUrl: boolean): string | undefined {
  const lexical = lexicalPathProblem(value, allowUrl);
  if (lexical !== undefined || (allowUrl && isHttpsUrl(value))) return lexical;
  const realRoot = realpathOrSelf(root);
  const target = realTarget(path.resolve(root, value));
  if (target !== undefined && !isInside(realRoot, target)) {
    return `expected a path inside the repository, got ${JSON.stringify(value)} (a symlink that leads to ${target})`;
  }
  return undefined;
}

/**
 * Resolves a spec path against the repository root, or throws a ConfigError naming the key and
 * value. The path need not exist yet; whatever part of it exists is followed through symlinks.
 */
export function resolveInRepo(root: string, relPath: string, keyPath: string): string {
  const problem = repoPathProblem(root, relPath, false);
  if (problem !== undefined) throw new ConfigError(`${keyPath}: ${problem}`);
  return path.resolve(root, relPath);
}

/** By path segments, not string prefix: "/repo-secrets" is not inside "/repo". */
function isInside(root: string, candidate: string): boolean {
  const rel = path.relative(root, candidate);
  return rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
}

function realpathOrSelf(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

/** Where `abs` really points: its longest existing prefix resolved, the rest appended. */
function realTarget(abs: string): string | undefined {
  let prefix = abs;
  const rest: string[] = [];
  for (;;) {
    const real = tryRealpath(prefix);
    if (real !== undefined) return path.join(real, ...rest);
    const dangling = danglingLinkTarget(prefix);
    if (dangling !== undefined) return path.join(dangling, ...rest);
    const parent = path.dirname(prefix);
    // Never true: the file system root always exists, so the loop returns before it gets there.
    if (parent === prefix) return undefined;
    rest.unshift(path.basename(prefix));
    prefix = parent;
  }
}

function tryRealpath(p: string): string | undefined {
  try {
    return fs.realpathSync(p);
    // Equivalent mutant: emptying the catch block returns undefined as well.
  } catch {
    return undefined;
  }
}

/** A symlink whose target does not exist yet still says where a write would land. */
function danglingLinkTarget(p: string): string | undefined {
  try {
    // Only called where realpath failed, so an entry that exists here is a link.
    if (!fs.lstatSync(p).isSymbolicLink()) return undefined;
    return path.resolve(path.dirname(p), fs.readlinkSync(p));
    // Equivalent mutant: emptying the catch block returns undefined as well.
  } catch {
    return undefined;
  }
}

/** A path-valued key of the spec, with where it sits and whether a URL is allowed there. */
export interface SpecPath {
  keyPath: (string | number)[];
  value: string;
  allowUrl: boolean;
}

/** Every path the spec names: data sources (idx pairs included), the base, the baseline, the output. */
export function specPaths(spec: Spec): SpecPath[] {
  const out: SpecPath[] = [];
  // Stryker disable next-line BooleanLiteral: the schema has already refused URLs everywhere but model.base
  const add = (keyPath: (string | number)[], value: string | undefined, allowUrl = false) => {
    if (value !== undefined) out.push({ keyPath, value, allowUrl });
  };
  // npm:<package> names an installed package, resolved by Node's rules rather than as a path.
  if (!spec.model.base?.startsWith('npm:')) add(['model', 'base'], spec.model.base, true);
  for (const key of ['train', 'validation', 'test'] as const) {
    const source = spec.data[key];
    if (typeof source === 'string') add(['data', key], source);
    else if (source) {
      add(['data', key, 'images'], source.images);
      add(['data', key, 'labels'], source.labels);
    }
  }
  add(['gate', 'baseline', 'path'], spec.gate.baseline.path);
  add(['output', 'dir'], spec.output.dir);
  return out;
}

/**
 * `workspace` where the caller knows it (the Action passes its runner's checkout, action/workspace.ts);
 * else the nearest ancestor of `startDir` holding `.git`; else `startDir`.
 */
export function findRepoRoot(startDir: string, workspace?: string): string {
  if (workspace) return path.resolve(workspace);
  const start = path.resolve(startDir);
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, '.git'))) return dir;
    if (path.dirname(dir) === dir) return start;
  }
}

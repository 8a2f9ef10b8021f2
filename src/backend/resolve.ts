// Packages with native code (tfjs-node, Dawn) are never bundled: they are found at run time.
import path from 'node:path';
import { createRequire } from 'node:module';

/** The package's entry file, from the workspace first, then from this package's own node_modules. */
export function resolveOptional(pkg: string, workspace: string): string | undefined {
  for (const from of [path.join(workspace, 'package.json'), import.meta.url]) {
    try {
      return createRequire(from).resolve(pkg);
    } catch {
      // Not there: try the next place.
    }
  }
  return undefined;
}

/** Loads a CommonJS file by absolute path. */
export function requireFile(file: string): unknown {
  return createRequire(file)(file);
}

/** The version in the package.json that sits above a resolved entry file. */
export function packageVersion(entry: string, pkg: string): string {
  let dir = path.dirname(entry);
  while (path.basename(dir) !== path.basename(pkg) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  try {
    return (requireFile(path.join(dir, 'package.json')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

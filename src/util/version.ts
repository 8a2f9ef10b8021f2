// The version of finetune-action, read from its package.json: the one place it is written. The
// bundle (dist/index.js), the installed package and the sources all sit below that file.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_NAME = 'finetune-action';
let cached: string | undefined;

/** The version in the nearest package.json above `from` that is finetune-action's own. */
export function packageVersion(from?: string): string {
  if (from === undefined) return (cached ??= packageVersion(path.dirname(fileURLToPath(import.meta.url))));
  let dir = from;
  for (;;) {
    const version = ownVersion(path.join(dir, 'package.json'));
    if (version) return version;
    const up = path.dirname(dir);
    if (up === dir) return 'unknown';
    dir = up;
  }
}

function ownVersion(file: string): string | undefined {
  try {
    const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; version?: string; bin?: Record<string, string> };
    // The name may change when the package is published under a scope; its command does not.
    return (pkg.name === PACKAGE_NAME || pkg.bin?.finetune) && pkg.version ? pkg.version : undefined;
  } catch {
    return undefined;
  }
}

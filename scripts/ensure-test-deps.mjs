#!/usr/bin/env node
// Runs before `npm test`: the tests compare metrics with scikit-learn (Debian's python3-sklearn,
// run with Debian's own /usr/bin/python3) and pack and unpack artifacts with zip and unzip. On a Debian
// or Ubuntu machine where we are root, missing packages are installed; elsewhere we say how.
import { spawnSync } from 'node:child_process';

const ok = (cmd, args) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
const missing = [];
if (!ok('/usr/bin/python3', ['-c', 'import sklearn'])) missing.push('python3-sklearn');
if (!ok('unzip', ['-v'])) missing.push('unzip');
if (!ok('zip', ['-v'])) missing.push('zip');
if (missing.length === 0) process.exit(0);

const isRoot = process.getuid?.() === 0;
if (isRoot && ok('apt-get', ['--version'])) {
  console.log(`installing test dependencies: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const run = (args) => spawnSync('apt-get', args, { stdio: 'inherit', env }).status === 0;
  if (run(['update', '-qq']) && run(['install', '-y', '-qq', '--no-install-recommends', ...missing])) process.exit(0);
}
console.error(`the tests need: ${missing.join(', ')}. Install them with: sudo apt-get install -y ${missing.join(' ')}`);
process.exit(1);

#!/usr/bin/env node
// Runs before `npm test`. The tests need: scikit-learn (Debian's python3-sklearn, run with Debian's
// own /usr/bin/python3) to check metrics, zip/unzip for artifacts, and a Vulkan driver that Dawn
// accepts (Mesa's lavapipe 25.x, from bookworm-backports on Debian 12) for the WebGPU backend. On
// Debian as root the missing ones are installed; elsewhere we say how.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

const ok = (cmd, args) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
const out = (cmd, args) => spawnSync(cmd, args, { encoding: 'utf8' }).stdout?.trim() ?? '';

const missing = [];
if (!ok('/usr/bin/python3', ['-c', 'import sklearn'])) missing.push('python3-sklearn');
if (!ok('unzip', ['-v'])) missing.push('unzip');
if (!ok('zip', ['-v'])) missing.push('zip');
// Dawn rejects Mesa before 25 (Debian 12's own 22.3): "shaderUniform*ArrayDynamicIndexing required".
const mesa = out('dpkg-query', ['-W', '-f=${Version}', 'mesa-vulkan-drivers']);
const needMesa = !(Number(mesa.split('.')[0]) >= 25);
if (missing.length === 0 && !needMesa) process.exit(0);

const codename = /VERSION_CODENAME=(\w+)/.exec(fs.existsSync('/etc/os-release') ? fs.readFileSync('/etc/os-release', 'utf8') : '')?.[1];
const canInstall = process.getuid?.() === 0 && ok('apt-get', ['--version']);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
const apt = (args) => spawnSync('apt-get', args, { stdio: 'inherit', env }).status === 0;

if (canInstall) {
  if (needMesa && codename === 'bookworm') addBackports();
  const updated = apt(['update', '-qq']);
  const base = missing.length === 0 || apt(['install', '-y', '-qq', '--no-install-recommends', ...missing]);
  const mesaOk =
    !needMesa ||
    (codename === 'bookworm'
      ? apt(['install', '-y', '-qq', '--no-install-recommends', '-t', 'bookworm-backports', 'mesa-vulkan-drivers'])
      : apt(['install', '-y', '-qq', '--no-install-recommends', 'mesa-vulkan-drivers']));
  if (updated && base && mesaOk) process.exit(0);
}
const all = [...missing, ...(needMesa ? ['mesa-vulkan-drivers (25.x; on Debian 12 from bookworm-backports)'] : [])];
console.error(`the tests need: ${all.join(', ')}. Install them with apt-get (as root).`);
process.exit(1);

function addBackports() {
  const lists = ['/etc/apt/sources.list', ...listDir('/etc/apt/sources.list.d')].filter((f) => fs.existsSync(f));
  if (lists.some((f) => fs.readFileSync(f, 'utf8').includes('bookworm-backports'))) return;
  fs.writeFileSync(
    '/etc/apt/sources.list.d/bookworm-backports.sources',
    'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n',
  );
}

function listDir(dir) {
  return fs.existsSync(dir) ? fs.readdirSync(dir).map((f) => `${dir}/${f}`) : [];
}

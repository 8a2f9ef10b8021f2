// Writes package.json's version into src/defaults.ts, so the version has one source. Runs as the
// `version` script: `npm version <bump>` changes package.json, then this, then commits both.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { version } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const file = path.join(root, 'src/defaults.ts');
const text = fs.readFileSync(file, 'utf8');
const next = text.replace(/export const VERSION = '[^']*';/, `export const VERSION = '${version}';`);
if (next === text && !text.includes(`VERSION = '${version}'`)) throw new Error('src/defaults.ts: no VERSION line to update');
fs.writeFileSync(file, next);

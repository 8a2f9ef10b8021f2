// From TypeScript sources there is no bundle to start as a feature worker, so the tests compile
// src/features/worker.ts and what it imports to a folder and start it the way the bundle does.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** Compiles the worker into `dir`; returns the entry script to pass as `workerScript`. */
export function compileFeatureWorker(dir: string): string {
  const tsc = path.resolve('node_modules/typescript/bin/tsc');
  const flags = ['--noCheck', '--outDir', dir, '--rootDir', 'src', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--skipLibCheck', '--types', 'node'];
  execFileSync(process.execPath, [tsc, ...flags, 'src/features/worker.ts'], { stdio: 'inherit' });
  fs.writeFileSync(path.join(dir, 'package.json'), '{ "type": "module" }\n');
  fs.symlinkSync(path.resolve('node_modules'), path.join(dir, 'node_modules'));
  const file = path.join(dir, 'entry.js');
  fs.writeFileSync(file, "import { serveFeatures } from './features/worker.js';\nawait serveFeatures();\n");
  return file;
}

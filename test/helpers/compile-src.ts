// From TypeScript sources there is no bundle to start as a worker or as the Action's training
// process, so tests compile an entry of src/ (and what it imports) into a folder and run that.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** Compiles `src/<entry>.ts` into `dir`; returns the path of the compiled `<entry>.js`. */
export function compileSrc(dir: string, entry: string): string {
  const tsc = path.resolve('node_modules/typescript/bin/tsc');
  const flags = [
    '--noCheck',
    '--outDir',
    dir,
    '--rootDir',
    'src',
    '--module',
    'nodenext',
    '--moduleResolution',
    'nodenext',
    '--target',
    'es2022',
    '--skipLibCheck',
    '--types',
    'node',
  ];
  execFileSync(process.execPath, [tsc, ...flags, `src/${entry}.ts`], { stdio: 'inherit' });
  // Name and version as the package's own, which the compiled code reads its version from.
  const { name, version, bin } = JSON.parse(fs.readFileSync('package.json', 'utf8')) as Record<string, unknown>;
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name, version, bin, type: 'module' }) + '\n');
  fs.symlinkSync(path.resolve('node_modules'), path.join(dir, 'node_modules'));
  return path.join(dir, `${entry}.js`);
}

/** The feature worker, started the way the bundle starts it; pass the result as `workerScript`. */
export function compileFeatureWorker(dir: string): string {
  compileSrc(dir, 'features/worker');
  const file = path.join(dir, 'entry.js');
  fs.writeFileSync(file, "import { serveFeatures } from './features/worker.js';\nawait serveFeatures();\n");
  return file;
}

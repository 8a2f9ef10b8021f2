// The dependency rule of docs/maintainers.md, checked on the import graph of src/: each file's
// import and export-from statements (static and dynamic with a literal), resolved to files.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve('src');

/** The specifiers a TypeScript file imports or re-exports from (type-only ones included: they couple too). */
export function importSpecifiers(text: string): string[] {
  // Comments may mention imports; strings and template literals rarely hold an import statement.
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const found: string[] = [];
  const patterns = [
    /\b(?:import|export)\s[^'";]*?\sfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const re of patterns) for (const m of code.matchAll(re)) found.push(m[1]);
  return found;
}

interface Edge {
  from: string;
  /** A path under src/ ('backend/tf.ts') for a relative import; the package name otherwise. */
  to: string;
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

function edges(): Edge[] {
  return sourceFiles(SRC).flatMap((file) => {
    const from = path.relative(SRC, file).split(path.sep).join('/');
    return importSpecifiers(fs.readFileSync(file, 'utf8')).map((spec) => {
      if (!spec.startsWith('.')) return { from, to: spec };
      const target = path
        .relative(SRC, path.resolve(path.dirname(file), spec))
        .split(path.sep)
        .join('/');
      return { from, to: target.replace(/\.js$/, '.ts') };
    });
  });
}

const GRAPH = edges();
const inside = (p: string, ...dirs: string[]): boolean => dirs.some((d) => p === d || p.startsWith(`${d}/`));
const violations = (bad: (e: Edge) => boolean): string[] => GRAPH.filter(bad).map((e) => `${e.from} -> ${e.to}`);

/** Known exceptions, each with its reason: none today (the runner's tool cache reaches backend/ through src/github/tool-cache.ts). */
const ACTIONS_OUTSIDE_GITHUB = new Set<string>();

/** The domain model (what a report, a run and a gate are): plain types that every layer may import. */
const DOMAIN = 'domain';

describe('the dependency rule (docs/maintainers.md)', () => {
  it('reads every kind of import statement', () => {
    const text = [
      "import { a } from './a.js';",
      "import type { B } from '../b.js';",
      "export { c } from './c.js';",
      "export * from './d.js';",
      "import './e.js';",
      "const f = await import('./f.js');",
      "import {\n  g,\n  h,\n} from '@scope/g';",
      "// import { no } from './comment.js';",
    ].join('\n');
    expect(importSpecifiers(text).sort()).toEqual(['../b.js', './a.js', './c.js', './d.js', './e.js', './f.js', '@scope/g']);
    expect(GRAPH.length).toBeGreaterThan(300);
  });

  it('the pure layers (domain, gate, metrics, report, spec) import nothing of GitHub, tensors or backends', () => {
    const pure = (e: Edge) => inside(e.from, 'domain', 'gate', 'metrics', 'report', 'spec');
    const forbidden = (e: Edge) =>
      /^@(actions|tensorflow)\//.test(e.to) || inside(e.to, 'github', 'action', 'backend', 'accel', 'model', 'train', 'features');
    expect(violations((e) => pure(e) && forbidden(e))).toEqual([]);
  });

  it('the domain model imports nothing', () => {
    expect(violations((e) => inside(e.from, 'domain'))).toEqual([]);
  });

  it('the gate stays pure data: it imports only itself, metrics, the domain model and tensor-free utilities', () => {
    expect(violations((e) => inside(e.from, 'gate') && !inside(e.to, 'gate', 'metrics', DOMAIN, 'util/random.ts', 'errors.ts'))).toEqual(
      [],
    );
  });

  it('only src/github and src/action import @actions/*', () => {
    expect(
      violations(
        (e) => /^@actions\//.test(e.to) && !inside(e.from, 'github', 'action') && !ACTIONS_OUTSIDE_GITHUB.has(`${e.from} -> ${e.to}`),
      ),
    ).toEqual([]);
  });

  it('nothing below the Action imports the Action or the GitHub side', () => {
    const top = ['action', 'github', 'cli', 'index.ts', 'cli.ts'];
    expect(violations((e) => !inside(e.from, ...top) && inside(e.to, 'action', 'github'))).toEqual([]);
  });

  it('TensorFlow.js is imported in backend/ (tf.ts re-exports it to everyone) and nowhere else', () => {
    expect(violations((e) => /^@tensorflow\//.test(e.to) && !inside(e.from, 'backend'))).toEqual([]);
  });

  it('outside src/accel, only its interface is imported, and its factory only by backend selection', () => {
    const outside = (e: Edge) => !inside(e.from, 'accel') && inside(e.to, 'accel');
    const allowed = (e: Edge) => e.to === 'accel/index.ts' || (e.to === 'accel/create.ts' && e.from === 'backend/select.ts');
    expect(violations((e) => outside(e) && !allowed(e))).toEqual([]);
  });

  it('TF.js private internals are read in accel/tfjs-internals.ts only', () => {
    const internals = /\b(makeOutput|typedArrayFromHeap|getMemoryOffset|gradientDepth|dataIdMap)\b|\.asm\b/;
    const readers = sourceFiles(SRC)
      .filter((f) =>
        internals.test(
          fs
            .readFileSync(f, 'utf8')
            .replace(/\/\*[\s\S]*?\*\//g, '')
            .replace(/\/\/.*$/gm, ''),
        ),
      )
      .map((f) => path.relative(SRC, f).split(path.sep).join('/'));
    expect(readers).toEqual(['accel/tfjs-internals.ts']);
  });
});

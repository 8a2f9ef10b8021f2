// Mutation testing of the trust core: the code that decides verdicts and guards files.
// `npm run mutate` runs it; docs/mutation-testing.md says how to read the results.
import fs from 'node:fs';
import ts from 'typescript';

/**
 * The line ranges of the named top-level declarations of a file, for Stryker's `file:from-to`
 * form. Names, not line numbers, so the ranges follow the code when it moves; a name that is
 * gone is an error rather than a silently smaller run.
 */
export function declarationRanges(file, names) {
  const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const ranges = new Map();
  for (const stmt of source.statements) {
    const declared = ts.isVariableStatement(stmt)
      ? stmt.declarationList.declarations.map((d) => d.name.getText(source))
      : stmt.name
        ? [stmt.name.getText(source)]
        : [];
    for (const name of declared.filter((n) => names.includes(n))) {
      const line = (pos) => source.getLineAndCharacterOfPosition(pos).line + 1;
      ranges.set(name, `${file}:${line(stmt.getStart(source))}-${line(stmt.getEnd())}`);
    }
  }
  const missing = names.filter((n) => !ranges.has(n));
  if (missing.length > 0)
    throw new Error(`stryker.config.mjs: ${file} no longer declares ${missing.join(', ')}; update the list of its verdict parts`);
  return [...ranges.values()];
}

/** The verdict parts of src/report/markdown.ts: the verdict line and the tables a reviewer decides by. */
export const MARKDOWN_VERDICT_PARTS = [
  'ICON',
  'fmt',
  'signed',
  'verdictLine',
  'pct',
  'withRuns',
  'thresholds',
  'gateTable',
  'gateDetails',
  'baselineWarning',
  'metricsTable',
  'perClassTable',
  'comparableBaselineClasses',
  'classF1Delta',
  'worstClass',
  'confusionTable',
];

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts', related: true },
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.mutation.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  // perTest: each mutant runs only the tests that executed its code in the first, instrumented run.
  coverageAnalysis: 'perTest',
  mutate: [
    'src/gate/**/*.ts',
    'src/metrics/**/*.ts',
    'src/spec/paths.ts',
    'src/model/weights-manifest.ts',
    'src/model/source.ts',
    'src/data/split.ts',
    'src/bundle/**/*.ts',
    // The report's verdict parts: the verdict line and the tables a reviewer decides by. The
    // curves, notes and footer are presentation and are tested by the training suites.
    ...declarationRanges('src/report/markdown.ts', MARKDOWN_VERDICT_PARTS),
    // The headline: the verdict sentence at the top of report.md and the pull request comment.
    'src/report/headline.ts',
    'src/report/comment.ts',
  ],
  // Module-level constants (the path patterns, the dtype tables) are mutated too: each such mutant reloads the tests.
  ignoreStatic: false,
  thresholds: { high: 95, low: 90, break: 90 },
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  // Two cores on a CI runner; each worker also runs a type checker.
  concurrency: 2,
  // Added to 1.5 times a mutant's usual test time: a mutant that loops forever costs this much.
  timeoutMS: 10_000,
  // The first, instrumented run of every covering test: the gate's simulations loop a lot.
  dryRunTimeoutMinutes: 30,
  tempDirName: '.stryker-tmp',
  // Not needed by the core's tests; dist/ and the benchmark's work folders are large.
  ignorePatterns: ['dist', 'bench', 'coverage', 'finetune-out', '/.tmp'],
  cleanTempDir: true,
};

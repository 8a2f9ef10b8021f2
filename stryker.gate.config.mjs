// Mutation testing of the gate's decision rule and the report's verdict only, against their fast
// tests (vitest.mutation-gate.config.ts): minutes instead of hours. Use it while working on these
// files; the score of the whole core comes from `npm run mutate` (docs/mutation-testing.md).
//   npm run mutate:gate
import base, { MARKDOWN_VERDICT_PARTS, declarationRanges } from './stryker.config.mjs';

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  ...base,
  vitest: { ...base.vitest, configFile: 'vitest.mutation-gate.config.ts' },
  mutate: [
    'src/gate/checks.ts',
    'src/gate/evaluate.ts',
    'src/gate/noise.ts',
    'src/gate/seeds.ts',
    'src/report/headline.ts',
    ...declarationRanges('src/report/markdown.ts', MARKDOWN_VERDICT_PARTS),
  ],
  htmlReporter: { fileName: 'reports/mutation-gate/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation-gate/mutation.json' },
  tempDirName: '.stryker-tmp-gate',
  // The fast tests finish in a second; a mutant that loops needs no longer than this.
  dryRunTimeoutMinutes: 5,
};

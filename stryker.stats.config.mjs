// Mutation testing of the gate's statistics, bootstrap, pairing and resampled metrics and of
// src/metrics/, against the core's tests without the gate's simulations
// (vitest.mutation-stats.config.ts): the simulations alone would take hours. Its score is a lower
// bound for these files (docs/mutation-results.md).
//   npm run mutate:stats
import base from './stryker.config.mjs';

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  ...base,
  vitest: { ...base.vitest, configFile: 'vitest.mutation-stats.config.ts' },
  mutate: ['src/gate/stats.ts', 'src/gate/bootstrap.ts', 'src/gate/pairing.ts', 'src/gate/resample-metrics.ts', 'src/metrics/**/*.ts'],
  htmlReporter: { fileName: 'reports/mutation-stats/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation-stats/mutation.json' },
  tempDirName: '.stryker-tmp-stats',
  dryRunTimeoutMinutes: 10,
};

import { defineConfig } from 'vitest/config';

// The test files that exercise the trust core (stryker.config.mjs), for mutation testing only:
// the training and end-to-end suites take minutes a run and would be rerun for every mutant.
export default defineConfig({
  test: {
    include: [
      'test/metrics.test.ts',
      'test/data.test.ts',
      'test/spec.test.ts',
      'test/manifest.test.ts',
      'test/manifest-fuzz.test.ts',
      'test/weights-manifest.test.ts',
      'test/model-source.test.ts',
      'test/atomic-output.test.ts',
      'test/release.test.ts',
      'test/gate.test.ts',
      'test/gate-mutants.test.ts',
      'test/gate-stats.test.ts',
      'test/gate-simulation.test.ts',
      'test/report-markdown.test.ts',
      'test/report-headline.test.ts',
      'test/crash-report.test.ts',
      'test/comment.test.ts',
    ],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // model-source.test.ts reads the example's model, generated from the nsfwjs package.
    globalSetup: ['test/global-setup.ts'],
    // Tells the one timing assertion (gate-stats.test.ts) that the code runs instrumented.
    env: { FINETUNE_MUTATION_RUN: '1' },
  },
});

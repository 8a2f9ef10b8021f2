import { defineConfig } from 'vitest/config';

// The fast tests of the gate's decision rule and the report's verdict, for mutation runs
// restricted to src/gate/checks.ts, seeds.ts, evaluate.ts, noise.ts and src/report/headline.ts
// (docs/mutation-testing.md). They run in seconds, so a run over those files takes minutes
// instead of the hours the full configuration (vitest.mutation.config.ts, with the bootstrap
// and simulation suites) needs on two cores. Not for the score of the whole core.
export default defineConfig({
  test: {
    include: ['test/gate.test.ts', 'test/gate-mutants.test.ts', 'test/report-headline.test.ts', 'test/report-markdown.test.ts'],
    testTimeout: 120_000,
    env: { FINETUNE_MUTATION_RUN: '1' },
  },
});

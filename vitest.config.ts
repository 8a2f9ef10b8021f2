import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    globalSetup: ['test/global-setup.ts'],
    // tfjs backends are process-global; files run in separate forks, two at a time (2 cores).
    pool: 'forks',
    maxWorkers: 2,
  },
});

import { defineConfig } from 'vitest/config';
import core from './vitest.mutation.config.js';

// The trust core's tests without the gate's simulations (gate-simulation.test.ts), for mutation
// runs over the statistics, the bootstrap, the pairing and the metrics (stryker.stats.config.mjs).
// The simulations take about nine minutes a run instrumented and rerun for every mutant of those
// files that the other tests let through: over two and a half hours on two cores, against well
// under one without them. A mutant that only the simulations kill counts as survived here, so the
// score is a lower bound.
export default defineConfig({
  test: {
    ...core.test,
    include: core.test?.include?.filter((file) => file !== 'test/gate-simulation.test.ts'),
  },
});

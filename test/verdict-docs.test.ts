// docs/verdict.md's power table is computed by the gate's own formula; this keeps it true.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { detectableChange } from '../src/gate/checks.js';
import { normalCdf } from '../src/gate/stats.js';
import type { MetricNoise } from '../src/gate/noise.js';

const MAX_DROP = 0.01;
const CONFIDENCE = 0.95;
const SIZES = [500, 2000, 10000];

/** Test-set noise only (one run each side), as the gate computes it. */
const noise = (se: number): MetricNoise => ({ se, df: Infinity, seed: { terms: [] } });
// Paired: the two models differ in correctness on a share d of the examples, so se = sqrt(d / n).
const paired = (d: number, n: number) => Math.sqrt(d / n);
// Baseline known only by its accuracy p (binomial on both sides): se = sqrt(2 p (1 - p) / n).
const binomial = (p: number, n: number) => Math.sqrt((2 * p * (1 - p)) / n);

const pct = (x: number) => (x >= 0.995 ? '>99%' : `${Math.round(x * 100)}%`);

/** The rows of the table in docs/verdict.md, as it must read. */
function powerRows(): string[] {
  return SIZES.map((n) => {
    const cells = [paired(0.03, n), paired(0.1, n), binomial(0.85, n)].map((se) =>
      (detectableChange(MAX_DROP, noise(se), CONFIDENCE) as number).toFixed(3),
    );
    // An unchanged rerun passes when its point drop is within max_drop: Phi(max_drop / se).
    const passes = [paired(0.03, n), paired(0.1, n)].map((se) => pct(normalCdf(MAX_DROP / se)));
    return `| ${n.toLocaleString('en-US')} | ${cells.join(' | ')} | ${passes.join(' | ')} |`;
  });
}

describe('docs/verdict.md', () => {
  it("its power table is what the gate's formula gives", () => {
    const doc = fs.readFileSync('docs/verdict.md', 'utf8');
    const rows = powerRows();
    console.log(rows.join('\n'));
    for (const row of rows) expect(doc).toContain(row);
  });
});

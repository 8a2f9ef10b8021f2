// The learning curves of report.md: Mermaid xycharts that GitHub renders inline.
import { describe, expect, it } from 'vitest';
import { curvesChart, renderReportMarkdown } from '../src/report/markdown.js';
import type { EpochRecord, Report } from '../src/domain/types.js';

const history: EpochRecord[] = [
  { epoch: 1, loss: 1.2, val_loss: 1.0, val_accuracy: 0.6, val_f1_macro: 0.55, lr: 0.001 },
  { epoch: 2, loss: 0.8, val_loss: 0.75, val_accuracy: 0.7, val_f1_macro: 0.68, lr: 0.0005 },
  { epoch: 3, loss: 0.61234, val_loss: 0.7, val_accuracy: 0.72, val_f1_macro: 0.7, lr: 0 },
];
const report = (h: EpochRecord[]) => ({ history: h }) as unknown as Report;

describe('learning curves chart', () => {
  it('draws the losses and the validation metrics as two Mermaid xycharts over the epochs', () => {
    expect(curvesChart(report(history))).toBe(
      [
        '```mermaid',
        '%%{init: {"themeVariables": {"xyChart": {"plotColorPalette": "#1f77b4, #ff7f0e"}}}}%%',
        'xychart-beta',
        '  title "Loss per epoch: loss (blue), val_loss (orange)"',
        '  x-axis "epoch" [1, 2, 3]',
        '  y-axis "loss"',
        '  line [1.2000, 0.8000, 0.6123]',
        '  line [1.0000, 0.7500, 0.7000]',
        '```',
        '',
        '```mermaid',
        '%%{init: {"themeVariables": {"xyChart": {"plotColorPalette": "#1f77b4, #ff7f0e"}}}}%%',
        'xychart-beta',
        '  title "Validation metrics per epoch: val_accuracy (blue), val_f1_macro (orange)"',
        '  x-axis "epoch" [1, 2, 3]',
        '  y-axis "metric"',
        '  line [0.6000, 0.7000, 0.7200]',
        '  line [0.5500, 0.6800, 0.7000]',
        '```',
      ].join('\n'),
    );
  });

  it('leaves out curves without values (no validation data) instead of drawing them at 0', () => {
    const noVal = history.map((h) => ({ epoch: h.epoch, loss: h.loss, val_loss: NaN }));
    const chart = curvesChart(report(noVal));
    expect(chart).toContain('title "Loss per epoch: loss (blue)"');
    expect(chart.match(/```mermaid/g)).toHaveLength(1);
    expect(chart).not.toMatch(/NaN|val_/);
  });

  it('draws nothing for a single epoch', () => {
    expect(curvesChart(report(history.slice(0, 1)))).toBe('');
  });
});

describe('report.md', () => {
  it('places the curves under Training', () => {
    const r = {
      name: 'demo',
      verdict: 'pass',
      status: 'complete',
      metrics: { accuracy: 0.9, f1_macro: 0.9 },
      per_class: [{ label: 'a', precision: 1, recall: 1, f1: 1, support: 1 }],
      confusion_matrix: { labels: ['a'], matrix: [[1]] },
      baseline: { source: 'none' },
      gate: { verdict: 'pass', checks: [] },
      history,
      best_epoch: 3,
      data: { train: 10, validation: 2, test: 3, classes: ['a'], skipped_files: [] },
      fingerprint: { backend: 'cpu', seed: 1, test_set_sha256: 'x'.repeat(64), base_model_sha256: 'y'.repeat(64) },
      timing: { total_s: 1 },
    } as unknown as Report;
    const md = renderReportMarkdown(r);
    expect(md.indexOf('## Training')).toBeLessThan(md.indexOf('```mermaid'));
    expect(md).toContain('title "Validation metrics per epoch');
  });
});

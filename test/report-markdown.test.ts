// The Markdown a person reads (report.md, job summary, PR comment), rendered from a real report.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderReportMarkdown } from '../src/report/markdown.js';
import { renderCommentBody } from '../src/report/comment.js';
import { renderModelCard } from '../src/report/model-card.js';
import type { Report } from '../src/report/types.js';

const real = JSON.parse(fs.readFileSync('examples/fashion-mnist/baseline.json', 'utf8')) as Report;

/** The example's report compared with a baseline in which "coat" was 0.1 better. */
function withBaseline(): Report {
  const per_class = real.per_class.map((c) => (c.label === 'coat' ? { ...c, f1: c.f1 + 0.1 } : c));
  return { ...real, baseline: { source: 'file', path: 'baseline.json', metrics: real.metrics, per_class } };
}

describe('report renderers', () => {
  it('report.md has the verdict, the gate table with every column, per class, confusion matrix and curves', () => {
    const md = renderReportMarkdown(real);
    expect(md).toMatch(/^# finetune: fashion-mnist-mobilenet/);
    expect(md).toContain('| metric | value | baseline | delta | CI | threshold | status | reason |');
    expect(md).toMatch(/\| accuracy \| 0\.\d{4} \|/);
    expect(md).toContain('<summary>Confusion matrix');
    expect(md).toContain('xychart-beta');
    for (const c of real.per_class) expect(md).toContain(`| ${c.label}`);
  });

  it('the PR comment calls out the class that fell most against the baseline, with its F1 change', () => {
    const body = renderCommentBody(withBaseline());
    expect(body).toMatch(/Weakest class: \*\*coat\*\* \(f1 0\.\d{4}, -0\.1000 vs baseline/);
    expect(body).toContain('| class | precision | recall | f1 | f1 vs baseline | support |');
    expect(body).toMatch(/\| coat \(worst\) \| [0-9.]+ \| [0-9.]+ \| [0-9.]+ \| -0\.1000 \|/);
  });

  it('ignores per-class numbers of a baseline that was set aside as not comparable', () => {
    const r = withBaseline();
    r.baseline.ignored_reason = 'different test set';
    expect(renderCommentBody(r)).not.toContain('f1 vs baseline');
  });

  it('the model card states task, data, base model, metrics, per class, fingerprint and intended use', () => {
    const card = renderModelCard(real, 'image-classification');
    expect(card).toContain('image-classification, 10 classes');
    expect(card).toContain('block_13_expand_relu');
    expect(card).toContain('## Intended use');
    expect(card).toContain(real.fingerprint.test_set_sha256);
    expect(card).toMatch(/\| f1_macro \| 0\.\d{4} \|/);
  });
});

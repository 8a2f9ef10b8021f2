// The Markdown a person reads (report.md, job summary, PR comment), rendered from a real report.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  baselineWarning,
  confusionTable,
  gateDetails,
  gateTable,
  metricsTable,
  perClassTable,
  renderReportMarkdown,
  verdictLine,
  worstClass,
} from '../src/report/markdown.js';
import { historyPoint, historySummary, renderCommentBody } from '../src/report/comment.js';
import { crashSection } from '../src/report/crash.js';
import { renderModelCard } from '../src/report/model-card.js';
import { verdictHeadline } from '../src/report/headline.js';
import { evaluateGate } from '../src/gate/evaluate.js';
import { evaluatedFromReport } from '../src/pipeline/gate-inputs.js';
import type { GateResult, Report } from '../src/domain/types.js';

const real = JSON.parse(fs.readFileSync('examples/fashion-mnist/baseline.json', 'utf8')) as Report;

/** The example's report compared with a baseline in which "coat" was 0.1 better. */
function withBaseline(): Report {
  const per_class = real.per_class.map((c) => (c.label === 'coat' ? { ...c, f1: c.f1 + 0.1 } : c));
  return { ...real, baseline: { source: 'file', path: 'baseline.json', metrics: real.metrics, per_class } };
}

describe('report renderers', () => {
  it('report.md opens with the headline, then the gate table with every column, per class, confusion matrix and curves', () => {
    const md = renderReportMarkdown(real);
    expect(md.split('\n')[0]).toBe(`# ${verdictHeadline(real)}`);
    expect(md).toContain('`fashion-mnist-mobilenet`: accuracy 0.8640');
    expect(md).toContain('| metric | status | value | baseline | delta | interval | threshold | reason |');
    expect(md).toMatch(/\| accuracy \| ✅ pass \| 0\.\d{4} \|/);
    expect(md).toContain('<summary>Confusion matrix');
    expect(md).toContain('xychart-beta');
    for (const c of real.per_class) expect(md).toContain(`| ${c.label}`);
  });

  it('the PR comment opens with the headline and calls out the class that fell most against the baseline, with its F1 change', () => {
    const body = renderCommentBody(withBaseline());
    expect(body.split('\n')[0]).toBe(`### ${verdictHeadline(withBaseline())}`);
    expect(body).toContain('F1 change per class vs baseline');
    expect(body).toMatch(/Weakest class: \*\*coat\*\* \(f1 0\.\d{4}, -0\.1000 vs baseline/);
    expect(body).toContain('| class | precision | recall | f1 | f1 vs baseline | support |');
    expect(body).toMatch(/\| coat \(worst\) \| [0-9.]+ \| [0-9.]+ \| [0-9.]+ \| -0\.1000 \|/);
  });

  it('ignores per-class numbers of a baseline that was set aside as not comparable', () => {
    const r = withBaseline();
    r.baseline.ignored_reason = 'different test set';
    expect(renderCommentBody(r)).not.toContain('f1 vs baseline');
  });

  it('a gate row with a baseline reads status, value, baseline, delta, the interval at the stated confidence, threshold, reason', () => {
    const gate: GateResult = {
      verdict: 'fail',
      mode: 'default',
      confidence: 0.95,
      method: 'paired bootstrap over 1000 test examples',
      checks: [
        {
          metric: 'accuracy',
          value: 0.864,
          runs: 3,
          min: 0.8,
          max_drop: 0.01,
          baseline: 0.9,
          delta: -0.036,
          ci: [-0.05, -0.022],
          status: 'fail',
          reason: 'Drop 0.0360 beyond max_drop 0.01, significant at 95%.',
          detail: 'max_drop: delta -0.0360, 95% interval [-0.0500, -0.0220]; se 0.0071',
        },
      ],
    };
    const md = renderReportMarkdown({ ...withBaseline(), verdict: 'fail', gate });
    expect(md).toContain('| metric | status | value | baseline | delta | 95% interval | threshold | reason |');
    expect(md).toContain(
      '| accuracy | ❌ fail | 0.8640 (mean of 3) | 0.9000 | -0.0360 | [-0.0500, -0.0220] | min 0.8, max_drop 0.01 | Drop 0.0360 beyond max_drop 0.01, significant at 95%. |',
    );
    // The statistics are folded away, not in the row.
    const details = md.slice(md.indexOf('<details><summary>How the gate decided'));
    expect(details).toContain('- **accuracy** max_drop: delta -0.0360, 95% interval [-0.0500, -0.0220]; se 0.0071.');
    expect(details).toContain('- Comparison: paired bootstrap over 1000 test examples.');
    expect(md.split('\n')[0]).toBe('# ❌ FAIL: accuracy dropped 0.0360 vs baseline 0.9000 (max_drop 0.01), significant at 95%');
  });

  it('a max_rise check built by the gate carries its tolerance into the report table', () => {
    const candidate = {
      ...evaluatedFromReport(real),
      repeat_metrics: [0.33, 0.38, 0.43].map((loss) => ({ loss })),
      metrics: { ...real.metrics, loss: 0.38 },
    };
    const baseline = {
      ...candidate,
      repeat_metrics: [0.26, 0.31, 0.36].map((loss) => ({ loss })),
      metrics: { ...real.metrics, loss: 0.31 },
    };
    const gate = evaluateGate(
      { metrics: { loss: { max: 1, max_rise: 0.05 } }, confidence: 0.9, on_inconclusive: 'pass', seed: 1 },
      candidate,
      baseline,
    );
    expect(gate.checks[0]).toMatchObject({ metric: 'loss', max: 1, max_rise: 0.05, status: 'inconclusive' });
    const md = renderReportMarkdown({ ...real, verdict: gate.verdict, gate });
    expect(md).toContain('| 90% interval |');
    expect(md).toMatch(
      /\| loss \| ⚠️ inconclusive \| 0\.3800 \(mean of 3\) \| 0\.3100 \(mean of 3\) \| \+0\.0700 \| \[[-+]0\.\d{4}, \+0\.\d{4}\] \| max 1, max_rise 0\.05 \| Rise 0\.0700 beyond max_rise 0\.05, not significant at 90%; /,
    );
  });

  it('a run that ran out of memory reads "out of memory" everywhere in the comment and report.md', () => {
    const oom: Report = { ...real, status: 'out_of_memory', verdict: 'fail', error: { message: 'out of memory in conv2d' } };
    for (const text of [renderCommentBody(oom), renderReportMarkdown(oom)]) {
      expect(text).toContain('(out of memory)');
      expect(text).not.toContain('of_memory');
    }
    expect(renderCommentBody(oom).split('\n')[2]).toBe(
      '❌ **FAIL** (out of memory): `fashion-mnist-mobilenet`: training failed; nothing was evaluated',
    );
  });

  it('draws the per-class F1 change against the baseline as a Mermaid bar chart', () => {
    const md = renderReportMarkdown(withBaseline());
    const chart = md.slice(md.indexOf('```mermaid\nxychart-beta\n  title "F1 change per class'));
    const lines = chart.split('\n');
    expect(lines[3]).toBe(`  x-axis [${real.per_class.map((c) => `"${c.label}"`).join(', ')}]`);
    expect(lines[5]).toBe(`  bar [${real.per_class.map((c) => (c.label === 'coat' ? '-0.1000' : '0.0000')).join(', ')}]`);
    expect(renderReportMarkdown(real)).not.toContain('F1 change per class');
  });

  it('a baseline from another test set is said under the headline, in report.md and the comment, with no deltas anywhere', () => {
    const r = withBaseline();
    r.baseline.ignored_reason =
      'The baseline (baseline.json) was scored on a different test set (sha256 aaaaaaaaaaaa, this run bbbbbbbbbbbb); set gate.baseline.from: model.';
    r.gate = { ...r.gate, verdict: 'inconclusive', test_set_changed: { baseline: 'a'.repeat(64), candidate: 'b'.repeat(64) } };
    r.verdict = 'inconclusive';
    for (const md of [renderReportMarkdown(r), renderCommentBody(r)]) {
      const lines = md.split('\n');
      expect(lines[0]).toMatch(/^#+ ⚠️ INCONCLUSIVE: baseline not compared, its test set changed \(sha256 aaaaaaaaaaaa → bbbbbbbbbbbb\)$/);
      expect(lines[4]).toBe(`> **Baseline not compared.** ${r.baseline.ignored_reason}`);
      expect(md).not.toContain('F1 change per class');
      expect(md).toMatch(/\| accuracy \| 0\.8640 \| – \| – \|/);
    }
  });

  it('the folded statistics state the mode, and the smallest change found with 80% power', () => {
    const check = {
      metric: 'accuracy',
      value: 0.864,
      max_drop: 0.01,
      baseline: 0.87,
      delta: -0.006,
      status: 'pass' as const,
      reason: 'Drop 0.0060 within max_drop 0.01.',
    };
    const gate = (mode: 'default' | 'strict'): GateResult => ({
      verdict: 'pass',
      mode,
      confidence: 0.9,
      checks: [check],
      detectable_drop: { accuracy: 0.03125, f1_macro: 0.04 },
    });
    const details = (md: string) => md.slice(md.indexOf('<details><summary>How the gate decided')).split('\n');
    const strict = details(renderReportMarkdown({ ...withBaseline(), gate: gate('strict') }));
    expect(strict.slice(0, 5)).toEqual([
      '<details><summary>How the gate decided (statistics)</summary>',
      '',
      '- Mode: `strict` (a pass needs the whole interval within the tolerance).',
      '- Smallest change found with 80% power: accuracy 0.0313, f1_macro 0.0400.',
      '',
    ]);
    expect(details(renderReportMarkdown({ ...withBaseline(), gate: gate('default') }))[2]).toBe(
      '- Mode: `default` (a fail needs the whole interval beyond the tolerance).',
    );
  });

  it('a gate without a stated confidence heads the column "interval"; a check without limits shows "–"; no checks say so', () => {
    const gate: GateResult = {
      verdict: 'pass',
      checks: [{ metric: 'accuracy', value: 0.864, status: 'pass', reason: 'No threshold set.' }],
    };
    const md = renderReportMarkdown({ ...real, verdict: 'pass', gate });
    expect(md).toContain('| metric | status | value | baseline | delta | interval | threshold | reason |');
    expect(md).toContain('| accuracy | ✅ pass | 0.8640 | – | – | – | – | No threshold set. |');
    expect(md).not.toContain('How the gate decided');
    // Nothing to fold away leaves no block and no stray line: the table is followed by the next section.
    expect(gateDetails({ ...real, gate })).toBe('');
    expect(renderReportMarkdown({ ...real, verdict: 'pass', gate: { verdict: 'pass', checks: [] } })).toContain(
      '_No gate metrics configured (gate.metrics is empty)._',
    );
  });

  it('the metrics table gives each metric against a comparable baseline with its signed change', () => {
    const r = { ...real, baseline: { source: 'file' as const, path: 'baseline.json', metrics: { ...real.metrics, accuracy: 0.9 } } };
    expect(renderReportMarkdown(r)).toContain('| accuracy | 0.8640 | 0.9000 | -0.0360 |');
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

describe('the verdict parts, whole', () => {
  // Three classes and a 3 x 3 confusion matrix, small enough to write every line out.
  const PER_CLASS = [
    { label: 'cat', precision: 0.9, recall: 0.8, f1: 0.85, support: 10 },
    { label: 'dog', precision: 0.7, recall: 0.75, f1: 0.72, support: 8 },
    { label: 'fox', precision: 0.95, recall: 0.9, f1: 0.92, support: 12 },
  ];
  const small: Report = {
    ...real,
    metrics: { accuracy: 0.8, f1_macro: 0.83 },
    per_class: PER_CLASS,
    confusion_matrix: {
      labels: ['cat', 'dog', 'fox'],
      matrix: [
        [8, 2, 0],
        [1, 6, 1],
        [0, 1, 11],
      ],
    },
  };
  // The baseline had dog 0.02 better and fox 0.1 better: fox fell most, though dog has the lowest F1.
  const compared: Report = {
    ...small,
    baseline: {
      source: 'file',
      path: 'baseline.json',
      metrics: { accuracy: 0.8, f1_macro: 0.85 },
      per_class: PER_CLASS.map((c) => (c.label === 'cat' ? c : { ...c, f1: c.f1 + (c.label === 'fox' ? 0.1 : 0.02) })),
    },
  };

  it('the verdict line: icon, verdict, how the run ended when it did not complete, name, accuracy, f1_macro, test size', () => {
    expect(verdictLine(real)).toBe('✅ **PASS**: `fashion-mnist-mobilenet` accuracy 0.8640, f1_macro 0.8656 on 1000 test examples');
    expect(verdictLine({ ...real, verdict: 'fail', status: 'budget_reached' })).toBe(
      '❌ **FAIL** (budget reached): `fashion-mnist-mobilenet` accuracy 0.8640, f1_macro 0.8656 on 1000 test examples',
    );
  });

  it('the gate table: header, separator and one row per check, line by line', () => {
    const gate: GateResult = {
      verdict: 'pass',
      confidence: 0.9,
      checks: [{ metric: 'accuracy', value: 0.8, min: 0.75, status: 'pass', reason: 'Meets min 0.75.' }],
    };
    expect(gateTable({ ...small, gate }).split('\n')).toEqual([
      '| metric | status | value | baseline | delta | 90% interval | threshold | reason |',
      '|---|---|---|---|---|---|---|---|',
      '| accuracy | ✅ pass | 0.8000 | – | – | – | min 0.75 | Meets min 0.75. |',
    ]);
  });

  it('the folded statistics without a mode: the comparison and each check, closed', () => {
    const gate: GateResult = {
      verdict: 'pass',
      method: 'paired bootstrap over 30 test examples',
      checks: [{ metric: 'accuracy', value: 0.8, max_drop: 0.02, status: 'pass', reason: 'No drop.', detail: 'max_drop: delta +0.0000' }],
    };
    expect(gateDetails({ ...small, gate }).split('\n')).toEqual([
      '<details><summary>How the gate decided (statistics)</summary>',
      '',
      '- Comparison: paired bootstrap over 30 test examples.',
      '- **accuracy** max_drop: delta +0.0000.',
      '',
      '</details>',
    ]);
  });

  it('the warning under the headline needs a changed test set and the reason; a reason alone is a note under the gate', () => {
    const changed = { baseline: 'a'.repeat(64), candidate: 'b'.repeat(64) };
    const ignored = (reason?: string): Report['baseline'] => ({ source: 'none', ...(reason ? { ignored_reason: reason } : {}) });
    expect(
      baselineWarning({ ...small, baseline: ignored('Scored on another test set.'), gate: { ...small.gate, test_set_changed: changed } }),
    ).toBe('> **Baseline not compared.** Scored on another test set.');
    expect(baselineWarning({ ...small, baseline: ignored(), gate: { ...small.gate, test_set_changed: changed } })).toBe('');
    const noted = { ...small, baseline: ignored('The baseline file is from another spec.') };
    expect(baselineWarning(noted)).toBe('');
    expect(renderReportMarkdown(noted)).toContain('\n- The baseline file is from another spec.\n');
    expect(renderReportMarkdown(noted)).not.toContain('Baseline not compared');
  });

  it('the metrics table, line by line: an unchanged metric reads +0.0000', () => {
    expect(metricsTable(compared).split('\n')).toEqual([
      '| metric | value | baseline | delta |',
      '|---|---|---|---|',
      '| accuracy | 0.8000 | 0.8000 | +0.0000 |',
      '| f1_macro | 0.8300 | 0.8500 | -0.0200 |',
    ]);
  });

  it('per class without a baseline: the lowest F1 is the worst, and only it is marked', () => {
    expect(perClassTable(small).split('\n')).toEqual([
      '| class | precision | recall | f1 | support |',
      '|---|---|---|---|---|',
      '| cat | 0.9000 | 0.8000 | 0.8500 | 10 |',
      '| dog (worst) | 0.7000 | 0.7500 | 0.7200 | 8 |',
      '| fox | 0.9500 | 0.9000 | 0.9200 | 12 |',
    ]);
  });

  it('per class against a baseline: the class that fell most is the worst, not the one with the lowest F1', () => {
    expect(perClassTable(compared).split('\n')).toEqual([
      '| class | precision | recall | f1 | f1 vs baseline | support |',
      '|---|---|---|---|---|---|',
      '| cat | 0.9000 | 0.8000 | 0.8500 | +0.0000 | 10 |',
      '| dog | 0.7000 | 0.7500 | 0.7200 | -0.0200 | 8 |',
      '| fox (worst) | 0.9500 | 0.9000 | 0.9200 | -0.1000 | 12 |',
    ]);
  });

  it('the worst class is the lowest F1 wherever it is in the list', () => {
    for (const order of [
      [0, 1, 2],
      [1, 2, 0],
      [2, 0, 1],
      [2, 1, 0],
    ]) {
      expect(worstClass({ ...small, per_class: order.map((i) => PER_CLASS[i]) })?.label).toBe('dog');
    }
  });

  it('the confusion matrix: true classes down, predicted across, line by line', () => {
    expect(confusionTable(small).split('\n')).toEqual([
      '| true \\ predicted | cat | dog | fox |',
      '|---|---|---|---|',
      '| **cat** | 8 | 2 | 0 |',
      '| **dog** | 1 | 6 | 1 |',
      '| **fox** | 0 | 1 | 11 |',
    ]);
  });

  describe('the pull request comment, whole', () => {
    const gate: GateResult = {
      verdict: 'pass',
      mode: 'default',
      confidence: 0.95,
      method: 'paired bootstrap over 30 test examples',
      checks: [
        {
          metric: 'accuracy',
          value: 0.8,
          max_drop: 0.02,
          baseline: 0.8,
          delta: 0,
          status: 'pass',
          reason: 'No drop against the baseline.',
          detail: 'max_drop: delta +0.0000',
        },
      ],
      notes: ['One seed per model.', 'The baseline uses other labels.'],
    };
    const perClass = (base: string) => [
      '<details><summary>Per class</summary>',
      '',
      `| class | precision | recall | f1 |${base} support |`,
      `|---|---|---|---|${base ? '---|' : ''}---|`,
    ];
    const confusion = [
      '<details><summary>Confusion matrix (rows = true, columns = predicted)</summary>',
      '',
      '| true \\ predicted | cat | dog | fox |',
      '|---|---|---|---|',
      '| **cat** | 8 | 2 | 0 |',
      '| **dog** | 1 | 6 | 1 |',
      '| **fox** | 0 | 1 | 11 |',
      '',
      '</details>',
      '',
      '<sub>trained with backend wasm</sub>',
    ];

    it('with a baseline: headline, run, gate table, notes, statistics, the class that fell most, its chart, then the folded tables', () => {
      expect(renderCommentBody({ ...compared, gate }).split('\n')).toEqual([
        '### ✅ PASS: accuracy +0.0000 vs baseline 0.8000 (max_drop 0.02)',
        '',
        '`fashion-mnist-mobilenet`: accuracy 0.8000, f1_macro 0.8300 on 1000 test examples',
        '',
        '| metric | status | value | baseline | delta | 95% interval | threshold | reason |',
        '|---|---|---|---|---|---|---|---|',
        '| accuracy | ✅ pass | 0.8000 | 0.8000 | +0.0000 | – | max_drop 0.02 | No drop against the baseline. |',
        '',
        '- One seed per model.',
        '- The baseline uses other labels.',
        '',
        '<details><summary>How the gate decided (statistics)</summary>',
        '',
        '- Mode: `default` (a fail needs the whole interval beyond the tolerance).',
        '- Comparison: paired bootstrap over 30 test examples.',
        '- **accuracy** max_drop: delta +0.0000.',
        '',
        '</details>',
        '',
        'Weakest class: **fox** (f1 0.9200, -0.1000 vs baseline, recall 0.9000).',
        '',
        '```mermaid',
        'xychart-beta',
        '  title "F1 change per class vs baseline"',
        '  x-axis ["cat", "dog", "fox"]',
        '  y-axis "F1 change"',
        '  bar [0.0000, -0.0200, -0.1000]',
        '```',
        '',
        '<details><summary>All metrics against the baseline</summary>',
        '',
        '| metric | value | baseline | delta |',
        '|---|---|---|---|',
        '| accuracy | 0.8000 | 0.8000 | +0.0000 |',
        '| f1_macro | 0.8300 | 0.8500 | -0.0200 |',
        '',
        '</details>',
        '',
        ...perClass(' f1 vs baseline |'),
        '| cat | 0.9000 | 0.8000 | 0.8500 | +0.0000 | 10 |',
        '| dog | 0.7000 | 0.7500 | 0.7200 | -0.0200 | 8 |',
        '| fox (worst) | 0.9500 | 0.9000 | 0.9200 | -0.1000 | 12 |',
        '',
        '</details>',
        '',
        ...confusion,
      ]);
    });

    it('without a baseline or notes: the weakest class by F1 alone, and nothing where the notes would be', () => {
      const alone = {
        ...small,
        gate: { ...gate, checks: [{ ...gate.checks[0], baseline: undefined, delta: undefined }], notes: undefined },
      };
      const lines = renderCommentBody(alone).split('\n');
      expect(lines.slice(0, 8)).toEqual([
        '### ✅ PASS: accuracy 0.8000, no baseline to compare with',
        '',
        '`fashion-mnist-mobilenet`: accuracy 0.8000, f1_macro 0.8300 on 1000 test examples',
        '',
        '| metric | status | value | baseline | delta | 95% interval | threshold | reason |',
        '|---|---|---|---|---|---|---|---|',
        '| accuracy | ✅ pass | 0.8000 | – | – | – | max_drop 0.02 | No drop against the baseline. |',
        '',
      ]);
      expect(lines[8]).toBe('<details><summary>How the gate decided (statistics)</summary>');
      expect(lines.slice(15, 18)).toEqual(['', 'Weakest class: **dog** (f1 0.7200, recall 0.7500).', '']);
      expect(lines[18]).toBe('<details><summary>All metrics against the baseline</summary>');
    });

    it('when no class moved against the baseline, the weakest is the lowest F1, wherever it is listed', () => {
      const reversed = [...PER_CLASS].reverse();
      const unmoved = { ...compared, gate, per_class: reversed, baseline: { ...compared.baseline, per_class: reversed } };
      const lowest = [...PER_CLASS].sort((a, b) => a.f1 - b.f1)[0];
      expect(renderCommentBody(unmoved)).toContain(
        `\nWeakest class: **${lowest.label}** (f1 ${lowest.f1.toFixed(4)}, +0.0000 vs baseline, recall ${lowest.recall.toFixed(4)}).\n`,
      );
    });

    it('a class whose F1 did not move reads +0.0000; with no classes there is no weakest-class line', () => {
      // Against a baseline where cat and fox were 0.05 lower, dog is the class that fell most: by nothing.
      const risen = PER_CLASS.map((c) => (c.label === 'dog' ? c : { ...c, f1: c.f1 - 0.05 }));
      const same = { ...compared, gate, baseline: { ...compared.baseline, per_class: risen } };
      expect(renderCommentBody(same)).toContain('\nWeakest class: **dog** (f1 0.7200, +0.0000 vs baseline, recall 0.7500).\n');
      const none = renderCommentBody({ ...small, gate, per_class: [] }).split('\n');
      // After the folded statistics: a blank line, an empty line where the class would be, a blank line.
      const after = none.indexOf('</details>') + 1;
      expect(none.slice(after, after + 4)).toEqual(['', '', '', '<details><summary>All metrics against the baseline</summary>']);
    });

    it('a failed training run: the headline, the verdict line, then what happened', () => {
      const oom: Report = { ...real, status: 'out_of_memory', verdict: 'fail', error: { message: 'out of memory in conv2d' } };
      const lines = renderCommentBody(oom).split('\n');
      expect(lines.slice(0, 4)).toEqual([
        '### ❌ FAIL (out of memory): training failed (out of memory in conv2d); nothing was evaluated',
        '',
        '❌ **FAIL** (out of memory): `fashion-mnist-mobilenet`: training failed; nothing was evaluated',
        '',
      ]);
      expect(lines.slice(4).join('\n')).toBe(crashSection(oom));
    });
  });

  describe("the comment's history of pushes", () => {
    const crash = { signal: 'SIGSEGV', exit_code: null, backend: 'wasm', stderr_tail: [], remedy: '' };

    it('charts f1_macro, else accuracy, and nothing for a crash or a run with neither', () => {
      expect(historyPoint(small)).toEqual({ metric: 'f1_macro', value: 0.83 });
      expect(historyPoint({ ...small, metrics: { accuracy: 0.8 } })).toEqual({ metric: 'accuracy', value: 0.8 });
      expect(historyPoint({ ...small, metrics: { loss: 0.3 } })).toEqual({});
      expect(historyPoint({ ...small, status: 'crashed' })).toEqual({});
    });

    it('one line per push: f1_macro with its change, accuracy; a crash and its cause; a failed run and its epochs', () => {
      expect(historySummary(compared)).toBe('f1_macro 0.8300 (-0.0200), accuracy 0.8000');
      expect(historySummary({ ...compared, baseline: { ...compared.baseline, metrics: { f1_macro: 0.83 } } })).toBe(
        'f1_macro 0.8300 (+0.0000), accuracy 0.8000',
      );
      expect(historySummary({ ...compared, baseline: { ...compared.baseline, metrics: { f1_macro: 0.8 } } })).toBe(
        'f1_macro 0.8300 (+0.0300), accuracy 0.8000',
      );
      expect(historySummary(small)).toBe('f1_macro 0.8300, accuracy 0.8000');
      expect(historySummary({ ...small, status: 'crashed', crash })).toBe('crashed (signal SIGSEGV)');
      expect(historySummary({ ...small, status: 'crashed' })).toBe('crashed (no details)');
      expect(historySummary({ ...small, status: 'out_of_memory', error: { message: 'oom' } })).toBe('out of memory after 25 epochs');
    });
  });
});

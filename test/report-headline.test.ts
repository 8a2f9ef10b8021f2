// The one line a reviewer reads first: verdict, deciding metric, by how much.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { verdictHeadline } from '../src/report/headline.js';
import type { GateCheck, Report, Verdict } from '../src/domain/types.js';

const real = JSON.parse(fs.readFileSync('examples/fashion-mnist/baseline.json', 'utf8')) as Report;

function report(verdict: Verdict, checks: GateCheck[], extra: Partial<Report['gate']> = {}): Report {
  return { ...real, verdict, gate: { verdict, mode: 'default', confidence: 0.95, checks, ...extra } };
}

const drop = (metric: string, value: number, baseline: number, status: GateCheck['status'], more: Partial<GateCheck> = {}): GateCheck => ({
  metric,
  value,
  baseline,
  delta: value - baseline,
  max_drop: 0.01,
  status,
  reason: '',
  ...more,
});

describe('verdictHeadline', () => {
  it('names the failing metric that is furthest beyond its tolerance, and how many others failed', () => {
    const r = report('fail', [
      drop('accuracy', 0.88, 0.9, 'fail'),
      drop('f1_macro', 0.85, 0.9, 'fail'),
      drop('recall_macro', 0.9, 0.9, 'pass'),
    ]);
    expect(verdictHeadline(r)).toBe(
      '❌ FAIL: f1_macro dropped 0.0500 vs baseline 0.9000 (max_drop 0.01), significant at 95% (+1 more failing)',
    );
  });

  it('names a floor when the floor decided, not the passing comparison', () => {
    const r = report('fail', [drop('accuracy', 0.75, 0.751, 'fail', { min: 0.8 })]);
    expect(verdictHeadline(r)).toBe('❌ FAIL: accuracy 0.7500 is 0.0500 below min 0.8');
  });

  it('says an inconclusive drop is not significant at the stated confidence', () => {
    const r = report('inconclusive', [drop('accuracy', 0.885, 0.9, 'inconclusive'), drop('f1_macro', 0.9, 0.9, 'pass')]);
    expect(verdictHeadline(r)).toBe('⚠️ INCONCLUSIVE: accuracy dropped 0.0150 vs baseline 0.9000 (max_drop 0.01), not significant at 95%');
  });

  it('on a pass, names the metric closest to its tolerance', () => {
    const r = report('pass', [drop('accuracy', 0.91, 0.9, 'pass'), drop('f1_macro', 0.895, 0.9, 'pass')]);
    expect(verdictHeadline(r)).toBe('✅ PASS: f1_macro dropped 0.0050 vs baseline 0.9000 (max_drop 0.01)');
    const up = report('pass', [drop('accuracy', 0.91, 0.9, 'pass')]);
    expect(verdictHeadline(up)).toBe('✅ PASS: accuracy +0.0100 vs baseline 0.9000 (max_drop 0.01)');
    const floor = report('pass', [{ metric: 'accuracy', value: 0.864, min: 0.8, status: 'pass', reason: '' }]);
    expect(verdictHeadline(floor)).toBe('✅ PASS: accuracy 0.8640, 0.0640 above min 0.8');
    const alone = report('pass', [{ metric: 'accuracy', value: 0.864, max_drop: 0.01, status: 'pass', reason: '' }]);
    expect(verdictHeadline(alone)).toBe('✅ PASS: accuracy 0.8640, no baseline to compare with');
  });

  it('mirrors for max_rise', () => {
    const r = report('fail', [{ metric: 'loss', value: 0.5, baseline: 0.4, delta: 0.1, max_rise: 0.05, status: 'fail', reason: '' }]);
    expect(verdictHeadline(r)).toBe('❌ FAIL: loss rose 0.1000 vs baseline 0.4000 (max_rise 0.05), significant at 95%');
  });

  it('says a changed test set left the baseline uncompared, with both fingerprints', () => {
    const r = report(
      'inconclusive',
      [{ metric: 'accuracy', value: 0.86, max_drop: 0.01, status: 'inconclusive', reason: 'Not compared.' }],
      { test_set_changed: { baseline: '0123456789abcdef', candidate: 'fedcba9876543210' } },
    );
    expect(verdictHeadline(r)).toBe('⚠️ INCONCLUSIVE: baseline not compared, its test set changed (sha256 0123456789ab → fedcba987654)');
  });

  it('says the run was cut short, that a missing baseline failed, and when nothing is gated', () => {
    const cut = { ...report('pass', [drop('accuracy', 0.9, 0.9, 'pass')]), status: 'budget_reached' as const };
    expect(verdictHeadline(cut)).toBe('✅ PASS (budget reached): accuracy +0.0000 vs baseline 0.9000 (max_drop 0.01)');
    const missing = report('fail', [
      { metric: 'baseline', value: NaN, status: 'fail', reason: 'No baseline: none found. gate.baseline.first_run is "fail".' },
    ]);
    expect(verdictHeadline(missing)).toBe('❌ FAIL: No baseline: none found. gate.baseline.first_run is "fail"');
    expect(verdictHeadline(report('pass', []))).toBe('✅ PASS: no gate metrics configured');
  });

  it('says a crashed run evaluated nothing', () => {
    const r: Report = {
      ...report('fail', []),
      status: 'crashed',
      crash: { signal: 'SIGSEGV', exit_code: null, backend: 'wasm', stderr_tail: [], remedy: '' },
    };
    expect(verdictHeadline(r)).toBe('❌ FAIL: the training process died (signal SIGSEGV on backend wasm); nothing was evaluated');
  });
  it('names a ceiling: above max on a fail, the margin below it on a pass', () => {
    const over = report('fail', [{ metric: 'loss', value: 0.65, max: 0.6, status: 'fail', reason: '' }]);
    expect(verdictHeadline(over)).toBe('❌ FAIL: loss 0.6500 is 0.0500 above max 0.6');
    const under = report('pass', [{ metric: 'loss', value: 0.45, max: 0.6, status: 'pass', reason: '' }]);
    expect(verdictHeadline(under)).toBe('✅ PASS: loss 0.4500, 0.1500 below max 0.6');
  });

  it('counts the other inconclusive checks, and names the tolerance the change is furthest beyond', () => {
    const r = report('inconclusive', [
      drop('accuracy', 0.885, 0.9, 'inconclusive'),
      { metric: 'loss', value: 0.43, baseline: 0.4, delta: 0.03, max_drop: 0.5, max_rise: 0.01, status: 'inconclusive', reason: '' },
    ]);
    expect(verdictHeadline(r)).toBe(
      '⚠️ INCONCLUSIVE: loss rose 0.0300 vs baseline 0.4000 (max_rise 0.01), not significant at 95% (+1 more inconclusive)',
    );
  });

  it('leaves out the confidence when the gate does not state one', () => {
    const r = report('fail', [drop('accuracy', 0.85, 0.9, 'fail')], { confidence: undefined });
    expect(verdictHeadline(r)).toBe('❌ FAIL: accuracy dropped 0.0500 vs baseline 0.9000 (max_drop 0.01), significant');
  });

  it('a failing floor is named even when the test set changed', () => {
    const r = report('fail', [{ metric: 'accuracy', value: 0.7, min: 0.8, max_drop: 0.01, status: 'fail', reason: '' }], {
      test_set_changed: { baseline: '0123456789abcdef', candidate: 'fedcba9876543210' },
    });
    expect(verdictHeadline(r)).toBe('❌ FAIL: accuracy 0.7000 is 0.1000 below min 0.8');
  });

  it('says training failed with its status and the first line of the error, and a crash without details', () => {
    // Every underscore of the status becomes a space ("out of_memory" was shown before).
    const failed: Report = { ...report('fail', []), status: 'out_of_memory', error: { message: 'out of memory in conv2d\nstack' } };
    expect(verdictHeadline(failed)).toBe('❌ FAIL (out of memory): training failed (out of memory in conv2d); nothing was evaluated');
    const crashed: Report = { ...report('fail', []), status: 'crashed' };
    expect(verdictHeadline(crashed)).toBe('❌ FAIL: the training process died (no details recorded); nothing was evaluated');
  });

  it('a value exactly on its floor or ceiling passes with no margin left, not "below" or "above" it', () => {
    const floor = report('pass', [{ metric: 'accuracy', value: 0.8, min: 0.8, status: 'pass', reason: '' }]);
    expect(verdictHeadline(floor)).toBe('✅ PASS: accuracy 0.8000, 0.0000 above min 0.8');
    const ceiling = report('pass', [{ metric: 'loss', value: 0.6, max: 0.6, status: 'pass', reason: '' }]);
    expect(verdictHeadline(ceiling)).toBe('✅ PASS: loss 0.6000, 0.0000 below max 0.6');
  });

  it('a metric gated with no limit is named with its value only; a max_rise without a baseline says so', () => {
    const none = report('pass', [{ metric: 'accuracy', value: 0.864, status: 'pass', reason: 'No threshold set.' }]);
    expect(verdictHeadline(none)).toBe('✅ PASS: accuracy 0.8640');
    const rise = report('pass', [{ metric: 'loss', value: 0.3, max_rise: 0.02, status: 'pass', reason: '' }]);
    expect(verdictHeadline(rise)).toBe('✅ PASS: loss 0.3000, no baseline to compare with');
  });

  it('a loss that fell reads as its signed change, not as a rise', () => {
    const r = report('pass', [{ metric: 'loss', value: 0.35, baseline: 0.4, delta: -0.05, max_rise: 0.05, status: 'pass', reason: '' }]);
    expect(verdictHeadline(r)).toBe('✅ PASS: loss -0.0500 vs baseline 0.4000 (max_rise 0.05)');
  });

  it('a failing verdict names a failing check, even when an inconclusive one is further beyond its tolerance', () => {
    const r = report('fail', [
      drop('accuracy', 0.78, 0.9, 'inconclusive'),
      { metric: 'f1_macro', value: 0.75, min: 0.8, status: 'fail', reason: '' },
    ]);
    expect(verdictHeadline(r)).toBe('❌ FAIL: f1_macro 0.7500 is 0.0500 below min 0.8');
  });

  it('among failing checks, the one furthest beyond its limit, whichever kind of limit it is', () => {
    // A drop 0.03 beyond max_drop against a floor missed by 0.04: the floor.
    const floor = report('fail', [
      drop('accuracy', 0.86, 0.9, 'fail'),
      { metric: 'f1_macro', value: 0.76, min: 0.8, status: 'fail', reason: '' },
    ]);
    expect(verdictHeadline(floor)).toBe('❌ FAIL: f1_macro 0.7600 is 0.0400 below min 0.8 (+1 more failing)');
    // A drop 0.09 beyond max_drop against a ceiling passed by 0.05: the drop.
    const ceiling = report('fail', [
      { metric: 'loss', value: 0.65, max: 0.6, status: 'fail', reason: '' },
      drop('accuracy', 0.8, 0.9, 'fail'),
    ]);
    expect(verdictHeadline(ceiling)).toBe(
      '❌ FAIL: accuracy dropped 0.1000 vs baseline 0.9000 (max_drop 0.01), significant at 95% (+1 more failing)',
    );
  });

  it('a metric missing from the candidate has no distance to its limit: a measured failure is named first', () => {
    const r = report('fail', [
      {
        metric: 'recall_at_5',
        value: Number.NaN,
        min: 0.9,
        status: 'fail',
        reason: "recall_at_5 is missing from the candidate's metrics.",
      },
      { metric: 'accuracy', value: 0.7, min: 0.8, status: 'fail', reason: '' },
    ]);
    expect(verdictHeadline(r)).toBe('❌ FAIL: accuracy 0.7000 is 0.1000 below min 0.8 (+1 more failing)');
  });

  it('a passing check names its comparison with the baseline even when its floor is nearer', () => {
    const r = report('pass', [drop('accuracy', 0.81, 0.8, 'pass', { min: 0.8 })]);
    expect(verdictHeadline(r)).toBe('✅ PASS: accuracy +0.0100 vs baseline 0.8000 (max_drop 0.01)');
  });

  it('with both tolerances on one metric, the drop is named when the drop is the one beyond', () => {
    const r = report('inconclusive', [
      { metric: 'loss', value: 0.37, baseline: 0.4, delta: -0.03, max_drop: 0.01, max_rise: 0.5, status: 'inconclusive', reason: '' },
    ]);
    expect(verdictHeadline(r)).toBe('⚠️ INCONCLUSIVE: loss dropped 0.0300 vs baseline 0.4000 (max_drop 0.01), not significant at 95%');
  });

  it('a check that carries a baseline never says there is none, even without a change to show', () => {
    const r = report('pass', [{ metric: 'accuracy', value: 0.864, baseline: 0.86, max_drop: 0.01, status: 'pass', reason: '' }]);
    expect(verdictHeadline(r)).toBe('✅ PASS: accuracy 0.8640');
  });
});

// Re-runs: the candidate folder holds one report artifact per attempt (download-artifact puts each
// in a folder named after it). The latest attempt's report is gated, never a merge of several,
// and reports of different runs, or that cannot be told apart, are refused.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { selectCandidate } from '../src/pipeline/candidate.js';
import { ConfigError } from '../src/errors.js';
import type { Report, RunProvenance } from '../src/domain/types.js';

const real = JSON.parse(fs.readFileSync('examples/fashion-mnist/baseline.json', 'utf8')) as Report;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'candidate-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const run = (id: number, attempt: number): RunProvenance => ({ id, attempt, repository: 'o/r', head_sha: 'a'.repeat(40) });

/** A candidate folder: artifact folder name -> the report in it (accuracy tells them apart). */
function folder(reports: Record<string, { accuracy: number; run?: RunProvenance; name?: string }>): string {
  const dir = fs.mkdtempSync(path.join(tmp, 'dl-'));
  for (const [artifact, r] of Object.entries(reports)) {
    fs.mkdirSync(path.join(dir, artifact));
    const report = {
      ...real,
      name: r.name ?? real.name,
      metrics: { ...real.metrics, accuracy: r.accuracy },
      ...(r.run ? { run: r.run } : {}),
    };
    fs.writeFileSync(path.join(dir, artifact, 'report.json'), JSON.stringify(report));
  }
  return dir;
}

describe('selectCandidate', () => {
  it('a report.json is taken as it is', () => {
    const dir = folder({ only: { accuracy: 0.5 } });
    const got = selectCandidate(path.join(dir, 'only', 'report.json'));
    expect(got.report.metrics.accuracy).toBe(0.5);
    expect(got.note).toBeUndefined();
  });

  it('after a re-run: the report of the highest attempt, whatever the folder order', () => {
    const dir = folder({
      'finetune-x-report-train-1': { accuracy: 0.61, run: run(42, 1) },
      'finetune-x-report-train-3': { accuracy: 0.63, run: run(42, 3) },
      'finetune-x-report-train-2': { accuracy: 0.62, run: run(42, 2) },
    });
    const got = selectCandidate(dir);
    expect(got.report.metrics.accuracy).toBe(0.63);
    expect(got.file).toBe(path.join(dir, 'finetune-x-report-train-3', 'report.json'));
    expect(got.note).toBe("candidate: finetune-x-report-train-3/report.json, attempt 3 (the latest of 3 attempts' reports)");
  });

  it('reports made before runs were recorded: the attempt their artifact folder ends in', () => {
    const dir = folder({ 'finetune-x-report-train-2': { accuracy: 0.72 }, 'finetune-x-report-train-1': { accuracy: 0.71 } });
    expect(selectCandidate(dir).report.metrics.accuracy).toBe(0.72);
  });

  it('refuses reports of different runs, naming them', () => {
    const dir = folder({ a: { accuracy: 0.1, run: run(42, 1) }, b: { accuracy: 0.2, run: run(43, 2) } });
    expect(() => selectCandidate(dir)).toThrow(ConfigError);
    expect(() => selectCandidate(dir)).toThrow(
      /reports of different workflow runs: a\/report\.json \(run 42\), b\/report\.json \(run 43\)/,
    );
  });

  it('refuses what it cannot tell apart: merged files, two reports of one attempt, several specs', () => {
    expect(() => selectCandidate(folder({ merged: { accuracy: 0.1 }, other: { accuracy: 0.2 } }))).toThrow(
      /cannot tell the run attempt of merged\/report\.json, other\/report\.json/,
    );
    expect(() => selectCandidate(folder({ p: { accuracy: 0.1, run: run(7, 2) }, q: { accuracy: 0.2, run: run(7, 2) } }))).toThrow(
      /two reports of attempt 2/,
    );
    expect(() =>
      selectCandidate(folder({ p: { accuracy: 0.1, run: run(7, 1), name: 'one' }, q: { accuracy: 0.2, run: run(7, 2), name: 'two' } })),
    ).toThrow(/several specs \(one, two\)/);
  });

  it('says what is missing: no folder, no report in it, not a report', () => {
    expect(() => selectCandidate(path.join(tmp, 'nowhere'))).toThrow(/candidate .*nowhere does not exist/);
    expect(() => selectCandidate(fs.mkdtempSync(path.join(tmp, 'empty-')))).toThrow(/holds no report\.json/);
    const bad = path.join(tmp, 'bad.json');
    fs.writeFileSync(bad, '{"verdict": "pass"}');
    expect(() => selectCandidate(bad)).toThrow(/bad\.json is not a report\.json \(no "metrics" object\)/);
  });
});

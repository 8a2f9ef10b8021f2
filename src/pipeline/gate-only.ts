// The gate without training: a candidate report.json against thresholds from a spec (in a
// workflow_run job, the base branch's spec, which the pull request cannot weaken).
import fs from 'node:fs';
import path from 'node:path';
import { loadSpec, findRepoRoot } from '../spec/load.js';
import { evaluateGate, exitCodeFor } from '../gate/evaluate.js';
import { comparable, readBaselineFile } from './baseline.js';
import { evaluatedFromReport, gateConfigOf } from './gate-inputs.js';
import type { Report } from '../domain/types.js';
import type { Logger } from '../util/log.js';
import { ConfigError } from '../errors.js';

export interface GateOnlyOptions {
  candidate: string;
  baseline?: string;
  spec: string;
  log: Logger;
  /** The repository root where the caller knows it (the Action: its checkout); else found from the spec's folder. */
  workspace?: string;
}

export function gateReports(opts: GateOnlyOptions): { report: Report; exitCode: 0 | 1 } {
  const candidate = readReport(opts.candidate);
  const root = findRepoRoot(path.dirname(path.resolve(opts.spec)), opts.workspace);
  const { spec } = loadSpec(opts.spec, { root });
  const b = spec.gate.baseline;
  const baselineFile = opts.baseline ?? (b.from === 'file' ? path.join(root, b.path as string) : undefined);
  const testSetSha256 = candidate.fingerprint?.test_set_sha256;
  const loaded = baselineFile ? readBaselineFile(path.resolve(baselineFile), baselineFile) : undefined;
  // Without the candidate's fingerprint nothing says the test sets differ.
  const resolved = loaded && (testSetSha256 ? comparable(loaded, { testSetSha256, log: opts.log }) : { baseline: loaded, report: loaded.report });
  const gate = evaluateGate(
    gateConfigOf(spec),
    evaluatedFromReport(candidate),
    resolved?.baseline?.model,
  );
  const report: Report = { ...candidate, verdict: gate.verdict, gate, baseline: resolved?.report ?? { source: 'none' } };
  return { report, exitCode: exitCodeFor(gate, spec.gate.on_inconclusive) };
}

function readReport(file: string): Report {
  if (!fs.existsSync(file)) throw new ConfigError(`candidate report ${file} does not exist`);
  try {
    const report = JSON.parse(fs.readFileSync(file, 'utf8')) as Report;
    if (!report.metrics || typeof report.metrics !== 'object') throw new Error('no "metrics" object');
    return report;
  } catch (err) {
    throw new ConfigError(`candidate report ${file} is not a report.json (${(err as Error).message})`);
  }
}

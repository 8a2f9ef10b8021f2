// The gate without training: a candidate report.json against thresholds from a spec (in a
// workflow_run job, the base branch's spec, which the pull request cannot weaken). The baseline
// comes from wherever the spec says, as in `mode: run`: a file, the latest artifact of the base
// branch, or a model bundle re-scored on this checkout's test set; a missing one follows
// gate.baseline.first_run the same way.
import path from 'node:path';
import { loadSpec, findRepoRoot } from '../spec/load.js';
import { evaluateGate, exitCodeFor } from '../gate/evaluate.js';
import { comparable, resolveBaseline, type ArtifactLookup, type ResolvedBaseline } from './baseline.js';
import { evaluatedFromReport, gateConfigOf } from './gate-inputs.js';
import { selectCandidate } from './candidate.js';
import { withMissingBaseline } from './run.js';
import type { Report } from '../domain/types.js';
import type { Spec } from '../spec/schema.js';
import type { Logger } from '../util/log.js';
import { isTrainingFailure } from '../report/crash.js';
import { selectBackend, type BackendChoice } from '../backend/select.js';
import { loadDataset } from '../data/load.js';
import { testSetFingerprint } from '../data/fingerprint.js';
import { EXIT } from '../errors.js';

export interface GateOnlyOptions {
  /** A report.json, or a folder of downloaded report artifacts (see candidate.ts). */
  candidate: string;
  baseline?: string;
  spec: string;
  log: Logger;
  /** gate.baseline.from "artifact": how to find the base branch's report (the Action passes one). */
  findArtifact?: ArtifactLookup;
  /** gate.baseline.from "model": the backend that re-scores the baseline model. */
  backend?: BackendChoice;
  /** The repository root where the caller knows it (the Action: its checkout); else found from the spec's folder. */
  workspace?: string;
}

export interface GateOnlyResult {
  report: Report;
  /** 3 when the candidate's training failed: there is nothing to gate. */
  exitCode: 0 | 1 | 3;
  /** The report.json gated (the latest attempt's, from a folder). */
  candidateFile: string;
}

export async function gateReports(opts: GateOnlyOptions): Promise<GateOnlyResult> {
  const choice = selectCandidate(opts.candidate);
  if (choice.note) opts.log.info(choice.note);
  const candidate = choice.report;
  if (isTrainingFailure(candidate)) {
    opts.log.warn(`the candidate run's training failed (${candidate.status}): nothing to gate`);
    return { report: candidate, exitCode: EXIT.TRAINING_FAILED, candidateFile: choice.file };
  }
  const root = findRepoRoot(path.dirname(path.resolve(opts.spec)), opts.workspace);
  const { spec } = loadSpec(opts.spec, { root });
  const testSetSha256 = candidate.fingerprint?.test_set_sha256 ?? 'unknown';
  const resolved = await baselineFor(spec, root, testSetSha256, opts);
  const gate = withMissingBaseline(
    evaluateGate(gateConfigOf(spec), evaluatedFromReport(candidate), resolved.baseline?.model),
    resolved.missing,
  );
  const report: Report = { ...candidate, verdict: gate.verdict, gate, baseline: resolved.report };
  return { report, exitCode: exitCodeFor(gate, spec.gate.on_inconclusive), candidateFile: choice.file };
}

async function baselineFor(spec: Spec, root: string, testSetSha256: string, opts: GateOnlyOptions): Promise<ResolvedBaseline> {
  // Only a baseline model needs the test set itself: it is scored on this checkout's.
  const rescore = !opts.baseline && spec.gate.baseline.from === 'model';
  let test = { classes: [] as string[], examples: [] as ReturnType<typeof loadDataset>['test'], sha256: testSetSha256 };
  if (rescore) {
    await selectBackend(opts.backend ?? 'auto', opts.log, root);
    const data = loadDataset(spec, root, opts.log);
    test = { classes: data.classes, examples: data.test, sha256: testSetFingerprint(data.test, data.classes).sha256 };
  }
  const resolved = await resolveBaseline({
    spec,
    root,
    overridePath: opts.baseline,
    classes: test.classes,
    test: test.examples,
    testSetSha256: test.sha256,
    findArtifact: opts.findArtifact,
    log: opts.log,
  });
  // The re-scored model is paired with the candidate only when both saw the same test set.
  return rescore && resolved.baseline ? comparable(resolved.baseline, { testSetSha256, log: opts.log }) : resolved;
}

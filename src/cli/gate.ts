// `finetune gate`: the verdict from two report files, without training. Thresholds come from the
// spec given (in a workflow_run job: the base branch's spec, which the PR cannot weaken).
import fs from 'node:fs';
import path from 'node:path';
import { loadSpec, findRepoRoot } from '../spec/load.js';
import { evaluateGate, exitCodeFor } from '../gate/evaluate.js';
import { readBaselineFile } from '../pipeline/baseline.js';
import { writeReports } from '../pipeline/outputs.js';
import { gateTable } from '../report/markdown.js';
import type { Report } from '../report/types.js';
import type { Logger } from '../util/log.js';
import { ConfigError } from '../errors.js';

export interface GateArgs {
  candidate: string;
  baseline?: string;
  spec: string;
  out?: string;
}

export async function gateCommand(args: GateArgs, log: Logger): Promise<number> {
  const candidate = readReport(args.candidate);
  const root = findRepoRoot(path.dirname(path.resolve(args.spec)));
  const { spec } = loadSpec(args.spec, { root });
  const baselineFile = args.baseline ?? (spec.gate.baseline.from === 'file' ? path.join(root, spec.gate.baseline.path as string) : undefined);
  const baseline = baselineFile ? readBaselineFile(path.resolve(baselineFile), baselineFile) : undefined;
  const gate = evaluateGate(
    { metrics: spec.gate.metrics, confidence: spec.gate.confidence, on_inconclusive: spec.gate.on_inconclusive, seed: spec.seed },
    {
      metrics: candidate.metrics,
      labels: candidate.confusion_matrix?.labels ?? [],
      predictions: candidate.predictions,
      test_set_sha256: candidate.fingerprint?.test_set_sha256,
      repeat_metrics: candidate.repeats,
    },
    baseline?.model,
  );
  const report: Report = { ...candidate, verdict: gate.verdict, gate, baseline: baseline?.report ?? { source: 'none' } };
  log.info(gateTable(report));
  log.info(`\nverdict: ${gate.verdict.toUpperCase()}`);
  if (args.out) {
    const written = writeReports(path.resolve(args.out), report);
    log.info(`report: ${written.reportPath}`);
  }
  return exitCodeFor(gate, spec.gate.on_inconclusive);
}

function readReport(file: string): Report {
  if (!fs.existsSync(file)) throw new ConfigError(`--candidate: ${file} does not exist`);
  try {
    const report = JSON.parse(fs.readFileSync(file, 'utf8')) as Report;
    if (!report.metrics || typeof report.metrics !== 'object') throw new Error('no "metrics" object');
    return report;
  } catch (err) {
    throw new ConfigError(`--candidate: ${file} is not a report.json (${(err as Error).message})`);
  }
}

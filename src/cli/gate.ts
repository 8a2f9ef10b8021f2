// `finetune gate`: the verdict from two report files, without training.
import path from 'node:path';
import { gateReports } from '../pipeline/gate-only.js';
import { writeReports } from '../pipeline/outputs.js';
import { verdictHeadline } from '../report/headline.js';
import { gateTable } from '../report/markdown.js';
import type { Logger } from '../util/log.js';
import type { BackendChoice } from '../backend/select.js';

export interface GateArgs {
  candidate: string;
  baseline?: string;
  spec: string;
  out?: string;
  /** gate.baseline.from "model": the backend that re-scores the baseline model. */
  backend?: BackendChoice;
}

export async function gateCommand(args: GateArgs, log: Logger): Promise<number> {
  const { report, exitCode } = await gateReports({ ...args, log });
  log.info(gateTable(report));
  log.info(`\nverdict: ${report.verdict.toUpperCase()}`);
  log.info(verdictHeadline(report));
  if (args.out) {
    const written = writeReports(path.resolve(args.out), report);
    log.info(`report: ${written.reportPath}`);
  }
  return exitCode;
}

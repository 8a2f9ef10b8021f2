// The Action's training step: the pipeline runs in a process of its own, so a crash in native code
// (libtensorflow, Dawn) ends that process and not the step, which then writes a report marked
// crashed. Without a bundle to start (running from sources) it runs in the step's own process.
import path from 'node:path';
import type { RunResult } from '../pipeline/run.js';
import { writeReports } from '../pipeline/outputs.js';
import { DEFAULT_OUTPUT_DIR, DEFAULT_RETENTION_DAYS } from '../defaults.js';
import { EXIT } from '../errors.js';
import type { Logger } from '../util/log.js';
import type { ActionInputs } from './io.js';
import type { RunPlan } from '../pipeline/run-plan.js';
import { trainInProcess } from './train-in-process.js';
import { trainInChildProcess } from './train-process.js';
import { buildCrashReport } from '../pipeline/crash-report.js';
import * as github from '@actions/github';
import { runProvenance } from '../github/context.js';

export interface TrainStepOptions {
  /** The bundle to start as the training process; undefined: train in this process. */
  script?: string;
  plan?: RunPlan;
  log: Logger;
}

export async function trainForAction(inputs: ActionInputs, opts: TrainStepOptions): Promise<RunResult> {
  if (!opts.script) return trainInProcess(inputs);
  const started = Date.now();
  const outcome = await trainInChildProcess({ script: opts.script, inputs, log: opts.log });
  if (outcome.kind === 'result') return outcome.result;
  if (outcome.kind === 'error') throw outcome.error;
  const run = runProvenance(github.context, process.env);
  const report = {
    ...buildCrashReport(opts.plan, { ...outcome, backend: outcome.backend ?? inputs.backend, seconds: (Date.now() - started) / 1000 }),
    ...(run ? { run } : {}),
  };
  // No plan: the spec did not load here either; its folder is the best guess at the repository root.
  const outDir = opts.plan?.outDir ?? path.join(path.dirname(path.resolve(inputs.spec)), DEFAULT_OUTPUT_DIR);
  return {
    report,
    exitCode: EXIT.TRAINING_FAILED,
    outDir,
    retentionDays: opts.plan?.retentionDays ?? DEFAULT_RETENTION_DAYS,
    ...writeReports(outDir, report),
  };
}

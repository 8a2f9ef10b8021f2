// The pipeline as the Action runs it, in whichever process calls this: the training process the
// step starts, or the step itself when there is no bundle to start (running from sources).
import { runPipeline, type RunResult } from '../pipeline/run.js';
import { parseBackendChoice } from '../backend/select.js';
import { onInterrupt } from '../util/interrupt.js';
import { actionsLogger } from './logger.js';
import { artifactLookup } from './baseline-lookup.js';
import { actionWorkspace } from './workspace.js';
import type { ActionInputs } from './io.js';
import * as github from '@actions/github';
import { runProvenance } from '../github/context.js';

export async function trainInProcess(inputs: ActionInputs): Promise<RunResult> {
  const interrupt = onInterrupt(actionsLogger);
  return runPipeline({
    signal: interrupt.signal,
    specPath: inputs.spec,
    backend: parseBackendChoice(inputs.backend),
    requireGpu: inputs.requireGpu,
    baselinePath: inputs.baseline,
    log: actionsLogger,
    findArtifact: artifactLookup(inputs),
    trials: inputs.trials,
    run: runProvenance(github.context, process.env),
    workspace: actionWorkspace(),
  }).finally(interrupt.dispose);
}

// The Action with input shard: one shard of the spec's sweep, as `finetune sweep --shard` runs it.
// No gate and no upload: the workflow uploads trials.json for the merge job (docs/spec.md section 1.4).
import * as core from '@actions/core';
import { parseBackendChoice } from '../backend/select.js';
import { sweepTable } from '../report/sweep-table.js';
import { bestTrial } from '../sweep/best.js';
import { parseShard } from '../sweep/plan.js';
import { runSweepShard } from '../sweep/shard-run.js';
import { onInterrupt } from '../util/interrupt.js';
import { OUTPUTS, type ActionInputs } from './io.js';
import { actionsLogger } from './logger.js';
import { actionWorkspace } from './workspace.js';

export async function sweepShardStep(inputs: ActionInputs): Promise<void> {
  const shard = parseShard(inputs.shard as string);
  const interrupt = onInterrupt(actionsLogger);
  const { file, trials } = await runSweepShard({
    specPath: inputs.spec,
    shard,
    backend: parseBackendChoice(inputs.backend),
    requireGpu: inputs.requireGpu,
    log: actionsLogger,
    signal: interrupt.signal,
    workspace: actionWorkspace(),
  }).finally(interrupt.dispose);
  core.setOutput(OUTPUTS.trialsPath, file);
  const rows = trials.trials;
  const table =
    rows.length > 0
      ? sweepTable({
          metric: trials.metric,
          mode: trials.mode,
          method: trials.method,
          trials: rows,
          best: bestTrial(rows, trials.metric, trials.mode).index,
        })
      : '_No trials in this shard._';
  await core.summary
    .addRaw(
      `# finetune sweep: ${trials.name}, shard ${shard.index}/${shard.count}\n\n${table}\n\nThe merge job ranks every shard's trials and gates the best.\n`,
    )
    .write();
}

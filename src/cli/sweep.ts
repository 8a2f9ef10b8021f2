// `finetune sweep`: runs one shard of the spec's sweep and writes its trials.json.
import path from 'node:path';
import type { BackendChoice } from '../backend/select.js';
import { EXIT } from '../errors.js';
import { sweepTable } from '../report/sweep-table.js';
import { bestTrial } from '../sweep/best.js';
import { parseShard } from '../sweep/plan.js';
import { runSweepShard } from '../sweep/shard-run.js';
import { onInterrupt } from '../util/interrupt.js';
import type { Logger } from '../util/log.js';

export interface SweepArgs {
  spec: string;
  /** `i/n`; default 1/1, every trial. */
  shard?: string;
  out?: string;
  backend: BackendChoice;
  requireGpu?: boolean;
  noCache: boolean;
}

export async function sweepCommand(args: SweepArgs, log: Logger): Promise<number> {
  const shard = parseShard(args.shard ?? '1/1');
  const interrupt = onInterrupt(log);
  const { file, trials } = await runSweepShard({
    specPath: args.spec,
    shard,
    outDir: args.out,
    backend: args.backend,
    requireGpu: args.requireGpu,
    noCache: args.noCache,
    log,
    signal: interrupt.signal,
  }).finally(interrupt.dispose);
  if (trials.trials.length > 0) {
    const best = bestTrial(trials.trials, trials.metric, trials.mode);
    log.info(
      `\n${sweepTable({ metric: trials.metric, mode: trials.mode, method: trials.method, trials: trials.trials, best: best.index })}`,
    );
    log.info(`best of this shard: trial ${best.index} (the merge picks the best over all shards)`);
  }
  log.info(`trials: ${path.relative(process.cwd(), file) || file}\nmerge the shards with: finetune run --trials <folder or files>`);
  return EXIT.PASS;
}

/** `--trials a --trials b,c` -> [a, b, c]. */
export function trialsArgs(values: string[] | undefined): string[] | undefined {
  const list = (values ?? [])
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
  return list.length > 0 ? list : undefined;
}

// The command line: the same pipeline as the Action, for local runs. Returns the exit code.
import { parseArgs } from 'node:util';
import { consoleLogger, type Logger } from '../util/log.js';
import { parseBackendChoice } from '../backend/select.js';
import { runPipeline } from '../pipeline/run.js';
import { DEFAULT_SPEC_FILE } from '../spec/schema.js';
import { ConfigError, FinetuneError, EXIT } from '../errors.js';
import { validateCommand } from './validate.js';
import { gateCommand } from './gate.js';
import { verifyCommand } from './verify.js';
import { sweepCommand, trialsArgs } from './sweep.js';
import { onInterrupt } from '../util/interrupt.js';

const USAGE = `usage:
  finetune run      [--spec ${DEFAULT_SPEC_FILE}] [--out DIR] [--backend auto|tensorflow-gpu|webgpu|tensorflow|wasm|cpu] [--baseline FILE] [--no-cache] [--resume] [--trials FILE_OR_DIR]...
  finetune sweep    [--spec ${DEFAULT_SPEC_FILE}] [--shard i/n] [--out DIR] [--backend B] [--no-cache]
  finetune validate [--spec ${DEFAULT_SPEC_FILE}]
  finetune gate     --candidate report.json [--baseline report.json] [--spec ${DEFAULT_SPEC_FILE}] [--out DIR]
  finetune verify   DIR

exit codes: 0 gate passed, 1 gate failed, 2 bad spec / input / model, 3 training failed`;

const OPTIONS = {
  spec: { type: 'string', default: DEFAULT_SPEC_FILE },
  out: { type: 'string' },
  backend: { type: 'string', default: 'auto' },
  baseline: { type: 'string' },
  candidate: { type: 'string' },
  'no-cache': { type: 'boolean', default: false },
  resume: { type: 'boolean', default: false },
  'no-accel': { type: 'boolean', default: false },
  shard: { type: 'string' },
  trials: { type: 'string', multiple: true },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

export async function runCli(argv: string[], log: Logger = consoleLogger): Promise<number> {
  try {
    return await dispatch(argv, log);
  } catch (err) {
    return reportError(err, log);
  }
}

async function dispatch(argv: string[], log: Logger): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    console.log(USAGE);
    return command ? EXIT.PASS : EXIT.BAD_INPUT;
  }
  const { values, positionals } = parseCliOptions(rest);
  switch (command) {
    case 'run': {
      if (values.shard) throw new ConfigError('finetune run: --shard belongs to `finetune sweep`; `finetune run --trials` merges the shards');
      if (values['no-accel']) process.env.FINETUNE_ACCEL = 'off'; // plain TF.js ops (src/accel/create.ts)
      const interrupt = onInterrupt(log);
      const result = await runPipeline({
        signal: interrupt.signal,
        specPath: values.spec,
        outDir: values.out,
        backend: parseBackendChoice(values.backend),
        baselinePath: values.baseline,
        noCache: values['no-cache'],
        resume: values.resume,
        trials: trialsArgs(values.trials),
        log,
      }).finally(interrupt.dispose);
      if (result.report.status === 'interrupted') log.warn('the run was cancelled: the report is marked interrupted; `finetune run --resume` continues from the last complete epoch');
      log.info(`\nverdict: ${result.report.verdict.toUpperCase()} (accuracy ${result.report.metrics.accuracy.toFixed(4)}, f1_macro ${result.report.metrics.f1_macro.toFixed(4)})`);
      log.info(`report: ${result.reportPath}\nsummary: ${result.markdownPath}\nmodel: ${result.modelDir} (sha256 ${result.modelSha256})`);
      return result.exitCode;
    }
    case 'sweep':
      if (values.trials) throw new ConfigError('finetune sweep: --trials belongs to `finetune run`, which merges the shards');
      return sweepCommand({ spec: values.spec, shard: values.shard, out: values.out, backend: parseBackendChoice(values.backend), noCache: values['no-cache'] }, log);
    case 'validate':
      return validateCommand(values.spec, log);
    case 'gate':
      if (!values.candidate) throw new ConfigError('finetune gate: --candidate report.json is required');
      return gateCommand({ candidate: values.candidate, baseline: values.baseline, spec: values.spec, out: values.out }, log);
    case 'verify':
      if (positionals.length !== 1) throw new ConfigError('finetune verify: give exactly one bundle directory');
      return verifyCommand(positionals[0], log);
    default:
      throw new ConfigError(`unknown command "${command}"\n${USAGE}`);
  }
}

export function parseCliOptions(args: string[]) {
  try {
    return parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw new ConfigError(`${(err as Error).message}\n${USAGE}`);
  }
}

function reportError(err: unknown, log: Logger): number {
  if (err instanceof FinetuneError) {
    log.warn(`${err.name}: ${err.message}`);
    return err.exitCode;
  }
  const e = err as Error;
  log.warn(`internal error (a bug in finetune-action, please report it): ${e?.stack ?? String(err)}`);
  return EXIT.TRAINING_FAILED;
}

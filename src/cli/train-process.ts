// `finetune run` and `finetune sweep` from the bundle train in a process of its own, as the Action
// does: a crash in native code (libtensorflow, Dawn) or an out-of-memory abort ends that process,
// and this one says what died and on which backend and exits 3; after `run` it also writes
// report.json marked crashed (a sweep shard writes no report, and no trials.json when cut short).
// The training process is the same bundle with the same arguments, marked by its environment; it
// writes its own report and exit code whenever it gets that far.
import path from 'node:path';
import { DEFAULT_OUTPUT_DIR } from '../defaults.js';
import { EXIT } from '../errors.js';
import { buildCrashReport, crashFailureMessage, crashMessage, crashRemedy } from '../pipeline/crash-report.js';
import { writeReports } from '../pipeline/outputs.js';
import { planRun } from '../pipeline/run-plan.js';
import { isTrainingProcess, serveTrainingProcess, startTrainingProcess } from '../pipeline/training-process.js';
import type { Logger } from '../util/log.js';

/** Set in the training process's environment. */
export const CLI_TRAINING_ENV = 'FINETUNE_CLI_TRAINING';
/** Set by the user to train in the command's own process (for a debugger, or a profiler). */
export const IN_PROCESS_ENV = 'FINETUNE_IN_PROCESS';

const EXIT_CODES = new Set<number>(Object.values(EXIT));

export function isCliTrainingProcess(env: NodeJS.ProcessEnv = process.env): boolean {
  return isTrainingProcess(CLI_TRAINING_ENV, env);
}

/** Only `run` and `sweep` train; help, --version, a bad command and the other commands stay in this process. */
export function trainsInOwnProcess(argv: string[], env: NodeJS.ProcessEnv = process.env): boolean {
  const trains = argv[0] === 'run' || argv[0] === 'sweep';
  const answersOnly = ['--help', '-h', '--version', '-V'].some((a) => argv.includes(a));
  return trains && !answersOnly && !env[IN_PROCESS_ENV];
}

/** The training process: tells the parent which backend it chose, then runs the command as usual. */
export function serveCliTraining(argv: string[], runCommand: (argv: string[]) => Promise<number>): Promise<number> {
  return serveTrainingProcess(CLI_TRAINING_ENV, () => runCommand(argv));
}

export interface TrainingProcessOptions {
  /** The running bundle. */
  script: string;
  argv: string[];
  /** Where the report goes if the process dies: --out, else the spec's output.dir. */
  specPath: string;
  outDir?: string;
  /** The backend asked for, named in the report until the process says which it chose. */
  backend: string;
  log: Logger;
  env?: NodeJS.ProcessEnv;
}

/** Runs the command in the training process; its exit code, or 3 with a crash report if it died. */
export async function runInTrainingProcess(opts: TrainingProcessOptions): Promise<number> {
  const started = Date.now();
  const { backend: chosen, ...end } = await startTrainingProcess({
    script: opts.script,
    argv: opts.argv,
    marker: { name: CLI_TRAINING_ENV, value: '1' },
    env: opts.env,
  });
  const backend = chosen ?? opts.backend;
  if (end.signal === null && end.code !== null && EXIT_CODES.has(end.code)) return end.code;
  if (opts.argv[0] === 'sweep') {
    opts.log.warn(crashMessage({ signal: end.signal, exit_code: end.code, backend, remedy: crashRemedy({ ...end, backend }) }));
    return EXIT.TRAINING_FAILED;
  }
  const plan = planRun(opts.specPath);
  const report = buildCrashReport(plan, { ...end, backend, seconds: (Date.now() - started) / 1000 });
  const outDir = path.resolve(opts.outDir ?? plan?.outDir ?? DEFAULT_OUTPUT_DIR);
  const { reportPath } = writeReports(outDir, report);
  opts.log.warn(crashFailureMessage(report));
  opts.log.info(`report: ${reportPath}`);
  return EXIT.TRAINING_FAILED;
}

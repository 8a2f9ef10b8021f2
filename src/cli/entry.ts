// The command line's entry, shared by the bundle (dist/index.js started by bin/finetune.js) and the
// sources: `run` and `sweep` train in a process of their own (the same script started again), so a
// native crash cannot end the command unreported; everything else runs here.
import { parseBackendChoice } from '../backend/select.js';
import { findCommand, parseCliOptions, runCli } from './main.js';
import { isCliTrainingProcess, runInTrainingProcess, serveCliTraining, trainsInOwnProcess } from './train-process.js';
import { consoleLogger } from '../util/log.js';

/** `script`: the running file, started again as the training process. Returns the exit code. */
export async function cliMain(argv: string[], script: string): Promise<number> {
  if (isCliTrainingProcess()) return serveCliTraining(argv, runCli);
  if (!trainsInOwnProcess(argv)) return runCli(argv);
  let options: { spec: string; out?: string; backend: string };
  try {
    const parsed = parseCliOptions(findCommand(argv[0])!, argv.slice(1)).values;
    if (parsed.help || parsed.version) return runCli(argv);
    options = parsed as unknown as typeof options;
    parseBackendChoice(options.backend);
  } catch {
    // Bad arguments: the command itself says what is wrong, with its usual exit code.
    return runCli(argv);
  }
  return runInTrainingProcess({ script, argv, specPath: options.spec, outDir: options.out, backend: options.backend, log: consoleLogger });
}

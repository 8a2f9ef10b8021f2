import { fileURLToPath } from 'node:url';
import { parseBackendChoice } from './backend/select.js';
import { parseCliOptions, runCli } from './cli/main.js';
import { isCliTrainingProcess, runInTrainingProcess, serveCliTraining, trainsInOwnProcess } from './cli/train-process.js';
import { isFeatureWorker, serveFeatures } from './features/worker.js';
import { consoleLogger } from './util/log.js';

// ncc makes one file per entry: the bundle is also the script of its feature worker threads and of
// the training process `finetune run` starts (so a native crash cannot end the command unreported).
const argv = process.argv.slice(2);
if (isFeatureWorker()) await serveFeatures();
else if (isCliTrainingProcess()) process.exitCode = await serveCliTraining(argv, runCli);
else if (trainsInOwnProcess(argv)) process.exitCode = await trainInOwnProcess();
else process.exitCode = await runCli(argv);

async function trainInOwnProcess(): Promise<number> {
  let options: ReturnType<typeof parseCliOptions>['values'];
  try {
    options = parseCliOptions(argv.slice(1)).values;
    parseBackendChoice(options.backend);
  } catch {
    // Bad arguments: the command itself says what is wrong, with its usual exit code.
    return runCli(argv);
  }
  const script = fileURLToPath(import.meta.url);
  return runInTrainingProcess({ script, argv, specPath: options.spec, outDir: options.out, backend: options.backend, log: consoleLogger });
}

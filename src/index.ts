import { fileURLToPath } from 'node:url';
import { run } from './action/main.js';
import { isTrainingChild, serveTraining } from './action/train-child.js';
import { cliMain } from './cli/entry.js';
import { isCliTrainingProcess } from './cli/train-process.js';
import { isFeatureWorker, serveFeatures } from './features/worker.js';

// One bundle (dist/index.js) serves the Action and the command line. The runner starts it as the
// Action; bin/finetune.js marks the process as the command line before importing it. It is also
// the script of its feature worker threads and of the training process either one starts (so a
// native crash cannot take the step or the command down with it).
const script = fileURLToPath(import.meta.url);
const asCli = (globalThis as Record<symbol, unknown>)[Symbol.for('finetune-action.cli')] === true;
if (isFeatureWorker()) await serveFeatures();
else if (isTrainingChild()) await serveTraining();
else if (asCli || isCliTrainingProcess()) process.exitCode = await cliMain(process.argv.slice(2), script);
else await run({ script });

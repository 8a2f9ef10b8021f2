import { fileURLToPath } from 'node:url';
import { cliMain } from './cli/entry.js';
import { isFeatureWorker, serveFeatures } from './features/worker.js';

// The command line run from the sources (the bundle starts it from src/index.ts): the script is
// also that of its feature worker threads and of the training process `finetune run` starts.
if (isFeatureWorker()) await serveFeatures();
else process.exitCode = await cliMain(process.argv.slice(2), fileURLToPath(import.meta.url));

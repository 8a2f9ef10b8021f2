import { fileURLToPath } from 'node:url';
import { run } from './action/main.js';
import { isTrainingChild, serveTraining } from './action/train-child.js';
import { isFeatureWorker, serveFeatures } from './features/worker.js';

// ncc makes one file per entry: the bundle is also the script of its feature worker threads and
// of the training process the Action starts (so a native crash cannot take the step down with it).
if (isFeatureWorker()) await serveFeatures();
else if (isTrainingChild()) await serveTraining();
else await run({ script: fileURLToPath(import.meta.url) });

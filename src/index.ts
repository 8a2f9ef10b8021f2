import { run } from './action/main.js';
import { isFeatureWorker, serveFeatures } from './features/worker.js';

// ncc makes one file per entry: the bundle is also the script of its feature worker threads.
if (isFeatureWorker()) await serveFeatures();
else await run();

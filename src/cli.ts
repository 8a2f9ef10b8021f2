import { runCli } from './cli/main.js';
import { isFeatureWorker, serveFeatures } from './features/worker.js';

// ncc makes one file per entry: the bundle is also the script of its feature worker threads.
if (isFeatureWorker()) await serveFeatures();
else process.exitCode = await runCli(process.argv.slice(2));

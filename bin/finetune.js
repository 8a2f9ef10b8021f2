#!/usr/bin/env node
// `npx finetune`: the bundled command line (built by `npm run build`).
import '../dist/cli/index.js';

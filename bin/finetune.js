#!/usr/bin/env node
// `finetune`: the command line. dist/index.js is one bundle for the Action and the command line
// (built by `npm run build`); this mark makes it the command line.
globalThis[Symbol.for('finetune-action.cli')] = true;
await import('../dist/index.js');

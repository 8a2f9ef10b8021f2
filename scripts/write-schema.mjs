#!/usr/bin/env node
// Regenerates schema/finetune.schema.json from the zod schema in src/spec/schema.ts. The schema is
// TypeScript, so generation runs inside test/spec.test.ts (which fails when the file is stale).
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const vitest = path.join(root, 'node_modules', 'vitest', 'vitest.mjs');
const result = spawnSync(process.execPath, [vitest, 'run', 'test/spec.test.ts', '-t', 'JSON Schema'], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, UPDATE_SCHEMA: '1' },
});
if (result.error) throw result.error;
process.exit(result.status ?? 1);

// The version has one source, package.json: src/defaults.ts carries it into the bundle (written by
// scripts/sync-version.mjs on `npm version`), and the reports name it.
import fs from 'node:fs';
import { expect, it } from 'vitest';
import { VERSION } from '../src/defaults.js';

it("the version in src/defaults.ts is package.json's", () => {
  const pkg = JSON.parse(fs.readFileSync('package.json', 'utf8')) as { version: string; scripts: Record<string, string> };
  expect(VERSION).toBe(pkg.version);
  expect(pkg.scripts.version).toContain('scripts/sync-version.mjs');
});

#!/usr/bin/env node
// Prints the CHANGELOG.md section of one version (without its heading): the release's notes.
// Exits 1, saying so, when the changelog has no section for that version, so a release is never
// cut without its entry. Usage: node scripts/changelog-section.mjs 1.2.3 [CHANGELOG.md]
import fs from 'node:fs';

export function changelogSection(text, version) {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => new RegExp(`^## \\[${version.replace(/\./g, '\\.')}\\]`).test(l));
  if (start < 0) return undefined;
  const end = lines.findIndex((l, i) => i > start && /^## /.test(l));
  return lines
    .slice(start + 1, end < 0 ? undefined : end)
    .join('\n')
    .replace(/\n\[[^\]]+\]: .*/g, '')
    .trim();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [version, file = 'CHANGELOG.md'] = process.argv.slice(2);
  const section = version && changelogSection(fs.readFileSync(file, 'utf8'), version);
  if (!section) {
    console.error(`error: ${file} has no "## [${version}]" section: add the release's entry first`);
    process.exit(1);
  }
  console.log(section);
}

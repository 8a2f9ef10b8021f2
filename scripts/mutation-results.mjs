#!/usr/bin/env node
// Summarises StrykerJS JSON reports (mutation-testing-report-schema) as Markdown: the score per
// file and in all, every mutant that survived or had no test, and every mutant marked equivalent
// in the source (a "Stryker disable" comment) with its reason.
//
//   node scripts/mutation-results.mjs reports/mutation/mutation.json [more.json ...]
//
// Several reports are merged: runs over parts of the core, or a full run followed by a rerun of a
// few lines (`--mutate file:from-to`). A mutant in a later report (same file, place, mutator and
// replacement) replaces the earlier one; the source lines must not have moved between them.
import fs from 'node:fs';
import { pathToFileURL } from 'node:url';

const DETECTED = new Set(['Killed', 'Timeout']);
const UNDETECTED = new Set(['Survived', 'NoCoverage']);

/** Stryker's score: detected / (detected + undetected); compile and runtime errors and ignored mutants do not count. */
export function score(mutants) {
  const detected = mutants.filter((m) => DETECTED.has(m.status)).length;
  const undetected = mutants.filter((m) => UNDETECTED.has(m.status)).length;
  return {
    detected,
    undetected,
    valid: detected + undetected,
    percent: detected + undetected === 0 ? 100 : (100 * detected) / (detected + undetected),
  };
}

/** The source text a mutant replaced, on one line. */
function original(source, location) {
  const lines = source.split('\n');
  const { start, end } = location;
  const text =
    start.line === end.line
      ? lines[start.line - 1].slice(start.column - 1, end.column - 1)
      : [
          lines[start.line - 1].slice(start.column - 1),
          ...lines.slice(start.line, end.line - 1),
          lines[end.line - 1].slice(0, end.column - 1),
        ].join('\n');
  return oneLine(text);
}

function oneLine(text, max = 90) {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

const code = (text) => (text === '' ? '(empty)' : `\`${text.replace(/`/g, "'")}\``);
const pct = (x) => `${x.toFixed(2)}%`;

export function summarise(reports) {
  const files = {};
  const key = (m) =>
    `${m.location.start.line}:${m.location.start.column}-${m.location.end.line}:${m.location.end.column} ${m.mutatorName} ${m.replacement}`;
  for (const report of reports) {
    for (const [name, file] of Object.entries(report.files)) {
      const before = files[name];
      if (!before) {
        files[name] = file;
        continue;
      }
      // Edits that keep every line in place (a comment reworded) are fine; moved lines are not.
      if (before.source.split('\n').length !== file.source.split('\n').length)
        throw new Error(`${name} has lines added or removed between the reports merged; rerun it whole`);
      const later = new Map(file.mutants.map((m) => [key(m), m]));
      const merged = before.mutants.map((m) => later.get(key(m)) ?? m);
      const known = new Set(before.mutants.map(key));
      merged.push(...file.mutants.filter((m) => !known.has(key(m))));
      files[name] = { ...file, mutants: merged };
    }
  }
  const names = Object.keys(files).sort();
  const all = names.flatMap((f) => files[f].mutants);
  const total = score(all);
  const count = (mutants, status) => mutants.filter((m) => m.status === status).length;
  const out = [];
  out.push(`**Mutation score: ${pct(total.percent)}** (${total.detected} of ${total.valid} mutants detected; threshold 90%).`, '');
  out.push(
    '| file | killed | timeout | survived | no coverage | equivalent (ignored) | type errors | score |',
    '|---|---|---|---|---|---|---|---|',
  );
  for (const f of names) {
    const ms = files[f].mutants;
    const s = score(ms);
    const errors = count(ms, 'CompileError') + count(ms, 'RuntimeError');
    out.push(
      `| ${f} | ${count(ms, 'Killed')} | ${count(ms, 'Timeout')} | ${count(ms, 'Survived')} | ${count(ms, 'NoCoverage')} | ${count(ms, 'Ignored')} | ${errors} | ${pct(s.percent)} |`,
    );
  }
  out.push(
    `| **all** | ${count(all, 'Killed')} | ${count(all, 'Timeout')} | ${count(all, 'Survived')} | ${count(all, 'NoCoverage')} | ${count(all, 'Ignored')} | ${count(all, 'CompileError') + count(all, 'RuntimeError')} | **${pct(total.percent)}** |`,
  );

  const listed = (statuses, withReason) => {
    const rows = [];
    for (const f of names) {
      const { source, mutants } = files[f];
      const ms = mutants
        .filter((m) => statuses.includes(m.status))
        .sort((a, b) => a.location.start.line - b.location.start.line || a.location.start.column - b.location.start.column);
      for (const m of ms) {
        const at = `${f}:${m.location.start.line}:${m.location.start.column}`;
        const change = `${code(original(source, m.location))} → ${code(oneLine(m.replacement ?? ''))}`;
        rows.push(
          withReason
            ? `| ${at} | ${m.mutatorName} | ${change} | ${oneLine(m.statusReason ?? '', 300)} |`
            : `| ${at} | ${m.mutatorName} | ${change} | ${m.status} |`,
        );
      }
    }
    return rows;
  };

  const survivors = listed(['Survived', 'NoCoverage'], false);
  out.push('', `### Surviving mutants (${survivors.length})`, '');
  if (survivors.length === 0) out.push('None.');
  else out.push('| where | mutator | change | status |', '|---|---|---|---|', ...survivors);

  const equivalents = listed(['Ignored'], true);
  out.push('', `### Equivalent mutants, marked in the source (${equivalents.length})`, '');
  if (equivalents.length === 0) out.push('None.');
  else out.push('| where | mutator | change | why it cannot change behaviour |', '|---|---|---|---|', ...equivalents);
  return out.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const paths = process.argv.slice(2);
  if (paths.length === 0) {
    console.error('usage: node scripts/mutation-results.mjs REPORT.json [MORE.json ...]');
    process.exit(2);
  }
  console.log(summarise(paths.map((p) => JSON.parse(fs.readFileSync(p, 'utf8')))));
}

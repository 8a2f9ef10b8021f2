// Reads the spec's data into train / validation / test examples with class names.
import path from 'node:path';
import { DataError } from '../errors.js';
import type { Spec } from '../spec/schema.js';
import { readCsvRows } from './csv.js';
import { readTextRows } from './text-rows.js';
import { textSettings } from '../spec/schema.js';
import { readIdxExamples } from './idx.js';
import { readImageFolder, scanImageFolder, type FolderScan } from './image-folder.js';
import { byId, carve } from './split.js';
import type { Dataset, Example } from './types.js';
import type { Logger } from '../util/log.js';

type Source = Spec['data']['train'];
type SplitName = 'train' | 'validation' | 'test';
const SPLITS: SplitName[] = ['train', 'validation', 'test'];

export function loadDataset(spec: Spec, root: string, log: Logger): Dataset {
  const given = SPLITS.filter((s) => spec.data[s] !== undefined);
  const read = readSplits(spec, root, given, log);
  return finishDataset(spec, read.classes, read.examples, read.skipped, log);
}

interface RawSplits {
  classes: string[];
  examples: Partial<Record<SplitName, Example[]>>;
  skipped: string[];
}

function readSplits(spec: Spec, root: string, given: SplitName[], log: Logger): RawSplits {
  if (spec.task === 'text-classification') return readTextSplits(spec, root, given);
  switch (spec.data.format) {
    case 'idx':
      return readIdxSplits(spec, root, given);
    case 'csv':
      return readCsvSplits(spec, root, given);
    case 'image-folder':
      return readFolderSplits(spec, root, given, log);
    case 'jsonl':
      throw new DataError('data.format: "jsonl" is read for task "text-classification" only');
  }
}

function readTextSplits(spec: Spec, root: string, given: SplitName[]): RawSplits {
  const format = spec.data.format === 'jsonl' ? 'jsonl' : 'csv';
  const cols = { text: textSettings(spec).field, label: spec.data.label };
  const read = given.map((s) => {
    const rel = spec.data[s] as string;
    return { s, rows: readTextRows(path.join(root, rel), rel, format, cols, `data.${s}`) };
  });
  const classes = spec.data.classes ?? [...new Set(read.flatMap((r) => r.rows.labels))].sort();
  const index = new Map(classes.map((c, i) => [c, i]));
  const examples: RawSplits['examples'] = {};
  for (const { s, rows: r } of read) {
    examples[s] = r.labels.map((label, i) => {
      const y = index.get(label);
      if (y === undefined) throw new DataError(`${r.where[i]}: label "${label}" is not one of data.classes (${classes.join(', ')})`);
      return { id: r.ids[i], label: y, sha256: r.hashes[i], text: r.texts[i] };
    });
  }
  return { classes, examples, skipped: [] };
}

function readIdxSplits(spec: Spec, root: string, given: SplitName[]): RawSplits {
  const examples: RawSplits['examples'] = {};
  let maxLabel = 0;
  for (const s of given) {
    const src = spec.data[s] as Exclude<Source, string>;
    const list = readIdxExamples(path.join(root, src.images), path.join(root, src.labels), src.images, `data.${s}`, src.labels);
    for (const e of list) maxLabel = Math.max(maxLabel, e.label);
    examples[s] = list;
  }
  const classes = spec.data.classes ?? Array.from({ length: maxLabel + 1 }, (_, i) => String(i));
  if (maxLabel >= classes.length) {
    throw new DataError(
      `data.classes: lists ${classes.length} names (labels 0..${classes.length - 1}) but the idx labels go up to ${maxLabel}`,
    );
  }
  return { classes, examples, skipped: [] };
}

function readCsvSplits(spec: Spec, root: string, given: SplitName[]): RawSplits {
  const rows = given.map((s) => {
    const rel = spec.data[s] as string;
    return { s, rows: readCsvRows(path.join(root, rel), rel, spec.data.label, spec.data.features, `data.${s}`) };
  });
  const classes = spec.data.classes ?? [...new Set(rows.flatMap((r) => r.rows.labels))].sort();
  const index = new Map(classes.map((c, i) => [c, i]));
  const examples: RawSplits['examples'] = {};
  for (const { s, rows: r } of rows) {
    examples[s] = r.labels.map((label, i) => {
      const y = index.get(label);
      if (y === undefined) throw new DataError(`${r.where[i]}: label "${label}" is not one of data.classes (${classes.join(', ')})`);
      return { id: r.ids[i], label: y, sha256: r.hashes[i], values: r.values[i] };
    });
  }
  return { classes, examples, skipped: [] };
}

function readFolderSplits(spec: Spec, root: string, given: SplitName[], log: Logger): RawSplits {
  const scans = new Map<SplitName, FolderScan>(given.map((s) => [s, scanImageFolder(root, spec.data[s] as string, `data.${s}`)]));
  const found = [...new Set([...scans.values()].flatMap((sc) => [...sc.byClass.keys()]))].sort();
  const classes = spec.data.classes ?? found;
  const index = new Map(classes.map((c, i) => [c, i]));
  const unknown = found.filter((c) => !index.has(c));
  if (unknown.length)
    throw new DataError(
      `data.classes: class folders ${unknown.map((c) => `"${c}"`).join(', ')} are not listed in data.classes (${classes.join(', ')})`,
    );
  const examples: RawSplits['examples'] = {};
  const bad: Array<{ file: string; reason: string }> = [];
  let total = 0;
  for (const [s, scan] of scans) {
    const r = readImageFolder(root, scan, index);
    examples[s] = r.examples;
    bad.push(...r.bad);
    total += r.examples.length + r.bad.length;
  }
  reportBadFiles(bad, total, spec.data.max_bad_fraction, log);
  return { classes, examples, skipped: bad.map((b) => b.file) };
}

function reportBadFiles(bad: Array<{ file: string; reason: string }>, total: number, maxFraction: number, log: Logger): void {
  if (bad.length === 0) return;
  const listed = bad.slice(0, 10).map((b) => `  ${b.file}: ${b.reason}`);
  if (bad.length > 10) listed.push(`  ... and ${bad.length - 10} more`);
  const share = bad.length / total;
  const summary = `${bad.length} of ${total} image files could not be read (${(share * 100).toFixed(1)}%)`;
  if (share > maxFraction) {
    throw new DataError(`${summary}, more than data.max_bad_fraction (${maxFraction}):\n${listed.join('\n')}`);
  }
  log.warn(`${summary}; skipped:\n${listed.join('\n')}`);
}

/** Carves the splits not given out of train, then checks what training and testing need. */
function finishDataset(spec: Spec, classes: string[], ex: RawSplits['examples'], skipped: string[], log: Logger): Dataset {
  const { validation: v, test: t, stratify, seed } = spec.data.split;
  let train = ex.train ?? [];
  let validation = ex.validation;
  let test = ex.test;
  // Test first: when a class is too small for both, the test set gets its example.
  if (!test && !validation) [train, test, validation] = carve(train, [t, v], stratify, seed);
  else if (!validation) [train, validation] = carve(train, [v], stratify, seed);
  else if (!test) [train, test] = carve(train, [t], stratify, seed);
  const dataset = { classes, train: byId(train), validation: byId(validation ?? []), test: byId(test ?? []), skipped };
  checkDataset(dataset, describeSource(spec.data.train), log);
  return dataset;
}

function describeSource(src: Source): string {
  return typeof src === 'string' ? src : src.labels;
}

function checkDataset(d: Dataset, trainSource: string, log: Logger): void {
  if (d.classes.length < 2) {
    const found = d.classes.map((c) => `"${c}"`).join(', ') || 'none';
    throw new DataError(`data.train (${trainSource}): ${d.classes.length} class found (${found}); classification needs at least 2`);
  }
  if (d.train.length === 0) throw new DataError(`data.train (${trainSource}): no training examples left after the split`);
  if (d.test.length === 0) throw new DataError('data.test: the test set is empty; give data.test or a larger data.split.test');
  const seen = new Set(d.train.map((e) => e.label));
  const unseen = firstPerLabel(d.test).filter(([y]) => !seen.has(y));
  if (unseen.length) {
    const list = unseen.map(([y, e]) => `"${d.classes[y]}" (e.g. ${e.id})`).join(', ');
    throw new DataError(`data.test: labels ${list} never appear in the training data (${trainSource})`);
  }
  const absent = d.classes.filter((_, y) => !seen.has(y));
  if (absent.length)
    throw new DataError(`data.train (${trainSource}): classes ${absent.map((c) => `"${c}"`).join(', ')} have no training examples`);
  const tested = new Set(d.test.map((e) => e.label));
  const untested = d.classes.filter((_, y) => !tested.has(y));
  // Not fatal: the report shows these classes with support 0 (their scores count as 0 in macro averages).
  if (untested.length) {
    const names = untested.map((c) => `"${c}"`).join(', ');
    log.warn(`data.test: classes ${names} have no test examples; they are reported with support 0 and count as 0 in macro averages`);
  }
}

function firstPerLabel(examples: Example[]): Array<[number, Example]> {
  const first = new Map<number, Example>();
  for (const e of examples) if (!first.has(e.label)) first.set(e.label, e);
  return [...first].sort((a, b) => a[0] - b[0]);
}

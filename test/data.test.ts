// Bad data gets a DataError (exit 2) that names the problem and the file or key; tolerable
// problems are warnings through the Logger. Also the seeded, stratified split.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { DataError, EXIT } from '../src/errors.js';
import { loadDataset } from '../src/data/load.js';
import { byId, carve } from '../src/data/split.js';
import { readIdxExamples } from '../src/data/idx.js';
import { classificationMetrics } from '../src/metrics/classification.js';
import { silentLogger } from '../src/util/log.js';
import type { Dataset } from '../src/data/types.js';
import type { Spec } from '../src/spec/schema.js';
import { parseSpec } from '../src/spec/load.js';
import { jpegBytes, pngBytes, pngDeclaring, rgba, solidPng } from './helpers/images.js';
import { idxBytes, makeTmpRepo, recordingLogger, specWith, type TmpRepo } from './helpers/tmp-repo.js';

const FIXTURES = path.join(import.meta.dirname, 'fixtures', 'data');

let repo: TmpRepo;
afterEach(() => repo?.remove());

function dataError(run: () => unknown): DataError {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(DataError);
    expect((err as DataError).exitCode).toBe(EXIT.BAD_INPUT);
    return err as DataError;
  }
  throw new Error('expected a DataError, but nothing was thrown');
}

/** `counts` maps "<split>/<class>" to a number of small valid PNGs. */
function imageRepo(counts: Record<string, number>): TmpRepo {
  const r = makeTmpRepo();
  for (const [dir, n] of Object.entries(counts)) {
    r.mkdir(`data/${dir}`);
    for (let i = 0; i < n; i++) r.write(`data/${dir}/${String(i).padStart(3, '0')}.png`, solidPng(i % 256, 50, 100));
  }
  return r;
}

const folderSpec = (extra = '') => specWith(`  format: image-folder\n  train: data/train\n${extra}`);
const load = (spec: Spec, log = silentLogger): Dataset => loadDataset(spec, repo.root, log);
const truncatedPng = () => solidPng(1, 2, 3, 8).subarray(0, 50);

describe('image-folder: bad input', () => {
  it('a missing directory names the key and the path', () => {
    repo = makeTmpRepo();
    const err = dataError(() => load(folderSpec()));
    expect(err.message).toContain('data.train');
    expect(err.message).toContain('"data/train" does not exist');
  });

  it('a directory with no images says what layout is expected', () => {
    repo = makeTmpRepo();
    repo.mkdir('data/train/a');
    repo.write('data/train/b/notes.txt', 'not an image');
    const err = dataError(() => load(folderSpec()));
    expect(err.message).toMatch(/data\.train: no PNG or JPEG images under "data\/train"/);
    expect(err.message).toContain('data/train/<class>/*.png|jpg');
  });

  it('one class only: classification needs two', () => {
    repo = imageRepo({ 'train/shoe': 20 });
    const err = dataError(() => load(folderSpec()));
    expect(err.message).toContain('data.train (data/train)');
    expect(err.message).toContain('1 class found ("shoe")');
    expect(err.message).toContain('at least 2');
  });

  it('a class folder not listed in data.classes', () => {
    repo = imageRepo({ 'train/a': 5, 'train/b': 5, 'train/c': 5 });
    const err = dataError(() => load(folderSpec('  classes: [a, b]\n')));
    expect(err.message).toContain('data.classes: class folders "c" are not listed');
  });

  it('a class with no test examples warns, and its metrics have support 0', () => {
    repo = imageRepo({ 'train/a': 10, 'train/b': 10, 'train/c': 10, 'test/a': 4, 'test/b': 3 });
    const log = recordingLogger();
    const d = load(folderSpec('  test: data/test\n'), log);
    expect(d.classes).toEqual(['a', 'b', 'c']);
    expect(log.warnings).toHaveLength(1);
    expect(log.warnings[0]).toContain('data.test: classes "c" have no test examples');
    const y = d.test.map((e) => e.label);
    const { perClass } = classificationMetrics(y, y, d.classes);
    expect(perClass.map((c) => c.support)).toEqual([4, 3, 0]);
    expect(perClass[2]).toMatchObject({ label: 'c', precision: 0, recall: 0, f1: 0 });
  });

  it('test labels never seen in training name an example file', () => {
    repo = imageRepo({ 'train/a': 10, 'train/b': 10, 'test/a': 2, 'test/b': 2, 'test/zebra': 2 });
    const err = dataError(() => load(folderSpec('  test: data/test\n')));
    expect(err.message).toContain(
      'data.test: labels "zebra" (e.g. data/test/zebra/000.png) never appear in the training data (data/train)',
    );
  });

  it('a symlink leading out of the repository is refused', () => {
    repo = imageRepo({ 'train/a': 5, 'train/b': 5 });
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'finetune-outside-'));
    try {
      fs.writeFileSync(path.join(outside, 'secret.png'), solidPng(1, 1, 1));
      fs.symlinkSync(path.join(outside, 'secret.png'), repo.abs('data/train/a/link.png'));
      const err = dataError(() => load(folderSpec()));
      expect(err.message).toContain('data.train: "data/train/a/link.png" is a symlink to');
      expect(err.message).toContain('outside the repository');
    } finally {
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });

  it('a data directory that is a symlink out of the repository is refused', () => {
    repo = makeTmpRepo();
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'finetune-outside-'));
    try {
      fs.mkdirSync(path.join(outside, 'train', 'a'), { recursive: true });
      fs.symlinkSync(outside, repo.abs('data'));
      const err = dataError(() => load(folderSpec()));
      expect(err.message).toMatch(/^data\.train: "data\/train" is a symlink to .*, outside the repository$/);
    } finally {
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });

  it('a symlink that stays inside the repository is followed', () => {
    repo = imageRepo({ 'train/a': 5, 'train/b': 5, 'spare/b': 1 });
    fs.symlinkSync(repo.abs('data/spare/b/000.png'), repo.abs('data/train/b/linked.png'));
    fs.symlinkSync(repo.abs('data/spare/b'), repo.abs('data/train/c'));
    const d = load(folderSpec());
    expect(d.classes).toEqual(['a', 'b', 'c']);
    expect([...d.train, ...d.validation, ...d.test].map((e) => e.id)).toContain('data/train/b/linked.png');
  });
});

describe('image-folder: undecodable files', () => {
  it('at most data.max_bad_fraction (default 0.01): skipped with a warning naming each file', () => {
    repo = imageRepo({ 'train/a': 50, 'train/b': 49 });
    repo.write('data/train/b/broken.png', truncatedPng());
    const log = recordingLogger();
    const d = load(folderSpec(), log);
    expect(d.skipped).toEqual(['data/train/b/broken.png']);
    expect(d.train.length + d.validation.length + d.test.length).toBe(99);
    const warning = log.warnings.find((w) => w.includes('could not be read'));
    expect(warning).toContain('1 of 100 image files could not be read (1.0%)');
    expect(warning).toMatch(/data\/train\/b\/broken\.png: cannot decode PNG \(truncated or corrupt\)/);
  });

  it('past data.max_bad_fraction: a DataError naming them', () => {
    repo = imageRepo({ 'train/a': 49, 'train/b': 49 });
    repo.write('data/train/a/cut.png', truncatedPng());
    repo.write('data/train/b/text.jpg', 'plain text');
    const err = dataError(() => load(folderSpec()));
    expect(err.message).toContain('2 of 100 image files could not be read (2.0%), more than data.max_bad_fraction (0.01)');
    expect(err.message).toContain('data/train/a/cut.png');
    expect(err.message).toContain('data/train/b/text.jpg: not a PNG or JPEG file');
  });

  it('names the first 10, then a count', () => {
    repo = imageRepo({ 'train/a': 20, 'train/b': 20 });
    for (let i = 0; i < 12; i++) repo.write(`data/train/a/bad${String(i).padStart(2, '0')}.png`, truncatedPng());
    const log = recordingLogger();
    load(folderSpec('  max_bad_fraction: 0.5\n'), log);
    const warning = log.warnings.find((w) => w.includes('could not be read')) as string;
    expect(warning).toContain('12 of 52');
    expect(warning).toContain('bad09.png');
    expect(warning).not.toContain('bad10.png');
    expect(warning).toContain('... and 2 more');
  });

  it('a PNG declaring 20000x20000 pixels is refused by its header and skipped', () => {
    repo = imageRepo({ 'train/a': 100, 'train/b': 100 });
    repo.write('data/train/a/bomb.png', pngDeclaring(20000, 20000));
    const log = recordingLogger();
    const started = performance.now();
    const d = load(folderSpec(), log);
    expect(performance.now() - started).toBeLessThan(5000);
    expect(d.skipped).toEqual(['data/train/a/bomb.png']);
    expect(log.warnings.join('\n')).toMatch(/bomb\.png: declares 20000x20000 pixels, more than the limit/);
  });

  it('counts bad files across train, validation and test', () => {
    repo = imageRepo({ 'train/a': 30, 'train/b': 30, 'test/a': 20, 'test/b': 20 });
    repo.write('data/test/a/bad.png', truncatedPng());
    const log = recordingLogger();
    const d = load(folderSpec('  test: data/test\n'), log);
    expect(d.skipped).toEqual(['data/test/a/bad.png']);
    expect(log.warnings.join('\n')).toContain('1 of 101');
  });
});

describe('csv: bad input', () => {
  const csvSpec = (train: string, extra = '') => specWith(`  format: csv\n  train: ${train}\n${extra}`, 'tabular-classification');
  const copyFixture = (name: string) => repo.write(`data/${name}`, fs.readFileSync(path.join(FIXTURES, name)));

  it('a non-numeric feature names the file, line and column', () => {
    repo = makeTmpRepo();
    copyFixture('bad-feature.csv');
    const err = dataError(() => load(csvSpec('data/bad-feature.csv')));
    expect(err.message).toBe('data.train: data/bad-feature.csv line 4, column 2 ("petal"): expected a number, got "abc"');
  });

  it('a missing label names the file, line and column', () => {
    repo = makeTmpRepo();
    copyFixture('missing-label.csv');
    const err = dataError(() => load(csvSpec('data/missing-label.csv')));
    expect(err.message).toBe('data.train: data/missing-label.csv line 3, column 3 ("label"): missing label');
  });

  it('a missing label column lists the columns there are', () => {
    repo = makeTmpRepo();
    copyFixture('bom.csv');
    const err = dataError(() => load(csvSpec('data/bom.csv', '  label: species\n')));
    expect(err.message).toContain('data.label: column "species" not found in data/bom.csv (columns: sepal, petal, label)');
  });

  it('a byte order mark is not part of the first column name', () => {
    repo = makeTmpRepo();
    copyFixture('bom.csv');
    const d = load(csvSpec('data/bom.csv', '  features: [sepal]\n  split: { validation: 0.25, test: 0.25 }\n'));
    expect(d.train[0].values).toHaveLength(1);
  });

  it('a test label never seen in training', () => {
    repo = makeTmpRepo();
    repo.write('data/train.csv', 'x,label\n1,a\n2,b\n3,a\n4,b\n');
    repo.write('data/test.csv', 'x,label\n1,a\n2,b\n9,z\n');
    const err = dataError(() => load(csvSpec('data/train.csv', '  test: data/test.csv\n')));
    expect(err.message).toContain('data.test: labels "z" (e.g. data/test.csv#4) never appear in the training data (data/train.csv)');
  });

  it('a label outside data.classes names the file and line', () => {
    repo = makeTmpRepo();
    repo.write('data/train.csv', 'x,label\n1,a\n2,b\n3,c\n');
    const err = dataError(() => load(csvSpec('data/train.csv', '  classes: [a, b]\n')));
    expect(err.message).toBe('data.train: data/train.csv line 4: label "c" is not one of data.classes (a, b)');
  });

  it('a missing file and a row with the wrong number of fields', () => {
    repo = makeTmpRepo();
    expect(dataError(() => load(csvSpec('data/none.csv'))).message).toBe('data.train: file "data/none.csv" does not exist');
    repo.write('data/short.csv', 'x,y,label\n1,2,a\n3,b\n');
    expect(dataError(() => load(csvSpec('data/short.csv'))).message).toBe('data.train: data/short.csv line 3: 2 fields, the header has 3');
  });
});

describe('idx: bad input', () => {
  const idxSpec = (extra = '') => specWith(`  format: idx\n  train: { images: data/img.gz, labels: data/lab.gz }\n${extra}`);
  const images = (n: number) =>
    idxBytes(
      [n, 2, 2],
      new Uint8Array(n * 4).map((_, i) => i % 256),
    );
  const labels = (n: number) =>
    idxBytes(
      [n],
      new Uint8Array(n).map((_, i) => i % 2),
    );

  function writePair(img: Buffer, lab: Buffer): void {
    repo = makeTmpRepo();
    repo.write('data/img.gz', img);
    repo.write('data/lab.gz', lab);
  }

  it('reads a good pair', () => {
    writePair(images(20), labels(20));
    const d = load(idxSpec('  classes: [even, odd]\n'));
    expect(d.classes).toEqual(['even', 'odd']);
    expect(d.train.length + d.validation.length + d.test.length).toBe(20);
  });

  it('a wrong magic number names the key and the file', () => {
    const bad = zlib.gzipSync(Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 0, 0, 1, 7]));
    writePair(images(4), bad);
    const err = dataError(() => load(idxSpec()));
    expect(err.message).toContain('data.train.labels (data/lab.gz): not an IDX file (bad magic number 0x504b0304');
  });

  it('truncated data names the key, the file and the sizes', () => {
    const raw = zlib.gunzipSync(images(10));
    writePair(zlib.gzipSync(raw.subarray(0, raw.length - 7)), labels(10));
    const err = dataError(() => load(idxSpec()));
    expect(err.message).toContain(
      'data.train.images (data/img.gz): truncated: the header declares [10, 2, 2] = 40 bytes of data, the file holds 33',
    );
  });

  it('a truncated gzip stream', () => {
    const gz = images(10);
    writePair(gz.subarray(0, gz.length - 10), labels(10));
    expect(dataError(() => load(idxSpec())).message).toMatch(/^data\.train\.images \(data\/img\.gz\): cannot gunzip/);
  });

  it('images and labels that do not match in count', () => {
    writePair(images(10), labels(9));
    const err = dataError(() => load(idxSpec()));
    expect(err.message).toBe('data.train: data/img.gz holds 10 images but data/lab.gz holds 9 labels');
  });

  it('labels past data.classes', () => {
    writePair(
      images(10),
      idxBytes(
        [10],
        new Uint8Array(10).map((_, i) => i % 3),
      ),
    );
    const err = dataError(() => load(idxSpec('  classes: [a, b]\n')));
    expect(err.message).toContain('data.classes: lists 2 names (labels 0..1) but the idx labels go up to 2');
  });

  it('a missing file', () => {
    repo = makeTmpRepo();
    repo.write('data/img.gz', images(4));
    expect(dataError(() => load(idxSpec())).message).toBe('data.train.labels: file "data/lab.gz" does not exist');
  });

  it('images that are not [n, rows, cols]', () => {
    writePair(idxBytes([4, 4], new Uint8Array(16)), labels(4));
    expect(dataError(() => load(idxSpec())).message).toContain('data.train.images (data/img.gz): expected [n, rows, cols], got [4, 4]');
  });

  it('keeps working with the plain (ungzipped) format', () => {
    repo = makeTmpRepo();
    repo.write('raw-img', idxBytes([6, 2, 2], new Uint8Array(24), false));
    repo.write('raw-lab', idxBytes([6], new Uint8Array([0, 1, 0, 1, 0, 1]), false));
    const ex = readIdxExamples(repo.abs('raw-img'), repo.abs('raw-lab'), 'raw-img', 'data.train', 'raw-lab');
    expect(ex.map((e) => e.label)).toEqual([0, 1, 0, 1, 0, 1]);
    expect(ex[5].id).toBe('raw-img#5');
  });
});

describe('split: seeded and stratified', () => {
  /** 3 classes of 100, 50 and 10 examples. */
  const items = [100, 50, 10].flatMap((n, label) =>
    Array.from({ length: n }, (_, i) => ({ id: `c${label}/${String(i).padStart(3, '0')}`, label })),
  );
  const ids = (list: Array<{ id: string }>) => list.map((e) => e.id);

  it('the same seed gives the same split; another seed another split', () => {
    const a = carve(items, [0.1, 0.2], true, 42);
    expect(carve(items, [0.1, 0.2], true, 42)).toEqual(a);
    expect(ids(carve(items, [0.1, 0.2], true, 43)[2])).not.toEqual(ids(a[2]));
  });

  it('each class keeps its proportions', () => {
    const [rest, val, test] = carve(items, [0.1, 0.2], true, 42);
    const count = (list: typeof items, label: number) => list.filter((e) => e.label === label).length;
    expect([0, 1, 2].map((y) => count(val, y))).toEqual([10, 5, 1]);
    expect([0, 1, 2].map((y) => count(test, y))).toEqual([20, 10, 2]);
    expect([0, 1, 2].map((y) => count(rest, y))).toEqual([70, 35, 7]);
  });

  it('the parts never overlap and together are everything', () => {
    const parts = carve(items, [0.1, 0.2], true, 7).map((p) => new Set(ids(p)));
    const all = parts.flatMap((p) => [...p]);
    expect(new Set(all).size).toBe(items.length);
    expect(all).toHaveLength(items.length);
  });

  it('depends on the content, not on the order it was read in', () => {
    const shuffled = [...items].reverse();
    const a = carve(items, [0.1, 0.2], true, 42).map((p) => ids(byId(p)));
    expect(carve(shuffled, [0.1, 0.2], true, 42).map((p) => ids(byId(p)))).toEqual(a);
  });

  it('never takes the last training example of a class', () => {
    const tiny = [
      { id: 'a', label: 0 },
      { id: 'b', label: 1 },
      { id: 'c', label: 1 },
    ];
    const [rest, val, test] = carve(tiny, [0.45, 0.45], true, 1);
    expect(ids(rest).sort()).toEqual(expect.arrayContaining(['a']));
    expect(rest.filter((e) => e.label === 1)).toHaveLength(1);
    expect(val.length + test.length).toBe(1);
  });

  it("a class added to or removed from the data leaves the other classes' splits as they were", () => {
    // Seeded per class: otherwise one more class would reshuffle every split and make the test set
    // of the next run incomparable with the baseline's.
    const added = [...items, ...Array.from({ length: 30 }, (_, i) => ({ id: `c3/${String(i).padStart(3, '0')}`, label: 3 }))];
    const before = carve(items, [0.1, 0.2], true, 42).map((p) => ids(byId(p)));
    const after = carve(added, [0.1, 0.2], true, 42).map((p) => ids(byId(p.filter((e) => e.label !== 3))));
    expect(after).toEqual(before);
    // A class removed from the data leaves the others as they were too.
    const removed = carve(
      items.filter((e) => e.label !== 1),
      [0.1, 0.2],
      true,
      42,
    ).map((p) => ids(byId(p)));
    expect(removed).toEqual(before.map((p) => p.filter((id) => !id.startsWith('c1/'))));
  });

  it("a seed gives the same split in every version, so a baseline's test set stays comparable", () => {
    // Pinned: a change here changes every user's test set and makes their baselines incomparable.
    const small = [4, 6, 5].flatMap((n, label) => Array.from({ length: n }, (_, i) => ({ id: `c${label}/${i}`, label })));
    expect(carve(small, [0.2, 0.2], true, 42).map((p) => ids(byId(p)))).toEqual([
      ['c0/0', 'c0/1', 'c1/0', 'c1/1', 'c1/3', 'c1/4', 'c2/0', 'c2/3', 'c2/4'],
      ['c0/3', 'c1/5', 'c2/1'],
      ['c0/2', 'c1/2', 'c2/2'],
    ]);
    expect(carve(small, [0.2, 0.2], false, 42).map((p) => ids(byId(p)))).toEqual([
      ['c0/0', 'c0/1', 'c1/0', 'c1/1', 'c1/2', 'c1/3', 'c2/0', 'c2/3', 'c2/4'],
      ['c0/2', 'c2/1', 'c2/2'],
      ['c0/3', 'c1/4', 'c1/5'],
    ]);
  });

  it('puts examples in code-unit order of their ids', () => {
    const shuffled = ['b/2', 'B/1', 'a/10', '_x', 'a/9', 'a/1'].map((id) => ({ id, label: 0 }));
    expect(ids(byId(shuffled))).toEqual(['B/1', '_x', 'a/1', 'a/10', 'a/9', 'b/2']);
  });

  it('unstratified still carves the requested share', () => {
    const [rest, val, test] = carve(items, [0.1, 0.2], false, 42);
    expect([rest.length, val.length, test.length]).toEqual([112, 16, 32]);
  });

  it('loadDataset: canonical order, test never in train or validation, test given is not carved', () => {
    repo = imageRepo({ 'train/a': 30, 'train/b': 20, 'test/a': 5, 'test/b': 5 });
    const d = load(folderSpec('  test: data/test\n  split: { validation: 0.2 }\n'));
    for (const part of [d.train, d.validation, d.test]) expect(ids(part)).toEqual([...ids(part)].sort());
    expect(d.test.every((e) => e.id.startsWith('data/test/'))).toBe(true);
    expect(d.test).toHaveLength(10);
    expect(d.validation).toHaveLength(10);
    const trainIds = new Set([...ids(d.train), ...ids(d.validation)]);
    expect(ids(d.test).some((id) => trainIds.has(id))).toBe(false);
    expect(ids(load(folderSpec('  test: data/test\n  split: { validation: 0.2 }\n')).validation)).toEqual(ids(d.validation));
  });

  it('loadDataset carves validation and test out of train when neither is given', () => {
    repo = imageRepo({ 'train/a': 40, 'train/b': 20 });
    const d = load(folderSpec());
    expect([d.train.length, d.validation.length, d.test.length]).toEqual([42, 6, 12]);
    const again = load(folderSpec());
    expect(ids(again.test)).toEqual(ids(d.test));
  });
});

describe('images of every kind in one folder', () => {
  it('PNG and JPEG files of several colour types load side by side', () => {
    repo = makeTmpRepo();
    const px = rgba(6, 6, (x, y) => [x * 40, y * 40, 90, 255]);
    repo.write('data/train/a/rgb.png', pngBytes(6, 6, px, 'rgb'));
    repo.write('data/train/a/gray.png', pngBytes(6, 6, px, 'gray'));
    repo.write('data/train/a/alpha.PNG', pngBytes(6, 6, px, 'rgba'));
    repo.write('data/train/b/photo.jpg', jpegBytes(6, 6, px));
    repo.write('data/train/b/photo2.jpeg', jpegBytes(6, 6, px));
    repo.write('data/train/b/extra.JPG', jpegBytes(6, 6, px));
    const d = load(folderSpec('  split: { validation: 0, test: 0.4 }\n'));
    const all = [...d.train, ...d.test];
    expect(all).toHaveLength(6);
    for (const e of all) expect(e.image?.().width).toBe(6);
  });
});

describe('the carved split belongs to the data, not to the training seed', () => {
  const ids = (d: Dataset) => ({
    train: d.train.map((e) => e.id),
    validation: d.validation.map((e) => e.id),
    test: d.test.map((e) => e.id),
  });
  const withSeed = (seed: number, split = '') =>
    parseSpec(
      `version: 1\nname: t\ntask: image-classification\nseed: ${seed}\nmodel:\n  base: models/base/model.json\n` +
        `data:\n  format: image-folder\n  train: data/train\n${split}`,
      'finetune.yml',
    );

  it('another seed trains and tests on the same examples', () => {
    repo = imageRepo({ 'train/a': 30, 'train/b': 30 });
    const first = ids(load(withSeed(1)));
    expect(ids(load(withSeed(2)))).toEqual(first);
    expect(first.test).toHaveLength(12);
    expect(first.validation).toHaveLength(6);
  });

  it('the default split seed is 42, the split of a spec that never set seed', () => {
    repo = imageRepo({ 'train/a': 30, 'train/b': 30 });
    expect(ids(load(withSeed(7)))).toEqual(ids(load(withSeed(7, '  split: { seed: 42 }\n'))));
    expect(ids(load(withSeed(7, '  split: { seed: 43 }\n'))).test).not.toEqual(ids(load(withSeed(7))).test);
  });
});

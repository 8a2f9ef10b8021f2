// Reading a base model: every bad model.json, manifest or weight file is a ModelError (exit 2)
// naming model.base and the part at fault; downloads time out, report HTTP errors and succeed.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MAX_MODEL_JSON_BYTES, readModelSource, type ModelSourceOptions } from '../src/model/source.js';
import { buildBackbone } from '../src/model/backbone.js';
import { MAX_PARAMETERS } from '../src/model/weights-manifest.js';
import { selectBackend } from '../src/backend/select.js';
import { silentLogger } from '../src/util/log.js';
import { denseSequential, EXAMPLE_MODEL_DIR, modelError, saveModel, writeModelFiles } from './helpers/models.js';
import { startModelServer, type ModelServer } from './helpers/model-server.js';
import { makeTmpRepo, type TmpRepo } from './helpers/tmp-repo.js';

const GRAPH_MODEL = path.join(import.meta.dirname, 'fixtures', 'models', 'graph-model', 'model.json');
const LOC = 'models/base/model.json';

let repo: TmpRepo;
beforeAll(async () => {
  await selectBackend('cpu', silentLogger);
});
afterEach(() => repo?.remove());

/** A model.json with one 2x2 float32 weight (16 bytes) in `weights.bin`, unless overridden. */
function writeBase(
  manifest: unknown = [{ paths: ['weights.bin'], weights: [{ name: 'w', shape: [2, 2], dtype: 'float32' }] }],
  weightBytes = 16,
): void {
  repo = makeTmpRepo();
  repo.write(
    'models/base/model.json',
    JSON.stringify({
      format: 'layers-model',
      modelTopology: { class_name: 'Sequential', config: { layers: [] } },
      weightsManifest: manifest,
    }),
  );
  repo.write('models/base/weights.bin', new Uint8Array(weightBytes));
}

const readLocal = (opts?: ModelSourceOptions) => readModelSource(LOC, repo.abs(LOC), opts);

describe('model.json', () => {
  it('missing', async () => {
    repo = makeTmpRepo();
    const err = await modelError(readLocal);
    expect(err.message).toBe(`model.base (${LOC}): model.json does not exist`);
  });

  it('not JSON', async () => {
    repo = makeTmpRepo();
    repo.write(LOC, '{"format": "layers-model", oops');
    expect((await modelError(readLocal)).message).toMatch(/^model\.base \(models\/base\/model\.json\): model\.json is not valid JSON \(/);
  });

  it('JSON but not an object, or without the parts a LayersModel has', async () => {
    repo = makeTmpRepo();
    repo.write(LOC, '[1, 2]');
    expect((await modelError(readLocal)).message).toContain('model.json must hold a JSON object');
    repo.write(LOC, '{"weightsManifest": []}');
    expect((await modelError(readLocal)).message).toContain('no "modelTopology" object; is this a TF.js LayersModel model.json?');
    repo.write(LOC, '{"modelTopology": {"class_name": "Sequential"}}');
    expect((await modelError(readLocal)).message).toContain('no "weightsManifest"');
  });

  it('JSON null, a string or a number is not a model.json; a topology must be an object', async () => {
    repo = makeTmpRepo();
    for (const text of ['null', '"model"', '42']) {
      repo.write(LOC, text);
      expect((await modelError(readLocal)).message, text).toBe(`model.base (${LOC}): model.json must hold a JSON object`);
    }
    repo.write(LOC, '{"modelTopology": "Sequential", "weightsManifest": []}');
    expect((await modelError(readLocal)).message).toBe(
      `model.base (${LOC}): no "modelTopology" object; is this a TF.js LayersModel model.json?`,
    );
  });

  it('a GraphModel is recognised by its format or by a topology of nodes', async () => {
    repo = makeTmpRepo();
    const graph = `model.base (${LOC}): this is a TF.js GraphModel (inference only); fine-tuning needs a LayersModel (format "layers-model")`;
    repo.write(LOC, JSON.stringify({ format: 'graph-model', modelTopology: { class_name: 'Sequential' }, weightsManifest: [] }));
    expect((await modelError(readLocal)).message).toBe(graph);
    repo.write(LOC, JSON.stringify({ modelTopology: { node: [] }, weightsManifest: [] }));
    expect((await modelError(readLocal)).message).toBe(graph);
  });

  it('a model.json over 32 MiB is refused without reading it', async () => {
    repo = makeTmpRepo();
    repo.write(LOC, '{}');
    fs.truncateSync(repo.abs(LOC), MAX_MODEL_JSON_BYTES + 1);
    expect((await modelError(readLocal)).message).toBe(
      `model.base (${LOC}): model.json is larger than 32 MiB; it should hold the topology only`,
    );
  });

  it('no local path and a location that is not a URL', async () => {
    expect((await modelError(() => readModelSource('models/base/model.json'))).message).toBe(
      'model.base (models/base/model.json): not a URL, and no local path was given',
    );
  });

  it('a directory where model.json should be', async () => {
    repo = makeTmpRepo();
    repo.mkdir(LOC);
    expect((await modelError(readLocal)).message).toBe(`model.base (${LOC}): model.json is not a file`);
  });

  it('a GraphModel: says a LayersModel is needed', async () => {
    const err = await modelError(() => readModelSource('models/graph/model.json', GRAPH_MODEL));
    expect(err.message).toBe(
      'model.base (models/graph/model.json): this is a TF.js GraphModel (inference only); fine-tuning needs a LayersModel (format "layers-model")',
    );
  });
});

describe('weights manifest paths', () => {
  const cases: Array<[string, RegExp]> = [
    ['../secret.bin', /"\.\.\/secret\.bin" leaves the model's folder/],
    ['sub/../../secret.bin', /leaves the model's folder/],
    ['%2e%2e/secret.bin', /leaves the model's folder/],
    ['..\\secret.bin', /leaves the model's folder/],
    ['/etc/passwd', /must be a path relative to the model's folder/],
    ['\\\\server\\share\\w.bin', /must be a path relative to the model's folder/],
    ['C:\\weights.bin', /must be a path relative to the model's folder/],
    ['file:///etc/passwd', /must be a path relative to the model's folder \(no URL scheme/],
    ['https://example.com/w.bin', /no URL scheme/],
    ['', /must be a non-empty string/],
    // The URL parser drops tabs and newlines: over https these would be fetched as "../secret.bin".
    ['.\t./secret.bin', /^[^:]+: [^:]+: "\.\\t\.\/secret\.bin" holds a control character$/],
    ['.\n./secret.bin', /"\.\\n\.\/secret\.bin" holds a control character/],
    ['a\u0000b', /holds a control character/],
    ['w.bin\u007f', /holds a control character/],
    ['%09w.bin', /"%09w\.bin" holds a control character/],
  ];
  for (const [p, message] of cases) {
    it(`refuses ${JSON.stringify(p)} before reading anything`, async () => {
      writeBase([{ paths: [p], weights: [{ name: 'w', shape: [2, 2], dtype: 'float32' }] }]);
      repo.write('models/secret.bin', new Uint8Array(16));
      const err = await modelError(readLocal);
      expect(err.message).toMatch(
        new RegExp(`^model\\.base \\(${LOC.replace(/[./]/g, '\\$&')}\\): weightsManifest\\[0\\]\\.paths\\[0\\]: `),
      );
      expect(err.message).toMatch(message);
    });
  }

  it('a weight file that is a symlink out of the model folder', async () => {
    writeBase();
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'finetune-outside-'));
    try {
      fs.writeFileSync(path.join(outside, 'stolen.bin'), new Uint8Array(16));
      fs.rmSync(repo.abs('models/base/weights.bin'));
      fs.symlinkSync(path.join(outside, 'stolen.bin'), repo.abs('models/base/weights.bin'));
      const err = await modelError(readLocal);
      expect(err.message).toContain('weight file "weights.bin" resolves to');
      expect(err.message).toContain("outside the model's folder");
    } finally {
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });

  it('a weight path naming the model folder itself, or a symlink to the folder above, is refused', async () => {
    writeBase([{ paths: ['.'], weights: [{ name: 'w', shape: [2, 2], dtype: 'float32' }] }]);
    const dir = fs.realpathSync(repo.abs('models/base'));
    expect((await modelError(readLocal)).message).toBe(
      `model.base (${LOC}): weight file "." resolves to ${dir}, outside the model's folder`,
    );
    repo.write(LOC, fs.readFileSync(repo.abs(LOC), 'utf8').replace('"paths":["."]', '"paths":["up"]'));
    fs.symlinkSync('..', repo.abs('models/base/up'));
    expect((await modelError(readLocal)).message).toBe(
      `model.base (${LOC}): weight file "up" resolves to ${path.dirname(fs.realpathSync(repo.abs('models/base')))}, outside the model's folder`,
    );
  });

  it('a group spread over files stops reading once past the declared size', async () => {
    writeBase([{ paths: ['a.bin', 'b.bin'], weights: [{ name: 'w', shape: [2, 2], dtype: 'float32' }] }]);
    repo.write('models/base/a.bin', new Uint8Array(12));
    repo.write('models/base/b.bin', new Uint8Array(8));
    expect((await modelError(readLocal)).message).toBe(
      `model.base (${LOC}): weightsManifest[0]: weight files "a.bin", "b.bin" hold more than 16 bytes, the manifest's shapes and dtypes declare 16 bytes`,
    );
  });

  it('hashes model.json and every weight byte', async () => {
    writeBase();
    repo.write(
      'models/base/weights.bin',
      Uint8Array.from({ length: 16 }, (_, i) => i),
    );
    const source = await readLocal();
    const expected = createHash('sha256')
      .update(fs.readFileSync(repo.abs(LOC)))
      .update(fs.readFileSync(repo.abs('models/base/weights.bin')))
      .digest('hex');
    expect(source.sha256).toBe(expected);
    expect([...new Uint8Array(source.weightData)]).toEqual(Array.from({ length: 16 }, (_, i) => i));
  });

  it('a symlink to a sibling folder of the model is refused too', async () => {
    writeBase();
    repo.write('models/other/w.bin', new Uint8Array(16));
    fs.rmSync(repo.abs('models/base/weights.bin'));
    fs.symlinkSync(repo.abs('models/other/w.bin'), repo.abs('models/base/weights.bin'));
    expect((await modelError(readLocal)).message).toContain("outside the model's folder");
  });

  it('a missing weight file, and a directory in its place', async () => {
    writeBase();
    fs.rmSync(repo.abs('models/base/weights.bin'));
    expect((await modelError(readLocal)).message).toBe(`model.base (${LOC}): weight file "weights.bin" is missing next to model.json`);
    repo.mkdir('models/base/weights.bin');
    expect((await modelError(readLocal)).message).toBe(`model.base (${LOC}): weight file "weights.bin" is not a file`);
  });
});

describe('weight contents', () => {
  it('shorter than the shapes declare', async () => {
    writeBase(undefined, 12);
    const err = await modelError(readLocal);
    expect(err.message).toBe(
      `model.base (${LOC}): weightsManifest[0]: weight files "weights.bin" hold 12 bytes, the manifest's shapes and dtypes declare 16 bytes`,
    );
  });

  it('longer than the shapes declare', async () => {
    writeBase(undefined, 17);
    const err = await modelError(readLocal);
    expect(err.message).toContain('weight files "weights.bin" hold more than 16 bytes');
  });

  it('spread over shards, checked per group', async () => {
    writeBase([
      {
        paths: ['a.bin', 'b.bin'],
        weights: [
          { name: 'w', shape: [4], dtype: 'float32' },
          { name: 'q', shape: [4], dtype: 'float32', quantization: { dtype: 'uint8', min: -1, scale: 0.01 } },
        ],
      },
    ]);
    repo.write('models/base/a.bin', new Uint8Array(10));
    repo.write('models/base/b.bin', new Uint8Array(10));
    const ok = await readLocal();
    expect(ok.weightData.byteLength).toBe(20);
    expect(ok.weightSpecs.map((w) => w.name)).toEqual(['w', 'q']);
    repo.write('models/base/b.bin', new Uint8Array(9));
    expect((await modelError(readLocal)).message).toContain('weight files "a.bin", "b.bin" hold 19 bytes');
  });

  it('an unsupported dtype names the weight and the supported ones', async () => {
    writeBase([{ paths: ['weights.bin'], weights: [{ name: 'emb', shape: [2, 2], dtype: 'complex64' }] }]);
    const err = await modelError(readLocal);
    expect(err.message).toBe(
      `model.base (${LOC}): weightsManifest[0].weights[0] ("emb"): unsupported dtype "complex64" (supported: float32, int32, bool)`,
    );
  });

  it('an unsupported quantization', async () => {
    writeBase([{ paths: ['weights.bin'], weights: [{ name: 'k', shape: [16], dtype: 'float32', quantization: { dtype: 'int4' } }] }]);
    expect((await modelError(readLocal)).message).toContain('("k"): unsupported quantization dtype "int4"');
  });

  it(`more parameters than the documented cap (${MAX_PARAMETERS}) is refused before reading the weights`, async () => {
    writeBase([{ paths: ['weights.bin'], weights: [{ name: 'huge', shape: [MAX_PARAMETERS + 1], dtype: 'float32' }] }], 4);
    const err = await modelError(readLocal);
    expect(err.message).toBe(
      `model.base (${LOC}): the weights declare ${MAX_PARAMETERS + 1} parameters, past the limit of ${MAX_PARAMETERS}`,
    );
  });

  it('a good model reads, hashes and builds', async () => {
    repo = makeTmpRepo();
    writeModelFiles(repo.abs('models/base'), await saveModel(denseSequential()));
    const source = await readLocal();
    expect(source.location).toBe(LOC);
    expect(source.sha256).toMatch(/^[0-9a-f]{64}$/);
    const backbone = await buildBackbone(source, { channels: 3 });
    expect(backbone.cut).toBe('hidden');
    expect(backbone.outputShape).toEqual([8]);
  });
});

describe('https base (served locally over http)', () => {
  let server: ModelServer;
  let served: string;
  beforeAll(async () => {
    served = fs.mkdtempSync(path.join(os.tmpdir(), 'finetune-served-'));
    fs.cpSync(EXAMPLE_MODEL_DIR, path.join(served, 'mobilenet'), { recursive: true });
    writeModelFiles(path.join(served, 'tiny'), await saveModel(denseSequential()));
    const long = JSON.parse(fs.readFileSync(path.join(served, 'tiny', 'model.json'), 'utf8'));
    writeModelFiles(path.join(served, 'long'), { modelJson: long, weights: new Uint8Array(8192) });
    const sneaky = { ...long, weightsManifest: [{ ...long.weightsManifest[0], paths: ['%2e%2e/tiny/weights.bin'] }] };
    writeModelFiles(path.join(served, 'sneaky'), { modelJson: sneaky, weights: new Uint8Array(0) });
    // The URL parser turns ".\t./tiny" into "../tiny" and drops a leading space.
    const tabbed = { ...long, weightsManifest: [{ ...long.weightsManifest[0], paths: ['.\t./tiny/weights.bin'] }] };
    writeModelFiles(path.join(served, 'tabbed'), { modelJson: tabbed, weights: new Uint8Array(0) });
    const spaced = { ...long, weightsManifest: [{ ...long.weightsManifest[0], paths: [' ../tiny/weights.bin'] }] };
    writeModelFiles(path.join(served, 'spaced'), { modelJson: spaced, weights: new Uint8Array(0) });
    server = await startModelServer(served);
  });
  afterAll(async () => {
    await server?.close();
    fs.rmSync(served, { recursive: true, force: true });
  });

  it('downloads model.json and weights, and builds the backbone', async () => {
    const source = await readModelSource(`${server.url}/mobilenet/model.json`);
    const local = await readModelSource('m', path.join(EXAMPLE_MODEL_DIR, 'model.json'));
    expect(source.sha256).toBe(local.sha256);
    expect(server.requests).toEqual(expect.arrayContaining(['/mobilenet/model.json', '/mobilenet/weights.bin']));
    const backbone = await buildBackbone(source, { cut: 'block_13_expand_relu', size: [96, 96], channels: 3 });
    expect(backbone.outputShape).toEqual([6, 6, 576]);
    backbone.model.dispose();
  });

  it('404 on model.json names the URL and the status', async () => {
    const url = `${server.url}/nothing/model.json`;
    const err = await modelError(() => readModelSource(url));
    expect(err.message).toBe(`model.base (${url}): model.json: ${url} answered HTTP 404 Not Found`);
  });

  it('404 on a weight file names the weight file', async () => {
    fs.rmSync(path.join(served, 'tiny', 'weights.bin'));
    try {
      const err = await modelError(() => readModelSource(`${server.url}/tiny/model.json`));
      expect(err.message).toContain('weight file "weights.bin": ');
      expect(err.message).toContain('/tiny/weights.bin answered HTTP 404');
    } finally {
      writeModelFiles(path.join(served, 'tiny'), await saveModel(denseSequential()));
    }
  });

  it('a server that never answers times out (options)', async () => {
    const url = `${server.url}/hang/model.json`;
    const started = Date.now();
    const err = await modelError(() => readModelSource(url, undefined, { timeoutMs: 500 }));
    expect(Date.now() - started).toBeLessThan(3000);
    expect(err.message).toBe(`model.base (${url}): model.json: could not download ${url}: timed out after 0.5 s`);
  });

  it('a server that never answers times out ($FINETUNE_FETCH_TIMEOUT_MS)', async () => {
    process.env.FINETUNE_FETCH_TIMEOUT_MS = '300';
    try {
      const err = await modelError(() => readModelSource(`${server.url}/hang/model.json`));
      expect(err.message).toContain('timed out after 0.3 s');
    } finally {
      delete process.env.FINETUNE_FETCH_TIMEOUT_MS;
    }
  });

  it('a $FINETUNE_FETCH_TIMEOUT_MS that is not a positive number leaves the 60 s default', async () => {
    try {
      for (const value of ['0', '-1', 'soon']) {
        process.env.FINETUNE_FETCH_TIMEOUT_MS = value;
        expect((await readModelSource(`${server.url}/tiny/model.json`)).weightSpecs.length, value).toBeGreaterThan(0);
      }
    } finally {
      delete process.env.FINETUNE_FETCH_TIMEOUT_MS;
    }
  });

  it('a server that is not there', async () => {
    const closed = await startModelServer(served);
    await closed.close();
    const err = await modelError(() => readModelSource(`${closed.url}/tiny/model.json`, undefined, { timeoutMs: 2000 }));
    expect(err.message).toMatch(/model\.json: could not download .*: .*ECONNREFUSED/);
    // The fetch error stays attached, for a stack trace that shows where it came from.
    expect(err.cause).toBeInstanceOf(TypeError);
  });

  it('weights longer than declared stop being read', async () => {
    const err = await modelError(() => readModelSource(`${server.url}/long/model.json`));
    expect(err.message).toMatch(/weight files "weights\.bin" hold more than \d+ bytes/);
  });

  it('a percent-encoded ".." is refused before any weight request', async () => {
    server.requests.length = 0;
    const err = await modelError(() => readModelSource(`${server.url}/sneaky/model.json`));
    expect(err.message).toContain("leaves the model's folder");
    expect(server.requests).toEqual(['/sneaky/model.json']);
  });

  it('a tab in a weight path is refused before any weight request', async () => {
    server.requests.length = 0;
    const url = `${server.url}/tabbed/model.json`;
    const err = await modelError(() => readModelSource(url));
    expect(err.message).toBe(`model.base (${url}): weightsManifest[0].paths[0]: ".\\t./tiny/weights.bin" holds a control character`);
    expect(server.requests).toEqual(['/tabbed/model.json']);
  });

  it('a weight path the URL parser would take out of the model folder is not requested', async () => {
    // " ../x" is a folder named " .." on disk, but a URL drops the leading space.
    server.requests.length = 0;
    const url = `${server.url}/spaced/model.json`;
    const err = await modelError(() => readModelSource(url));
    expect(err.message).toBe(
      `model.base (${url}): weight file " ../tiny/weights.bin" resolves to ${server.url}/tiny/weights.bin, outside ${server.url}/spaced/`,
    );
    expect(server.requests).toEqual(['/spaced/model.json']);
  });
});

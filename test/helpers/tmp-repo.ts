// A throwaway repository folder for data and model tests, removed after the test file.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { parseSpec } from '../../src/spec/load.js';
import type { Spec } from '../../src/spec/schema.js';
import type { Logger } from '../../src/util/log.js';

export interface TmpRepo {
  root: string;
  /** Writes a file (creating folders); returns its absolute path. */
  write(rel: string, data: string | Uint8Array): string;
  mkdir(rel: string): string;
  abs(rel: string): string;
  remove(): void;
}

export function makeTmpRepo(prefix = 'finetune-test-'): TmpRepo {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
  const abs = (rel: string) => path.join(root, rel);
  return {
    root,
    abs,
    write(rel, data) {
      fs.mkdirSync(path.dirname(abs(rel)), { recursive: true });
      fs.writeFileSync(abs(rel), data);
      return abs(rel);
    },
    mkdir(rel) {
      fs.mkdirSync(abs(rel), { recursive: true });
      return abs(rel);
    },
    remove: () => fs.rmSync(root, { recursive: true, force: true }),
  };
}

/** A parsed spec for an image-folder or csv data section given as YAML lines under `data:`. */
export function specWith(data: string, task: 'image-classification' | 'tabular-classification' = 'image-classification'): Spec {
  const model = task === 'image-classification' ? 'model:\n  base: models/base/model.json\n' : '';
  return parseSpec(`version: 1\nname: t\ntask: ${task}\nseed: 42\n${model}data:\n${data}`, 'finetune.yml');
}

/** An IDX file: magic 0x0000, type 0x08 (uint8), rank, big-endian dims, then the bytes. */
export function idxBytes(dims: number[], data: Uint8Array, gzip = true): Buffer {
  const header = Buffer.alloc(4 + dims.length * 4);
  header.set([0, 0, 0x08, dims.length]);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + i * 4));
  const raw = Buffer.concat([header, data]);
  return gzip ? zlib.gzipSync(raw) : raw;
}

/** A Logger that keeps what it is given, for assertions. */
export function recordingLogger(): Logger & { warnings: string[]; infos: string[] } {
  const warnings: string[] = [];
  const infos: string[] = [];
  return { warnings, infos, info: (m) => infos.push(m), warn: (m) => warnings.push(m), progress: () => {} };
}

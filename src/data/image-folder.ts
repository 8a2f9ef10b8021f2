// image-folder: <dir>/<class>/*.png|jpg. The class of an image is its folder's name.
import fs from 'node:fs';
import path from 'node:path';
import { DataError } from '../errors.js';
import { sha256 } from '../util/hash.js';
import { decodeImage, imageSizeFromHeader, MAX_IMAGE_PIXELS, ImageDecodeError } from './decode.js';
import type { Example } from './types.js';

const IMAGE_EXT = /\.(png|jpe?g)$/i;

export interface FolderScan {
  /** Class folder name -> repo-relative file paths, sorted. */
  byClass: Map<string, string[]>;
}

export function scanImageFolder(root: string, relDir: string, where: string): FolderScan {
  const dir = path.join(root, relDir);
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new DataError(`${where}: directory "${relDir}" does not exist`);
  }
  const byClass = new Map<string, string[]>();
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    const files = fs
      .readdirSync(path.join(dir, entry.name), { withFileTypes: true })
      .filter((f) => f.isFile() && IMAGE_EXT.test(f.name))
      .map((f) => path.posix.join(relDir.split(path.sep).join('/'), entry.name, f.name))
      .sort();
    byClass.set(entry.name, files);
  }
  const total = [...byClass.values()].reduce((s, f) => s + f.length, 0);
  if (total === 0) {
    throw new DataError(`${where}: no PNG or JPEG images under "${relDir}" (expected ${relDir}/<class>/*.png|jpg)`);
  }
  return { byClass };
}

export interface ReadResult {
  examples: Example[];
  bad: Array<{ file: string; reason: string }>;
}

/**
 * Hashes every file and checks its header now (cheap); pixels are decoded later, when the
 * features are computed. Files that are not a readable image are collected, not thrown.
 */
export function readImageFolder(root: string, scan: FolderScan, classIndex: Map<string, number>): ReadResult {
  const examples: Example[] = [];
  const bad: ReadResult['bad'] = [];
  for (const [cls, files] of scan.byClass) {
    const label = classIndex.get(cls) as number;
    for (const rel of files) {
      const abs = path.join(root, rel);
      const bytes = fs.readFileSync(abs);
      try {
        const { width, height } = imageSizeFromHeader(bytes);
        if (width * height > MAX_IMAGE_PIXELS) throw new ImageDecodeError(`declares ${width}x${height} pixels (limit ${MAX_IMAGE_PIXELS})`);
        // Full decode up front is what finds truncated files; the pixels are not kept.
        decodeImage(bytes);
      } catch (err) {
        bad.push({ file: rel, reason: (err as Error).message });
        continue;
      }
      examples.push({ id: rel, label, sha256: sha256(bytes), image: () => decodeImage(fs.readFileSync(abs)) });
    }
  }
  return { examples, bad };
}

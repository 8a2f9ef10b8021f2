// image-folder: <dir>/<class>/*.png|jpg. The class of an image is its folder's name.
import fs from 'node:fs';
import path from 'node:path';
import { DataError } from '../errors.js';
import { sha256 } from '../util/hash.js';
import { decodeImage, MAX_IMAGE_FILE_BYTES } from './decode.js';
import type { Example } from './types.js';

const IMAGE_EXT = /\.(png|jpe?g)$/i;

export interface FolderScan {
  /** Class folder name -> repo-relative file paths, sorted. */
  byClass: Map<string, string[]>;
}

/**
 * Lists class folders and their images. Symlinks are followed when they stay inside the
 * repository; one that leads out is refused, as the spec's own paths are.
 */
export function scanImageFolder(root: string, relDir: string, where: string): FolderScan {
  const dir = path.join(root, relDir);
  const realRoot = fs.realpathSync(root);
  const relPosix = relDir.split(path.sep).join('/');
  if (!fs.existsSync(dir) || !insideRepo(realRoot, dir, relPosix, where).isDirectory()) {
    throw new DataError(`${where}: directory "${relDir}" does not exist`);
  }
  const byClass = new Map<string, string[]>();
  for (const name of sortedNames(dir)) {
    const rel = path.posix.join(relPosix, name);
    if (name.startsWith('.') || !insideRepo(realRoot, path.join(dir, name), rel, where).isDirectory()) continue;
    const files = sortedNames(path.join(dir, name))
      .filter((f) => IMAGE_EXT.test(f))
      .map((f) => path.posix.join(rel, f))
      .filter((f) => insideRepo(realRoot, path.join(root, f), f, where).isFile());
    byClass.set(name, files);
  }
  const total = [...byClass.values()].reduce((s, f) => s + f.length, 0);
  if (total === 0) {
    throw new DataError(`${where}: no PNG or JPEG images under "${relDir}" (expected ${relPosix}/<class>/*.png|jpg)`);
  }
  return { byClass };
}

function sortedNames(dir: string): string[] {
  return fs.readdirSync(dir).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Stats `abs` through symlinks, refusing a link whose target is outside the repository root. */
function insideRepo(realRoot: string, abs: string, rel: string, where: string): fs.Stats {
  let real: string;
  try {
    real = fs.realpathSync(abs);
  } catch {
    throw new DataError(`${where}: "${rel}" is a broken symlink`);
  }
  const back = path.relative(realRoot, real);
  if (back === '..' || back.startsWith(`..${path.sep}`) || path.isAbsolute(back)) {
    throw new DataError(`${where}: "${rel}" is a symlink to ${real}, outside the repository`);
  }
  return fs.statSync(real);
}

export interface ReadResult {
  examples: Example[];
  bad: Array<{ file: string; reason: string }>;
}

/**
 * Hashes and decodes every file now, which is what finds truncated ones; the pixels are not
 * kept but decoded again when the features are computed. Unreadable files are collected, not thrown.
 */
export function readImageFolder(root: string, scan: FolderScan, classIndex: Map<string, number>): ReadResult {
  const examples: Example[] = [];
  const bad: ReadResult['bad'] = [];
  for (const [cls, files] of scan.byClass) {
    const label = classIndex.get(cls) as number;
    for (const rel of files) {
      const abs = path.join(root, rel);
      try {
        const bytes = readImageFile(abs);
        decodeImage(bytes);
        examples.push({ id: rel, label, sha256: sha256(bytes), file: abs, image: () => decodeImage(fs.readFileSync(abs)) });
      } catch (err) {
        bad.push({ file: rel, reason: (err as Error).message });
      }
    }
  }
  return { examples, bad };
}

function readImageFile(abs: string): Buffer {
  const size = fs.statSync(abs).size;
  if (size > MAX_IMAGE_FILE_BYTES) throw new Error(`${size} bytes, more than the limit of ${MAX_IMAGE_FILE_BYTES} bytes per image file`);
  return fs.readFileSync(abs);
}

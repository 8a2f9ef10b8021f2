// The model bundle's sha256 manifest, in `sha256sum` format so `sha256sum -c` checks it too.
import { lstat, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { sha256, sha256File } from '../util/hash.js';

export const MANIFEST_NAME = 'sha256sums.txt';

export interface BundleListing {
  /** Regular files, relative with forward slashes, sorted. */
  files: string[];
  /** Symlinks found (never followed). */
  symlinks: string[];
  /** Anything that is neither a file, a directory nor a symlink (fifo, socket, device). */
  others: string[];
}

/** Walks `dir` without following symlinks, so nothing outside it can be reached. */
export async function listBundle(dir: string): Promise<BundleListing> {
  const out: BundleListing = { files: [], symlinks: [], others: [] };
  await walk(dir, '', out);
  // sort() without a comparator orders by UTF-16 code unit, the same on every machine and locale.
  for (const list of [out.files, out.symlinks, out.others]) list.sort();
  return out;
}

async function walk(root: string, rel: string, out: BundleListing): Promise<void> {
  const entries = await readdir(path.join(root, rel), { withFileTypes: true });
  for (const entry of entries) {
    const child = rel ? `${rel}/${entry.name}` : entry.name;
    if (entry.isSymbolicLink()) out.symlinks.push(child);
    else if (entry.isDirectory()) await walk(root, child, out);
    else if (entry.isFile()) out.files.push(child);
    else out.others.push(child);
  }
}

/**
 * Writes `sha256sums.txt` for every other file of `dir` and returns the sha256 of that
 * file's content: one digest that stands for the whole bundle.
 */
export async function writeManifest(dir: string): Promise<string> {
  const listing = await listBundle(dir);
  const refused = [...listing.symlinks, ...listing.others];
  if (refused.length > 0) throw new Error(`model bundle holds links or special files, refused: ${refused.join(', ')}`);
  const lines: string[] = [];
  for (const rel of listing.files) {
    if (rel === MANIFEST_NAME) continue;
    // sha256sum escapes these names; refusing them keeps the format simple for every reader.
    if (/[\\\n\r]/.test(rel)) throw new Error(`model bundle file name not allowed: ${JSON.stringify(rel)}`);
    lines.push(`${await sha256File(path.join(dir, rel))}  ${rel}\n`);
  }
  const content = lines.join('');
  await writeFile(path.join(dir, MANIFEST_NAME), content);
  return sha256(content);
}

export interface BundleCheck {
  ok: boolean;
  problems: string[];
}

interface ManifestEntry {
  hex: string;
  rel: string;
}

/** Parses manifest lines; bad lines become problems instead of entries. */
export function parseManifest(content: string): { entries: ManifestEntry[]; problems: string[] } {
  const entries: ManifestEntry[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  content.split('\n').forEach((line, i) => {
    if (line === '') return;
    const m = /^([0-9a-f]{64}) [ *](.+)$/.exec(line);
    if (!m) return void problems.push(`${MANIFEST_NAME} line ${i + 1}: not "<sha256>  <path>"`);
    const rel = m[2];
    const unsafe = unsafePathReason(rel);
    if (unsafe) return void problems.push(`${MANIFEST_NAME} line ${i + 1}: ${unsafe}: ${rel}`);
    if (seen.has(rel)) return void problems.push(`${MANIFEST_NAME} line ${i + 1}: listed twice: ${rel}`);
    seen.add(rel);
    entries.push({ hex: m[1], rel });
  });
  return { entries, problems };
}

function unsafePathReason(rel: string): string | undefined {
  if (rel.startsWith('/') || /^[A-Za-z]:/.test(rel)) return 'absolute path';
  if (rel.includes('\\')) return 'backslash in path';
  const parts = rel.split('/');
  if (parts.includes('..')) return 'path with ..';
  if (parts.some((p) => p === '' || p === '.')) return 'path not normalised';
  return undefined;
}

/** Checks every file of the bundle against its manifest; never follows symlinks. */
export async function verifyBundle(dir: string): Promise<BundleCheck> {
  const manifestPath = path.join(dir, MANIFEST_NAME);
  const stat = await lstat(manifestPath).catch(() => undefined);
  if (!stat?.isFile()) {
    const why = stat?.isSymbolicLink() ? 'is a symlink (refused)' : 'is missing';
    return { ok: false, problems: [`${MANIFEST_NAME} ${why}`] };
  }
  const { entries, problems } = parseManifest(await readFile(manifestPath, 'utf8'));
  const listing = await listBundle(dir);
  const present = new Set(listing.files);
  for (const rel of listing.symlinks) problems.push(`symlink refused: ${rel}`);
  for (const rel of listing.others) problems.push(`not a regular file: ${rel}`);
  const listed = new Set<string>();
  for (const { hex, rel } of entries) {
    listed.add(rel);
    if (!present.has(rel)) problems.push(`missing: ${rel}`);
    else if ((await sha256File(path.join(dir, rel))) !== hex) problems.push(`sha256 mismatch: ${rel}`);
  }
  for (const rel of listing.files) {
    if (rel !== MANIFEST_NAME && !listed.has(rel)) problems.push(`not in ${MANIFEST_NAME}: ${rel}`);
  }
  return { ok: problems.length === 0, problems };
}

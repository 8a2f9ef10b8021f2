// Attaches the model bundle (and its report) to a GitHub release.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { listBundle } from '../bundle/manifest.js';
import type { Octokit } from './comment.js';
import { errorMessage, GitHubError, httpStatus } from './context.js';

export const NO_CONTENTS_WRITE = 'the token lacks contents: write permission needed to attach release assets';

export interface ReleaseAssetFile {
  path: string;
  name: string;
  contentType: string;
}

export interface PublishReleaseOptions {
  octokit: Octokit;
  owner: string;
  repo: string;
  tag: string;
  assets: ReleaseAssetFile[];
}

export interface PublishedAsset {
  name: string;
  id: number;
  size: number;
  url: string;
  /** An asset of that name was there before and was replaced. */
  replaced: boolean;
}

export async function publishRelease(opts: PublishReleaseOptions): Promise<{ releaseId: number; url: string; assets: PublishedAsset[] }> {
  const { octokit, owner, repo, tag } = opts;
  try {
    const { data: release } = await octokit.rest.repos.getReleaseByTag({ owner, repo, tag });
    const existing = await octokit.paginate(octokit.rest.repos.listReleaseAssets, { owner, repo, release_id: release.id, per_page: 100 });
    const baseUrl = uploadBaseUrl(release.upload_url);
    const published: PublishedAsset[] = [];
    for (const asset of opts.assets) {
      // GitHub refuses a second asset of the same name (422): replace it.
      const old = existing.find((a) => a.name === asset.name);
      if (old) await octokit.rest.repos.deleteReleaseAsset({ owner, repo, asset_id: old.id });
      const data = await readFile(asset.path);
      const { data: up } = await octokit.rest.repos.uploadReleaseAsset({
        owner,
        repo,
        release_id: release.id,
        name: asset.name,
        // Typed as a string, but Octokit sends a Buffer as the raw body.
        data: data as unknown as string,
        baseUrl,
        // No content-length of our own: fetch sets it from the Buffer, and on Node 24 undici refuses
        // one given here as well ("invalid content-length header"), failing every upload.
        headers: { 'content-type': asset.contentType },
      });
      published.push({ name: up.name, id: up.id, size: up.size, url: up.browser_download_url, replaced: Boolean(old) });
    }
    return { releaseId: release.id, url: release.html_url, assets: published };
  } catch (err) {
    throw releaseError(err, `${owner}/${repo}`, tag);
  }
}

function releaseError(err: unknown, repo: string, tag: string): unknown {
  if (err instanceof GitHubError) return err;
  const status = httpStatus(err);
  if (status === 403) return new GitHubError(`${NO_CONTENTS_WRITE} (${repo}, release ${tag})`, 'permission', err);
  if (status === 404) return new GitHubError(`no release with tag "${tag}" in ${repo}, or the token cannot see it`, 'not-found', err);
  return new GitHubError(`attaching assets to release ${tag} of ${repo} failed: ${errorMessage(err)}`, 'other', err);
}

/**
 * Uploads go to another host than the API (uploads.github.com, or /api/uploads on GHES);
 * the release's `upload_url` says which, e.g. `https://uploads.github.com/repos/o/r/releases/1/assets{?name,label}`.
 */
export function uploadBaseUrl(uploadUrl: string): string {
  const url = uploadUrl.replace(/\{[^}]*\}$/, '');
  const at = url.indexOf('/repos/');
  return at > 0 ? url.slice(0, at) : new URL(url).origin;
}

/**
 * Packs `modelDir` into a gzipped tar under `<root>/`, byte for byte the same for the same
 * files (sorted names, zero mtime and owner), and returns the archive's sha256.
 */
export async function packBundle(modelDir: string, outFile: string, root = 'model'): Promise<string> {
  const listing = await listBundle(modelDir);
  const refused = [...listing.symlinks, ...listing.others];
  if (refused.length > 0) throw new GitHubError(`refusing to pack symlinks or special files: ${refused.join(', ')}`, 'unsafe-path');
  const hash = createHash('sha256');
  const tee = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  await pipeline(Readable.from(tarEntries(modelDir, listing.files, root)), createGzip({ level: 9 }), tee, createWriteStream(outFile));
  return hash.digest('hex');
}

async function* tarEntries(dir: string, files: string[], root: string): AsyncGenerator<Buffer> {
  for (const rel of files) {
    const file = path.join(dir, rel);
    const { size } = await stat(file);
    yield tarHeader(`${root}/${rel}`, size);
    for await (const chunk of createReadStream(file)) yield chunk as Buffer;
    if (size % 512 !== 0) yield Buffer.alloc(512 - (size % 512));
  }
  yield Buffer.alloc(1024); // two empty blocks end the archive
}

/** A ustar header for a regular file, mode 0644, owner 0, mtime 0. */
export function tarHeader(name: string, size: number): Buffer {
  const h = Buffer.alloc(512);
  const bytes = Buffer.from(name, 'utf8');
  let prefix = Buffer.alloc(0);
  let base = bytes;
  if (bytes.length > 100) {
    const cut = name.lastIndexOf('/', 155);
    prefix = Buffer.from(name.slice(0, cut), 'utf8');
    base = Buffer.from(name.slice(cut + 1), 'utf8');
    if (cut <= 0 || prefix.length > 155 || base.length > 100)
      throw new GitHubError(`path too long for a tar archive: ${name}`, 'unsafe-path');
  }
  base.copy(h, 0);
  const octal = (n: number, width: number) => n.toString(8).padStart(width - 1, '0') + '\0';
  h.write(octal(0o644, 8), 100);
  h.write(octal(0, 8), 108);
  h.write(octal(0, 8), 116);
  h.write(octal(size, 12), 124);
  h.write(octal(0, 12), 136);
  h.write('        ', 148); // checksum counts as spaces while summing
  h.write('0', 156);
  h.write('ustar\0' + '00', 257);
  prefix.copy(h, 345);
  const sum = h.reduce((acc, b) => acc + b, 0);
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  return h;
}

import { getOctokit } from '@actions/github';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MANIFEST_NAME, writeManifest } from '../src/bundle/manifest.js';
import { GitHubError } from '../src/github/context.js';
import { NO_CONTENTS_WRITE, packBundle, publishRelease, tarHeader, uploadBaseUrl } from '../src/github/release.js';
import { startGitHubApiServer, type GitHubApiServer } from './helpers/github-api-server.js';

const sha = (b: string | Buffer) => createHash('sha256').update(b).digest('hex');

let api: GitHubApiServer;
let octokit: ReturnType<typeof getOctokit>;
let tmp: string;
let modelDir: string;

beforeAll(async () => {
  api = await startGitHubApiServer();
  octokit = getOctokit('test-token', { baseUrl: api.baseUrl });
  tmp = await mkdtemp(path.join(os.tmpdir(), 'release-'));
  modelDir = path.join(tmp, 'model');
  await mkdir(path.join(modelDir, 'weights'), { recursive: true });
  await writeFile(path.join(modelDir, 'model.json'), '{"format":"layers-model"}');
  await writeFile(path.join(modelDir, 'model-card.md'), '# fashion\n');
  await writeFile(path.join(modelDir, 'weights', 'group1-shard1of1.bin'), Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251)));
  await writeManifest(modelDir);
  await writeFile(path.join(tmp, 'report.json'), '{"verdict":"pass"}');
});
afterAll(async () => {
  await api?.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});
beforeEach(() => {
  api.failWith(undefined);
  api.requests.length = 0;
});

describe('packBundle', () => {
  it('writes a deterministic tar.gz that tar extracts and sha256sum -c accepts', async () => {
    const a = path.join(tmp, 'a.tar.gz');
    const b = path.join(tmp, 'b.tar.gz');
    const digest = await packBundle(modelDir, a);
    expect(digest).toBe(sha(await readFile(a)));
    expect(await packBundle(modelDir, b)).toBe(digest);

    const listing = execFileSync('tar', ['-tvzf', a], { encoding: 'utf8', env: { ...process.env, TZ: 'UTC' } })
      .trim()
      .split('\n');
    expect(listing.map((l) => l.split(/\s+/).pop())).toEqual([
      'model/model-card.md',
      'model/model.json',
      `model/${MANIFEST_NAME}`,
      'model/weights/group1-shard1of1.bin',
    ]);
    expect(listing.every((l) => l.startsWith('-rw-r--r-- 0/0') && l.includes('1970-01-01'))).toBe(true);

    const out = path.join(tmp, 'extract');
    await mkdir(out);
    execFileSync('tar', ['-xzf', a, '-C', out]);
    const checked = execFileSync('sha256sum', ['-c', '--strict', MANIFEST_NAME], { cwd: path.join(out, 'model'), encoding: 'utf8' });
    expect(checked.trim().split('\n')).toEqual(['model-card.md: OK', 'model.json: OK', 'weights/group1-shard1of1.bin: OK']);
  });

  it('uses the ustar prefix field for long paths', () => {
    const long = `model/${'d'.repeat(80)}/${'f'.repeat(60)}.bin`;
    const h = tarHeader(long, 1);
    expect(h.subarray(0, 64).toString().replace(/\0+$/, '')).toBe(`${'f'.repeat(60)}.bin`);
    expect(h.subarray(345, 500).toString().replace(/\0+$/, '')).toBe(`model/${'d'.repeat(80)}`);
  });
});

describe('publishRelease', () => {
  it('uploads each asset with its bytes and type, replacing one of the same name', async () => {
    const release = api.addRelease('v1.2.0');
    const stale = api.addAsset(release.id, 'fashion-model.tar.gz', 'old bytes');
    const tarball = path.join(tmp, 'fashion-model.tar.gz');
    await packBundle(modelDir, tarball);
    const assets = [
      { path: tarball, name: 'fashion-model.tar.gz', contentType: 'application/gzip' },
      { path: path.join(modelDir, 'model-card.md'), name: 'model-card.md', contentType: 'text/markdown' },
      { path: path.join(tmp, 'report.json'), name: 'report.json', contentType: 'application/json' },
      { path: path.join(modelDir, MANIFEST_NAME), name: MANIFEST_NAME, contentType: 'text/plain' },
    ];
    const res = await publishRelease({ octokit, owner: 'acme', repo: 'vision', tag: 'v1.2.0', assets });

    const assetsPath = `/repos/acme/vision/releases/${release.id}/assets`;
    expect(api.requests.map((r) => `${r.method} ${r.path}${r.method === 'POST' ? `?name=${r.query.get('name')}` : ''}`)).toEqual([
      'GET /repos/acme/vision/releases/tags/v1.2.0',
      `GET ${assetsPath}`,
      `DELETE /repos/acme/vision/releases/assets/${stale.id}`,
      `POST ${assetsPath}?name=fashion-model.tar.gz`,
      `POST ${assetsPath}?name=model-card.md`,
      `POST ${assetsPath}?name=report.json`,
      `POST ${assetsPath}?name=${MANIFEST_NAME}`,
    ]);
    const uploads = api.requests.filter((r) => r.method === 'POST');
    for (const [i, asset] of assets.entries()) {
      expect(sha(uploads[i].body)).toBe(sha(await readFile(asset.path)));
      expect(uploads[i].headers['content-type']).toBe(asset.contentType);
      expect(uploads[i].headers['content-length']).toBe(String((await readFile(asset.path)).length));
      expect(uploads[i].headers.authorization).toBe('token test-token');
    }
    expect(api.assets.filter((a) => a.releaseId === release.id).map((a) => a.name)).toEqual(assets.map((a) => a.name));
    expect(res.assets.map((a) => [a.name, a.replaced])).toEqual([
      ['fashion-model.tar.gz', true],
      ['model-card.md', false],
      ['report.json', false],
      [MANIFEST_NAME, false],
    ]);
  });

  it('says which permission is missing on 403', async () => {
    api.addRelease('v2.0.0');
    api.failWith(403, /^(POST|DELETE) /);
    const assets = [{ path: path.join(tmp, 'report.json'), name: 'report.json', contentType: 'application/json' }];
    const err = await publishRelease({ octokit, owner: 'acme', repo: 'vision', tag: 'v2.0.0', assets }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitHubError);
    expect((err as GitHubError).kind).toBe('permission');
    expect((err as Error).message.startsWith(NO_CONTENTS_WRITE)).toBe(true);
  });

  it('says so when the tag has no release', async () => {
    await expect(publishRelease({ octokit, owner: 'acme', repo: 'vision', tag: 'nope', assets: [] })).rejects.toThrow(
      /no release with tag "nope"/,
    );
  });
});

describe('uploadBaseUrl', () => {
  it('takes the upload host from the release upload_url', () => {
    expect(uploadBaseUrl('https://uploads.github.com/repos/o/r/releases/1/assets{?name,label}')).toBe('https://uploads.github.com');
    expect(uploadBaseUrl('https://ghe.example.com/api/uploads/repos/o/r/releases/1/assets{?name,label}')).toBe(
      'https://ghe.example.com/api/uploads',
    );
  });
});

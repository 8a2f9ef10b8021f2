// Superseded feature cache entries are deleted through the REST API after a save, against a local
// server that speaks GitHub's cache endpoints: only older entries of the same spec, base and ref.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { getOctokit } from '@actions/github';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { featureCacheKeyPrefix, restoreFeatureCache, type CacheClient } from '../src/github/feature-cache.js';
import { pruneFeatureCaches, type PruneOptions } from '../src/github/feature-cache-prune.js';
import { silentLogger, type Logger } from '../src/util/log.js';
import { startGitHubApiServer, type GitHubApiServer } from './helpers/github-api-server.js';

let api: GitHubApiServer;
let octokit: ReturnType<typeof getOctokit>;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'feature-prune-'));

beforeAll(async () => {
  api = await startGitHubApiServer();
  octokit = getOctokit('test-token', { baseUrl: api.baseUrl });
});

afterAll(async () => {
  await api.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const PREFIX = featureCacheKeyPrefix({ platform: 'linux', arch: 'x64', name: 'demo', scope: 'abc123' });
const PR = 'refs/pull/7/merge';
const MAIN = 'refs/heads/main';

function recordingLog(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return { info: (m) => lines.push(m), warn: (m) => lines.push(`warn: ${m}`), progress: () => {}, lines };
}

const options = (over: Partial<PruneOptions>): PruneOptions => ({
  octokit,
  owner: 'o',
  repo: 'r',
  ref: PR,
  prefix: PREFIX,
  keep: `${PREFIX}new`,
  savedAt: new Date(Date.UTC(2030, 0, 1)),
  log: silentLogger,
  ...over,
});

describe('pruning superseded feature caches', () => {
  it('deletes older entries of this prefix and ref, across pages; keeps the new one, other refs, other specs and newer entries', async () => {
    api.caches.length = 0;
    const older = Array.from({ length: 5 }, (_, i) => api.addCache(`${PREFIX}old${i}`, PR));
    const mainEntry = api.addCache(`${PREFIX}main`, MAIN);
    const otherSpec = api.addCache(`${featureCacheKeyPrefix({ platform: 'linux', arch: 'x64', name: 'other', scope: 'abc123' })}x`, PR);
    const kept = api.addCache(`${PREFIX}new`, PR);
    const newer = api.addCache(`${PREFIX}concurrent`, PR, { createdAt: '2031-01-01T00:00:00.000Z' });
    const log = recordingLog();
    const deleted = await pruneFeatureCaches(options({ log }));
    expect(deleted).toBe(5);
    expect(api.caches.map((c) => c.id).sort()).toEqual([mainEntry.id, otherSpec.id, kept.id, newer.id].sort());
    expect(older.every((o) => !api.caches.some((c) => c.id === o.id))).toBe(true);
    expect(log.lines.join('\n')).toMatch(/deleted 5 superseded entries of refs\/pull\/7\/merge/);
    const lists = api.requests.filter((r) => r.method === 'GET' && r.path.endsWith('/actions/caches'));
    expect(lists.at(-1)?.query.get('key')).toBe(PREFIX);
    expect(lists.at(-1)?.query.get('ref')).toBe(PR);
  });

  it('follows the listing over several pages', async () => {
    api.caches.length = 0;
    for (let i = 0; i < 130; i++) api.addCache(`${PREFIX}old${i}`, PR);
    expect(await pruneFeatureCaches(options({}))).toBe(130);
    expect(api.caches).toEqual([]);
  });

  it('a token that may not delete caches (403) is a hint in the log, not a failure', async () => {
    api.caches.length = 0;
    api.addCache(`${PREFIX}old`, PR);
    const log = recordingLog();
    api.failWith(403, /actions\/caches/);
    try {
      expect(await pruneFeatureCaches(options({ log }))).toBe(0);
    } finally {
      api.failWith(undefined);
    }
    expect(api.caches).toHaveLength(1);
    expect(log.lines.join('\n')).toMatch(/permissions: actions: write/);
    expect(log.lines.some((l) => l.startsWith('warn:'))).toBe(false);
  });

  it('another failure warns and keeps the run going', async () => {
    api.caches.length = 0;
    api.addCache(`${PREFIX}old`, PR);
    const log = recordingLog();
    api.failWith(500, /DELETE/);
    try {
      expect(await pruneFeatureCaches(options({ log }))).toBe(0);
    } finally {
      api.failWith(undefined);
    }
    expect(log.lines.join('\n')).toMatch(/^warn: feature cache: deleting superseded entries failed/m);
  });

  it('runs after a save, with the key saved; not when nothing was saved', async () => {
    api.caches.length = 0;
    const stale = api.addCache(`${PREFIX}0000`, PR, { createdAt: '2020-01-01T00:00:00.000Z' });
    const saved: string[] = [];
    const client: CacheClient = {
      isFeatureAvailable: () => true,
      restoreCache: async () => undefined,
      saveCache: async (_paths, key) => {
        saved.push(key);
        api.addCache(key, PR);
        return 1;
      },
    };
    const cacheDir = path.join(tmp, 'runner');
    const prune = ({ key, prefix, savedAt }: { key: string; prefix: string; savedAt: Date }) =>
      pruneFeatureCaches(options({ keep: key, prefix, savedAt }));
    const session = await restoreFeatureCache({
      cacheDir,
      name: 'demo',
      scope: 'abc123',
      log: silentLogger,
      client,
      platform: 'linux',
      arch: 'x64',
      prune,
    });
    expect(await session?.save()).toBe('unchanged');
    expect(api.caches.map((c) => c.id)).toEqual([stale.id]);
    fs.mkdirSync(path.join(cacheDir, 'features', 'k'), { recursive: true });
    fs.writeFileSync(path.join(cacheDir, 'features', 'k', 'pack-abc.bin'), 'rows');
    expect(await session?.save()).toBe('saved');
    expect(api.caches.map((c) => c.key)).toEqual(saved);
  });
});

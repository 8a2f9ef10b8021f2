// The feature cache across workflow runs. The Actions cache service has no local server to run
// against, so the client is a stand-in that keeps each saved key as a copy of the folder and
// restores like the service does (exact key, else the newest key starting with a restore key;
// keys are immutable). The packs themselves are written and read by the real FeatureCache.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FeatureCache } from '../src/features/cache.js';
import { contentIndexHash, featureCacheKeyPrefix, listPacks, restoreFeatureCache, type CacheClient } from '../src/github/feature-cache.js';
import { silentLogger, type Logger } from '../src/util/log.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'feature-cache-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const DIM = 4;
const FEATURE_KEY = 'f'.repeat(32);
let machines = 0;
/** A fresh runner: an empty cache folder. */
const freshCacheDir = () => path.join(tmp, `runner-${++machines}`);

class FolderCacheService implements CacheClient {
  readonly entries: Array<{ key: string; dir: string }> = [];
  saves = 0;
  restores = 0;
  available = true;
  failRestore?: Error;
  failSave?: Error | 'minus-one';

  isFeatureAvailable(): boolean {
    return this.available;
  }

  async restoreCache(paths: string[], primaryKey: string, restoreKeys: string[] = []): Promise<string | undefined> {
    this.restores++;
    if (this.failRestore) throw this.failRestore;
    const hit =
      this.entries.find((e) => e.key === primaryKey) ??
      restoreKeys.map((k) => this.entries.findLast((e) => e.key.startsWith(k))).find(Boolean);
    if (!hit) return undefined;
    fs.cpSync(hit.dir, paths[0], { recursive: true });
    return hit.key;
  }

  async saveCache(paths: string[], key: string): Promise<number> {
    if (this.failSave === 'minus-one') return -1;
    if (this.failSave) throw this.failSave;
    if (this.entries.some((e) => e.key === key)) throw new Error(`Unable to reserve cache with key ${key}`);
    const dir = path.join(tmp, 'service', String(this.entries.length));
    fs.cpSync(paths[0], dir, { recursive: true });
    this.entries.push({ key, dir });
    this.saves++;
    return this.entries.length;
  }
}

/** Rows for images `from`..`to`-1, written as one pack the way feature extraction does. */
function computeRows(cacheDir: string, from: number, to: number): FeatureCache {
  const cache = new FeatureCache(cacheDir, FEATURE_KEY, DIM);
  const fresh: Array<[string, Float32Array]> = [];
  for (let i = from; i < to; i++)
    if (!cache.get(`img-${i}`)) fresh.push([`img-${i}`, Float32Array.from({ length: DIM }, (_, k) => i + k / 10)]);
  cache.addPack(fresh);
  return cache;
}

function recordingLog(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { ...silentLogger, warnings, warn: (m) => warnings.push(m) };
}

const opts = (client: CacheClient, cacheDir: string, log: Logger = silentLogger, scope = 'base1') => ({
  cacheDir,
  name: 'fashion',
  scope,
  client,
  log,
  platform: 'linux',
  arch: 'x64',
});

describe('keys', () => {
  it('share a prefix per spec and base, and end in a hash of the pack names', () => {
    expect(featureCacheKeyPrefix({ platform: 'linux', arch: 'x64', name: 'fashion', scope: 'a1b2' })).toBe(
      'finetune-features-linux-x64-fashion-a1b2-',
    );
    const packs = ['k/pack-01.bin', 'k/pack-02.bin'];
    expect(contentIndexHash(packs)).toBe(contentIndexHash([...packs].reverse()));
    expect(contentIndexHash(packs)).not.toBe(contentIndexHash([...packs, 'k/pack-03.bin']));
    expect(contentIndexHash(packs)).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe('restore before a run, save after it', () => {
  const service = new FolderCacheService();
  const prefix = 'finetune-features-linux-x64-fashion-base1-';

  it('first run: nothing to restore; the computed packs are saved under prefix + content hash', async () => {
    const cacheDir = freshCacheDir();
    const session = await restoreFeatureCache(opts(service, cacheDir));
    expect(session?.restoredKey).toBeUndefined();
    computeRows(cacheDir, 0, 30);
    expect(await session?.save()).toBe('saved');
    expect(service.entries.map((e) => e.key)).toEqual([prefix + contentIndexHash(listPacks(path.join(cacheDir, 'features')))]);
  });

  it('a re-run restores every row on a fresh runner; nothing new, so nothing is saved', async () => {
    const cacheDir = freshCacheDir();
    const session = await restoreFeatureCache(opts(service, cacheDir));
    expect(session?.restoredKey).toBe(service.entries[0].key);
    const cache = computeRows(cacheDir, 0, 30);
    expect(cache.size).toBe(30);
    expect(cache.get('img-7')).toEqual(Float32Array.from([7, 7.1, 7.2, 7.3]));
    expect(await session?.save()).toBe('unchanged');
    expect(service.saves).toBe(1);
  });

  it('a PR that adds 10 images restores the earlier cache, computes 10 and saves a new key the next run restores', async () => {
    const cacheDir = freshCacheDir();
    const session = await restoreFeatureCache(opts(service, cacheDir));
    const packsBefore = listPacks(path.join(cacheDir, 'features')).length;
    computeRows(cacheDir, 0, 40);
    expect(listPacks(path.join(cacheDir, 'features')).length).toBe(packsBefore + 1);
    expect(await session?.save()).toBe('saved');
    expect(service.entries).toHaveLength(2);
    expect(service.entries[1].key.startsWith(prefix)).toBe(true);
    expect(service.entries[1].key).not.toBe(service.entries[0].key);

    const next = freshCacheDir();
    const later = await restoreFeatureCache(opts(service, next));
    expect(later?.restoredKey).toBe(service.entries[1].key);
    expect(new FeatureCache(next, FEATURE_KEY, DIM).size).toBe(40);
  });

  it('another base model does not restore these features', async () => {
    const session = await restoreFeatureCache(opts(service, freshCacheDir(), silentLogger, 'base2'));
    expect(session?.restoredKey).toBeUndefined();
  });
});

describe('failures only warn', () => {
  it('a failed restore computes everything and still saves it', async () => {
    const service = new FolderCacheService();
    service.failRestore = new Error('cache service unreachable');
    const log = recordingLog();
    const cacheDir = freshCacheDir();
    const session = await restoreFeatureCache(opts(service, cacheDir, log));
    expect(log.warnings.join('\n')).toMatch(/restore failed.*cache service unreachable/);
    computeRows(cacheDir, 0, 5);
    expect(await session?.save()).toBe('saved');
  });

  it('a failed save is reported as failed, thrown or not', async () => {
    for (const failure of [new Error('quota exceeded'), 'minus-one' as const]) {
      const service = new FolderCacheService();
      service.failSave = failure;
      const log = recordingLog();
      const cacheDir = freshCacheDir();
      const session = await restoreFeatureCache(opts(service, cacheDir, log));
      computeRows(cacheDir, 0, 5);
      expect(await session?.save()).toBe('failed');
      expect(service.entries).toHaveLength(0);
      if (failure !== 'minus-one') expect(log.warnings.join('\n')).toMatch(/save failed.*quota exceeded/);
    }
  });

  it('without a cache service nothing is restored or saved', async () => {
    const service = new FolderCacheService();
    service.available = false;
    expect(await restoreFeatureCache(opts(service, freshCacheDir()))).toBeUndefined();
    expect(service.restores).toBe(0);
  });
});

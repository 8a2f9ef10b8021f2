// The feature cache across workflow runs: the on-disk packs (src/features/cache.ts) are restored
// through @actions/cache before a run and saved after it. Keys end in a hash of the pack names
// (which are content hashes), and restore matches by prefix: a PR that adds 10 images restores
// the newest earlier cache, computes 10 rows and saves a new one. Failures only warn: a cold cache
// costs time, never the verdict.
import fs from 'node:fs';
import path from 'node:path';
import * as actionsCache from '@actions/cache';
import { sha256 } from '../util/hash.js';
import type { Logger } from '../util/log.js';

/** The slice of @actions/cache used here; the real module satisfies it. */
export interface CacheClient {
  isFeatureAvailable(): boolean;
  restoreCache(paths: string[], primaryKey: string, restoreKeys?: string[]): Promise<string | undefined>;
  /** The cache id; -1 when @actions/cache could not save (it has logged why). */
  saveCache(paths: string[], key: string): Promise<number>;
}

export const actionsCacheClient: CacheClient = {
  isFeatureAvailable: () => actionsCache.isFeatureAvailable(),
  restoreCache: (paths, key, restoreKeys) => actionsCache.restoreCache(paths, key, restoreKeys),
  saveCache: (paths, key) => actionsCache.saveCache(paths, key),
};

export interface KeyParts {
  platform: string;
  arch: string;
  /** The spec's name. */
  name: string;
  /** Hash of what makes features differ (base, cut, input handling): a new base starts a new line of caches. */
  scope: string;
}

/** Every key of one spec and base starts with this; restore takes the newest key that does. */
export function featureCacheKeyPrefix(p: KeyParts): string {
  return `finetune-features-${p.platform}-${p.arch}-${p.name}-${p.scope}-`;
}

/** The content index: pack names are hashes of their bytes, so their sorted list names the content. */
export function contentIndexHash(packs: string[]): string {
  return sha256([...packs].sort().join('\n')).slice(0, 16);
}

/** Pack files under `<cacheDir>/features`, as `<feature key>/pack-<hash>.bin`. */
export function listPacks(featuresDir: string): string[] {
  if (!fs.existsSync(featuresDir)) return [];
  return fs
    .readdirSync(featuresDir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) =>
      fs
        .readdirSync(path.join(featuresDir, d.name))
        .filter((n) => /^pack-[0-9a-f]+\.bin$/.test(n))
        .map((n) => `${d.name}/${n}`),
    );
}

export type SaveOutcome = 'saved' | 'unchanged' | 'failed';

export interface FeatureCacheSession {
  /** The key restored, if any. */
  restoredKey?: string;
  /** Saves under a new key when packs were added since the restore; otherwise does nothing. */
  save(): Promise<SaveOutcome>;
}

/** Called after a save with the key saved, its prefix and when the save started (feature-cache-prune.ts). */
export type PruneAfterSave = (saved: { key: string; prefix: string; savedAt: Date }) => Promise<unknown>;

export interface FeatureCacheOptions extends Omit<KeyParts, 'platform' | 'arch'> {
  /** The feature cache directory (defaultCacheDir()); its `features` folder is what is cached. */
  cacheDir: string;
  log: Logger;
  prune?: PruneAfterSave;
  client?: CacheClient;
  platform?: string;
  arch?: string;
}

/** Restores the newest cache of this spec and base; undefined where there is no cache service. */
export async function restoreFeatureCache(opts: FeatureCacheOptions): Promise<FeatureCacheSession | undefined> {
  const client = opts.client ?? actionsCacheClient;
  if (!client.isFeatureAvailable()) return undefined;
  const featuresDir = path.join(opts.cacheDir, 'features');
  const paths = [featuresDir];
  const prefix = featureCacheKeyPrefix({
    platform: opts.platform ?? process.platform,
    arch: opts.arch ?? process.arch,
    name: opts.name,
    scope: opts.scope,
  });
  let restoredKey: string | undefined;
  try {
    restoredKey = await client.restoreCache(paths, prefix, [prefix]);
    opts.log.info(restoredKey ? `feature cache: restored ${restoredKey}` : `feature cache: none saved yet for ${prefix}*`);
  } catch (err) {
    opts.log.warn(`feature cache: restore failed, computing features without it (${(err as Error).message})`);
  }
  const before = contentIndexHash(listPacks(featuresDir));
  return {
    restoredKey,
    save: async () => {
      const packs = listPacks(featuresDir);
      const index = contentIndexHash(packs);
      // Nothing computed: the cache restored (or found) already holds every row.
      if (packs.length === 0 || index === before) return 'unchanged';
      const key = prefix + index;
      const savedAt = new Date();
      let id: number;
      try {
        id = await client.saveCache(paths, key);
      } catch (err) {
        opts.log.warn(`feature cache: save failed; the next run recomputes what this one added (${(err as Error).message})`);
        return 'failed';
      }
      if (id === -1) return 'failed';
      opts.log.info(`feature cache: saved ${key} (${packs.length} packs)`);
      await opts.prune?.({ key, prefix, savedAt });
      return 'saved';
    },
  };
}

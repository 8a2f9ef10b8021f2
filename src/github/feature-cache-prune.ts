// Feature cache entries pile up: each run that adds images saves a new entry holding every row so
// far, and a repository's entries share one quota (10 GB), so stale feature entries would push out
// its other caches. After a save, the older entries of the same spec and base on the same ref are
// subsets of the new one (each run restored the newest and added to it), so they are deleted
// through the REST API. Entries of other refs, the default branch's above all (pull requests
// restore from it), and entries newer than the save are never touched. Failures only log.
import type { Octokit } from './comment.js';
import { errorMessage, httpStatus } from './context.js';
import type { Logger } from '../util/log.js';

export interface PruneOptions {
  octokit: Octokit;
  owner: string;
  repo: string;
  /** The ref the run's caches are saved under (GITHUB_REF). */
  ref: string;
  /** The key prefix of this spec and base (featureCacheKeyPrefix). */
  prefix: string;
  /** The key just saved. */
  keep: string;
  /** When the save started: only entries created before it go. */
  savedAt: Date;
  log: Logger;
}

/** Deletes the superseded entries; how many went (0 when listing or deleting was refused). */
export async function pruneFeatureCaches(o: PruneOptions): Promise<number> {
  const { octokit, owner, repo } = o;
  try {
    const caches = await octokit.paginate(octokit.rest.actions.getActionsCacheList, {
      owner,
      repo,
      key: o.prefix,
      ref: o.ref,
      per_page: 100,
    });
    const stale = caches.filter(
      (c) =>
        c.key !== undefined &&
        c.key !== o.keep &&
        c.key.startsWith(o.prefix) &&
        c.ref === o.ref &&
        c.created_at !== undefined &&
        Date.parse(c.created_at) < o.savedAt.getTime(),
    );
    let deleted = 0;
    for (const c of stale) {
      await octokit.rest.actions.deleteActionsCacheById({ owner, repo, cache_id: c.id as number });
      deleted++;
    }
    if (deleted > 0)
      o.log.info(
        `feature cache: deleted ${deleted} superseded ${deleted === 1 ? 'entry' : 'entries'} of ${o.ref} (${stale.map((c) => c.key).join(', ')})`,
      );
    return deleted;
  } catch (err) {
    if (httpStatus(err) === 403) {
      o.log.info(
        'feature cache: superseded entries were not deleted: the token may not write Actions caches (give the job `permissions: actions: write`)',
      );
    } else {
      o.log.warn(`feature cache: deleting superseded entries failed; they expire on their own (${errorMessage(err)})`);
    }
    return 0;
  }
}

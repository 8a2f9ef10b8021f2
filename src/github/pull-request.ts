// Which pull request a run is about. Under pull_request the event says; under workflow_run the
// triggering run lists its pull requests, except for one from a fork, which GitHub leaves out of
// `pull_requests` (the very case the workflow_run pattern exists for). It is then found by its
// head commit (GET /repos/{o}/{r}/commits/{sha}/pulls) and, failing that, among the open pull
// requests by `head=<fork owner>:<branch>`, keeping the one whose head is that commit.
import type { Octokit } from './comment.js';
import { errorMessage, pullRequestNumber, type EventContext } from './context.js';

export type PullRequestLookup = { found: true; number: number; how: 'event' | 'commit' | 'head-branch' } | { found: false; reason: string };

export interface FindPullRequestOptions {
  octokit: Octokit;
  owner: string;
  repo: string;
  ctx: EventContext;
}

export async function findPullRequest(o: FindPullRequestOptions): Promise<PullRequestLookup> {
  const direct = pullRequestNumber(o.ctx);
  if (direct !== undefined) return { found: true, number: direct, how: 'event' };
  const run = o.ctx.payload.workflow_run;
  if (!run) return { found: false, reason: `a ${o.ctx.eventName} event is not about a pull request` };
  if (run.event && !run.event.startsWith('pull_request'))
    return { found: false, reason: `the triggering run was a ${run.event} event, not a pull request` };
  const sha = run.head_sha;
  if (!sha) return { found: false, reason: 'the triggering run names no head commit' };
  try {
    const byCommit = await o.octokit.rest.repos.listPullRequestsAssociatedWithCommit({
      owner: o.owner,
      repo: o.repo,
      commit_sha: sha,
      per_page: 100,
    });
    const hit = pickOpen(byCommit.data, sha);
    if (hit) return { found: true, number: hit, how: 'commit' };
    const forkOwner = run.head_repository?.owner?.login;
    if (forkOwner && run.head_branch) {
      const byHead = await o.octokit.rest.pulls.list({
        owner: o.owner,
        repo: o.repo,
        state: 'open',
        head: `${forkOwner}:${run.head_branch}`,
        per_page: 100,
      });
      const head = pickOpen(byHead.data, sha);
      if (head) return { found: true, number: head, how: 'head-branch' };
    }
  } catch (err) {
    return { found: false, reason: `looking up the pull request of commit ${sha.slice(0, 7)} failed (${errorMessage(err)})` };
  }
  const branch = run.head_branch ? ` or ${run.head_repository?.owner?.login ?? '?'}:${run.head_branch}` : '';
  return { found: false, reason: `no open pull request has head commit ${sha.slice(0, 7)}${branch} (closed, or pushed to since)` };
}

/** The open pull request whose head is `sha`; an older push of its branch is another verdict. */
function pickOpen(pulls: Array<{ number: number; state: string; head: { sha: string } }>, sha: string): number | undefined {
  return pulls.find((p) => p.state === 'open' && p.head.sha === sha)?.number;
}

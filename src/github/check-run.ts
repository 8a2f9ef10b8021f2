// The verdict on the pull request's head commit, under a stable name a branch protection rule can
// require: a check run (Checks API, `checks: write`), or, when that is refused, a commit status
// (`statuses: write`) with the same name. Neither is a reason to change the verdict: without
// either permission the caller warns and the step's outcome stands.
import type { Octokit } from './comment.js';
import { errorMessage, httpStatus } from './context.js';
import type { CheckRunContent } from '../report/check-run.js';

/** GitHub refuses a commit status description longer than this. */
export const STATUS_DESCRIPTION_LIMIT = 140;

export const NO_CHECK_PERMISSION =
  'the token may write neither check runs nor commit statuses: give the job "permissions: checks: write" (or "statuses: write")';

export interface PostCheckOptions {
  octokit: Octokit;
  owner: string;
  repo: string;
  /** The pull request's head commit. */
  sha: string;
  /** The check's name, e.g. "finetune / gate": what branch protection requires. */
  name: string;
  content: CheckRunContent;
  /** The workflow run's page. */
  detailsUrl?: string;
}

export type PostCheckResult =
  { posted: true; kind: 'check-run' | 'status'; id: number; url: string; note?: string } | { posted: false; reason: string };

export async function postGateCheck(o: PostCheckOptions): Promise<PostCheckResult> {
  const { octokit, owner, repo, sha, name, content } = o;
  let refused: string;
  try {
    const { data } = await octokit.rest.checks.create({
      owner,
      repo,
      name,
      head_sha: sha,
      status: 'completed',
      conclusion: content.conclusion,
      ...(o.detailsUrl ? { details_url: o.detailsUrl } : {}),
      output: { title: content.title, summary: content.summary },
    });
    return { posted: true, kind: 'check-run', id: data.id, url: data.html_url ?? '' };
  } catch (err) {
    if (httpStatus(err) !== 403)
      return { posted: false, reason: `creating check run "${name}" on ${sha.slice(0, 7)} failed: ${errorMessage(err)}` };
    refused = errorMessage(err);
  }
  try {
    const { data } = await octokit.rest.repos.createCommitStatus({
      owner,
      repo,
      sha,
      context: name,
      // A status has no neutral: an inconclusive gate that lets the change through is a success.
      state: content.conclusion === 'failure' ? 'failure' : 'success',
      description: shorten(content.title, STATUS_DESCRIPTION_LIMIT),
      ...(o.detailsUrl ? { target_url: o.detailsUrl } : {}),
    });
    return {
      posted: true,
      kind: 'status',
      id: data.id,
      url: data.url,
      note: `the check run was refused (checks: write missing: ${refused}); posted a commit status instead`,
    };
  } catch (err) {
    if (httpStatus(err) === 403)
      return { posted: false, reason: `${NO_CHECK_PERMISSION}; no check "${name}" on ${sha.slice(0, 7)} (${errorMessage(err)})` };
    return { posted: false, reason: `creating commit status "${name}" on ${sha.slice(0, 7)} failed: ${errorMessage(err)}` };
  }
}

function shorten(text: string, limit: number): string {
  return text.length <= limit ? text : `${text.slice(0, limit - 1)}…`;
}

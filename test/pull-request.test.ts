// Finding the pull request a workflow_run job gates, against a local GitHub REST API over real
// HTTP: from the event, by the head commit when pull_requests is empty (a fork), and by the fork's
// owner:branch among open pull requests when the commit lookup has none.
import { getOctokit } from '@actions/github';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { findPullRequest } from '../src/github/pull-request.js';
import { headSha, type EventContext, type TriggeringRun } from '../src/github/context.js';
import { startGitHubApiServer, type GitHubApiServer } from './helpers/github-api-server.js';

const HEAD = '0123456789abcdef0123456789abcdef01234567';
const MAIN = 'ffffffffffffffffffffffffffffffffffffffff';

let api: GitHubApiServer;

beforeAll(async () => {
  api = await startGitHubApiServer();
});
afterAll(async () => api?.close());
beforeEach(() => {
  api.requests.length = 0;
  api.pulls.length = 0;
});

const workflowRun = (run: Partial<TriggeringRun>): EventContext => ({
  eventName: 'workflow_run',
  sha: MAIN,
  payload: {
    workflow_run: {
      id: 55,
      event: 'pull_request',
      head_sha: HEAD,
      head_branch: 'patch-1',
      head_repository: { full_name: 'forker/r', owner: { login: 'forker' } },
      pull_requests: [],
      ...run,
    },
  },
});
const find = (ctx: EventContext) => findPullRequest({ octokit: getOctokit('t', { baseUrl: api.baseUrl }), owner: 'o', repo: 'r', ctx });
const calls = () => api.requests.map((r) => `${r.method} ${r.path}${r.query.size ? `?${r.query}` : ''}`);

describe('findPullRequest', () => {
  it('takes the number from a pull_request event, and from workflow_run.pull_requests, without a request', async () => {
    expect(await find({ eventName: 'pull_request', payload: { pull_request: { number: 9 } } })).toEqual({
      found: true,
      number: 9,
      how: 'event',
    });
    expect(await find(workflowRun({ pull_requests: [{ number: 12 }] }))).toEqual({ found: true, number: 12, how: 'event' });
    expect(api.requests).toHaveLength(0);
  });

  it('a fork (pull_requests empty): found by its head commit', async () => {
    api.addPull({ number: 31, headSha: HEAD, headRef: 'patch-1', headRepo: 'forker/r' });
    expect(await find(workflowRun({}))).toEqual({ found: true, number: 31, how: 'commit' });
    expect(calls()).toEqual([`GET /repos/o/r/commits/${HEAD}/pulls?per_page=100`]);
  });

  it('a fork whose commit the lookup does not list: found as forker:branch among open pull requests', async () => {
    api.addPull({ number: 32, headSha: HEAD, headRef: 'patch-1', headRepo: 'forker/r', listedByCommit: false });
    api.addPull({ number: 33, headSha: HEAD, headRef: 'patch-1', headRepo: 'someone/r', listedByCommit: false });
    expect(await find(workflowRun({}))).toEqual({ found: true, number: 32, how: 'head-branch' });
    expect(calls()).toEqual([
      `GET /repos/o/r/commits/${HEAD}/pulls?per_page=100`,
      'GET /repos/o/r/pulls?state=open&head=forker%3Apatch-1&per_page=100',
    ]);
  });

  it("a pull request pushed to since, or closed, is not this verdict's: a reason instead", async () => {
    api.addPull({ number: 34, headSha: 'e'.repeat(40), headRef: 'patch-1', headRepo: 'forker/r' });
    api.addPull({ number: 35, headSha: HEAD, headRef: 'patch-1', headRepo: 'forker/r', state: 'closed' });
    const res = await find(workflowRun({}));
    expect(res).toEqual({
      found: false,
      reason: 'no open pull request has head commit 0123456 or forker:patch-1 (closed, or pushed to since)',
    });
  });

  it('a run triggered by a push is not about a pull request', async () => {
    const res = await find(workflowRun({ event: 'push' }));
    expect(res).toEqual({ found: false, reason: 'the triggering run was a push event, not a pull request' });
    expect(api.requests).toHaveLength(0);
  });
});

describe('headSha', () => {
  it('is the pull request head, never the merge commit or the default branch head', () => {
    expect(headSha(workflowRun({}))).toBe(HEAD);
    expect(
      headSha({ eventName: 'pull_request', sha: 'merge'.padEnd(40, '0'), payload: { pull_request: { number: 1, head: { sha: HEAD } } } }),
    ).toBe(HEAD);
    expect(headSha({ eventName: 'push', sha: MAIN, payload: {} })).toBe(MAIN);
  });
});

import { getOctokit } from '@actions/github';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  COMMENT_LIMIT,
  commentMarker,
  composeComment,
  parseHistory,
  upsertPrComment,
  type UpsertCommentOptions,
} from '../src/github/comment.js';
import { startGitHubApiServer, type GitHubApiServer } from './helpers/github-api-server.js';

let api: GitHubApiServer;
let octokit: ReturnType<typeof getOctokit>;
let issue = 0;

beforeAll(async () => {
  api = await startGitHubApiServer();
  octokit = getOctokit('test-token', { baseUrl: api.baseUrl });
});
afterAll(async () => api?.close());
beforeEach(() => {
  issue += 1;
  api.failWith(undefined);
  api.requests.length = 0;
});

const opts = (over: Partial<UpsertCommentOptions> = {}): UpsertCommentOptions => ({
  octokit,
  owner: 'acme',
  repo: 'vision',
  issueNumber: issue,
  body: '## finetune: pass\n\n| metric | value |\n| --- | --- |\n| f1_macro | 0.91 |',
  marker: 'fashion',
  ...over,
});
const sent = (i: number) => JSON.parse(api.requests[i].body.toString()) as { body: string };

describe('upsertPrComment', () => {
  it('creates the comment, then updates the same one in place with both pushes in its history', async () => {
    const first = await upsertPrComment(opts({ historyEntry: { sha: 'aaaaaaa1111', verdict: 'pass', summary: 'f1_macro 0.910' } }));
    expect(first).toMatchObject({ posted: true, action: 'created' });
    expect(api.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      `GET /repos/acme/vision/issues/${issue}/comments`,
      `POST /repos/acme/vision/issues/${issue}/comments`,
    ]);
    expect(api.requests[1].headers.authorization).toBe('token test-token');
    expect(sent(1).body.startsWith(`${commentMarker('fashion')}\n## finetune: pass`)).toBe(true);

    api.requests.length = 0;
    const second = await upsertPrComment(
      opts({ body: '## finetune: fail', historyEntry: { sha: 'bbbbbbb2222', verdict: 'fail', summary: 'f1_macro 0.850 (-0.060)' } }),
    );
    if (!first.posted) throw new Error('not posted');
    expect(second).toMatchObject({ posted: true, action: 'updated', commentId: first.commentId });
    expect(api.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      `GET /repos/acme/vision/issues/${issue}/comments`,
      `PATCH /repos/acme/vision/issues/comments/${first.commentId}`,
    ]);
    const body = sent(1).body;
    expect(body).toContain('## finetune: fail');
    expect(body).not.toContain('## finetune: pass');
    expect(body).toContain('| `bbbbbbb` | fail | f1_macro 0.850 (-0.060) |\n| `aaaaaaa` | pass | f1_macro 0.910 |');
    expect(parseHistory(body).map((e) => e.sha)).toEqual(['aaaaaaa1111', 'bbbbbbb2222']);
    expect(api.comments.filter((c) => c.issue === issue)).toHaveLength(1);
  });

  it('charts the metric across the pushes, oldest first, once two pushes recorded it', async () => {
    const first = await upsertPrComment(
      opts({ historyEntry: { sha: 'aaaaaaa1111', verdict: 'pass', summary: 'f1_macro 0.910', metric: 'f1_macro', value: 0.91 } }),
    );
    expect(first.posted).toBe(true);
    expect(sent(1).body).not.toContain('across pushes');
    api.requests.length = 0;
    await upsertPrComment(
      opts({ historyEntry: { sha: 'bbbbbbb2222', verdict: 'fail', summary: 'f1_macro 0.850', metric: 'f1_macro', value: 0.85 } }),
    );
    const body = sent(1).body;
    expect(body).toContain(
      [
        '```mermaid',
        'xychart-beta',
        '  title "f1_macro across pushes"',
        '  x-axis ["aaaaaaa", "bbbbbbb"]',
        '  y-axis "f1_macro"',
        '  line [0.9100, 0.8500]',
        '```',
      ].join('\n'),
    );
    expect(parseHistory(body).map((e) => e.value)).toEqual([0.91, 0.85]);
  });

  it('finds its comment on a later page and shows only the last 5 pushes', async () => {
    for (let i = 0; i < 120; i++) api.addComment(issue, `chatter ${i}`, { login: 'dev', type: 'User' });
    const history = Array.from({ length: 7 }, (_, i) => ({ sha: `${i}`.repeat(8), verdict: 'pass', summary: `run ${i}` }));
    const own = api.addComment(issue, composeComment(commentMarker('fashion'), 'old', history));
    const res = await upsertPrComment(opts({ historyEntry: { sha: 'c'.repeat(40), verdict: 'pass', summary: 'run 7' } }));
    expect(res).toMatchObject({ action: 'updated', commentId: own.id });
    expect(api.requests.filter((r) => r.method === 'GET')).toHaveLength(2);
    const rows = own.body.split('\n').filter((l) => l.startsWith('| `'));
    expect(rows.map((r) => r.split(' | ')[2].replace(/ \|$/, ''))).toEqual(['run 7', 'run 6', 'run 5', 'run 4', 'run 3']);
    expect(parseHistory(own.body)).toHaveLength(8);
  });

  it('never edits a comment by someone else that carries the marker', async () => {
    const foreign = api.addComment(issue, `${commentMarker('fashion')}\nplease merge`, { login: 'mallory', type: 'User' });
    const res = await upsertPrComment(opts());
    expect(res).toMatchObject({ posted: true, action: 'created' });
    expect(foreign.body).toBe(`${commentMarker('fashion')}\nplease merge`);
  });

  it('keeps separate comments for separate spec names', async () => {
    await upsertPrComment(opts({ marker: 'a' }));
    await upsertPrComment(opts({ marker: 'b' }));
    expect(api.comments.filter((c) => c.issue === issue)).toHaveLength(2);
  });

  it('caps the body at the comment limit with a note and keeps the history readable', async () => {
    const huge = '```\n' + 'x'.repeat(99) + '\n'.repeat(1) + 'row\n'.repeat(30_000);
    const res = await upsertPrComment(opts({ body: huge, historyEntry: { sha: 'd'.repeat(40), verdict: 'pass', summary: 'ok' } }));
    expect(res.posted).toBe(true);
    const body = sent(1).body;
    expect(body.length).toBeLessThanOrEqual(COMMENT_LIMIT);
    expect(body).toContain("truncated to fit GitHub's 65536-character comment limit");
    expect(body.match(/^```/gm)).toHaveLength(2);
    expect(parseHistory(body)).toEqual([{ sha: 'd'.repeat(40), verdict: 'pass', summary: 'ok' }]);
  });

  it('returns a reason instead of throwing on 403 (read-only fork token)', async () => {
    api.failWith(403, /^POST /);
    const res = await upsertPrComment(opts());
    expect(res.posted).toBe(false);
    if (res.posted) return;
    expect(res.reason).toMatch(
      /^cannot comment on acme\/vision#\d+: the token may not write to pull requests \(a pull request from a fork gets a read-only token/,
    );
  });

  it('returns a reason instead of throwing on 404', async () => {
    api.failWith(404);
    const res = await upsertPrComment(opts());
    expect(res).toMatchObject({ posted: false, reason: expect.stringMatching(/not found/) });
  });
});

describe('history block', () => {
  it('survives text that would close an HTML comment', () => {
    const entry = { sha: 'e'.repeat(40), verdict: 'pass', summary: 'a --> <b> | c' };
    const body = composeComment(commentMarker('x'), 'report', [entry]);
    expect(body.match(/-->/g)).toHaveLength(2);
    expect(parseHistory(body)).toEqual([entry]);
    expect(body).toContain('| a --&gt; &lt;b&gt; \\| c |');
  });

  it('keeps a charted point only when it is a plain metric name and a number', () => {
    const body = composeComment(commentMarker('x'), 'b', [
      { sha: 'a', verdict: 'pass', summary: 's', metric: 'f1"] line [9', value: 0.5 },
      { sha: 'b', verdict: 'pass', summary: 's', metric: 'f1_macro', value: '0.5' as unknown as number },
      { sha: 'c', verdict: 'pass', summary: 's', metric: 'f1_macro', value: 0.7 },
    ]);
    expect(parseHistory(body)).toEqual([
      { sha: 'a', verdict: 'pass', summary: 's' },
      { sha: 'b', verdict: 'pass', summary: 's' },
      { sha: 'c', verdict: 'pass', summary: 's', metric: 'f1_macro', value: 0.7 },
    ]);
  });

  it('treats a malformed block as no history', () => {
    expect(parseHistory('<!-- finetune-history: [{"sha": 1}] -->')).toEqual([]);
    expect(parseHistory('<!-- finetune-history: not json -->')).toEqual([]);
    expect(parseHistory('no block')).toEqual([]);
  });
});

// The check on the pull request's head commit: what it says (pure), and the requests that post it
// to a local GitHub REST API over real HTTP: a check run, a commit status when checks: write is
// missing, and a reason naming the permission when both are refused.
import fs from 'node:fs';
import { getOctokit } from '@actions/github';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CHECK_SUMMARY_LIMIT, checkConclusion, checkRunContent, truncateSummary } from '../src/report/check-run.js';
import { verdictHeadline } from '../src/report/headline.js';
import { postGateCheck, STATUS_DESCRIPTION_LIMIT, type PostCheckOptions } from '../src/github/check-run.js';
import { buildFailureReport } from '../src/pipeline/training-failure.js';
import { renderReportMarkdown } from '../src/report/markdown.js';
import type { Report } from '../src/domain/types.js';
import { startGitHubApiServer, type GitHubApiServer } from './helpers/github-api-server.js';

const real = JSON.parse(fs.readFileSync('examples/fashion-mnist/baseline.json', 'utf8')) as Report;
const HEAD = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';

let api: GitHubApiServer;

beforeAll(async () => {
  api = await startGitHubApiServer();
});
afterAll(async () => api?.close());
beforeEach(() => {
  api.requests.length = 0;
  api.checkRuns.length = 0;
  api.statuses.length = 0;
  api.readOnly.clear();
});

const withVerdict = (verdict: Report['verdict']): Report => ({ ...real, verdict, gate: { ...real.gate, verdict } });

describe('checkRunContent', () => {
  it('passes a passed gate, fails a failed one, and fails whatever the verdict when the step failed', () => {
    expect(checkConclusion(withVerdict('pass'), true)).toBe('success');
    expect(checkConclusion(withVerdict('fail'), false)).toBe('failure');
    expect(checkConclusion(withVerdict('pass'), false)).toBe('failure');
  });

  it('inconclusive follows on_inconclusive: neutral when it lets the change through, failure when not', () => {
    expect(checkConclusion(withVerdict('inconclusive'), true)).toBe('neutral');
    expect(checkConclusion(withVerdict('inconclusive'), false)).toBe('failure');
  });

  it('titles the check with the report headline: verdict, deciding metric and by how much', () => {
    const title = checkRunContent(real, true).title;
    expect(title).toBe(verdictHeadline(real));
    expect(title).toMatch(new RegExp(`^\\S+ ${real.verdict.toUpperCase()}: `));
    expect(title).not.toContain('\n');
  });

  it('a failed training is a failure whose title says what happened', () => {
    const failed = buildFailureReport(
      { name: 'x', specSha256: 'a', seed: 1, base: 'none' },
      { failure: 'diverged', message: 'training diverged: the loss became NaN', history: [], backend: 'cpu', seconds: 1 },
    );
    const c = checkRunContent(failed, false);
    expect(c.conclusion).toBe('failure');
    expect(c.title).toBe('❌ FAIL (diverged): training failed (training diverged: the loss became NaN); nothing was evaluated');
    expect(c.summary).toMatch(/the loss became NaN/);
  });

  it("the summary is the report, cut at a line end under GitHub's limit with a note", () => {
    expect(checkRunContent(real, true).summary).toBe(renderReportMarkdown(real));
    const long = Array.from({ length: 4000 }, (_, i) => `| row ${i} | ${'x'.repeat(20)} |`).join('\n');
    const cut = truncateSummary(long);
    expect(long.length).toBeGreaterThan(CHECK_SUMMARY_LIMIT);
    expect(cut.length).toBeLessThanOrEqual(CHECK_SUMMARY_LIMIT);
    expect(cut).toMatch(/\| row \d+ \| x{20} \|\n\n_… cut here: .*65535 characters.*report artifact\._$/);
    expect(truncateSummary('short')).toBe('short');
  });
});

describe('postGateCheck', () => {
  const options = (over: Partial<PostCheckOptions> = {}): PostCheckOptions => ({
    octokit: getOctokit('test-token', { baseUrl: api.baseUrl }),
    owner: 'o',
    repo: 'r',
    sha: HEAD,
    name: 'finetune / gate',
    content: { title: 'PASS: f1_macro 0.9100', summary: '# report', conclusion: 'success' },
    detailsUrl: 'https://github.com/o/r/actions/runs/77',
    ...over,
  });

  it('creates one completed check run on the head commit with the name, conclusion and output', async () => {
    const res = await postGateCheck(options());
    expect(res).toMatchObject({ posted: true, kind: 'check-run' });
    expect(api.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /repos/o/r/check-runs']);
    expect(JSON.parse(api.requests[0].body.toString())).toEqual({
      name: 'finetune / gate',
      head_sha: HEAD,
      status: 'completed',
      conclusion: 'success',
      details_url: 'https://github.com/o/r/actions/runs/77',
      output: { title: 'PASS: f1_macro 0.9100', summary: '# report' },
    });
  });

  it('falls back to a commit status of the same name when checks: write is refused', async () => {
    api.readOnly.add('checks');
    const title = `INCONCLUSIVE: ${'y'.repeat(200)}`;
    const res = await postGateCheck(options({ content: { title, summary: 's', conclusion: 'neutral' } }));
    expect(res).toMatchObject({ posted: true, kind: 'status' });
    expect(res.posted && res.note).toMatch(/checks: write missing/);
    expect(api.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /repos/o/r/check-runs', `POST /repos/o/r/statuses/${HEAD}`]);
    expect(api.statuses).toHaveLength(1);
    const st = api.statuses[0];
    expect(st).toMatchObject({
      sha: HEAD,
      context: 'finetune / gate',
      state: 'success',
      target_url: 'https://github.com/o/r/actions/runs/77',
    });
    expect(st.description).toHaveLength(STATUS_DESCRIPTION_LIMIT);
    expect(st.description?.endsWith('…')).toBe(true);
  });

  it('a failed gate is a failure status', async () => {
    api.readOnly.add('checks');
    await postGateCheck(options({ content: { title: 'FAIL', summary: 's', conclusion: 'failure' } }));
    expect(api.statuses[0].state).toBe('failure');
  });

  it('without either permission: no throw, a reason naming both permissions', async () => {
    api.readOnly.add('checks');
    api.readOnly.add('statuses');
    const res = await postGateCheck(options());
    expect(res.posted).toBe(false);
    expect(!res.posted && res.reason).toMatch(/checks: write.*statuses: write.*no check "finetune \/ gate" on a1b2c3d/);
    expect(api.checkRuns).toHaveLength(0);
    expect(api.statuses).toHaveLength(0);
  });

  it('another refusal of the check run is reported, not retried as a status', async () => {
    const res = await postGateCheck(
      options({ content: { title: 'PASS', summary: 'z'.repeat(CHECK_SUMMARY_LIMIT + 1), conclusion: 'success' } }),
    );
    expect(res.posted).toBe(false);
    expect(!res.posted && res.reason).toMatch(/creating check run "finetune \/ gate" on a1b2c3d failed/);
    expect(api.requests).toHaveLength(1);
  });
});

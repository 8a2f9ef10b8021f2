// Finds and downloads a baseline report through a local GitHub API, over real HTTP, with the real
// @actions/artifact client (its findBy download: REST redirect to a blob URL, then unzip).
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ArtifactBaselineOptions } from '../src/github/baseline-artifact.js';
import { GitHubError } from '../src/github/context.js';
import { startGitHubApiServer, type GitHubApiServer } from './helpers/github-api-server.js';

const ENV_KEYS = ['GITHUB_API_URL', 'GITHUB_SERVER_URL'];
const WF = 'finetune.yml';

let api: GitHubApiServer;
let getOctokit: typeof import('@actions/github').getOctokit;
let findBaselineArtifact: typeof import('../src/github/baseline-artifact.js').findBaselineArtifact;
let reportArtifactPrefix: typeof import('../src/github/baseline-artifact.js').reportArtifactPrefix;
let workflowFileFromRef: typeof import('../src/github/baseline-artifact.js').workflowFileFromRef;
let tmp: string;
let zips = 0;
const savedEnv: Record<string, string | undefined> = {};

beforeAll(async () => {
  api = await startGitHubApiServer();
  for (const k of ENV_KEYS) savedEnv[k] = process.env[k];
  // The artifact client builds its own Octokit, whose base URL @actions/github reads from
  // GITHUB_API_URL once, when it is first imported: set it first, then import. The client also
  // refuses to download when GITHUB_SERVER_URL names a GitHub Enterprise Server.
  process.env.GITHUB_API_URL = api.baseUrl;
  delete process.env.GITHUB_SERVER_URL;
  ({ getOctokit } = await import('@actions/github'));
  ({ findBaselineArtifact, reportArtifactPrefix, workflowFileFromRef } = await import('../src/github/baseline-artifact.js'));
  tmp = await mkdtemp(path.join(os.tmpdir(), 'baseline-artifact-'));
});

afterAll(async () => {
  for (const k of ENV_KEYS) {
    if (savedEnv[k] === undefined) delete process.env[k];
    else process.env[k] = savedEnv[k];
  }
  await api?.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

beforeEach(() => {
  api.failWith(undefined);
  api.requests.length = 0;
  api.runs.length = 0;
  api.runArtifacts.length = 0;
  api.workflows.splice(0, Infinity, WF);
});

/** A zip of the given files, made by the system zip. */
async function zipOf(files: Record<string, string>): Promise<Buffer> {
  const dir = path.join(tmp, `zip-${++zips}`);
  await mkdir(dir, { recursive: true });
  for (const [name, data] of Object.entries(files)) await writeFile(path.join(dir, name), data);
  execFileSync('zip', ['-q', '-X', 'a.zip', ...Object.keys(files)], { cwd: dir });
  return readFile(path.join(dir, 'a.zip'));
}

const report = (accuracy: number) => JSON.stringify({ verdict: 'pass', metrics: { accuracy } });
const reportZip = async (accuracy: number) => zipOf({ 'report.json': report(accuracy), 'report.md': '# pass\n' });

function options(extra: Partial<ArtifactBaselineOptions> = {}): ArtifactBaselineOptions {
  return {
    octokit: getOctokit('test-token', { baseUrl: api.baseUrl }),
    owner: 'o',
    repo: 'r',
    token: 'test-token',
    specName: 'fashion',
    workflow: WF,
    branch: 'main',
    downloadDir: path.join(tmp, 'downloads'),
    ...extra,
  };
}

/** A successful run on main holding a report artifact of the given accuracy. */
async function runWithReport(accuracy: number, name = 'finetune-fashion-report-train-1') {
  const run = api.addWorkflowRun({ workflow: WF, branch: 'main' });
  const artifact = api.addRunArtifact(run.id, name, await reportZip(accuracy));
  return { run, artifact };
}

async function expectFound(res: Awaited<ReturnType<typeof findBaselineArtifact>>, accuracy: number) {
  if (!res.found) throw new Error(`expected a baseline, got: ${res.reason}`);
  expect(JSON.parse(await readFile(res.reportPath, 'utf8'))).toEqual({ verdict: 'pass', metrics: { accuracy } });
  return res;
}

describe('findBaselineArtifact', () => {
  it('downloads the report of the newest successful run of the workflow on the branch', async () => {
    await runWithReport(0.8);
    const { run, artifact } = await runWithReport(0.9);
    // Newer, but not a baseline: another branch, a failed run, a fork's "main".
    api.addRunArtifact(api.addWorkflowRun({ workflow: WF, branch: 'dev' }).id, artifact.name, await reportZip(0.1));
    api.addRunArtifact(api.addWorkflowRun({ workflow: WF, branch: 'main', conclusion: 'failure' }).id, artifact.name, await reportZip(0.2));
    const fork = api.addWorkflowRun({ workflow: WF, branch: 'main', event: 'pull_request', headRepo: 'evil/r' });
    api.addRunArtifact(fork.id, artifact.name, await reportZip(0.3));
    api.addRunArtifact(api.addWorkflowRun({ workflow: 'other.yml', branch: 'main' }).id, artifact.name, await reportZip(0.4));

    const res = await expectFound(await findBaselineArtifact(options()), 0.9);
    expect(res).toMatchObject({
      runId: run.id,
      runUrl: `https://github.com/o/r/actions/runs/${run.id}`,
      artifactName: 'finetune-fashion-report-train-1',
      headSha: run.headSha,
    });
    expect(path.relative(path.join(tmp, 'downloads'), res.reportPath)).toMatch(/^baseline-[^/]+\/report\.json$/);

    const list = api.requests.find((r) => r.path === `/repos/o/r/actions/workflows/${WF}/runs`);
    expect(Object.fromEntries(list?.query ?? [])).toMatchObject({ branch: 'main', status: 'success' });
    const download = api.requests.find((r) => r.path === `/repos/o/r/actions/artifacts/${artifact.id}/zip`);
    expect(download?.headers.authorization).toBe('token test-token');
    expect(api.requests.some((r) => r.path === `/_blobs/${artifact.id}.zip`)).toBe(true);
  });

  it('never takes the current run as its own baseline', async () => {
    await runWithReport(0.8);
    const current = await runWithReport(0.9);
    const res = await findBaselineArtifact(options({ excludeRunId: current.run.id }));
    await expectFound(res, 0.8);
  });

  it('skips runs without a live report artifact of this spec, and takes the newest of several', async () => {
    const { run } = await runWithReport(0.7, 'finetune-fashion-report-train-1');
    api.addRunArtifact(run.id, 'finetune-fashion-report-train-2', await reportZip(0.75));
    const newer = api.addWorkflowRun({ workflow: WF, branch: 'main' });
    api.addRunArtifact(newer.id, 'finetune-fashion-model-train-1', await reportZip(0.1));
    api.addRunArtifact(newer.id, 'finetune-shoes-report-train-1', await reportZip(0.2));
    api.addRunArtifact(newer.id, 'finetune-fashion-report-train-1', await reportZip(0.3), { expired: true });

    const res = await expectFound(await findBaselineArtifact(options()), 0.75);
    expect(res).toMatchObject({ runId: run.id, artifactName: 'finetune-fashion-report-train-2' });
  });

  it('says so when no run has a report yet', async () => {
    expect(await findBaselineArtifact(options())).toEqual({
      found: false,
      reason: `no successful run of ${WF} on main yet (the workflow must also run on main itself, e.g. on push)`,
    });
    api.addWorkflowRun({ workflow: WF, branch: 'main' });
    const res = await findBaselineArtifact(options());
    expect(res).toEqual({
      found: false,
      reason: `no successful run of ${WF} on main has a finetune-fashion-report-* artifact yet (checked the latest 1; expired artifacts do not count)`,
    });
  });

  it('answers found: false naming the actions: read permission on 403 and 404', async () => {
    await runWithReport(0.9);
    api.failWith(403, /\/actions\//);
    const denied = await findBaselineArtifact(options());
    expect(denied.found).toBe(false);
    if (!denied.found) expect(denied.reason).toMatch(/cannot read workflow runs of o\/r: .*actions: read/);

    api.failWith(undefined);
    const missing = await findBaselineArtifact(options({ workflow: 'nope.yml' }));
    expect(missing.found).toBe(false);
    if (!missing.found) expect(missing.reason).toMatch(/workflow nope\.yml in o\/r: not found.*actions: read/);
  });

  it('throws a GitHubError naming the artifact when the download fails', async () => {
    const { artifact } = await runWithReport(0.9);
    api.failWith(403, /\/actions\/artifacts\/\d+\/zip$/);
    const denied = await findBaselineArtifact(options()).catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(GitHubError);
    expect((denied as GitHubError).kind).toBe('permission');
    expect((denied as GitHubError).message).toContain(`"finetune-fashion-report-train-1" (id ${artifact.id})`);

    api.failWith(410, /\/actions\/artifacts\/\d+\/zip$/);
    const gone = await findBaselineArtifact(options()).catch((e: unknown) => e);
    expect((gone as GitHubError).kind).toBe('not-found');
    expect((gone as GitHubError).message).toMatch(/expired or was deleted/);
  });

  it('refuses an artifact whose bytes do not match its digest, or that holds no report.json', async () => {
    const run = api.addWorkflowRun({ workflow: WF, branch: 'main' });
    api.addRunArtifact(run.id, 'finetune-fashion-report-train-1', await reportZip(0.9), { digest: `sha256:${'0'.repeat(64)}` });
    await expect(findBaselineArtifact(options())).rejects.toThrow(/does not match the digest/);

    api.runArtifacts.length = 0;
    api.addRunArtifact(run.id, 'finetune-fashion-report-train-1', await zipOf({ 'report.md': '# pass\n' }));
    await expect(findBaselineArtifact(options())).rejects.toThrow(/holds no report\.json/);
  });
});

describe('workflowFileFromRef', () => {
  it('takes the workflow file name out of GITHUB_WORKFLOW_REF', () => {
    expect(workflowFileFromRef('o/r/.github/workflows/finetune.yml@refs/heads/main')).toBe('finetune.yml');
    expect(workflowFileFromRef('.github/workflows/x.yaml@refs/pull/7/merge')).toBe('x.yaml');
    expect(workflowFileFromRef('o/r/.github/workflows/ci.yml@refs/tags/v1@beta')).toBe('ci.yml');
    expect(workflowFileFromRef('o/r/.github/workflows/ci.yml')).toBeUndefined();
    expect(workflowFileFromRef('')).toBeUndefined();
    expect(workflowFileFromRef(undefined)).toBeUndefined();
  });
});

describe('reportArtifactPrefix', () => {
  it('cleans the spec name the way the upload does', () => {
    expect(reportArtifactPrefix('fashion')).toBe('finetune-fashion-report-');
    expect(reportArtifactPrefix('my model: v2')).toBe('finetune-my-model-v2-report-');
  });
});

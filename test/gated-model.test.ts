// A release ships exactly the gated model: the model and report artifacts of the latest run for
// the release's commit, downloaded over a local GitHub REST API (real HTTP, the real artifact
// client), checked against sha256sums.txt and the report's verdict. The bundle is a real one,
// trained by the pipeline on a small csv set.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runPipeline } from '../src/pipeline/run.js';
import { silentLogger } from '../src/util/log.js';
import type { Report } from '../src/domain/types.js';
import { EXIT } from '../src/errors.js';
import type { GatedModelOptions } from '../src/github/gated-model.js';
import { startGitHubApiServer, type GitHubApiServer } from './helpers/github-api-server.js';
import { makeTabularRepo } from './helpers/tabular-repo.js';

const SHA = '1234567890abcdef1234567890abcdef12345678';

let api: GitHubApiServer;
let tmp: string;
let modelDir: string;
let report: Report;
let zips = 0;
let mod: typeof import('../src/github/gated-model.js');
let getOctokit: typeof import('@actions/github').getOctokit;
const saved = { api: process.env.GITHUB_API_URL, server: process.env.GITHUB_SERVER_URL };

beforeAll(async () => {
  api = await startGitHubApiServer();
  process.env.GITHUB_API_URL = api.baseUrl;
  delete process.env.GITHUB_SERVER_URL;
  ({ getOctokit } = await import('@actions/github'));
  mod = await import('../src/github/gated-model.js');
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gated-model-'));
  const repo = makeTabularRepo();
  const res = await runPipeline({ specPath: path.join(repo, 'finetune.yml'), backend: 'cpu', noCache: true, log: silentLogger });
  modelDir = res.modelDir as string;
  report = res.report;
});

afterAll(async () => {
  if (saved.api === undefined) delete process.env.GITHUB_API_URL;
  else process.env.GITHUB_API_URL = saved.api;
  if (saved.server !== undefined) process.env.GITHUB_SERVER_URL = saved.server;
  await api?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

beforeEach(() => {
  api.requests.length = 0;
  api.runs.length = 0;
  api.runArtifacts.length = 0;
});

/** A zip of a folder's files (flat), as upload-artifact stores them. */
function zipDir(dir: string, edit?: (copy: string) => void): Buffer {
  const copy = path.join(tmp, `zip-${++zips}`);
  fs.cpSync(dir, copy, { recursive: true });
  edit?.(copy);
  execFileSync('zip', ['-q', '-X', '-r', '../a.zip', '.'], { cwd: copy });
  const out = fs.readFileSync(path.join(copy, '..', 'a.zip'));
  fs.rmSync(path.join(copy, '..', 'a.zip'));
  return out;
}

function reportDir(r: Report): string {
  const dir = path.join(tmp, `report-${++zips}`);
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'report.json'), JSON.stringify(r));
  return dir;
}

/** A push run for the commit holding this attempt's model and report artifacts. */
function gatedRun(
  o: { attempt?: number; verdict?: Report['verdict']; tamper?: boolean; runId?: number; event?: string; sha?: string } = {},
) {
  const run = o.runId
    ? (api.runs.find((r) => r.id === o.runId) ?? api.addWorkflowRun({ workflow: 'finetune.yml', branch: 'main' }))
    : api.addWorkflowRun({ workflow: 'finetune.yml', branch: 'main', headSha: o.sha ?? SHA, event: o.event ?? 'push' });
  const attempt = o.attempt ?? 1;
  const zip = zipDir(modelDir, o.tamper ? (d) => fs.appendFileSync(path.join(d, 'weights.bin'), Buffer.from([0])) : undefined);
  const model = api.addRunArtifact(run.id, `finetune-tab-model-train-${attempt}`, zip);
  api.addRunArtifact(run.id, `finetune-tab-report-train-${attempt}`, zipDir(reportDir({ ...report, verdict: o.verdict ?? 'pass' })));
  return { run, model };
}

const options = (over: Partial<GatedModelOptions> = {}): GatedModelOptions => ({
  octokit: getOctokit('test-token', { baseUrl: api.baseUrl }),
  owner: 'o',
  repo: 'r',
  token: 'test-token',
  sha: SHA,
  specName: 'tab',
  downloadDir: path.join(tmp, 'dl'),
  ...over,
});

async function refusal(over: Partial<GatedModelOptions> = {}): Promise<Error & { exitCode?: number }> {
  return mod.fetchGatedModel(options(over)).then(
    () => {
      throw new Error('expected a refusal');
    },
    (e: Error) => e,
  );
}

describe('fetchGatedModel', () => {
  it("downloads the gated run's model byte for byte, verified, with its passing report", async () => {
    const { run } = gatedRun();
    const got = await mod.fetchGatedModel(options());
    expect(got).toMatchObject({
      runId: run.id,
      attempt: 1,
      modelArtifact: 'finetune-tab-model-train-1',
      runUrl: `https://github.com/o/r/actions/runs/${run.id}`,
    });
    for (const f of fs.readdirSync(modelDir))
      expect(fs.readFileSync(path.join(got.modelDir, f)).equals(fs.readFileSync(path.join(modelDir, f))), f).toBe(true);
    expect(got.report.verdict).toBe('pass');
    const list = api.requests.find((r) => r.path === '/repos/o/r/actions/runs');
    expect(Object.fromEntries(list?.query ?? [])).toMatchObject({ head_sha: SHA, status: 'completed' });
  });

  it("after a re-run takes the latest attempt's pair, and ignores pull request runs and other commits", async () => {
    const { run } = gatedRun({ attempt: 1, verdict: 'fail' });
    gatedRun({ runId: run.id, attempt: 2 });
    gatedRun({ event: 'pull_request', verdict: 'fail' });
    gatedRun({ sha: 'f'.repeat(40), verdict: 'fail' });
    const got = await mod.fetchGatedModel(options());
    expect(got).toMatchObject({ runId: run.id, attempt: 2, modelArtifact: 'finetune-tab-model-train-2' });
  });

  it('refuses a run where two jobs uploaded a model of this spec: which was gated is unknown', async () => {
    const { run } = gatedRun();
    api.addRunArtifact(run.id, 'finetune-tab-model-other-1', zipDir(modelDir));
    api.addRunArtifact(run.id, 'finetune-tab-report-other-1', zipDir(reportDir(report)));
    const err = await refusal();
    expect(err.exitCode).toBe(EXIT.GATE_FAILED);
    expect(err.message).toMatch(/holds models of this spec from several jobs \(finetune-tab-model-train-1, finetune-tab-model-other-1\)/);
  });

  it('refuses with exit 1 when no run of the commit exists', async () => {
    gatedRun({ sha: 'f'.repeat(40) });
    const err = await refusal();
    expect(err).toBeInstanceOf(mod.ReleaseRefused);
    expect(err.exitCode).toBe(EXIT.GATE_FAILED);
    expect(err.message).toMatch(
      /^no completed workflow run for commit 1234567 \(the release's commit\): run the workflow .* or set publish-from: train$/,
    );
  });

  it("refuses a run without this spec's artifacts", async () => {
    api.addWorkflowRun({ workflow: 'finetune.yml', branch: 'main', headSha: SHA });
    expect((await refusal()).message).toMatch(
      /none of the 1 completed runs for commit 1234567 holds a finetune-tab-model-\* and finetune-tab-report-\* artifact pair/,
    );
  });

  it('refuses a model whose gate did not pass, naming the failed checks', async () => {
    gatedRun({ verdict: 'fail' });
    const err = await refusal();
    expect(err.exitCode).toBe(EXIT.GATE_FAILED);
    expect(err.message).toMatch(
      /did not pass its gate \(verdict fail.*\): a release ships only a model whose gate passed; nothing attached/,
    );
  });

  it('refuses a model that does not match its sha256sums.txt', async () => {
    gatedRun({ tamper: true });
    const err = await refusal();
    expect(err.exitCode).toBe(EXIT.GATE_FAILED);
    expect(err.message).toMatch(/does not match its sha256sums\.txt \(sha256 mismatch: weights\.bin\): not attached/);
  });
});

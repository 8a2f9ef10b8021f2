// The merge gate as GitHub runs it, end to end: src/ compiled and run as a runner runs dist/index.js
// (inputs in INPUT_*, the event in GITHUB_EVENT_PATH), talking over real HTTP to a local GitHub
// REST API and, for artifacts, the local results service on Azurite. Reports and models come from
// the real pipeline on a small csv set.
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runPipeline } from '../src/pipeline/run.js';
import { silentLogger } from '../src/util/log.js';
import type { Report } from '../src/domain/types.js';
import { actionStep } from './helpers/action-env.js';
import { compileSrc } from './helpers/compile-src.js';
import { startGitHubApiServer, type GitHubApiServer } from './helpers/github-api-server.js';
import { startAzurite, type Azurite } from './helpers/azurite.js';
import { runtimeToken, startResultsServer, type ResultsServer } from './helpers/results-server.js';
import { DIVERGING_TRAIN, makeTabularRepo, tabularSpec } from './helpers/tabular-repo.js';

const HEAD = '0123456789abcdef0123456789abcdef01234567';
const MAIN = 'ffffffffffffffffffffffffffffffffffffffff';
const RUN_ID = 900;

let tmp: string;
let entry: string;
let api: GitHubApiServer;
let azurite: Azurite;
let results: ResultsServer;
let trained: { modelDir: string; report: Report };

interface ActionRun {
  status: number | null;
  out: string;
  outputs: Record<string, string>;
  summary: string;
}

/** Runs the compiled Action in `repo` for the event, with the local API as GitHub. */
function runAction(
  repo: string,
  event: { name: string; payload: object; sha: string },
  inputs: Record<string, string>,
  env: Record<string, string> = {},
): Promise<ActionRun> {
  const eventPath = path.join(repo, 'event.json');
  fs.writeFileSync(eventPath, JSON.stringify(event.payload));
  const step = actionStep(
    repo,
    { 'github-token': 'test-token', ...inputs },
    {
      FINETUNE_WORKERS: '1',
      GITHUB_API_URL: api.baseUrl,
      GITHUB_REPOSITORY: 'o/r',
      GITHUB_EVENT_NAME: event.name,
      GITHUB_EVENT_PATH: eventPath,
      GITHUB_SHA: event.sha,
      GITHUB_RUN_ID: String(RUN_ID),
      GITHUB_RUN_ATTEMPT: '1',
      GITHUB_JOB: 'gate',
      RUNNER_TEMP: fs.mkdtempSync(path.join(tmp, 'runner-')),
      ...env,
    },
  );
  const child = spawn(process.execPath, [entry], { cwd: repo, env: step.env });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve) => child.on('close', (status) => resolve({ status, out, ...step.results() })));
}

/** The workflow_run event of a fork's pull request: GitHub leaves pull_requests empty. */
const forkEvent = {
  name: 'workflow_run',
  sha: MAIN,
  payload: {
    workflow_run: {
      id: 800,
      event: 'pull_request',
      head_sha: HEAD,
      head_branch: 'patch-1',
      conclusion: 'success',
      head_repository: { full_name: 'forker/r', owner: { login: 'forker' } },
      pull_requests: [],
    },
  },
};

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'merge-gate-'));
  entry = compileSrc(path.join(tmp, 'build'), 'index');
  api = await startGitHubApiServer();
  azurite = await startAzurite();
  results = await startResultsServer(azurite);
  const repo = makeTabularRepo();
  const res = await runPipeline({
    specPath: path.join(repo, 'finetune.yml'),
    backend: 'cpu',
    noCache: true,
    log: silentLogger,
    run: { id: 800, attempt: 2, repository: 'o/r', head_sha: HEAD },
  });
  trained = { modelDir: res.modelDir as string, report: res.report };
});

afterAll(async () => {
  await api?.close();
  await results?.close();
  await azurite?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

beforeEach(() => {
  api.requests.length = 0;
  api.comments.length = 0;
  api.checkRuns.length = 0;
  api.statuses.length = 0;
  api.pulls.length = 0;
  api.assets.length = 0;
  api.runs.length = 0;
  api.runArtifacts.length = 0;
  api.readOnly.clear();
});

/** The checkout of the gate job, and the triggering run's report artifacts of attempts 1 and 2. */
function gateCheckout(): string {
  const repo = makeTabularRepo();
  const dl = path.join(repo, 'candidate');
  // Attempt 1's numbers would fail the gate: only attempt 2's may be gated.
  const stale = {
    ...trained.report,
    metrics: { ...trained.report.metrics, accuracy: 0.05, f1_macro: 0.05 },
    run: { ...trained.report.run, attempt: 1 },
  };
  for (const [attempt, report] of [
    [1, stale],
    [2, trained.report],
  ] as const) {
    fs.mkdirSync(path.join(dl, `finetune-tab-report-train-${attempt}`), { recursive: true });
    fs.writeFileSync(path.join(dl, `finetune-tab-report-train-${attempt}`, 'report.json'), JSON.stringify(report));
  }
  return repo;
}

describe('mode gate under workflow_run, for a pull request from a fork', () => {
  it('gates the latest attempt, posts the check on the PR head commit and comments on the PR found by that commit', async () => {
    api.addPull({ number: 31, headSha: HEAD, headRef: 'patch-1', headRepo: 'forker/r' });
    const res = await runAction(gateCheckout(), forkEvent, {
      mode: 'gate',
      candidate: 'candidate',
      spec: 'finetune.yml',
      'check-name': 'ml / gate',
    });
    expect(res.status, res.out).toBe(0);
    expect(res.outputs.verdict).toBe('pass');
    expect(res.out).toMatch(/candidate: finetune-tab-report-train-2\/report\.json, attempt 2/);
    expect(api.checkRuns).toHaveLength(1);
    expect(api.checkRuns[0]).toMatchObject({
      name: 'ml / gate',
      head_sha: HEAD,
      status: 'completed',
      conclusion: 'success',
      details_url: `https://github.com/o/r/actions/runs/${RUN_ID}`,
    });
    expect(api.checkRuns[0].output?.title).toMatch(/^✅ PASS: (accuracy|f1_macro) \d\.\d{4}/);
    expect(api.checkRuns[0].output?.summary).toMatch(/^# ✅ PASS: /);
    expect(api.requests.some((r) => r.method === 'GET' && r.path === `/repos/o/r/commits/${HEAD}/pulls`)).toBe(true);
    expect(api.comments.map((c) => c.issue)).toEqual([31]);
    // The history row names the PR head commit, not the default branch's head.
    expect(api.comments[0].body).toContain(`\`${HEAD.slice(0, 7)}\``);
    expect(api.comments[0].body).not.toContain(MAIN.slice(0, 7));
    const gated = JSON.parse(fs.readFileSync(res.outputs['report-path'], 'utf8')) as Report;
    expect(gated.run).toMatchObject({ id: 800, attempt: 2, head_sha: HEAD });
  });

  it('a failed gate is a failure check, and the step fails', async () => {
    const repo = gateCheckout();
    fs.writeFileSync(path.join(repo, 'finetune.yml'), tabularSpec({ gate: '  metrics:\n    accuracy: { min: 0.99 }' }));
    const res = await runAction(repo, forkEvent, { mode: 'gate', candidate: 'candidate', spec: 'finetune.yml' });
    expect(res.status, res.out).toBe(1);
    expect(api.checkRuns.map((c) => [c.name, c.head_sha, c.conclusion])).toEqual([['finetune / gate', HEAD, 'failure']]);
  });

  it('with a read-only token: warnings name the missing permissions, and the verdict stands', async () => {
    api.addPull({ number: 31, headSha: HEAD, headRef: 'patch-1', headRepo: 'forker/r', listedByCommit: false });
    api.readOnly.add('checks');
    api.readOnly.add('statuses');
    api.readOnly.add('pull-requests');
    const res = await runAction(gateCheckout(), forkEvent, { mode: 'gate', candidate: 'candidate', spec: 'finetune.yml' });
    expect(res.status, res.out).toBe(0);
    expect(res.outputs.verdict).toBe('pass');
    expect(res.out).toMatch(
      /::warning::the token may write neither check runs nor commit statuses: give the job "permissions: checks: write" \(or "statuses: write"\)[^\n]*the verdict stands/,
    );
    // Found through forker:patch-1; the comment itself is refused.
    expect(api.requests.some((r) => r.path === '/repos/o/r/pulls' && r.query.get('head') === 'forker:patch-1')).toBe(true);
    expect(res.out).toMatch(/::warning::cannot comment on o\/r#31: the token may not write to pull requests/);
    expect(api.checkRuns).toHaveLength(0);
    expect(api.comments).toHaveLength(0);
  });
});

describe('mode gate with gate.baseline.from: artifact', () => {
  it("takes the baseline from the triggering workflow's latest run on the default branch, not the gate's workflow", async () => {
    const repo = gateCheckout();
    fs.writeFileSync(
      path.join(repo, 'finetune.yml'),
      tabularSpec({ gate: '  metrics:\n    accuracy: { min: 0.2, max_drop: 0.05 }\n  baseline: { from: artifact }' }),
    );
    const push = api.addWorkflowRun({ workflow: 'finetune-pr.yml', branch: 'main' });
    const dir = fs.mkdtempSync(path.join(tmp, 'base-'));
    fs.writeFileSync(path.join(dir, 'report.json'), JSON.stringify(trained.report));
    execFileSync('zip', ['-q', '-X', 'a.zip', 'report.json'], { cwd: dir });
    api.addRunArtifact(push.id, 'finetune-tab-report-train-1', fs.readFileSync(path.join(dir, 'a.zip')));
    api.addWorkflowRun({ workflow: 'finetune-gate.yml', branch: 'main' });
    const event = {
      ...forkEvent,
      payload: { workflow_run: { ...forkEvent.payload.workflow_run, path: '.github/workflows/finetune-pr.yml' } },
    };
    const res = await runAction(
      repo,
      event,
      { mode: 'gate', candidate: 'candidate', spec: 'finetune.yml' },
      {
        GITHUB_WORKFLOW_REF: 'o/r/.github/workflows/finetune-gate.yml@refs/heads/main',
      },
    );
    expect(res.status, res.out).toBe(0);
    const gated = JSON.parse(fs.readFileSync(res.outputs['report-path'], 'utf8')) as Report;
    expect(gated.baseline).toMatchObject({ source: 'artifact', metrics: trained.report.metrics });
    expect(gated.gate.checks[0]).toMatchObject({ metric: 'accuracy', baseline: trained.report.metrics.accuracy, delta: 0 });
    expect(api.requests.some((r) => r.path === '/repos/o/r/actions/workflows/finetune-pr.yml/runs')).toBe(true);
  });
});

describe('a run whose loss becomes NaN, on a pull request', () => {
  it('exits 3 with report.json, and the summary, the comment, the check and the report artifact show it', async () => {
    const repo = makeTabularRepo(tabularSpec({ train: DIVERGING_TRAIN }));
    const event = { name: 'pull_request', sha: MAIN, payload: { pull_request: { number: 5, head: { sha: HEAD } } } };
    const res = await runAction(
      repo,
      event,
      { spec: 'finetune.yml', backend: 'cpu', check: 'true' },
      {
        ACTIONS_RUNTIME_TOKEN: runtimeToken('run-backend-nan', 'job-backend-nan'),
        ACTIONS_RESULTS_URL: results.url,
        GITHUB_JOB: 'train',
      },
    );
    expect(res.status, res.out).toBe(3);
    const report = JSON.parse(fs.readFileSync(path.join(repo, 'finetune-out/report.json'), 'utf8')) as Report;
    expect(report.status).toBe('diverged');
    expect(report.history.length).toBeGreaterThan(0);
    expect(report.run).toMatchObject({ id: RUN_ID, attempt: 1, head_sha: HEAD, event: 'pull_request' });
    expect(res.out).toMatch(/::error::training failed \(diverged\): training diverged: the loss became/);
    expect(res.summary).toMatch(/\(diverged\)[\s\S]*## Training failed[\s\S]*Epochs reached/);
    expect(api.comments.map((c) => c.issue)).toEqual([5]);
    expect(api.comments[0].body).toMatch(/## Training failed/);
    expect(api.comments[0].body).toContain(`diverged after ${report.history.length} epochs`);
    expect(api.checkRuns.map((c) => [c.head_sha, c.conclusion, c.output?.title])).toEqual([
      [HEAD, 'failure', expect.stringMatching(/^❌ FAIL \(diverged\): training failed \(.*\); nothing was evaluated$/)],
    ]);
    const zip = await results.download('finetune-tab-report-train-1');
    const unzipDir = fs.mkdtempSync(path.join(tmp, 'unzip-'));
    fs.writeFileSync(path.join(unzipDir, 'a.zip'), zip);
    execFileSync('unzip', ['-q', 'a.zip'], { cwd: unzipDir });
    expect(JSON.parse(fs.readFileSync(path.join(unzipDir, 'report.json'), 'utf8'))).toMatchObject({
      status: 'diverged',
      error: report.error,
    });
    expect(results.artifacts.some((a) => a.name.includes('-model-'))).toBe(false);
  });
});

describe('a release', () => {
  const SHA = '1234567890abcdef1234567890abcdef12345678';
  const releaseEvent = { name: 'release', sha: SHA, payload: { release: { tag_name: 'v1.0.0' } } };

  function zipOf(dir: string): Buffer {
    const copy = fs.mkdtempSync(path.join(tmp, 'zip-'));
    fs.cpSync(dir, path.join(copy, 'in'), { recursive: true });
    execFileSync('zip', ['-q', '-X', '-r', '../a.zip', '.'], { cwd: path.join(copy, 'in') });
    return fs.readFileSync(path.join(copy, 'a.zip'));
  }

  function gatedRun(verdict: Report['verdict']) {
    const run = api.addWorkflowRun({ workflow: 'finetune.yml', branch: 'main', headSha: SHA });
    const reportDir = fs.mkdtempSync(path.join(tmp, 'rep-'));
    fs.writeFileSync(path.join(reportDir, 'report.json'), JSON.stringify({ ...trained.report, verdict }));
    api.addRunArtifact(run.id, 'finetune-tab-model-train-1', zipOf(trained.modelDir));
    api.addRunArtifact(run.id, 'finetune-tab-report-train-1', zipOf(reportDir));
    return run;
  }

  it("ships the gated run's model without training, and its card names the run and commit", async () => {
    const run = gatedRun('pass');
    api.addRelease('v1.0.0');
    const repo = makeTabularRepo();
    const res = await runAction(repo, releaseEvent, { spec: 'finetune.yml', backend: 'cpu' });
    expect(res.status, res.out).toBe(0);
    expect(fs.existsSync(path.join(repo, 'finetune-out'))).toBe(false);
    expect(api.assets.map((a) => a.name).sort()).toEqual([
      'tab-model-card.md',
      'tab-model.tar.gz',
      'tab-report.json',
      'tab-sha256sums.txt',
    ]);
    const tar = api.assets.find((a) => a.name === 'tab-model.tar.gz')?.data as Buffer;
    expect(res.outputs['bundle-sha256']).toBe(createHash('sha256').update(tar).digest('hex'));
    expect(fs.readFileSync(res.outputs['bundle-path']).equals(tar)).toBe(true);
    const sums = api.assets.find((a) => a.name === 'tab-sha256sums.txt')?.data.toString();
    expect(sums).toBe(fs.readFileSync(path.join(trained.modelDir, 'sha256sums.txt'), 'utf8'));
    const card = api.assets.find((a) => a.name === 'tab-model-card.md')?.data.toString() ?? '';
    expect(card).toMatch(/## Release v1\.0\.0/);
    expect(card).toContain(`https://github.com/o/r/actions/runs/${run.id}`);
    expect(card).toContain(SHA);
    const x = fs.mkdtempSync(path.join(tmp, 'untar-'));
    fs.writeFileSync(path.join(x, 'm.tar.gz'), tar);
    execFileSync('tar', ['-xzf', 'm.tar.gz'], { cwd: x });
    execFileSync('sha256sum', ['-c', '--quiet', 'sha256sums.txt'], { cwd: path.join(x, 'model') });
    expect(fs.readFileSync(path.join(x, 'model/weights.bin')).equals(fs.readFileSync(path.join(trained.modelDir, 'weights.bin')))).toBe(
      true,
    );
  });

  it('refuses with exit 1 when the gated run did not pass, attaching nothing', async () => {
    gatedRun('fail');
    api.addRelease('v1.0.0');
    const res = await runAction(makeTabularRepo(), releaseEvent, { spec: 'finetune.yml', backend: 'cpu' });
    expect(res.status, res.out).toBe(1);
    expect(res.out).toMatch(/::error::the model of run .* did not pass its gate \(verdict fail/);
    expect(api.assets).toHaveLength(0);
  });

  it('publish-from train: a model whose gate failed is trained but never attached', async () => {
    api.addRelease('v1.0.0');
    const repo = makeTabularRepo(tabularSpec({ gate: '  metrics:\n    accuracy: { min: 0.99 }' }));
    const res = await runAction(repo, releaseEvent, { spec: 'finetune.yml', backend: 'cpu', 'publish-from': 'train' });
    expect(res.status, res.out).toBe(1);
    expect(fs.existsSync(path.join(repo, 'finetune-out/model/sha256sums.txt'))).toBe(true);
    expect(res.out).toMatch(
      /::warning::publish: the gate did not pass \(verdict fail, status complete\); the model is not attached to release v1\.0\.0/,
    );
    expect(api.assets).toHaveLength(0);
  });

  it('publish-from train: a passing model is attached, its card naming this run and commit', async () => {
    api.addRelease('v1.0.0');
    const repo = makeTabularRepo();
    const res = await runAction(repo, releaseEvent, { spec: 'finetune.yml', backend: 'cpu', 'publish-from': 'train' });
    expect(res.status, res.out).toBe(0);
    const card = api.assets.find((a) => a.name === 'tab-model-card.md')?.data.toString() ?? '';
    expect(card).toMatch(/## Provenance[\s\S]*workflow run \[900\]\(https:\/\/github\.com\/o\/r\/actions\/runs\/900\), attempt 1/);
    expect(card).toContain(`commit: \`${SHA}\``);
    expect(card).toMatch(/## Release v1\.0\.0\n\nTrained and gated in the release job itself \(publish-from: train\)/);
  });
});

// mode: gate against every baseline source the spec allows, as mode: run resolves them: a file, the
// base branch's artifact found through a local GitHub REST API (real HTTP, the real artifact
// client), a model bundle re-scored on the checkout's test set; and first_run when none exists.
// The candidate and the baseline are real reports of a small real csv set trained by the pipeline.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runPipeline } from '../src/pipeline/run.js';
import type { ArtifactLookup } from '../src/pipeline/baseline.js';
import { silentLogger, type Logger } from '../src/util/log.js';
import type { Report } from '../src/domain/types.js';
import { EXIT } from '../src/errors.js';
import { startGitHubApiServer, type GitHubApiServer } from './helpers/github-api-server.js';
import { makeTabularRepo, tabularSpec, DIVERGING_TRAIN } from './helpers/tabular-repo.js';

const GATE = (baseline: string) =>
  `  metrics:\n    accuracy: { min: 0.2, max_drop: 0.05 }\n    f1_macro: { min: 0.2, max_drop: 0.05 }\n${baseline}`;
const WF = 'finetune.yml';

let api: GitHubApiServer;
let repo: string;
let tmp: string;
let baseline: Report;
let candidatePath: string;
let gateReports: typeof import('../src/pipeline/gate-only.js').gateReports;
let findBaselineArtifact: typeof import('../src/github/baseline-artifact.js').findBaselineArtifact;
let getOctokit: typeof import('@actions/github').getOctokit;
const saved = { api: process.env.GITHUB_API_URL, server: process.env.GITHUB_SERVER_URL };

beforeAll(async () => {
  api = await startGitHubApiServer();
  // The artifact client's Octokit reads GITHUB_API_URL when @actions/github is first imported.
  process.env.GITHUB_API_URL = api.baseUrl;
  delete process.env.GITHUB_SERVER_URL;
  ({ getOctokit } = await import('@actions/github'));
  ({ gateReports } = await import('../src/pipeline/gate-only.js'));
  ({ findBaselineArtifact } = await import('../src/github/baseline-artifact.js'));
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gate-only-'));
  repo = makeTabularRepo();
  // The base branch's run (the baseline) and the pull request's run (the candidate: another rate, same split).
  fs.writeFileSync(path.join(repo, 'base.yml'), tabularSpec({ gate: GATE('') }));
  baseline = (
    await runPipeline({
      specPath: path.join(repo, 'base.yml'),
      outDir: path.join(repo, 'base-out'),
      backend: 'cpu',
      noCache: true,
      log: silentLogger,
    })
  ).report;
  fs.writeFileSync(
    path.join(repo, 'pr.yml'),
    tabularSpec({ train: '  epochs: 8\n  batch_size: 16\n  learning_rate: 0.02', gate: GATE('') }),
  );
  const pr = await runPipeline({
    specPath: path.join(repo, 'pr.yml'),
    outDir: path.join(repo, 'pr-out'),
    backend: 'cpu',
    noCache: true,
    log: silentLogger,
  });
  candidatePath = pr.reportPath;
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

/** The checkout's spec with the given baseline section. */
function gateSpec(name: string, baselineYaml: string): string {
  fs.writeFileSync(path.join(repo, `${name}.yml`), tabularSpec({ gate: GATE(baselineYaml) }));
  return path.join(repo, `${name}.yml`);
}

/** The real lookup the Action uses, pointed at the local API. */
const lookup: ArtifactLookup = async (q) => {
  const res = await findBaselineArtifact({
    octokit: getOctokit('test-token', { baseUrl: api.baseUrl }),
    owner: 'o',
    repo: 'r',
    token: 'test-token',
    specName: q.specName,
    workflow: q.workflow ?? WF,
    branch: q.branch ?? 'main',
    downloadDir: path.join(tmp, 'dl'),
  });
  return res.found ? { found: true, reportPath: res.reportPath, where: res.artifactName } : res;
};

describe('gate mode baseline sources', () => {
  it('from file: the baseline report of the checkout, compared example by example', async () => {
    fs.copyFileSync(path.join(repo, 'base-out/report.json'), path.join(repo, 'baseline.json'));
    const { report, exitCode } = await gateReports({
      candidate: candidatePath,
      spec: gateSpec('file', '  baseline: { from: file, path: baseline.json }'),
      log: silentLogger,
    });
    expect(report.baseline).toMatchObject({ source: 'file', path: 'baseline.json', metrics: baseline.metrics });
    const acc = report.gate.checks.find((c) => c.metric === 'accuracy');
    expect(acc?.baseline).toBe(baseline.metrics.accuracy);
    expect(report.gate.method).toMatch(/paired/i);
    expect(exitCode).toBe(report.verdict === 'fail' ? 1 : 0);
  });

  it("from artifact: the base branch's latest report artifact, found and downloaded over the API", async () => {
    const run = api.addWorkflowRun({ workflow: WF, branch: 'main' });
    const dir = path.join(tmp, 'zip-artifact');
    fs.mkdirSync(dir, { recursive: true });
    fs.copyFileSync(path.join(repo, 'base-out/report.json'), path.join(dir, 'report.json'));
    execFileSync('zip', ['-q', '-X', 'a.zip', 'report.json'], { cwd: dir });
    api.addRunArtifact(run.id, 'finetune-tab-report-train-1', fs.readFileSync(path.join(dir, 'a.zip')));
    const { report } = await gateReports({
      candidate: candidatePath,
      spec: gateSpec('artifact', '  baseline: { from: artifact }'),
      log: silentLogger,
      findArtifact: lookup,
    });
    expect(report.baseline.source).toBe('artifact');
    expect(report.baseline.metrics).toEqual(baseline.metrics);
    expect(report.gate.checks.find((c) => c.metric === 'f1_macro')?.baseline).toBe(baseline.metrics.f1_macro);
    expect(api.requests.some((r) => r.path === `/repos/o/r/actions/workflows/${WF}/runs`)).toBe(true);
  });

  it('from artifact with none yet: absolute thresholds only (first_run absolute-only), as in mode run', async () => {
    const warnings: string[] = [];
    const log: Logger = { ...silentLogger, warn: (m) => warnings.push(m) };
    const { report, exitCode } = await gateReports({
      candidate: candidatePath,
      spec: gateSpec('first', '  baseline: { from: artifact }'),
      log,
      findArtifact: lookup,
    });
    expect(exitCode).toBe(0);
    expect(report.baseline.ignored_reason).toMatch(/^No baseline: no successful run of finetune\.yml on main yet.*absolute-only/s);
    expect(report.gate.checks.every((c) => c.baseline === undefined)).toBe(true);
    expect(warnings.join('\n')).toMatch(/no baseline/);
  });

  it('from artifact with none and first_run: fail: the gate fails with a stated baseline check', async () => {
    const { report, exitCode } = await gateReports({
      candidate: candidatePath,
      spec: gateSpec('strict', '  baseline: { from: artifact, first_run: fail }'),
      log: silentLogger,
      findArtifact: lookup,
    });
    expect(exitCode).toBe(EXIT.GATE_FAILED);
    expect(report.verdict).toBe('fail');
    expect(report.gate.checks.find((c) => c.metric === 'baseline')?.reason).toMatch(/No baseline: .*first_run is "fail"/);
  });

  it("from model: the baseline bundle re-scored on the checkout's test set reproduces its metrics", async () => {
    const { report } = await gateReports({
      candidate: candidatePath,
      spec: gateSpec('model', '  baseline: { from: model, path: base-out/model }'),
      log: silentLogger,
      backend: 'cpu',
    });
    expect(report.baseline.source).toBe('model');
    expect(report.baseline.ignored_reason).toBeUndefined();
    expect(report.baseline.metrics?.accuracy).toBeCloseTo(baseline.metrics.accuracy, 6);
    expect(report.baseline.metrics?.f1_macro).toBeCloseTo(baseline.metrics.f1_macro, 6);
    expect(report.gate.method).toMatch(/paired/i);
  });

  it('a candidate whose training failed is not gated: its report stands, exit 3', async () => {
    fs.writeFileSync(path.join(repo, 'nan.yml'), tabularSpec({ train: DIVERGING_TRAIN }));
    const failed = await runPipeline({
      specPath: path.join(repo, 'nan.yml'),
      outDir: path.join(repo, 'nan-out'),
      backend: 'cpu',
      noCache: true,
      log: silentLogger,
    });
    const { report, exitCode } = await gateReports({ candidate: failed.reportPath, spec: gateSpec('nan-gate', ''), log: silentLogger });
    expect(exitCode).toBe(EXIT.TRAINING_FAILED);
    expect(report.status).toBe('diverged');
    expect(report.error?.message).toBe(failed.report.error?.message);
  });
});

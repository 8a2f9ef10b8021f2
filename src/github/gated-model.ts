// A release ships exactly the model that was gated: the model and report artifacts of the latest
// run for the release's commit (the workflow that trains on push to the default branch), checked
// against the bundle's sha256sums.txt and the report's verdict before anything is attached.
// Nothing is retrained here, so what passed the gate is byte for byte what users download.
import { mkdir, mkdtemp, readFile } from 'node:fs/promises';
import path from 'node:path';
import { EXIT, FinetuneError } from '../errors.js';
import { verifyBundle } from '../bundle/manifest.js';
import type { Report } from '../domain/types.js';
import { artifactNames } from './artifacts.js';
import { downloadRunArtifact, MAX_RUNS, type ArtifactBaselineOptions } from './baseline-artifact.js';
import type { Octokit } from './comment.js';
import { errorMessage, GitHubError, httpStatus } from './context.js';

/** The release is refused: no gated model for its commit, or one that did not pass (exit 1). */
export class ReleaseRefused extends FinetuneError {
  constructor(message: string) {
    super(message, EXIT.GATE_FAILED);
  }
}

export interface GatedModelOptions {
  octokit: Octokit;
  owner: string;
  repo: string;
  token: string;
  /** The release's commit. */
  sha: string;
  /** The spec's `name`: artifacts are named `finetune-<name>-model-<job>-<attempt>`. */
  specName: string;
  downloadDir: string;
  /** The release job's own run. */
  excludeRunId?: number;
  client?: ArtifactBaselineOptions['client'];
}

export interface GatedModel {
  modelDir: string;
  reportPath: string;
  report: Report;
  runId: number;
  runUrl: string;
  /** The attempt whose artifacts were taken (a re-run's, when there was one). */
  attempt: number;
  modelArtifact: string;
}

type Run = Awaited<ReturnType<Octokit['rest']['actions']['listWorkflowRunsForRepo']>>['data']['workflow_runs'][number];
type Artifact = Awaited<ReturnType<Octokit['rest']['actions']['listWorkflowRunArtifacts']>>['data']['artifacts'][number];
interface Pair {
  run: Run;
  model: Artifact;
  report: Artifact;
  attempt: number;
}

export async function fetchGatedModel(o: GatedModelOptions): Promise<GatedModel> {
  const pair = await findPair(o);
  const what = `run ${pair.run.html_url} (attempt ${pair.attempt})`;
  await mkdir(o.downloadDir, { recursive: true });
  const modelDir = await mkdtemp(path.join(o.downloadDir, 'model-'));
  const reportDir = await mkdtemp(path.join(o.downloadDir, 'report-'));
  await downloadRunArtifact(o, {
    runId: pair.run.id,
    artifact: pair.model,
    dir: modelDir,
    what: `model artifact "${pair.model.name}" of ${what}`,
  });
  await downloadRunArtifact(o, {
    runId: pair.run.id,
    artifact: pair.report,
    dir: reportDir,
    what: `report artifact "${pair.report.name}" of ${what}`,
  });
  const check = await verifyBundle(modelDir);
  if (!check.ok) {
    throw new ReleaseRefused(
      `the model of ${what} does not match its sha256sums.txt (${check.problems.slice(0, 5).join('; ')}): not attached; re-run that workflow for commit ${o.sha.slice(0, 7)}`,
    );
  }
  const reportPath = path.join(reportDir, 'report.json');
  const report = await readReport(reportPath, what);
  if (report.verdict !== 'pass') {
    const failed = report.gate.checks
      .filter((c) => c.status !== 'pass')
      .map((c) => `${c.metric} ${c.status}`)
      .join(', ');
    throw new ReleaseRefused(
      `the model of ${what} did not pass its gate (verdict ${report.verdict}${failed ? `: ${failed}` : ''}): a release ships only a model whose gate passed; nothing attached`,
    );
  }
  return {
    modelDir,
    reportPath,
    report,
    runId: pair.run.id,
    runUrl: pair.run.html_url,
    attempt: pair.attempt,
    modelArtifact: pair.model.name,
  };
}

/** The newest run for the commit holding this spec's model and report of one attempt (the highest). */
async function findPair(o: GatedModelOptions): Promise<Pair> {
  const { octokit, owner, repo } = o;
  const sample = artifactNames(o.specName, { GITHUB_JOB: 'j', GITHUB_RUN_ATTEMPT: '1' });
  const prefix = { model: sample.model.slice(0, -'j-1'.length), report: sample.report.slice(0, -'j-1'.length) };
  let runs: Run[];
  try {
    const { data } = await octokit.rest.actions.listWorkflowRunsForRepo({
      owner,
      repo,
      head_sha: o.sha,
      status: 'completed',
      per_page: 100,
    });
    runs = data.workflow_runs
      .filter((r) => r.id !== o.excludeRunId && !r.event.startsWith('pull_request') && sameRepo(r, owner, repo))
      .sort((a, b) => time(b.created_at) - time(a.created_at))
      .slice(0, MAX_RUNS);
  } catch (err) {
    const status = httpStatus(err);
    const hint = status === 401 || status === 403 ? " (the token lacks actions: read; add it to the job's permissions)" : '';
    throw new GitHubError(
      `listing the workflow runs of commit ${o.sha.slice(0, 7)} failed${hint}: ${errorMessage(err)}`,
      status === 403 ? 'permission' : 'unavailable',
      err,
    );
  }
  for (const run of runs) {
    const artifacts = await octokit.paginate(octokit.rest.actions.listWorkflowRunArtifacts, { owner, repo, run_id: run.id, per_page: 100 });
    const pair = latestAttempt(run, artifacts, prefix);
    if (pair) return pair;
  }
  throw new ReleaseRefused(
    runs.length === 0
      ? `no completed workflow run for commit ${o.sha.slice(0, 7)} (the release's commit): run the workflow that trains and gates on push to the default branch before releasing, or set publish-from: train`
      : `none of the ${runs.length} completed runs for commit ${o.sha.slice(0, 7)} holds a ${prefix.model}* and ${prefix.report}* artifact pair (expired, or another spec name?): nothing attached`,
  );
}

/**
 * Names end in `-<job>-<attempt>`: after a re-run both attempts' artifacts exist and the latest is
 * the verdict. Two jobs of one run that each uploaded a model of this spec cannot be told apart.
 */
function latestAttempt(run: Run, artifacts: Artifact[], prefix: { model: string; report: string }): Pair | undefined {
  const live = artifacts.filter((a) => !a.expired);
  const pairs: Pair[] = [];
  for (const model of live.filter((a) => a.name.startsWith(prefix.model))) {
    const tail = model.name.slice(prefix.model.length);
    const report = live.find((a) => a.name === prefix.report + tail);
    if (report) pairs.push({ run, model, report, attempt: Number(/-(\d+)$/.exec(tail)?.[1] ?? 0) });
  }
  pairs.sort((a, b) => b.attempt - a.attempt);
  if (pairs.length > 1 && pairs[0].attempt === pairs[1].attempt) {
    const names = pairs
      .filter((p) => p.attempt === pairs[0].attempt)
      .map((p) => p.model.name)
      .join(', ');
    throw new ReleaseRefused(
      `run ${run.html_url} holds models of this spec from several jobs (${names}): which one was gated cannot be told; let one job upload artifacts (upload-artifacts: 'false' on the others)`,
    );
  }
  return pairs[0];
}

function sameRepo(run: Run, owner: string, repo: string): boolean {
  const head = run.head_repository?.full_name;
  return !head || head.toLowerCase() === `${owner}/${repo}`.toLowerCase();
}

function time(iso: string | null | undefined): number {
  return Date.parse(iso ?? '') || 0;
}

async function readReport(file: string, what: string): Promise<Report> {
  try {
    const report = JSON.parse(await readFile(file, 'utf8')) as Report;
    if (!report.verdict || !report.gate) throw new Error('no verdict');
    return report;
  } catch (err) {
    throw new ReleaseRefused(`the report artifact of ${what} holds no readable report.json (${errorMessage(err)}): nothing attached`);
  }
}

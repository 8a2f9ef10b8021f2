// `gate.baseline.from: artifact`: the report of the latest successful run of the same workflow
// on the base branch, found with the REST API and downloaded with `@actions/artifact`.
import { DefaultArtifactClient } from '@actions/artifact';
import { lstat, mkdir, mkdtemp } from 'node:fs/promises';
import path from 'node:path';
import { artifactNames } from './artifacts.js';
import type { Octokit } from './comment.js';
import { errorMessage, GitHubError, httpStatus, type GitHubFailure } from './context.js';

/** How many recent successful runs are searched for a report before giving up. */
export const MAX_RUNS = 10;

export interface ArtifactBaselineOptions {
  octokit: Octokit;
  owner: string;
  repo: string;
  token: string;
  /** The spec's `name`: report artifacts are named `finetune-<specName>-report-...`. */
  specName: string;
  /** Workflow file name (e.g. "finetune.yml") or id. */
  workflow: string;
  branch: string;
  downloadDir: string;
  /** The current run, which must not be its own baseline. */
  excludeRunId?: number;
  client?: { downloadArtifact: DefaultArtifactClient['downloadArtifact'] };
}

export type ArtifactBaselineResult =
  | { found: true; reportPath: string; runId: number; runUrl: string; artifactName: string; headSha: string }
  | { found: false; reason: string };

type Run = Awaited<ReturnType<Octokit['rest']['actions']['listWorkflowRuns']>>['data']['workflow_runs'][number];
type Artifact = Awaited<ReturnType<Octokit['rest']['actions']['listWorkflowRunArtifacts']>>['data']['artifacts'][number];
interface Candidate {
  run: Run;
  artifact: Artifact;
}

/** "owner/repo/.github/workflows/x.yml@refs/heads/main" (GITHUB_WORKFLOW_REF) -> "x.yml". */
export function workflowFileFromRef(ref: string | undefined): string | undefined {
  const m = /(?:^|\/)\.github\/workflows\/([^/@]+)@/.exec(ref ?? '');
  return m?.[1];
}

/** The name every report artifact of this spec starts with, cleaned the way the upload cleans it. */
export function reportArtifactPrefix(specName: string): string {
  const sample = artifactNames(specName, { GITHUB_JOB: 'j', GITHUB_RUN_ATTEMPT: '1' }).report;
  return sample.slice(0, -'j-1'.length);
}

export async function findBaselineArtifact(opts: ArtifactBaselineOptions): Promise<ArtifactBaselineResult> {
  const prefix = reportArtifactPrefix(opts.specName);
  let search: { candidate?: Candidate; checked: number };
  try {
    search = await findCandidate(opts, prefix);
  } catch (err) {
    const reason = refusalReason(httpStatus(err), opts, errorMessage(err));
    if (reason) return { found: false, reason };
    throw new GitHubError(`listing runs of ${opts.workflow} on ${opts.branch} failed: ${errorMessage(err)}`, 'unavailable', err);
  }
  const { candidate, checked } = search;
  if (!candidate) return { found: false, reason: noneReason(opts, prefix, checked) };
  const reportPath = await downloadReport(opts, candidate);
  const { run, artifact } = candidate;
  return { found: true, reportPath, runId: run.id, runUrl: run.html_url, artifactName: artifact.name, headSha: run.head_sha };
}

async function findCandidate(opts: ArtifactBaselineOptions, prefix: string): Promise<{ candidate?: Candidate; checked: number }> {
  const { octokit, owner, repo } = opts;
  const { data } = await octokit.rest.actions.listWorkflowRuns({
    owner,
    repo,
    workflow_id: opts.workflow,
    branch: opts.branch,
    status: 'success',
    per_page: MAX_RUNS + 1,
  });
  const runs = data.workflow_runs
    .filter((r) => isBaseRun(r, opts))
    .sort((a, b) => time(b.created_at) - time(a.created_at))
    .slice(0, MAX_RUNS);
  for (const run of runs) {
    const artifacts = await octokit.paginate(octokit.rest.actions.listWorkflowRunArtifacts, { owner, repo, run_id: run.id, per_page: 100 });
    const artifact = newestReport(artifacts, prefix);
    if (artifact) return { candidate: { run, artifact }, checked: runs.length };
  }
  return { checked: runs.length };
}

// A pull request's run can carry the base branch's name as its head branch (a fork's "main"):
// only runs of the branch itself, in this repository, are trusted as the baseline.
function isBaseRun(run: Run, opts: ArtifactBaselineOptions): boolean {
  if (run.id === opts.excludeRunId || run.event.startsWith('pull_request')) return false;
  const head = run.head_repository?.full_name;
  return !head || head.toLowerCase() === `${opts.owner}/${opts.repo}`.toLowerCase();
}

function newestReport(artifacts: Artifact[], prefix: string): Artifact | undefined {
  return artifacts.filter((a) => !a.expired && a.name.startsWith(prefix)).sort((a, b) => time(b.created_at) - time(a.created_at))[0];
}

function time(iso: string | null | undefined): number {
  return Date.parse(iso ?? '') || 0;
}

function noneReason(opts: ArtifactBaselineOptions, prefix: string, checked: number): string {
  const where = `${opts.workflow} on ${opts.branch}`;
  if (checked === 0) return `no successful run of ${where} yet (the workflow must also run on ${opts.branch} itself, e.g. on push)`;
  return `no successful run of ${where} has a ${prefix}* artifact yet (checked the latest ${checked}; expired artifacts do not count)`;
}

function refusalReason(status: number | undefined, opts: ArtifactBaselineOptions, message: string): string | undefined {
  const where = `${opts.owner}/${opts.repo}`;
  if (status === 401 || status === 403) {
    return `cannot read workflow runs of ${where}: the token lacks the actions: read permission (add "permissions: actions: read" to the job) (${message})`;
  }
  if (status === 404) {
    return `cannot list runs of workflow ${opts.workflow} in ${where}: not found, or the token cannot see it (check gate.baseline.workflow and the actions: read permission) (${message})`;
  }
  return undefined;
}

/** Downloads into a fresh folder, so a report left by an earlier download is never read instead. */
async function downloadReport(opts: ArtifactBaselineOptions, { run, artifact }: Candidate): Promise<string> {
  await mkdir(opts.downloadDir, { recursive: true });
  const dir = await mkdtemp(path.join(opts.downloadDir, 'baseline-'));
  const what = `baseline artifact "${artifact.name}" (id ${artifact.id}) of ${run.html_url}`;
  await downloadRunArtifact(opts, { runId: run.id, artifact, dir, what });
  const reportPath = path.join(dir, 'report.json');
  const stat = await lstat(reportPath).catch(() => undefined);
  if (!stat?.isFile()) throw new GitHubError(`${what} holds no report.json`, 'not-found');
  return reportPath;
}

export interface ArtifactDownload {
  runId: number;
  artifact: { id: number; digest?: string | null };
  dir: string;
  /** How the artifact is named in errors. */
  what: string;
}

/** One artifact of another run, into `dir`, through the REST API (needs actions: read). */
export async function downloadRunArtifact(
  opts: Pick<ArtifactBaselineOptions, 'token' | 'owner' | 'repo' | 'client'>,
  d: ArtifactDownload,
): Promise<void> {
  const client = opts.client ?? new DefaultArtifactClient();
  const findBy = { token: opts.token, repositoryOwner: opts.owner, repositoryName: opts.repo, workflowRunId: d.runId };
  // The service's digest (artifacts from upload-artifact v4 on) lets the client check the bytes.
  const expectedHash = d.artifact.digest ?? undefined;
  let res: Awaited<ReturnType<DefaultArtifactClient['downloadArtifact']>>;
  try {
    res = await client.downloadArtifact(d.artifact.id, { path: d.dir, findBy, expectedHash });
  } catch (err) {
    const kind = downloadFailure(err);
    throw new GitHubError(`downloading ${d.what} failed: ${downloadHint(kind)}${errorMessage(err)}`, kind, err);
  }
  if (res.digestMismatch)
    throw new GitHubError(`downloading ${d.what} failed: its content does not match the digest ${expectedHash}`, 'other');
}

function downloadFailure(err: unknown): GitHubFailure {
  const status = httpStatus(err);
  if (status === 401 || status === 403) return 'permission';
  if (status === 404 || status === 410) return 'not-found';
  if (/GHES/.test(errorMessage(err))) return 'other';
  return 'unavailable';
}

function downloadHint(kind: GitHubFailure): string {
  if (kind === 'permission') return 'the token lacks the actions: read permission; ';
  if (kind === 'not-found') return 'it expired or was deleted after it was listed; ';
  return '';
}

// Uploads the model bundle and the report as two workflow artifacts.
import { DefaultArtifactClient } from '@actions/artifact';
import { lstat, realpath } from 'node:fs/promises';
import path from 'node:path';
import { listBundle } from '../bundle/manifest.js';
import { errorMessage, GitHubError, type GitHubFailure } from './context.js';

/** The slice of `DefaultArtifactClient` used here; the real client satisfies it. */
export interface ArtifactUploader {
  uploadArtifact(
    name: string,
    files: string[],
    rootDirectory: string,
    options?: { retentionDays?: number },
  ): Promise<{ id?: number; size?: number; digest?: string }>;
}

export interface RunArtifactsOptions {
  /** The spec's `name`. */
  name: string;
  modelDir: string;
  reportDir: string;
  /** Relative to reportDir. */
  reportFiles?: string[];
  retentionDays?: number;
  /** Tells apart jobs that share a job id (matrix legs). */
  suffix?: string;
  env?: NodeJS.ProcessEnv;
}

export type RunArtifactsResult =
  | { uploaded: true; modelArtifactId: number; reportArtifactId: number; modelArtifactName: string; reportArtifactName: string }
  | { uploaded: false; reason: string };

export const NOT_IN_ACTIONS = 'not running in GitHub Actions: artifacts not uploaded';

/** Names unique per job and attempt, so a re-run of a job does not collide (409) with the first. */
export function artifactNames(name: string, env: NodeJS.ProcessEnv, suffix?: string): { model: string; report: string } {
  const tail = [env.GITHUB_JOB || 'job', suffix, env.GITHUB_RUN_ATTEMPT || '1'].filter(Boolean).join('-');
  // The artifact service refuses these characters in names.
  const clean = (s: string) => s.replace(/["':<>|*?\\/\s]+/g, '-');
  return { model: clean(`finetune-${name}-model-${tail}`), report: clean(`finetune-${name}-report-${tail}`) };
}

export async function uploadRunArtifacts(
  opts: RunArtifactsOptions,
  client: ArtifactUploader = new DefaultArtifactClient(),
): Promise<RunArtifactsResult> {
  const env = opts.env ?? process.env;
  if (!env.ACTIONS_RUNTIME_TOKEN || !env.ACTIONS_RESULTS_URL) return { uploaded: false, reason: NOT_IN_ACTIONS };
  const names = artifactNames(opts.name, env, opts.suffix);
  // Check both before uploading either, so a refused report leaves no half-published run.
  const model = await collectUploadFiles(opts.modelDir);
  const report = await collectUploadFiles(opts.reportDir, opts.reportFiles ?? ['report.json', 'report.md']);
  const retention = opts.retentionDays === undefined ? {} : { retentionDays: opts.retentionDays };
  const modelId = await upload(client, names.model, model, retention);
  if (typeof modelId === 'string') return { uploaded: false, reason: modelId };
  const reportId = await upload(client, names.report, report, retention);
  if (typeof reportId === 'string') return { uploaded: false, reason: reportId };
  return {
    uploaded: true,
    modelArtifactId: modelId,
    reportArtifactId: reportId,
    modelArtifactName: names.model,
    reportArtifactName: names.report,
  };
}

/** Only the report, for a run that has no model (its training process crashed). */
export async function uploadReportArtifact(
  opts: Omit<RunArtifactsOptions, 'modelDir'>,
  client: ArtifactUploader = new DefaultArtifactClient(),
): Promise<{ uploaded: true; reportArtifactId: number; reportArtifactName: string } | { uploaded: false; reason: string }> {
  const env = opts.env ?? process.env;
  if (!env.ACTIONS_RUNTIME_TOKEN || !env.ACTIONS_RESULTS_URL) return { uploaded: false, reason: NOT_IN_ACTIONS };
  const name = artifactNames(opts.name, env, opts.suffix).report;
  const files = await collectUploadFiles(opts.reportDir, opts.reportFiles ?? ['report.json', 'report.md']);
  const id = await upload(client, name, files, opts.retentionDays === undefined ? {} : { retentionDays: opts.retentionDays });
  return typeof id === 'string' ? { uploaded: false, reason: id } : { uploaded: true, reportArtifactId: id, reportArtifactName: name };
}

/** Returns the artifact id, or a reason string when the environment cannot take artifacts. */
async function upload(
  client: ArtifactUploader,
  name: string,
  files: { root: string; files: string[] },
  options: { retentionDays?: number },
): Promise<number | string> {
  try {
    const res = await client.uploadArtifact(name, files.files, files.root, options);
    if (typeof res.id !== 'number') throw new GitHubError(`artifact "${name}": the service returned no artifact id`, 'other');
    return res.id;
  } catch (err) {
    if (err instanceof GitHubError) throw err;
    const message = errorMessage(err);
    const kind = classifyUploadError(message);
    if (kind === 'not-in-actions') return NOT_IN_ACTIONS;
    if (kind === 'ghes') return 'artifacts are not supported on GitHub Enterprise Server by this version: not uploaded';
    throw new GitHubError(describeUploadError(kind, name, message), kind, err);
  }
}

type UploadFailure = GitHubFailure | 'not-in-actions' | 'ghes';

/** The artifact client throws plain Errors; its message is all there is to tell cases apart. */
export function classifyUploadError(message: string): UploadFailure {
  if (/ACTIONS_RUNTIME_TOKEN|ACTIONS_RESULTS_URL/.test(message)) return 'not-in-actions';
  if (/not currently supported on GHES/i.test(message)) return 'ghes';
  if (/\(409\)|already_exists|already exists/i.test(message)) return 'duplicate';
  if (/quota|insufficient usage|storage limit/i.test(message)) return 'quota';
  if (/after \d+ attempts|\((5\d\d|429)\)|Unable to make request|Upload progress stalled/i.test(message)) return 'unavailable';
  return 'other';
}

export function describeUploadError(kind: GitHubFailure, name: string, message: string): string {
  switch (kind) {
    case 'duplicate':
      return `artifact "${name}" already exists in this workflow run (409 already_exists): another job with the same job id, or a matrix leg, uploaded it; give each a distinct spec name or suffix. Service said: ${message}`;
    case 'quota':
      return `artifact storage quota reached: "${name}" not uploaded; delete old artifacts or lower output.retention_days. Service said: ${message}`;
    case 'unavailable':
      return `artifact service unavailable after retries: "${name}" not uploaded; re-run the job later. Service said: ${message}`;
    default:
      return `uploading artifact "${name}" failed: ${message}`;
  }
}

/**
 * Lists the files to upload under `root` (all of them, or the `only` ones), refusing symlinks
 * and anything that resolves outside `root`: the artifact client follows links and would
 * upload their targets.
 */
export async function collectUploadFiles(root: string, only?: string[]): Promise<{ root: string; files: string[] }> {
  const absRoot = path.resolve(root);
  const realRoot = await realpath(absRoot);
  const rels = only ?? (await listedFiles(absRoot));
  if (rels.length === 0) throw new GitHubError(`nothing to upload in ${absRoot}`, 'unsafe-path');
  const files: string[] = [];
  for (const rel of rels) {
    const file = path.resolve(absRoot, rel);
    const stat = await lstat(file).catch(() => undefined);
    if (!stat) throw new GitHubError(`file to upload not found: ${file}`, 'unsafe-path');
    if (stat.isSymbolicLink()) throw new GitHubError(`refusing to upload a symlink: ${file}`, 'unsafe-path');
    if (!stat.isFile()) throw new GitHubError(`refusing to upload a non-regular file: ${file}`, 'unsafe-path');
    const real = await realpath(file);
    if (!real.startsWith(realRoot + path.sep))
      throw new GitHubError(`refusing to upload ${file}: it resolves outside ${absRoot}`, 'unsafe-path');
    files.push(file);
  }
  return { root: absRoot, files };
}

async function listedFiles(root: string): Promise<string[]> {
  const listing = await listBundle(root);
  const refused = [...listing.symlinks, ...listing.others];
  if (refused.length > 0)
    throw new GitHubError(`refusing to upload symlinks or special files from ${root}: ${refused.join(', ')}`, 'unsafe-path');
  return listing.files;
}

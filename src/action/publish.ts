// After the verdict is set: artifacts, the PR comment and release assets. Each is reported on its
// own; none of them changes the verdict.
import path from 'node:path';
import * as core from '@actions/core';
import * as github from '@actions/github';
import type { RunResult } from '../pipeline/run.js';
import type { ActionInputs } from './io.js';
import { OUTPUTS } from './io.js';
import { uploadReportArtifact, uploadRunArtifacts } from '../github/artifacts.js';
import { upsertPrComment } from '../github/comment.js';
import { packBundle, publishRelease } from '../github/release.js';
import { pullRequestNumber, releaseTag } from '../github/context.js';
import { historyPoint, historySummary, renderCommentBody } from '../report/comment.js';

export async function publishResults(inputs: ActionInputs, result: RunResult): Promise<void> {
  if (inputs.uploadArtifacts) await uploadArtifacts(result);
  const token = inputs.githubToken ?? process.env.GITHUB_TOKEN;
  if (inputs.comment) await commentOnPullRequest(token, result);
  if (inputs.publish === 'true' || (inputs.publish === 'auto' && releaseTag(github.context))) await attachToRelease(token, result);
}

async function uploadArtifacts(result: RunResult): Promise<void> {
  if (result.report.status === 'crashed') return uploadCrashReport(result);
  if (!result.modelDir) return;
  try {
    const up = await uploadRunArtifacts({
      name: result.report.name,
      modelDir: result.modelDir,
      reportDir: result.outDir,
      retentionDays: result.retentionDays,
    });
    if (!up.uploaded) {
      core.notice(up.reason);
      return;
    }
    core.setOutput(OUTPUTS.modelArtifactId, String(up.modelArtifactId));
    core.setOutput(OUTPUTS.reportArtifactId, String(up.reportArtifactId));
    core.info(`artifacts: ${up.modelArtifactName} (id ${up.modelArtifactId}), ${up.reportArtifactName} (id ${up.reportArtifactId})`);
  } catch (err) {
    core.setFailed(`artifact upload failed (the verdict and outputs above stand): ${(err as Error).message}`);
  }
}

/** A crashed run has no model: what exists is its report. */
async function uploadCrashReport(result: RunResult): Promise<void> {
  try {
    const up = await uploadReportArtifact({ name: result.report.name, reportDir: result.outDir, retentionDays: result.retentionDays });
    if (!up.uploaded) return core.notice(up.reason);
    core.setOutput(OUTPUTS.reportArtifactId, String(up.reportArtifactId));
    core.info(`artifact: ${up.reportArtifactName} (id ${up.reportArtifactId})`);
  } catch (err) {
    core.warning(`report upload failed: ${(err as Error).message}`);
  }
}

async function commentOnPullRequest(token: string | undefined, result: RunResult): Promise<void> {
  const pr = pullRequestNumber(github.context);
  if (pr === undefined) return;
  if (!token) {
    core.warning('no github-token: the PR comment is skipped; the report is in the job summary');
    return;
  }
  const { owner, repo } = github.context.repo;
  try {
    const res = await upsertPrComment({
      octokit: github.getOctokit(token),
      owner,
      repo,
      issueNumber: pr,
      body: renderCommentBody(result.report),
      marker: result.report.name,
      historyEntry: { sha: github.context.sha.slice(0, 7), verdict: result.report.verdict, summary: historySummary(result.report), ...historyPoint(result.report) },
    });
    if (res.posted) core.info(`PR comment ${res.action}: ${res.url}`);
    else core.warning(res.reason);
  } catch (err) {
    core.warning(`PR comment failed (the gate is not affected): ${(err as Error).message}`);
  }
}

async function attachToRelease(token: string | undefined, result: RunResult): Promise<void> {
  const tag = releaseTag(github.context);
  if (!tag || !result.modelDir) {
    core.warning('publish: not a release event; nothing attached');
    return;
  }
  if (!token) throw new Error('publish: a github-token with contents: write is needed to attach release assets');
  const { owner, repo } = github.context.repo;
  const name = result.report.name;
  const tarball = path.join(result.outDir, `${name}-model.tar.gz`);
  const digest = await packBundle(result.modelDir, tarball);
  const rel = await publishRelease({
    octokit: github.getOctokit(token),
    owner,
    repo,
    tag,
    assets: [
      { path: tarball, name: `${name}-model.tar.gz`, contentType: 'application/gzip' },
      { path: path.join(result.modelDir, 'model-card.md'), name: `${name}-model-card.md`, contentType: 'text/markdown' },
      { path: result.reportPath, name: `${name}-report.json`, contentType: 'application/json' },
      { path: path.join(result.modelDir, 'sha256sums.txt'), name: `${name}-sha256sums.txt`, contentType: 'text/plain' },
    ],
  });
  core.setOutput('bundle-sha256', digest);
  core.info(`release ${tag}: attached ${rel.assets.map((a) => a.name).join(', ')} (bundle sha256 ${digest})`);
}

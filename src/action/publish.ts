// After the verdict is set: artifacts, the PR comment, the check on the PR head commit and release
// assets. Each is reported on its own; none of them changes the verdict.
import os from 'node:os';
import fs from 'node:fs';
import path from 'node:path';
import * as core from '@actions/core';
import * as github from '@actions/github';
import type { RunResult } from '../pipeline/run.js';
import type { ActionInputs } from './io.js';
import { OUTPUTS } from './io.js';
import { uploadReportArtifact, uploadRunArtifacts } from '../github/artifacts.js';
import { upsertPrComment } from '../github/comment.js';
import { packBundle, publishRelease } from '../github/release.js';
import { headSha, releaseTag } from '../github/context.js';
import { findPullRequest } from '../github/pull-request.js';
import { postGateCheck } from '../github/check-run.js';
import { historyPoint, historySummary, renderCommentBody } from '../report/comment.js';
import { checkRunContent } from '../report/check-run.js';
import { isTrainingFailure } from '../report/crash.js';
import { EXIT } from '../errors.js';

export async function publishResults(inputs: ActionInputs, result: RunResult): Promise<void> {
  const token = inputs.githubToken ?? process.env.GITHUB_TOKEN;
  if (inputs.uploadArtifacts && inputs.mode === 'run') await uploadArtifacts(result);
  if (inputs.comment) await commentOnPullRequest(token, result);
  if (postsCheck(inputs)) await postCheck(token, inputs.checkName, result);
  if (inputs.mode === 'run' && (inputs.publish === 'true' || (inputs.publish === 'auto' && releaseTag(github.context))))
    await attachTrainedModel(token, result);
}

async function uploadArtifacts(result: RunResult): Promise<void> {
  if (isTrainingFailure(result.report)) return uploadCrashReport(result);
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

/** A run whose training failed or crashed has no model: what exists is its report. */
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
  const ctx = github.context;
  const aboutPr = Boolean(ctx.payload.pull_request || ctx.payload.issue?.pull_request || ctx.payload.workflow_run);
  if (!aboutPr) return;
  if (!token) {
    core.warning('no github-token: the PR comment is skipped; the report is in the job summary');
    return;
  }
  const { owner, repo } = ctx.repo;
  const octokit = github.getOctokit(token);
  try {
    const pr = await findPullRequest({ octokit, owner, repo, ctx });
    if (!pr.found) {
      // Under workflow_run a PR was expected: say why there is no comment.
      if (ctx.payload.workflow_run?.event?.startsWith('pull_request'))
        core.warning(`PR comment skipped: ${pr.reason}; the report is in the job summary`);
      return;
    }
    const sha = headSha(ctx) ?? '';
    const res = await upsertPrComment({
      octokit,
      owner,
      repo,
      issueNumber: pr.number,
      body: renderCommentBody(result.report),
      marker: result.report.name,
      historyEntry: {
        sha: sha.slice(0, 7),
        verdict: result.report.verdict,
        summary: historySummary(result.report),
        ...historyPoint(result.report),
      },
    });
    if (res.posted) core.info(`PR comment ${res.action} on #${pr.number}${pr.how === 'event' ? '' : ` (found by ${pr.how})`}: ${res.url}`);
    else core.warning(res.reason);
  } catch (err) {
    core.warning(`PR comment failed (the gate is not affected): ${(err as Error).message}`);
  }
}

/** auto: the check is what the gate-only (workflow_run) job is for; a run job's own check already shows. */
function postsCheck(inputs: ActionInputs): boolean {
  return inputs.check === 'true' || (inputs.check === 'auto' && inputs.mode === 'gate');
}

async function postCheck(token: string | undefined, name: string, result: RunResult): Promise<void> {
  const ctx = github.context;
  const sha = headSha(ctx);
  if (!token || !sha) {
    core.warning(
      `check "${name}" not posted: ${token ? 'no head commit in the event' : 'no github-token (it needs checks: write or statuses: write)'}; the verdict stands`,
    );
    return;
  }
  const { owner, repo } = ctx.repo;
  const detailsUrl = ctx.runId ? `${ctx.serverUrl}/${owner}/${repo}/actions/runs/${ctx.runId}` : undefined;
  try {
    const content = checkRunContent(result.report, result.exitCode === EXIT.PASS);
    const res = await postGateCheck({ octokit: github.getOctokit(token), owner, repo, sha, name, content, detailsUrl });
    if (!res.posted) return core.warning(`${res.reason}; the verdict stands`);
    if (res.note) core.warning(res.note);
    core.info(`${res.kind === 'check-run' ? 'check run' : 'commit status'} "${name}" on ${sha.slice(0, 7)}: ${content.conclusion}`);
  } catch (err) {
    core.warning(`check "${name}" not posted (the verdict stands): ${(err as Error).message}`);
  }
}

/** publish-from: train. A model whose gate did not pass is never attached. */
async function attachTrainedModel(token: string | undefined, result: RunResult): Promise<void> {
  const tag = releaseTag(github.context);
  if (!tag || !result.modelDir) {
    core.warning(tag ? 'publish: no model bundle; nothing attached' : 'publish: not a release event; nothing attached');
    return;
  }
  if (result.exitCode !== EXIT.PASS || result.report.status !== 'complete') {
    core.warning(
      `publish: the gate did not pass (verdict ${result.report.verdict}, status ${result.report.status}); the model is not attached to release ${tag}`,
    );
    return;
  }
  const run = result.report.run;
  await attachBundle(token, {
    tag,
    name: result.report.name,
    modelDir: result.modelDir,
    reportPath: result.reportPath,
    workDir: result.outDir,
    releaseNote: `Trained and gated in the release job itself (publish-from: train)${run ? `, workflow run ${run.url ?? run.id} attempt ${run.attempt}, commit \`${run.head_sha}\`` : ''}; its gate passed.`,
  });
}

export interface BundleToAttach {
  tag: string;
  name: string;
  modelDir: string;
  reportPath: string;
  /** Where the tarball and the release's model card are written. */
  workDir: string;
  /** Appended to the attached model card: which run and commit produced the model. */
  releaseNote: string;
}

/** The model bundle (.tar.gz), its model card, report.json and sha256 manifest as release assets. */
export async function attachBundle(token: string | undefined, b: BundleToAttach): Promise<void> {
  if (!token) throw new Error('publish: a github-token with contents: write is needed to attach release assets');
  const { owner, repo } = github.context.repo;
  const work = fs.mkdtempSync(path.join(process.env.RUNNER_TEMP || os.tmpdir(), 'finetune-release-'));
  const tarball = path.join(b.workDir, `${b.name}-model.tar.gz`);
  const digest = await packBundle(b.modelDir, tarball);
  // The card inside the bundle is covered by sha256sums.txt and stays as gated; the attached copy says where it came from.
  const card = path.join(work, 'model-card.md');
  fs.writeFileSync(
    card,
    `${fs.readFileSync(path.join(b.modelDir, 'model-card.md'), 'utf8').trimEnd()}\n\n## Release ${b.tag}\n\n${b.releaseNote}\n`,
  );
  const rel = await publishRelease({
    octokit: github.getOctokit(token),
    owner,
    repo,
    tag: b.tag,
    assets: [
      { path: tarball, name: `${b.name}-model.tar.gz`, contentType: 'application/gzip' },
      { path: card, name: `${b.name}-model-card.md`, contentType: 'text/markdown' },
      { path: b.reportPath, name: `${b.name}-report.json`, contentType: 'application/json' },
      { path: path.join(b.modelDir, 'sha256sums.txt'), name: `${b.name}-sha256sums.txt`, contentType: 'text/plain' },
    ],
  });
  core.setOutput(OUTPUTS.bundleSha256, digest);
  core.setOutput(OUTPUTS.bundlePath, tarball);
  core.info(`release ${b.tag}: attached ${rel.assets.map((a) => a.name).join(', ')} (bundle sha256 ${digest})`);
}

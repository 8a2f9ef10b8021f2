// gate.baseline.from "artifact" inside Actions: the report of the latest successful run of this
// workflow (in a workflow_run job, of the triggering run's workflow) on the base branch, found
// through the GitHub API.
import os from 'node:os';
import fs from 'node:fs';
import path from 'node:path';
import * as github from '@actions/github';
import type { ActionInputs } from './io.js';
import type { ArtifactLookup } from '../pipeline/baseline.js';
import { findBaselineArtifact, workflowFileFromRef } from '../github/baseline-artifact.js';

export function artifactLookup(inputs: ActionInputs): ArtifactLookup {
  return async (b) => {
    const token = inputs.githubToken ?? process.env.GITHUB_TOKEN;
    if (!token) return { found: false, reason: 'no github-token to look up earlier runs' };
    // Under workflow_run (mode gate) this job's workflow is the gate's, not the one that trains:
    // the triggering run's workflow is where the base branch's reports are.
    const triggering = github.context.payload.workflow_run?.path as string | undefined;
    const workflow = b.workflow ?? (triggering ? path.basename(triggering) : workflowFileFromRef(process.env.GITHUB_WORKFLOW_REF));
    if (!workflow) return { found: false, reason: 'cannot tell which workflow to search: set gate.baseline.workflow' };
    const octokit = github.getOctokit(token);
    const { owner, repo } = github.context.repo;
    let branch = b.branch || process.env.GITHUB_BASE_REF || (github.context.payload.repository?.default_branch as string | undefined);
    try {
      branch ||= await defaultBranch(octokit, owner, repo);
    } catch (err) {
      return {
        found: false,
        reason: `cannot tell the default branch of ${owner}/${repo} (${(err as Error).message}): set gate.baseline.branch`,
      };
    }
    const res = await findBaselineArtifact({
      octokit,
      owner,
      repo,
      token,
      workflow,
      branch,
      specName: b.specName,
      downloadDir: fs.mkdtempSync(path.join(process.env.RUNNER_TEMP || os.tmpdir(), 'finetune-baseline-')),
      excludeRunId: github.context.runId,
    });
    return res.found ? { found: true, reportPath: res.reportPath, where: `${res.artifactName} of run ${res.runUrl}` } : res;
  };
}

async function defaultBranch(octokit: ReturnType<typeof github.getOctokit>, owner: string, repo: string): Promise<string> {
  const { data } = await octokit.rest.repos.get({ owner, repo });
  return data.default_branch;
}

// gate.baseline.from "artifact" inside Actions: the report of the latest successful run of this
// workflow on the base branch, found through the GitHub API.
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
    const workflow = b.workflow ?? workflowFileFromRef(process.env.GITHUB_WORKFLOW_REF);
    if (!workflow) return { found: false, reason: 'cannot tell which workflow to search: set gate.baseline.workflow' };
    const octokit = github.getOctokit(token);
    const { owner, repo } = github.context.repo;
    const branch = b.branch || process.env.GITHUB_BASE_REF || (await defaultBranch(octokit, owner, repo));
    const res = await findBaselineArtifact({
      octokit, owner, repo, token, workflow, branch,
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

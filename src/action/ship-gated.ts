// On a release (publish-from: artifact, the default): attach the model the gate passed for the
// release's commit instead of training again. No gated model, a failed one, or one that does not
// match its sha256sums.txt is refused with exit 1 (gated-model.ts says which).
import os from 'node:os';
import fs from 'node:fs';
import path from 'node:path';
import * as core from '@actions/core';
import * as github from '@actions/github';
import { ConfigError } from '../errors.js';
import { fetchGatedModel } from '../github/gated-model.js';
import { releaseTag } from '../github/context.js';
import { findRepoRoot, loadSpec } from '../spec/load.js';
import { sha256 } from '../util/hash.js';
import { renderReportMarkdown } from '../report/markdown.js';
import { OUTPUTS, type ActionInputs } from './io.js';
import { attachBundle } from './publish.js';

/** A release event that ships an earlier run's model rather than one trained here. */
export function shipsGatedModel(inputs: ActionInputs): boolean {
  return (
    inputs.mode === 'run' &&
    inputs.publishFrom === 'artifact' &&
    inputs.publish !== 'false' &&
    releaseTag(github.context) !== undefined &&
    !inputs.shard
  );
}

export async function shipGatedModel(inputs: ActionInputs): Promise<void> {
  const tag = releaseTag(github.context) as string;
  const token = inputs.githubToken ?? process.env.GITHUB_TOKEN;
  if (!token)
    throw new ConfigError(
      'publish-from artifact: a github-token (actions: read, contents: write) is needed to find the gated model and attach it',
    );
  const root = findRepoRoot(path.dirname(path.resolve(inputs.spec)));
  const { spec } = loadSpec(inputs.spec, { root });
  const { owner, repo } = github.context.repo;
  const sha = github.context.sha;
  core.info(`release ${tag}: looking for the gated model of ${spec.name} for commit ${sha.slice(0, 7)} (publish-from: artifact)`);
  const gated = await fetchGatedModel({
    octokit: github.getOctokit(token),
    owner,
    repo,
    token,
    sha,
    specName: spec.name,
    downloadDir: fs.mkdtempSync(path.join(process.env.RUNNER_TEMP || os.tmpdir(), 'finetune-gated-')),
    excludeRunId: github.context.runId,
  });
  const r = gated.report;
  core.setOutput(OUTPUTS.verdict, r.verdict);
  core.setOutput(OUTPUTS.passed, 'true');
  if (r.metrics.accuracy !== undefined) core.setOutput(OUTPUTS.accuracy, String(r.metrics.accuracy));
  if (r.metrics.f1_macro !== undefined) core.setOutput(OUTPUTS.f1, String(r.metrics.f1_macro));
  core.setOutput(OUTPUTS.reportPath, gated.reportPath);
  core.setOutput(OUTPUTS.modelPath, gated.modelDir);
  core.setOutput(OUTPUTS.modelSha256, sha256(fs.readFileSync(path.join(gated.modelDir, 'sha256sums.txt'))));
  const from = `workflow run ${gated.runUrl} (attempt ${gated.attempt}, artifact ${gated.modelArtifact}) for commit \`${sha}\``;
  await core.summary.addRaw(`> Shipped to release ${tag}: the model gated by ${from}.\n\n${renderReportMarkdown(r)}`).write();
  await attachBundle(token, {
    tag,
    name: spec.name,
    modelDir: gated.modelDir,
    reportPath: gated.reportPath,
    workDir: path.dirname(gated.modelDir),
    releaseNote: `Produced and gated by ${from}; its sha256sums.txt was verified and its gate verdict was ${r.verdict} before it was attached. The bundle is that run's artifact, byte for byte.`,
  });
}

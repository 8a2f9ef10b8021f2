// The Action: read inputs, run the pipeline, publish what it found. The verdict, outputs and job
// summary are set before anything is uploaded, so a failed upload never loses the result.
import { registerRunnerToolCache } from '../github/tool-cache.js';
import path from 'node:path';
import * as core from '@actions/core';
import * as github from '@actions/github';
import type { RunResult } from '../pipeline/run.js';
import { renderReportMarkdown } from '../report/markdown.js';
import { DEFAULT_OUTPUT_DIR, DEFAULT_RETENTION_DAYS } from '../defaults.js';
import { ConfigError, FinetuneError, EXIT } from '../errors.js';
import { OUTPUTS, readInputs, type ActionInputs } from './io.js';
import { actionsLogger } from './logger.js';
import { publishResults } from './publish.js';
import { gateReports } from '../pipeline/gate-only.js';
import { writeReports } from '../pipeline/outputs.js';
import { sweepShardStep } from './sweep.js';
import { defaultCacheDir } from '../features/cache.js';
import { restoreFeatureCache, type PruneAfterSave } from '../github/feature-cache.js';
import { pruneFeatureCaches } from '../github/feature-cache-prune.js';
import { planRun } from '../pipeline/run-plan.js';
import { trainForAction } from './train.js';
import { actionWorkspace } from './workspace.js';
import { crashFailureMessage } from '../pipeline/crash-report.js';
import { isTrainingFailure } from '../report/crash.js';
import { shipGatedModel, shipsGatedModel } from './ship-gated.js';
import { artifactLookup } from './baseline-lookup.js';
import { parseBackendChoice } from '../backend/select.js';
import { headSha } from '../github/context.js';

/** `script`: the running bundle, started again as the training process; undefined trains in this process. */
export async function run(opts: { script?: string } = {}): Promise<void> {
  try {
    registerRunnerToolCache();
    const inputs = readInputs((name) => core.getInput(name));
    if (inputs.shard) return await sweepShardStep(inputs);
    if (shipsGatedModel(inputs)) return await shipGatedModel(inputs);
    const result = inputs.mode === 'gate' ? await gateOnly(inputs) : await trainAndGate(inputs, opts.script);
    setResultOutputs(result);
    await core.summary.addRaw(renderReportMarkdown(result.report)).write();
    await publishResults(inputs, result);
    if (isTrainingFailure(result.report)) core.setFailed(crashFailureMessage(result.report));
    else if (result.report.status === 'interrupted')
      core.setFailed('the run was cancelled: the report and outputs hold the best epoch reached');
    else if (result.exitCode !== EXIT.PASS) core.setFailed(`gate failed: ${failedChecks(result)}`);
    process.exitCode = result.exitCode;
  } catch (err) {
    failWith(err);
  }
}

/** The feature cache is restored before and saved after the training process, whatever its outcome. */
async function trainAndGate(inputs: ActionInputs, script: string | undefined): Promise<RunResult> {
  const plan = planRun(inputs.spec, actionWorkspace());
  const features =
    plan &&
    (await restoreFeatureCache({
      cacheDir: defaultCacheDir(),
      name: plan.name,
      scope: plan.featureScope,
      log: actionsLogger,
      prune: featureCachePruner(inputs),
    }));
  try {
    return await trainForAction(inputs, { script, plan, log: actionsLogger });
  } finally {
    await features?.save();
  }
}

/** Deletes the feature cache entries a save supersedes, when there is a token to do it with. */
function featureCachePruner(inputs: ActionInputs): PruneAfterSave | undefined {
  const token = inputs.githubToken ?? process.env.GITHUB_TOKEN;
  const ref = github.context.ref;
  if (!token || !ref || !process.env.GITHUB_REPOSITORY) return undefined;
  const { owner, repo } = github.context.repo;
  const octokit = github.getOctokit(token);
  return ({ key, prefix, savedAt }) => pruneFeatureCaches({ octokit, owner, repo, ref, prefix, keep: key, savedAt, log: actionsLogger });
}

/** Gate-only: the candidate report of another run against this checkout's spec and baseline. */
async function gateOnly(inputs: ActionInputs): Promise<RunResult> {
  const { report, exitCode } = await gateReports({
    candidate: inputs.candidate as string,
    baseline: inputs.baseline,
    spec: inputs.spec,
    log: actionsLogger,
    findArtifact: artifactLookup(inputs),
    backend: parseBackendChoice(inputs.backend),
    workspace: actionWorkspace(),
  });
  const head = headSha(github.context);
  if (report.run && head && report.run.head_sha !== head) {
    core.warning(
      `the candidate report was made for commit ${report.run.head_sha.slice(0, 7)} (run ${report.run.id}), not ${head.slice(0, 7)}: the check goes on ${head.slice(0, 7)}`,
    );
  }
  const outDir = path.resolve(DEFAULT_OUTPUT_DIR, 'gate');
  return { report, exitCode, outDir, retentionDays: DEFAULT_RETENTION_DAYS, ...writeReports(outDir, report) };
}

function setResultOutputs(r: RunResult): void {
  const verdict = r.report.verdict;
  core.setOutput(OUTPUTS.verdict, verdict);
  core.setOutput(OUTPUTS.passed, String(r.exitCode === EXIT.PASS));
  // A crashed run has no metrics: those outputs stay empty rather than "undefined".
  if (r.report.metrics.accuracy !== undefined) core.setOutput(OUTPUTS.accuracy, String(r.report.metrics.accuracy));
  if (r.report.metrics.f1_macro !== undefined) core.setOutput(OUTPUTS.f1, String(r.report.metrics.f1_macro));
  core.setOutput(OUTPUTS.reportPath, r.reportPath);
  if (r.modelDir) core.setOutput(OUTPUTS.modelPath, r.modelDir);
  if (r.modelSha256) core.setOutput(OUTPUTS.modelSha256, r.modelSha256);
  core.info(`verdict: ${verdict} (report ${path.relative(process.cwd(), r.reportPath)})`);
}

function failedChecks(r: RunResult): string {
  const bad = r.report.gate.checks.filter((c) => c.status !== 'pass');
  return bad.map((c) => `${c.metric} ${c.status}: ${c.reason}`).join('; ') || r.report.verdict;
}

/** User errors name the problem (and annotate the spec line); anything else is a bug. */
function failWith(err: unknown): void {
  if (err instanceof ConfigError && err.issues.length > 0) {
    for (const issue of err.issues) {
      core.error(`${issue.path}: ${issue.message}`, { file: err.location?.file, startLine: issue.line, startColumn: issue.column });
    }
  }
  const e = err as Error;
  // The stack is for step debug logging (ACTIONS_STEP_DEBUG), which is what core.debug prints under.
  if (e?.stack) core.debug(e.stack);
  if (err instanceof FinetuneError) {
    core.setFailed(err.message);
    process.exitCode = err.exitCode;
    return;
  }
  core.setFailed(
    `internal error (a bug in finetune-action, please report it): ${e?.message ?? String(err)}; re-run with debug logging for the stack trace`,
  );
  process.exitCode = EXIT.TRAINING_FAILED;
}

export type { ActionInputs };

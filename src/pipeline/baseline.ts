// Finds the baseline a candidate is compared with (gate.baseline) and decides whether its numbers
// are comparable at all: a baseline scored on another test set is never compared blindly.
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../errors.js';
import type { BaselineReport, MetricValues, Report } from '../domain/types.js';
import type { EvaluatedModel } from '../gate/evaluate.js';
import type { Spec } from '../spec/schema.js';
import type { Example } from '../data/types.js';
import type { Logger } from '../util/log.js';
import { rescoreBaselineModel } from './baseline-model.js';
import { evaluatedFromReport } from './gate-inputs.js';

export interface LoadedBaseline {
  report: BaselineReport;
  model?: EvaluatedModel;
}

export interface ArtifactQuery {
  specName: string;
  branch?: string;
  workflow?: string;
}

export type ArtifactLookup = (
  q: ArtifactQuery,
) => Promise<{ found: true; reportPath: string; where: string } | { found: false; reason: string }>;

export interface BaselineContext {
  spec: Spec;
  root: string;
  /** --baseline / the Action's baseline input: a report.json relative to the current directory. */
  overridePath?: string;
  classes: string[];
  test: Example[];
  testSetSha256: string;
  /** Finds an earlier run's report (GitHub Actions only). */
  findArtifact?: ArtifactLookup;
  /** The feature cache dir: a text baseline model reads the parsed word-vector table from it. */
  cacheDir?: string;
  log: Logger;
}

export interface ResolvedBaseline {
  baseline?: LoadedBaseline;
  report: BaselineReport;
  /** Set when gate.baseline.first_run is "fail" and there is no baseline. */
  missing?: string;
}

export async function resolveBaseline(ctx: BaselineContext): Promise<ResolvedBaseline> {
  const b = ctx.spec.gate.baseline;
  if (ctx.overridePath) return comparable(readBaselineFile(path.resolve(ctx.overridePath), ctx.overridePath), ctx);
  switch (b.from) {
    case 'none':
      return { report: { source: 'none' } };
    case 'file':
      return comparable(readBaselineFile(path.join(ctx.root, b.path as string), b.path as string), ctx);
    case 'model': {
      const loaded = await rescoreBaselineModel({
        bundleDir: path.join(ctx.root, b.path as string),
        shownAs: b.path as string,
        classes: ctx.classes,
        test: ctx.test,
        testSetSha256: ctx.testSetSha256,
        root: ctx.root,
        cacheDir: ctx.cacheDir,
      });
      return { baseline: loaded, report: loaded.report };
    }
    case 'artifact':
      return fromArtifact(ctx);
  }
}

async function fromArtifact(ctx: BaselineContext): Promise<ResolvedBaseline> {
  const b = ctx.spec.gate.baseline;
  const query = { specName: ctx.spec.name, branch: b.branch, workflow: b.workflow };
  const found = ctx.findArtifact
    ? await ctx.findArtifact(query)
    : {
        found: false as const,
        reason:
          'gate.baseline.from "artifact" needs GitHub Actions (a token and a workflow run); outside it there is no earlier run to read',
      };
  if (found.found) {
    const loaded = readBaselineFile(found.reportPath, found.where);
    loaded.report.source = 'artifact';
    return comparable(loaded, ctx);
  }
  const policy = ctx.spec.gate.baseline.first_run;
  ctx.log.warn(`no baseline: ${found.reason}`);
  const reason = `No baseline: ${found.reason}.`;
  if (policy === 'fail') return { report: { source: 'artifact', ignored_reason: reason }, missing: reason };
  return {
    report: { source: 'artifact', ignored_reason: `${reason} First run policy "absolute-only": only absolute thresholds were checked.` },
  };
}

/**
 * A baseline scored on a different test set cannot be compared: its deltas would mean nothing.
 * It still goes to the gate, which marks its tolerance checks inconclusive with both
 * fingerprints and the remedy, so a changed test set is never a pass by omission.
 */
export function comparable(loaded: LoadedBaseline, ctx: { testSetSha256: string; log: Logger }): ResolvedBaseline {
  const theirs = loaded.model?.test_set_sha256;
  if (theirs && theirs !== ctx.testSetSha256) {
    const reason =
      `The baseline (${loaded.report.path}) was scored on a different test set (sha256 ${theirs.slice(0, 12)}, this run ${ctx.testSetSha256.slice(0, 12)}); ` +
      'its numbers are not comparable, so the baseline checks are inconclusive. Set gate.baseline.from: model to re-score the baseline model on this test set, ' +
      'or update the baseline file in the same pull request, where the reviewer sees it.';
    ctx.log.warn(reason);
    return { baseline: loaded, report: { ...loaded.report, ignored_reason: reason } };
  }
  return { baseline: loaded, report: loaded.report };
}

export function readBaselineFile(file: string, shownAs: string): LoadedBaseline {
  if (!fs.existsSync(file)) throw new ConfigError(`gate.baseline.path: ${shownAs} does not exist`);
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(`gate.baseline.path: ${shownAs} is not valid JSON (${(err as Error).message})`);
  }
  const obj = json as Partial<Report> & MetricValues;
  const metrics = (obj.metrics ?? obj) as MetricValues;
  const numeric = Object.fromEntries(Object.entries(metrics).filter(([, v]) => typeof v === 'number')) as MetricValues;
  if (Object.keys(numeric).length === 0) {
    throw new ConfigError(`gate.baseline.path: ${shownAs} holds no metrics (expected a report.json or an object of metric values)`);
  }
  return {
    report: { source: 'file', path: shownAs, metrics: numeric, ...(Array.isArray(obj.per_class) ? { per_class: obj.per_class } : {}) },
    model: evaluatedFromReport(obj, numeric),
  };
}

// A training that failed (exit 3: diverged, out of memory, budget or a cancel before a first epoch)
// still leaves report.json (SPEC.md section 6): a failed verdict, a `status` naming what happened,
// the epochs it reached and the error, so the job summary, the PR comment and the report artifact
// show it the way they show a crash.
import { TrainingError, type TrainingFailure } from '../errors.js';
import type { EpochRecord, Report } from '../domain/types.js';
import { historyReached } from '../train/history-reached.js';
import { VERSION } from '../defaults.js';

/** What is known of a run before it trains: from the spec (a RunPlan, or the loaded spec). */
export interface RunIdentity {
  name: string;
  specSha256: string;
  seed: number;
  base: string;
}

export interface FailureFacts {
  failure: TrainingFailure;
  message: string;
  history: EpochRecord[];
  backend: string;
  seconds: number;
}

/** The failure an error stands for, or undefined when it is not a training failure (a bug, a bad spec). */
export function failureOf(err: unknown): Omit<FailureFacts, 'backend' | 'seconds'> | undefined {
  const training = findTrainingError(err);
  if (!training) return undefined;
  // A sweep cancelled between trials says so in its message; anything unnamed ended the training.
  const failure = training.failure ?? (/cancelled/.test(training.message) ? 'interrupted' : 'diverged');
  // A wrapper (the GPU batch fallback) may add to the message: keep the outermost words.
  const message = err instanceof Error ? err.message : training.message;
  return { failure, message, history: historyReached(err) };
}

function findTrainingError(err: unknown): TrainingError | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if (e instanceof TrainingError) return e;
  }
  return undefined;
}

/** A report with no evaluation: the skeleton a crash and a training failure share. */
export function modelessReport(id: RunIdentity | undefined, backend: string, seconds: number, now: Date): Report {
  return {
    schema_version: 1,
    name: id?.name ?? 'finetune',
    verdict: 'fail',
    status: 'crashed',
    metrics: {},
    per_class: [],
    confusion_matrix: { labels: [], matrix: [] },
    baseline: { source: 'none' },
    gate: { verdict: 'fail', checks: [] },
    history: [],
    best_epoch: 0,
    fingerprint: {
      spec_sha256: id?.specSha256 ?? 'unknown',
      test_set_sha256: 'none',
      test_label_histogram: {},
      base_model_sha256: 'unknown',
      backend,
      seed: id?.seed ?? 0,
      versions: { 'finetune-action': VERSION },
    },
    timing: { total_s: seconds, features_s: 0, train_s: 0, eval_s: 0 },
    data: { train: 0, validation: 0, test: 0, classes: [], skipped_files: [] },
    model: { base: id?.base ?? 'unknown', cut: 'unknown', feature_dim: 0, trainable_params: 0, frozen_params: 0 },
    predictions: { y_true: [], y_pred: [] },
    created_at: now.toISOString(),
  };
}

export function buildFailureReport(id: RunIdentity | undefined, f: FailureFacts, now: Date = new Date()): Report {
  const report = modelessReport(id, f.backend, f.seconds, now);
  const reached =
    f.history.length === 0
      ? 'before a first epoch finished'
      : `after ${f.history.length} complete epoch${f.history.length === 1 ? '' : 's'}`;
  return {
    ...report,
    status: f.failure,
    gate: { verdict: 'fail', checks: [], notes: [`training failed (${f.failure.replaceAll('_', ' ')}) ${reached}: nothing was evaluated`] },
    history: f.history,
    error: { message: f.message },
  };
}

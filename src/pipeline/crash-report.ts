// The report of a run whose training process died without sending a result: no metrics, a failed
// verdict, and how it died, so the Action's step or the CLI still leaves report.json (and the step
// its outputs and job summary).
import type { CrashInfo, Report } from '../domain/types.js';
import { crashCause } from '../report/crash.js';
import { VERSION } from '../defaults.js';
import type { RunPlan } from './run-plan.js';

export interface CrashFacts {
  signal: string | null;
  code: number | null;
  stderrTail: string[];
  /** The backend it chose, when it got that far; else the one requested. */
  backend: string;
  /** Set when a cancel was passed on to it before it died. */
  cancelledBy?: string;
  seconds: number;
}

/** What to try next, from the backend and what the process last said. */
export function crashRemedy(f: Pick<CrashFacts, 'backend' | 'stderrTail' | 'cancelledBy'>): string {
  const said = f.stderrTail.join('\n');
  if (f.cancelledBy) return `nothing: the job was cancelled (${f.cancelledBy}) and the training process stopped before writing a report`;
  if (/heap limit|JavaScript heap out of memory/i.test(said)) {
    return 'the JavaScript heap ran out: lower model.input.size or the number of images, or raise the limit with NODE_OPTIONS=--max-old-space-size=<MB> in the step\'s env';
  }
  switch (f.backend) {
    case 'tensorflow':
      return 'libtensorflow (tfjs-node) crashed in native code: try backend: wasm';
    case 'tensorflow-gpu':
      return 'libtensorflow (tfjs-node-gpu) crashed in native code: check CUDA 11.2 / cuDNN 8.1 and the GPU driver, or try backend: webgpu or backend: wasm';
    case 'webgpu':
      return 'Dawn / the Vulkan driver crashed: try backend: wasm (or tensorflow-gpu), or update the GPU driver';
    case 'cpu':
      return 'try backend: wasm; if it crashes too, please report it with the stderr lines above';
    default:
      return 'try backend: cpu; if it crashes too, please report it with the stderr lines above';
  }
}

export function buildCrashReport(plan: RunPlan | undefined, f: CrashFacts, now: Date = new Date()): Report {
  const crash: CrashInfo = { signal: f.signal, exit_code: f.code, backend: f.backend, stderr_tail: f.stderrTail, remedy: crashRemedy(f) };
  return {
    schema_version: 1,
    name: plan?.name ?? 'finetune',
    verdict: 'fail',
    status: 'crashed',
    metrics: {},
    per_class: [],
    confusion_matrix: { labels: [], matrix: [] },
    baseline: { source: 'none' },
    gate: { verdict: 'fail', checks: [], notes: [`the training process died (${crashCause(crash)}): nothing was evaluated`] },
    history: [],
    best_epoch: 0,
    fingerprint: {
      spec_sha256: plan?.specSha256 ?? 'unknown',
      test_set_sha256: 'none',
      test_label_histogram: {},
      base_model_sha256: 'unknown',
      backend: f.backend,
      seed: plan?.seed ?? 0,
      versions: { 'finetune-action': VERSION },
    },
    timing: { total_s: f.seconds, features_s: 0, train_s: 0, eval_s: 0 },
    data: { train: 0, validation: 0, test: 0, classes: [], skipped_files: [] },
    model: { base: plan?.base ?? 'unknown', cut: 'unknown', feature_dim: 0, trainable_params: 0, frozen_params: 0 },
    predictions: { y_true: [], y_pred: [] },
    crash,
    created_at: now.toISOString(),
  };
}

/** The step's failure message: what died, on which backend, and the remedy (its stderr is in the log above). */
export function crashFailureMessage(r: Report): string {
  return crashMessage(r.crash as CrashInfo);
}

/** What died, on which backend, and the remedy, from the facts alone (a sweep writes no report). */
export function crashMessage(c: Pick<CrashInfo, 'signal' | 'exit_code' | 'backend' | 'remedy'>): string {
  return `training crashed: the training process ended with ${crashCause(c)} on backend ${c.backend}. Remedy: ${c.remedy}`;
}

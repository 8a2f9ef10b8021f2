// The domain model: what a run, a report (report.json, docs/spec.md section 4), a gate and its checks
// are, as plain data. Train, sweep, pipeline, gate and report all speak it; it imports nothing.

export type Verdict = 'pass' | 'fail' | 'inconclusive';
export type CheckStatus = 'pass' | 'fail' | 'inconclusive';

/** Metric name -> value: accuracy, precision_macro, ..., f1_micro, loss. */
export type MetricValues = Record<string, number>;

export interface PerClassReport {
  label: string;
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface GateCheck {
  metric: string;
  /** The candidate's value; the mean of its `runs` repeats when there are several. */
  value: number;
  /** How many repeats `value` is the mean of (absent: one run). */
  runs?: number;
  min?: number;
  max?: number;
  max_drop?: number;
  max_rise?: number;
  baseline?: number;
  /** How many repeats `baseline` is the mean of (absent: one run). */
  baseline_runs?: number;
  delta?: number;
  /** Two-sided interval of the delta (candidate - baseline) at gate.confidence; it decides the status. */
  ci?: [number, number];
  status: CheckStatus;
  /** One sentence, the deciding fact first. */
  reason: string;
  /** The statistics behind the status: interval, standard error and its parts, quantile, McNemar's test. */
  detail?: string;
}

export interface GateResult {
  verdict: Verdict;
  /** gate.mode: default (a regression must be significant to fail) or strict (a pass must be proven). */
  mode?: 'default' | 'strict';
  /** gate.confidence: the level of every interval in the checks (two-sided). */
  confidence?: number;
  checks: GateCheck[];
  /** Set when the baseline was scored on another test set, so no check compared with it. */
  test_set_changed?: { baseline: string; candidate: string };
  /** How the comparison with the baseline was made, in words (e.g. "paired bootstrap over 1000 test examples"). */
  method?: string;
  /** Smallest drop of each gated metric the test set can detect at the gate's confidence. */
  detectable_drop?: Record<string, number>;
  notes?: string[];
}

export interface BaselineReport {
  source: 'none' | 'file' | 'artifact' | 'model';
  path?: string;
  metrics?: MetricValues;
  /** Per class, when the baseline has it (a report.json, or a re-scored model). */
  per_class?: PerClassReport[];
  /** Why the baseline was not used for deltas (e.g. a different test set), when it was not. */
  ignored_reason?: string;
}

/** One epoch; `batch_size` is there only when training was retried with a smaller batch after running out of GPU memory. */
export interface EpochRecord {
  epoch: number;
  loss: number;
  val_loss: number;
  [metric: string]: number;
}

export interface Fingerprint {
  spec_sha256: string;
  test_set_sha256: string;
  test_label_histogram: Record<string, number>;
  base_model_sha256: string;
  backend: string;
  /** Which device trained the model: "webgpu on NVIDIA H100 80GB HBM3 (Vulkan)", "wasm on CPU (...)". Absent in older reports. */
  device?: string;
  /** auto's warning when a GPU was seen but no GPU path could use it: why, and each path's remedy. */
  gpu_fallback?: string;
  seed: number;
  versions: Record<string, string>;
}

export interface Timing {
  total_s: number;
  features_s: number;
  train_s: number;
  eval_s: number;
}

/** Per-example results on the test set, in test-set order, so a later run can compare paired. */
export interface TestPredictions {
  y_true: number[];
  y_pred: number[];
  /** One entry per repeat (gate.repeats) when more than one head was trained. */
  repeats?: number[][];
}

export interface Report {
  schema_version: 1;
  name: string;
  verdict: Verdict;
  /**
   * crashed: the training process died (a signal, or an exit without a report); `crash` says how.
   * diverged, out_of_memory, budget (reached before a first epoch) and interrupted with `error`:
   * training failed (exit 3) and there is no model; `history` holds the epochs reached.
   */
  status: 'complete' | 'interrupted' | 'budget_reached' | 'crashed' | 'diverged' | 'out_of_memory' | 'budget';
  metrics: MetricValues;
  per_class: PerClassReport[];
  confusion_matrix: { labels: string[]; matrix: number[][] };
  baseline: BaselineReport;
  gate: GateResult;
  history: EpochRecord[];
  best_epoch: number;
  fingerprint: Fingerprint;
  timing: Timing;
  data: { train: number; validation: number; test: number; classes: string[]; skipped_files: string[] };
  model: { base: string; cut: string; feature_dim: number; trainable_params: number; frozen_params: number };
  predictions: TestPredictions;
  /** Metric values of each repeat when gate.repeats > 1. */
  repeats?: MetricValues[];
  /** Phase two of two-phase fine-tuning (model.trainable): what was unfrozen and whether it was kept. */
  finetune?: PhaseTwoReport;
  /** The hyperparameter sweep (spec sweep:) whose best trial was trained and gated. */
  sweep?: SweepReport;
  /** Only with status crashed: how the training process ended. */
  crash?: CrashInfo;
  /** Only when training failed (exit 3): what the run said when it stopped. */
  error?: { message: string };
  /** The workflow run that produced this report (GitHub Actions only): re-runs and releases tell runs apart by it. */
  run?: RunProvenance;
  /** text-classification: the word vectors, the tokenizer and how much of the text they cover. */
  text?: TextReport;
  created_at: string;
}

/** Token counts of a set of texts (after max_tokens). */
export interface TextCountsReport {
  texts: number;
  tokens: number;
  oov_tokens: number;
  truncated_texts: number;
  texts_without_known_words: number;
}

export interface TextReport {
  /** The base: word vectors or (instead) a sentence encoder. */
  word_vectors?: { source: string; sha256: string; words: number; dim: number };
  /** Out of vocabulary here means pieces that were unknown characters. */
  sentence_encoder?: { source: string; sha256: string; vocab_size: number; dim: number };
  tokenizer: { normalisation: string; word_pattern: string; lowercase: boolean; max_tokens: number };
  pooling: string;
  /** Share of tokens with no word vector, per split and over all texts. */
  oov_rate: { train: number; validation: number; test: number; all: number };
  counts: { train: TextCountsReport; validation: TextCountsReport; test: TextCountsReport; all: TextCountsReport };
}

export interface CrashInfo {
  /** The signal that ended the training process (SIGSEGV, SIGABRT, ...), or null when it exited. */
  signal: string | null;
  exit_code: number | null;
  /** The backend in use when it died (the one requested when it died before choosing). */
  backend: string;
  /** The last lines the process wrote to stderr: native crashes explain themselves there. */
  stderr_tail: string[];
  remedy: string;
}

/** One trial of a sweep: its settings, its validation metric (keyed by the metric's name), where it ran. */
export interface SweepTrialRow {
  index: number;
  learning_rate: number;
  batch_size: number;
  best_epoch: number;
  seconds: number;
  /** The 1-based shard that ran it, when the sweep was split over a matrix. */
  shard?: number;
  [metric: string]: number | undefined;
}

export interface SweepReport {
  /** The validation metric that ranked the trials; never a test-set metric. */
  metric: string;
  mode: 'max' | 'min';
  method: 'grid' | 'random';
  trials: SweepTrialRow[];
  /** Index of the trial whose settings were trained and gated. */
  best: number;
}

export interface PhaseTwoReport {
  trainable_layers: string[];
  /** The last frozen layer: the lower part up to it ran once per image. */
  split: string;
  epochs: number;
  learning_rate: number;
  batch_size: number;
  best_epoch: number;
  kept: 'phase_one' | 'phase_two';
  seconds: number;
}

/** Where a report was made: the workflow run, its attempt, and the commit it trained. */
export interface RunProvenance {
  id: number;
  attempt: number;
  /** "owner/repo" */
  repository: string;
  /** The commit the run trained: a pull request's head, not the merge commit GitHub checks out. */
  head_sha: string;
  /** The workflow file, e.g. "finetune-pr.yml", when known. */
  workflow?: string;
  event?: string;
  url?: string;
}

// User errors: things the user can fix (a bad spec, bad data, a bad model, training that failed).
// Each carries the process exit code the CLI and the Action end with. Anything thrown that is not a
// FinetuneError is a bug in this project and is reported as such.

/** Exit codes of `finetune` and the Action (docs/spec.md section 3). */
export const EXIT = {
  PASS: 0,
  GATE_FAILED: 1,
  BAD_INPUT: 2,
  TRAINING_FAILED: 3,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Where in a file a problem is; lines and columns are 1-based. */
export interface ErrorLocation {
  file: string;
  line?: number;
  column?: number;
}

/** One problem found in a config file, so each can become an annotation on its own line. */
export interface ConfigIssue {
  /** Key path such as `gate.metrics.f1_macro.min` or `model.head.hidden[0]`. */
  path: string;
  /** What is wrong, without the key path or the location: `expected ..., got ...`. */
  message: string;
  line?: number;
  column?: number;
}

export interface FinetuneErrorOptions {
  location?: ErrorLocation;
  cause?: unknown;
}

export class FinetuneError extends Error {
  exitCode: number;
  location?: ErrorLocation;

  constructor(message: string, exitCode: number, options: FinetuneErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.exitCode = exitCode;
    if (options.location) this.location = options.location;
  }
}

/** A bad spec file, input or command-line option: exit 2, nothing trained. */
export class ConfigError extends FinetuneError {
  /** Every problem found, when there is more than one place to point at. */
  issues: ConfigIssue[];

  constructor(message: string, options: FinetuneErrorOptions & { issues?: ConfigIssue[] } = {}) {
    super(message, EXIT.BAD_INPUT, options);
    this.issues = options.issues ?? [];
  }
}

/** Unreadable or inconsistent data: exit 2. */
export class DataError extends FinetuneError {
  constructor(message: string, options: FinetuneErrorOptions = {}) {
    super(message, EXIT.BAD_INPUT, options);
  }
}

/** A base model that cannot be loaded, cut or used: exit 2. */
export class ModelError extends FinetuneError {
  constructor(message: string, options: FinetuneErrorOptions = {}) {
    super(message, EXIT.BAD_INPUT, options);
  }
}

/** What ended a training that failed (report.json's `status`, SPEC.md section 6). */
export type TrainingFailure = 'diverged' | 'out_of_memory' | 'budget' | 'interrupted';

/** Training diverged, ran out of memory or out of budget before a first epoch: exit 3. */
export class TrainingError extends FinetuneError {
  /** What happened, for the report written on the way out; undefined: not told apart. */
  failure?: TrainingFailure;

  constructor(message: string, options: FinetuneErrorOptions & { failure?: TrainingFailure } = {}) {
    super(message, EXIT.TRAINING_FAILED, options);
    if (options.failure) this.failure = options.failure;
  }
}

export function isFinetuneError(err: unknown): err is FinetuneError {
  return err instanceof FinetuneError;
}

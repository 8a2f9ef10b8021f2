// Pure validation of a model.json weights manifest before any byte is loaded: the file loader
// of TF.js joins manifest paths onto the model folder unchecked, so a model.json could
// otherwise read any file into its "weights".
import path from 'node:path';
import { ModelError } from '../errors.js';

export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: string; min?: number; scale?: number };
}
export interface WeightsGroup {
  paths: string[];
  weights: WeightSpec[];
}

/** A documented cap: a bigger base does not fit a CI runner's memory or wasm's 4 GB anyway. */
export const MAX_PARAMETERS = 100_000_000;

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1 };
const QUANT_BYTES: Record<string, number> = { uint8: 1, uint16: 2, float16: 2 };

/** Own keys only: "toString" or "__proto__" must not pass for a dtype. */
const known = (table: Record<string, number>, key: unknown): key is string => typeof key === 'string' && Object.hasOwn(table, key);

export function bytesOf(spec: WeightSpec): number {
  const count = spec.shape.reduce((a, b) => a * b, 1);
  const per = spec.quantization ? QUANT_BYTES[spec.quantization.dtype] : DTYPE_BYTES[spec.dtype];
  return count * per;
}

export interface CheckedManifest {
  groups: WeightsGroup[];
  specs: WeightSpec[];
  totalBytes: number;
}

/**
 * Checks structure, paths, dtypes, shapes and the parameter cap; returns the flat list of weight
 * specs. `where` names the model.json in messages. Throws only ModelError.
 */
export function validateManifest(manifest: unknown, where: string): CheckedManifest {
  if (!Array.isArray(manifest)) throw new ModelError(`${where}: weightsManifest must be a list, got ${kind(manifest)}`);
  const groups: WeightsGroup[] = [];
  const specs: WeightSpec[] = [];
  manifest.forEach((group: unknown, g) => {
    const at = `${where}: weightsManifest[${g}]`;
    const checked = checkGroup(group, at);
    groups.push(checked);
    specs.push(...checked.weights);
  });
  const params = specs.reduce((s, w) => s + w.shape.reduce((a, b) => a * b, 1), 0);
  if (params > MAX_PARAMETERS) {
    throw new ModelError(`${where}: the weights declare ${params} parameters, past the limit of ${MAX_PARAMETERS}`);
  }
  return { groups, specs, totalBytes: specs.reduce((s, w) => s + bytesOf(w), 0) };
}

function checkGroup(group: unknown, at: string): WeightsGroup {
  // null, a number or a string has no "paths" list either.
  const g = group as Partial<WeightsGroup> | null;
  if (!Array.isArray(g?.paths) || !Array.isArray(g.weights)) {
    throw new ModelError(`${at}: needs "paths" and "weights" lists`);
  }
  // Array.from turns holes into undefined, which the checks then see (forEach would skip them).
  const paths: unknown[] = Array.from(g.paths);
  paths.forEach((p, i) => checkWeightPath(p, `${at}.paths[${i}]`));
  return { paths: paths as string[], weights: Array.from(g.weights, (w: unknown, i) => checkWeightSpec(w, `${at}.weights[${i}]`)) };
}

/** Returns a clean copy: TF.js reads any "quantization" key, even a null one. */
function checkWeightSpec(spec: unknown, at: string): WeightSpec {
  const w = spec as Partial<WeightSpec> | null;
  if (typeof w?.name !== 'string') throw new ModelError(`${at}: each weight needs a "name"`);
  const where = `${at} ("${w.name}")`;
  const shape: unknown[] | undefined = Array.isArray(w.shape) ? Array.from(w.shape) : undefined;
  if (!shape?.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
    throw new ModelError(`${where}: shape must be a list of non-negative integers, got ${JSON.stringify(w.shape) ?? 'nothing'}`);
  }
  if (!known(DTYPE_BYTES, w.dtype)) {
    throw new ModelError(
      `${where}: unsupported dtype ${JSON.stringify(w.dtype) ?? 'undefined'} (supported: ${Object.keys(DTYPE_BYTES).join(', ')})`,
    );
  }
  const out: WeightSpec = { name: w.name, shape: shape as number[], dtype: w.dtype };
  if (w.quantization !== undefined && w.quantization !== null) out.quantization = checkQuantization(w.quantization, w.dtype, where);
  return out;
}

function checkQuantization(q: unknown, dtype: string, where: string): NonNullable<WeightSpec['quantization']> {
  // Never null here; a number or a string has no "dtype".
  const quant = q as NonNullable<WeightSpec['quantization']>;
  if (!known(QUANT_BYTES, quant.dtype)) {
    throw new ModelError(
      `${where}: unsupported quantization dtype ${JSON.stringify(quant.dtype) ?? 'undefined'} (supported: ${Object.keys(QUANT_BYTES).join(', ')})`,
    );
  }
  const allowed = quant.dtype === 'float16' ? ['float32'] : ['float32', 'int32'];
  if (!allowed.includes(dtype)) throw new ModelError(`${where}: ${quant.dtype} quantization cannot hold ${dtype} weights`);
  // uint8/uint16 values are dequantised as min + scale * q: both must be real numbers.
  if (quant.dtype !== 'float16' && !(Number.isFinite(quant.min) && Number.isFinite(quant.scale))) {
    throw new ModelError(`${where}: ${quant.dtype} quantization needs numeric "min" and "scale"`);
  }
  return { ...quant };
}

// C0 controls and DEL: no file name a model converter writes holds one.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

/** A weights path must be a plain relative path that stays inside the model's folder. */
export function checkWeightPath(p: unknown, where: string): void {
  if (typeof p !== 'string' || p.length === 0) throw new ModelError(`${where}: must be a non-empty string, got ${kind(p)}`);
  if (/^[a-z][a-z0-9+.-]*:/i.test(p) || path.isAbsolute(p) || /^[\\/]/.test(p)) {
    throw new ModelError(`${where}: "${p}" must be a path relative to the model's folder (no URL scheme, no absolute path)`);
  }
  // Over https a URL resolver decodes %2e%2e to "..": check the decoded form too.
  for (const form of [p, percentDecoded(p)]) {
    // The URL parser drops tabs and newlines, so ".\t./w.bin" would be fetched as "../w.bin".
    if (CONTROL_CHARACTER.test(form)) throw new ModelError(`${where}: ${JSON.stringify(p)} holds a control character`);
    const normal = path.posix.normalize(form.replace(/\\/g, '/'));
    if (normal === '..' || normal.startsWith('../')) throw new ModelError(`${where}: "${p}" leaves the model's folder`);
  }
}

function percentDecoded(p: string): string {
  try {
    return decodeURIComponent(p);
  } catch {
    return p;
  }
}

function kind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  return typeof v === 'string' ? JSON.stringify(v) : typeof v;
}

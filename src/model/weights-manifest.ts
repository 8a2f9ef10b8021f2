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

export function bytesOf(spec: WeightSpec): number {
  const count = spec.shape.reduce((a, b) => a * b, 1);
  const per = spec.quantization ? QUANT_BYTES[spec.quantization.dtype] : DTYPE_BYTES[spec.dtype];
  return count * per;
}

/** Checks structure, dtypes, shapes and the parameter cap; returns the flat list of weight specs. */
export function validateManifest(manifest: unknown, where: string): { groups: WeightsGroup[]; specs: WeightSpec[]; totalBytes: number } {
  if (!Array.isArray(manifest)) throw new ModelError(`${where}: weightsManifest must be a list`);
  const groups = manifest as WeightsGroup[];
  const specs: WeightSpec[] = [];
  let params = 0;
  for (const [g, group] of groups.entries()) {
    if (!group || !Array.isArray(group.paths) || !Array.isArray(group.weights)) {
      throw new ModelError(`${where}: weightsManifest[${g}] needs "paths" and "weights" lists`);
    }
    group.paths.forEach((p, i) => checkWeightPath(p, `${where}: weightsManifest[${g}].paths[${i}]`));
    for (const w of group.weights) {
      checkWeightSpec(w, `${where}: weight "${w?.name}"`);
      params += w.shape.reduce((a, b) => a * b, 1);
      specs.push(w);
    }
  }
  if (params > MAX_PARAMETERS) {
    throw new ModelError(`${where}: ${params} parameters is past the limit of ${MAX_PARAMETERS}`);
  }
  return { groups, specs, totalBytes: specs.reduce((s, w) => s + bytesOf(w), 0) };
}

function checkWeightSpec(w: WeightSpec, where: string): void {
  if (!w || typeof w.name !== 'string') throw new ModelError(`${where}: each weight needs a name`);
  if (!Array.isArray(w.shape) || !w.shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new ModelError(`${where}: shape must be a list of non-negative integers`);
  }
  if (!(w.dtype in DTYPE_BYTES)) {
    throw new ModelError(`${where}: unsupported dtype "${w.dtype}" (supported: ${Object.keys(DTYPE_BYTES).join(', ')})`);
  }
  if (w.quantization && !(w.quantization.dtype in QUANT_BYTES)) {
    throw new ModelError(`${where}: unsupported quantization dtype "${w.quantization.dtype}"`);
  }
}

/** A weights path must be a plain relative path that stays inside the model's folder. */
export function checkWeightPath(p: unknown, where: string): void {
  if (typeof p !== 'string' || p.length === 0) throw new ModelError(`${where}: must be a non-empty string`);
  if (p.includes('\0') || /^[a-z][a-z0-9+.-]*:/i.test(p) || path.isAbsolute(p) || p.startsWith('\\')) {
    throw new ModelError(`${where}: "${p}" must be a path relative to the model's folder`);
  }
  const normal = path.posix.normalize(p.replace(/\\/g, '/'));
  if (normal === '..' || normal.startsWith('../')) {
    throw new ModelError(`${where}: "${p}" leaves the model's folder`);
  }
}

// The weights manifest of a model.json, checked before any weight byte is read: each message a
// user sees for a bad manifest, and the manifests TF.js converters really write, accepted.
import { describe, expect, it } from 'vitest';
import { ModelError } from '../src/errors.js';
import { checkWeightPath, MAX_PARAMETERS, validateManifest } from '../src/model/weights-manifest.js';

const refusal = (manifest: unknown): string => {
  try {
    validateManifest(manifest, 'model.json');
  } catch (err) {
    expect(err).toBeInstanceOf(ModelError);
    return (err as Error).message;
  }
  throw new Error('the manifest was accepted');
};
const oneWeight = (weight: unknown) => [{ paths: ['w.bin'], weights: [weight] }];
const pathRefusal = (p: unknown): string => {
  try {
    checkWeightPath(p, 'paths[0]');
  } catch (err) {
    expect(err).toBeInstanceOf(ModelError);
    return (err as Error).message;
  }
  throw new Error(`${JSON.stringify(p)} was accepted`);
};

describe('weight paths', () => {
  it('accepts the plain relative paths converters write, including a colon or ".." inside a name', () => {
    for (const p of [
      'group1-shard1of1.bin',
      'weights/group1-shard1of2',
      'a/b:c.bin',
      'a..b.bin',
      '..w.bin',
      'dir/../w.bin',
      'my weights.bin',
    ]) {
      expect(() => checkWeightPath(p, 'paths[0]'), p).not.toThrow();
    }
  });

  it('refuses ".." itself and paths that normalise to it', () => {
    expect(pathRefusal('..')).toBe(`paths[0]: ".." leaves the model's folder`);
    expect(pathRefusal('a/../..')).toBe(`paths[0]: "a/../.." leaves the model's folder`);
    expect(pathRefusal('%2E%2E')).toBe(`paths[0]: "%2E%2E" leaves the model's folder`);
  });

  it('names what it got when a path is not a string', () => {
    expect(pathRefusal(null)).toBe('paths[0]: must be a non-empty string, got null');
    expect(pathRefusal(['w.bin'])).toBe('paths[0]: must be a non-empty string, got a list');
    expect(pathRefusal(7)).toBe('paths[0]: must be a non-empty string, got number');
    expect(pathRefusal(undefined)).toBe('paths[0]: must be a non-empty string, got undefined');
    expect(pathRefusal('')).toBe('paths[0]: must be a non-empty string, got ""');
  });

  it('refuses a URL scheme only at the start', () => {
    expect(pathRefusal('data:application/octet-stream;base64,AAAA')).toMatch(
      /^paths\[0\]: "data:.*" must be a path relative to the model's folder/,
    );
    expect(pathRefusal('C:w.bin')).toMatch(/must be a path relative to the model's folder/);
  });
});

describe('weights manifest', () => {
  it('names what it got when the manifest or a group is not a list or object', () => {
    expect(refusal(null)).toBe('model.json: weightsManifest must be a list, got null');
    expect(refusal({ paths: [] })).toBe('model.json: weightsManifest must be a list, got object');
    expect(refusal('w.bin')).toBe('model.json: weightsManifest must be a list, got "w.bin"');
    expect(refusal([null])).toBe('model.json: weightsManifest[0]: needs "paths" and "weights" lists');
  });

  it('accepts shapes with a zero dimension and names a missing shape', () => {
    expect(validateManifest(oneWeight({ name: 'empty', shape: [0, 3], dtype: 'float32' }), 'model.json').totalBytes).toBe(0);
    expect(refusal(oneWeight({ name: 'w', dtype: 'float32' }))).toBe(
      'model.json: weightsManifest[0].weights[0] ("w"): shape must be a list of non-negative integers, got nothing',
    );
    expect(refusal(oneWeight({ name: 'w', shape: [2, -1], dtype: 'float32' }))).toBe(
      'model.json: weightsManifest[0].weights[0] ("w"): shape must be a list of non-negative integers, got [2,-1]',
    );
  });

  it('names a missing dtype and lists the supported ones', () => {
    expect(refusal(oneWeight({ name: 'w', shape: [1] }))).toBe(
      'model.json: weightsManifest[0].weights[0] ("w"): unsupported dtype undefined (supported: float32, int32, bool)',
    );
  });

  it(`accepts exactly ${MAX_PARAMETERS} parameters and refuses one more`, () => {
    const group = (n: number) => ({ paths: ['w.bin'], weights: [{ name: 'w', shape: [n], dtype: 'bool' }] });
    expect(validateManifest([group(MAX_PARAMETERS)], 'model.json').totalBytes).toBe(MAX_PARAMETERS);
    expect(refusal([group(MAX_PARAMETERS - 1), group(2)])).toBe(
      `model.json: the weights declare ${MAX_PARAMETERS + 1} parameters, past the limit of ${MAX_PARAMETERS}`,
    );
  });
});

describe('quantised weights', () => {
  const quantised = (dtype: string, quantization: unknown) => oneWeight({ name: 'q', shape: [4], dtype, quantization });

  it('reads uint8 and uint16 as min + scale * q for float32 and int32 weights, float16 for float32 weights', () => {
    const bytes = (dtype: string, quantization: unknown) => validateManifest(quantised(dtype, quantization), 'model.json').totalBytes;
    expect(bytes('float32', { dtype: 'uint8', min: -1, scale: 0.01 })).toBe(4);
    expect(bytes('int32', { dtype: 'uint8', min: 0, scale: 1 })).toBe(4);
    expect(bytes('int32', { dtype: 'uint16', min: 0, scale: 1 })).toBe(8);
    // float16 needs neither min nor scale.
    expect(bytes('float32', { dtype: 'float16' })).toBe(8);
    expect(validateManifest(quantised('float32', { dtype: 'float16' }), 'model.json').specs[0].quantization).toEqual({ dtype: 'float16' });
  });

  it('ignores a null quantization, as if there were none', () => {
    const { specs, totalBytes } = validateManifest(quantised('float32', null), 'model.json');
    expect(totalBytes).toBe(16);
    expect(specs[0]).toEqual({ name: 'q', shape: [4], dtype: 'float32' });
  });

  it('refuses a quantization that cannot hold the weight dtype', () => {
    expect(refusal(quantised('int32', { dtype: 'float16' }))).toBe(
      'model.json: weightsManifest[0].weights[0] ("q"): float16 quantization cannot hold int32 weights',
    );
    expect(refusal(quantised('bool', { dtype: 'uint8', min: 0, scale: 1 }))).toBe(
      'model.json: weightsManifest[0].weights[0] ("q"): uint8 quantization cannot hold bool weights',
    );
  });

  it('needs a numeric min and scale for uint8 and uint16', () => {
    const message = (dtype: string) =>
      `model.json: weightsManifest[0].weights[0] ("q"): ${dtype} quantization needs numeric "min" and "scale"`;
    expect(refusal(quantised('float32', { dtype: 'uint8', min: 0 }))).toBe(message('uint8'));
    expect(refusal(quantised('float32', { dtype: 'uint16', scale: 1 }))).toBe(message('uint16'));
    expect(refusal(quantised('float32', { dtype: 'uint8', min: 'x', scale: 1 }))).toBe(message('uint8'));
  });

  it('names a missing quantization dtype and lists the supported ones', () => {
    expect(refusal(quantised('float32', { min: 0, scale: 1 }))).toBe(
      'model.json: weightsManifest[0].weights[0] ("q"): unsupported quantization dtype undefined (supported: uint8, uint16, float16)',
    );
  });
});

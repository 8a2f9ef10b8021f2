import { expect } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { parseSpec } from '../../src/spec/load.js';

/** Lines 1-8 of the inline specs in the spec tests; a section appended after it starts on line 9. */
export const SPEC_HEAD = `version: 1
name: demo
task: image-classification
model:
  base: models/base/model.json
data:
  format: image-folder
  train: data/train
`;

/** Runs `run` and returns the ConfigError it throws (exit 2), failing when it throws nothing else. */
export function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError, but nothing was thrown');
}

/** The message of the spec error that parsing `text` gives. */
export const specErrorMessage = (text: string): string => configError(() => parseSpec(text, 'finetune.yml')).message;

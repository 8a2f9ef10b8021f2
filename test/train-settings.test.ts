// The train: keys of the spec file: what a spec that leaves them out trains with, and the
// messages for settings that cannot apply.
import { describe, expect, it } from 'vitest';
import { parseSpec } from '../src/spec/load.js';
import { resolveTrainSettings } from '../src/train/settings.js';
import { SPEC_HEAD, specErrorMessage } from './helpers/spec-text.js';

const HEAD = SPEC_HEAD;

const settings = (train: string) => resolveTrainSettings(parseSpec(`${HEAD}train:\n${train}`, 'finetune.yml').train);

const errorOf = (train: string): string => specErrorMessage(`${HEAD}train:\n${train}`);

describe('defaults of the train keys', () => {
  it('trains with adam, no weight decay, no clipping and a cosine schedule with one warmup epoch', () => {
    const s = settings('  epochs: 20\n');
    expect(s).toMatchObject({
      optimizer: 'adam',
      learning_rate: 0.001,
      weight_decay: 0,
      momentum: 0.9,
      nesterov: false,
      label_smoothing: 0,
    });
    expect(s.clip_norm).toBeUndefined();
    expect(s.class_weights).toBeUndefined();
    expect(s.schedule).toMatchObject({ type: 'cosine', warmup_epochs: 1, min_lr: 0 });
  });

  it('gives adamw a weight decay of 0.01 unless the spec sets one', () => {
    expect(settings('  optimizer: adamw\n').weight_decay).toBe(0.01);
    expect(settings('  optimizer: adamw\n  weight_decay: 0.1\n').weight_decay).toBe(0.1);
  });

  it('fills each schedule type with its own defaults', () => {
    expect(settings('  schedule: { type: step }\n').schedule).toMatchObject({ warmup_epochs: 0, step_size: 10, gamma: 0.1 });
    expect(settings('  schedule: { type: exponential }\n').schedule).toMatchObject({ warmup_epochs: 0, gamma: 0.9 });
    expect(settings('  schedule: { type: plateau }\n').schedule).toMatchObject({
      patience: 2,
      factor: 0.2,
      min_lr: 0,
      monitor: 'val_loss',
    });
  });

  it('reads sgd momentum, clipping, class weights and label smoothing as written', () => {
    const s = settings(
      '  optimizer: sgd\n  momentum: 0.5\n  nesterov: true\n  clip_norm: 1\n  class_weights: { shirt: 2 }\n  label_smoothing: 0.1\n',
    );
    expect(s).toMatchObject({ momentum: 0.5, nesterov: true, clip_norm: 1, class_weights: { shirt: 2 }, label_smoothing: 0.1 });
    expect(settings('  class_weights: balanced\n').class_weights).toBe('balanced');
  });
});

describe('train keys that cannot apply are spec errors (exit 2)', () => {
  it('names momentum set for an optimizer other than sgd', () => {
    expect(errorOf('  momentum: 0.8\n')).toBe(
      'train.momentum: expected no momentum for optimizer "adam" (it applies to "sgd") (finetune.yml line 10)',
    );
  });

  it('names a schedule key the schedule type does not read', () => {
    expect(errorOf('  schedule: { type: cosine, gamma: 0.5 }\n')).toBe(
      'train.schedule.gamma: expected no gamma for schedule type "cosine" (it applies to "step", "exponential") (finetune.yml line 10)',
    );
  });

  it('refuses a schedule floor at or above the learning rate', () => {
    expect(errorOf('  learning_rate: 0.01\n  schedule: { min_lr: 0.01 }\n')).toMatch(
      /^train\.schedule\.min_lr: expected a number below learning_rate \(0\.01\), got 0\.01/,
    );
  });

  it('refuses out-of-range values', () => {
    expect(errorOf('  label_smoothing: 1\n')).toMatch(/^train\.label_smoothing: expected a number in \[0, 1\), got 1/);
    expect(errorOf('  clip_norm: 0\n')).toMatch(/^train\.clip_norm: expected a number greater than 0, got 0/);
    expect(errorOf('  schedule: { type: step, step_size: 0 }\n')).toMatch(/^train\.schedule\.step_size: expected an integer >= 1, got 0/);
  });

  it('explains class_weights that are neither balanced nor a mapping of weights', () => {
    expect(errorOf('  class_weights: equal\n')).toMatch(
      /^train\.class_weights: expected "balanced" or a mapping \{ <label>: weight \}, got "equal"/,
    );
    expect(errorOf('  class_weights: { shirt: -1 }\n')).toMatch(/^train\.class_weights\.shirt: expected a number >= 0, got -1/);
  });

  it('suggests the schedule type meant', () => {
    expect(errorOf('  schedule: { type: cosin }\n')).toMatch(/train\.schedule\.type: expected one of .*; did you mean "cosine"\?/);
  });
});

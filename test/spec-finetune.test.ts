// The spec keys of two-phase fine-tuning: model.trainable (a count or names / patterns) and
// train.finetune, with their defaults and the mistakes worth naming.
import { describe, expect, it } from 'vitest';
import { parseSpec } from '../src/spec/load.js';
import { phaseTwoSettings } from '../src/train/finetune.js';
import { SPEC_HEAD, specErrorMessage } from './helpers/spec-text.js';

const withModel = (model: string, train = '') =>
  `${SPEC_HEAD.replace('  base: models/base/model.json\n', `  base: models/base/model.json\n${model}`)}${train ? `train:\n${train}` : ''}`;

const errorOf = specErrorMessage;

describe('model.trainable and train.finetune', () => {
  it('takes a count or a list of layer names and patterns', () => {
    expect(parseSpec(withModel('  trainable: 4\n'), 'f.yml').model.trainable).toBe(4);
    expect(parseSpec(withModel("  trainable: ['block_16_*', Conv_1]\n"), 'f.yml').model.trainable).toEqual(['block_16_*', 'Conv_1']);
    expect(parseSpec(withModel(''), 'f.yml').model.trainable).toBe(0);
    expect(errorOf(withModel('  trainable: -1\n'))).toMatch(/model\.trainable/);
    expect(errorOf(withModel('  trainable: []\n'))).toMatch(/model\.trainable/);
  });

  it('refuses train.finetune while the base stays frozen, naming the key and its line', () => {
    const msg = errorOf(withModel('', '  finetune: { epochs: 3 }\n'));
    expect(msg).toMatch(/train\.finetune: expected no finetune while model\.trainable is 0/);
    expect(msg).toMatch(/line 10/);
  });

  it('defaults phase two to 5 epochs at a tenth of the rate, the same batch, and the budget phase one left', () => {
    const spec = parseSpec(withModel('  trainable: 2\n', '  learning_rate: 0.002\n  batch_size: 48\n  max_minutes: 10\n'), 'f.yml');
    const s = phaseTwoSettings(spec.train, 120);
    expect(s).toMatchObject({ epochs: 5, learning_rate: 0.0002, batch_size: 48, max_minutes: 8 });
    const set = parseSpec(withModel('  trainable: 2\n', '  finetune: { epochs: 2, learning_rate: 0.00005, batch_size: 16 }\n'), 'f.yml');
    expect(phaseTwoSettings(set.train, 0)).toMatchObject({ epochs: 2, learning_rate: 0.00005, batch_size: 16 });
  });

  it('lowers a cosine floor that would sit above the phase-two rate', () => {
    const spec = parseSpec(withModel('  trainable: 2\n', '  learning_rate: 0.01\n  schedule: { type: cosine, min_lr: 0.005 }\n'), 'f.yml');
    expect(phaseTwoSettings(spec.train, 0).schedule.min_lr).toBe(0);
  });
});

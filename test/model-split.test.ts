// Splitting the real MobileNetV2 for fine-tuning its top: the split lands on a block boundary (no
// residual branch crosses it), lower then upper gives the base's own output, and the upper part
// shares its weights with the base that is exported.
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../src/backend/tf.js';
import { selectBackend } from '../src/backend/select.js';
import { readModelSource } from '../src/model/source.js';
import { buildBackbone, type Backbone } from '../src/model/backbone.js';
import { globToRegExp, selectTrainableLayers, splitBase, weightedLayers } from '../src/model/split.js';
import { silentLogger } from '../src/util/log.js';
import { ConfigError } from '../src/errors.js';
import { EXAMPLE_MODEL_DIR } from './helpers/models.js';
import path from 'node:path';

async function mobilenet(cut: string): Promise<Backbone> {
  const source = await readModelSource('mobilenet_v2', path.join(EXAMPLE_MODEL_DIR, 'model.json'));
  return buildBackbone(source, { cut, size: [64, 64], channels: 3 });
}

describe('splitting the base for phase two', () => {
  beforeAll(async () => {
    await selectBackend('cpu', silentLogger, process.cwd());
  });

  it('picks the top N layers with weights, or the layers a pattern names', async () => {
    const b = await mobilenet('block_13_expand_relu');
    const weighted = weightedLayers(b.model).map((l) => l.name);
    expect(selectTrainableLayers(b.model, 2)).toEqual(weighted.slice(-2));
    expect(selectTrainableLayers(b.model, 2)).toEqual(['block_13_expand', 'block_13_expand_BN']);
    const block12 = selectTrainableLayers(b.model, ['block_12_*']);
    expect(block12.length).toBe(6);
    expect(block12.every((n) => n.startsWith('block_12_'))).toBe(true);
    expect(() => selectTrainableLayers(b.model, ['block_99_*'])).toThrow(ConfigError);
    expect(() => selectTrainableLayers(b.model, ['block_12_add'])).toThrow(/only layers without weights/);
    expect(() => selectTrainableLayers(b.model, 10_000)).toThrow(/more than the/);
    expect(globToRegExp('block_1?_*').test('block_1?_x')).toBe(true);
    expect(globToRegExp('block_1?_*').test('block_10_x')).toBe(false);
  });

  it('splits on the block boundary below a residual block and reproduces the base output', async () => {
    const b = await mobilenet('block_13_expand_relu');
    const s = splitBase(b, ['block_12_*']);
    // block_12 adds its input (block_11_add) back: the split must be below that branch.
    expect(s.split).toBe('block_11_add');
    expect(s.splitShape).toEqual([4, 4, 96]);
    const x = tf.randomUniform([3, 64, 64, 3], -1, 1, 'float32', 7);
    const whole = b.model.predict(x) as tf.Tensor;
    const lowerOut = s.lower.predict(x) as tf.Tensor;
    expect(lowerOut.shape).toEqual([3, s.splitDim]);
    const twoPart = s.upper.predict(lowerOut) as tf.Tensor;
    expect(twoPart.shape).toEqual(whole.shape);
    const diff = (await whole.sub(twoPart).abs().max().data())[0];
    expect(diff).toBeLessThan(1e-5);
    // Trainable: conv kernels, BN scale/offset of block 12 (moving statistics stay frozen).
    expect(s.trainableParams).toBe(s.variables.reduce((n, v) => n + v.size, 0));
    expect(s.variables.every((v) => v.trainable)).toBe(true);
  });

  it('shares weights: a change through the upper part shows in the base', async () => {
    const b = await mobilenet('block_13_expand_relu');
    const s = splitBase(b, 2);
    expect(s.split).toBe('block_12_add');
    const kernel = s.variables[0];
    kernel.assign(kernel.mul(2));
    const direct = b.model.getLayer('block_13_expand').getWeights()[0];
    const same = (await direct.sub(kernel).abs().max().data())[0];
    expect(same).toBe(0);
  });
});

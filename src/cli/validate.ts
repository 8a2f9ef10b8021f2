// `finetune validate`: everything short of training: schema, paths, data, base model, cut layer,
// the layers model.trainable unfreezes and the parameter counts that follow.
import path from 'node:path';
import { loadSpec, findRepoRoot } from '../spec/load.js';
import { loadDataset } from '../data/load.js';
import { loadBase } from '../pipeline/features.js';
import { splitBase, unfreezesBase } from '../model/split.js';
import { selectBackend } from '../backend/select.js';
import type { Logger } from '../util/log.js';
import { EXIT } from '../errors.js';
import { buildBackbone, type Backbone } from '../model/backbone.js';
import { cutCandidates } from '../model/cut-candidates.js';
import type { ModelSource } from '../model/source.js';
import { layerNames, modelConfigOf } from '../model/topology.js';
import type { Spec } from '../spec/schema.js';
import type { tf } from '../backend/tf.js';

/** How many of the highest cut candidates validate lists (the useful cuts are near the top). */
const CANDIDATES_SHOWN = 12;

export async function validateCommand(specPath: string, log: Logger): Promise<number> {
  const root = findRepoRoot(path.dirname(path.resolve(specPath)));
  const { spec } = loadSpec(specPath, { root });
  log.info(`spec: ${specPath} is valid (name ${spec.name}, task ${spec.task})`);
  const data = loadDataset(spec, root, log);
  log.info(`data: ${data.train.length} train, ${data.validation.length} validation, ${data.test.length} test; classes: ${data.classes.join(', ')}`);
  if (spec.task === 'image-classification') {
    await selectBackend('cpu', { ...log, info: () => {} }, root);
    const { backbone, source } = await loadBase(spec, root);
    const head = spec.model.head.hidden;
    const widths = [backbone.featureDim, ...head, data.classes.length];
    const headParams = widths.slice(1).reduce((s, w, i) => s + widths[i] * w + w, 0);
    log.info(`base model: ${spec.model.base} (sha256 ${source.sha256.slice(0, 12)}), cut at "${backbone.cut}" -> ${backbone.outputShape.join('x')}`);
    log.info(await candidatesText(spec, source, backbone));
    if (unfreezesBase(spec.model.trainable)) {
      const split = splitBase(backbone, spec.model.trainable);
      const layers = split.trainableLayers;
      log.info(`model.trainable: ${layers.length} base layers unfrozen for phase two: ${layers.join(', ')}; frozen part up to "${split.split}" (${split.splitShape.join('x')})`);
      log.info(
        `parameters: ${backbone.params - split.trainableParams} frozen, ${split.trainableParams + headParams} trainable ` +
          `(${split.trainableParams} base + ${headParams} head ${widths.join(' -> ')})`,
      );
    } else {
      log.info(`parameters: ${backbone.params} frozen (base up to the cut), ${headParams} trainable (head ${widths.join(' -> ')})`);
    }
  }
  log.info('OK');
  return EXIT.PASS;
}

/**
 * The layers model.cut can name, with their output shapes: at the spec's input size when the whole
 * model builds at that size, else at the model's own (a Flatten before a Dense fixes the size).
 */
async function candidatesText(spec: Spec, source: ModelSource, backbone: Backbone): Promise<string> {
  const last = layerNames(modelConfigOf(source.modelTopology)).at(-1) as string;
  const channels = spec.model.input.channels;
  let size: [number, number] | undefined = [backbone.inputShape[0], backbone.inputShape[1]];
  let model: tf.LayersModel;
  try {
    model = (await buildBackbone(source, { cut: last, size, channels })).model;
  } catch {
    size = undefined;
    try {
      model = (await buildBackbone(source, { cut: last, channels })).model;
    } catch {
      model = backbone.model;
      size = [backbone.inputShape[0], backbone.inputShape[1]];
    }
  }
  const all = cutCandidates(model);
  const shown = all.slice(-CANDIDATES_SHOWN);
  const cut = all.find((c) => c.name === backbone.cut);
  if (cut && !shown.includes(cut)) shown.unshift(cut);
  const width = Math.max(...shown.map((c) => c.name.length));
  const lines = shown.map((c) => `  ${c === cut ? '*' : ' '} ${c.name.padEnd(width)}  ${c.shape.join('x')}`);
  const count = all.length > shown.length ? `the top ${shown.length} of ${all.length}` : `all ${all.length}`;
  const at = size ? `at ${size.join('x')}` : `at the model's own input size ${(model.inputs[0].shape as number[]).slice(1, 3).join('x')} (the layers above the cut do not take ${backbone.inputShape.slice(0, 2).join('x')})`;
  return [`cut candidates, layers whose output alone feeds every layer above (${count}; output shapes ${at}; * the cut):`, ...lines].join('\n');
}

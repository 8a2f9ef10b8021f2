// `finetune validate`: everything short of training: schema, paths, data, base model, cut layer,
// the layers model.trainable unfreezes and the parameter counts that follow.
import path from 'node:path';
import { loadSpec, findRepoRoot } from '../spec/load.js';
import { loadDataset } from '../data/load.js';
import { isGraphBackbone, loadBase } from '../pipeline/features.js';
import { graphCutCandidates, type GraphBackbone } from '../model/graph-base.js';
import { splitBase, unfreezesBase } from '../model/split.js';
import { selectBackend } from '../backend/select.js';
import type { Logger } from '../util/log.js';
import { EXIT } from '../errors.js';
import { buildBackbone, type Backbone } from '../model/backbone.js';
import { cutCandidates, type CutCandidate } from '../model/cut-candidates.js';
import type { ModelSource } from '../model/source.js';
import { layerNames, modelConfigOf } from '../model/topology.js';

/** How many of the highest cut candidates validate lists (the useful cuts are near the top). */
const CANDIDATES_SHOWN = 12;
import { textSettings, type Spec } from '../spec/schema.js';
import { loadWordVectors, resolveWordVectors } from '../text/word-vectors.js';
import { featureDim } from '../text/features.js';
import { isEncoderPath, loadSentenceEncoder } from '../text/encoder.js';
import { defaultCacheDir } from '../features/cache.js';

export async function validateCommand(specPath: string, log: Logger): Promise<number> {
  const root = findRepoRoot(path.dirname(path.resolve(specPath)));
  const { spec } = loadSpec(specPath, { root });
  log.info(`spec: ${specPath} is valid (name ${spec.name}, task ${spec.task})`);
  const data = loadDataset(spec, root, log);
  log.info(
    `data: ${data.train.length} train, ${data.validation.length} validation, ${data.test.length} test; classes: ${data.classes.join(', ')}`,
  );
  if (spec.task === 'image-classification') {
    await selectBackend('cpu', { ...log, info: () => {} }, root);
    const { backbone, source } = await loadBase(spec, root);
    const head = spec.model.head.hidden;
    const widths = [backbone.featureDim, ...head, data.classes.length];
    const headParams = widths.slice(1).reduce((s, w, i) => s + widths[i] * w + w, 0);
    log.info(
      `base model: ${spec.model.base} (sha256 ${source.sha256.slice(0, 12)}), cut at "${backbone.cut}" -> ${backbone.outputShape.join('x')}`,
    );
    if (isGraphBackbone(backbone)) {
      log.info(graphCandidatesText(await graphCutCandidates(backbone, source), backbone));
      log.info(`parameters: ${backbone.params} frozen (GraphModel base), ${headParams} trainable (head ${widths.join(' -> ')})`);
      backbone.graph.dispose();
    } else if (unfreezesBase(spec.model.trainable)) {
      log.info(await candidatesText(spec, source, backbone));
      const split = splitBase(backbone, spec.model.trainable);
      const layers = split.trainableLayers;
      log.info(
        `model.trainable: ${layers.length} base layers unfrozen for phase two: ${layers.join(', ')}; frozen part up to "${split.split}" (${split.splitShape.join('x')})`,
      );
      log.info(
        `parameters: ${backbone.params - split.trainableParams} frozen, ${split.trainableParams + headParams} trainable ` +
          `(${split.trainableParams} base + ${headParams} head ${widths.join(' -> ')})`,
      );
    } else {
      log.info(await candidatesText(spec, source, backbone));
      log.info(`parameters: ${backbone.params} frozen (base up to the cut), ${headParams} trainable (head ${widths.join(' -> ')})`);
    }
  }
  if (spec.task === 'text-classification') await validateText(spec, root, data.classes.length, log);
  log.info('OK');
  return EXIT.PASS;
}

/**
 * The layers model.cut can name, with their output shapes at the spec's input size. Layers that
 * cannot take that size (above a Flatten, say) are listed with their shape at the model's own.
 */
async function candidatesText(spec: Spec, source: ModelSource, backbone: Backbone): Promise<string> {
  const last = layerNames(modelConfigOf(source.modelTopology)).at(-1) as string;
  const channels = spec.model.input.channels;
  const size: [number, number] = [backbone.inputShape[0], backbone.inputShape[1]];
  const build = (cut: string, at?: [number, number]) =>
    buildBackbone(source, { cut, size: at, channels }).then(
      (b) => b.model,
      () => undefined,
    );
  const whole = (await build(last, size)) ?? (await build(last));
  const all = whole ? cutCandidates(whole) : cutCandidates(backbone.model);
  // The highest candidate that takes the spec's size gives the shapes of every candidate below it.
  let atSize = whole && whole.inputs[0].shape[1] === size[0] && whole.inputs[0].shape[2] === size[1] ? whole : undefined;
  for (let i = all.length - 1; !atSize && i >= 0; i--)
    atSize = all[i].name === backbone.cut ? backbone.model : await build(all[i].name, size);
  const shapes = new Map(atSize ? cutCandidates(atSize).map((c) => [c.name, c.shape]) : []);
  const shown = all.slice(-CANDIDATES_SHOWN);
  const cut = all.find((c) => c.name === backbone.cut);
  if (cut && !shown.includes(cut)) shown.unshift(cut);
  const width = Math.max(...shown.map((c) => c.name.length));
  const own = whole ? (whole.inputs[0].shape as number[]).slice(1, 3).join('x') : '';
  const line = (c: (typeof all)[number]) => {
    const at = shapes.get(c.name);
    const shape = !at
      ? `${c.shape.join('x')} at ${own} (does not take ${size.join('x')})`
      : at.includes(0)
        ? `${at.join('x')} (nothing left at this size)`
        : at.join('x');
    return `  ${c === cut ? '*' : ' '} ${c.name.padEnd(width)}  ${shape}`;
  };
  const count = all.length > shown.length ? `the top ${shown.length} of ${all.length}` : `all ${all.length}`;
  return [
    `cut candidates, layers whose output alone feeds every layer above (${count}; output shapes at ${size.join('x')}; * the cut):`,
    ...shown.map(line),
  ].join('\n');
}

/** A GraphModel's nodes that model.cut can name, with their output shapes (one run on a zero image). */
function graphCandidatesText(all: CutCandidate[], backbone: GraphBackbone): string {
  const shown = all.slice(-CANDIDATES_SHOWN);
  const cut = all.find((c) => c.name === backbone.cut);
  if (cut && !shown.includes(cut)) shown.unshift(cut);
  const width = Math.max(0, ...shown.map((c) => c.name.length));
  const count = all.length > shown.length ? `the top ${shown.length} of ${all.length}` : `all ${all.length}`;
  const size = backbone.inputShape.slice(0, 2).join('x');
  const line = (c: CutCandidate) => `  ${c === cut ? '*' : ' '} ${c.name.padEnd(width)}  ${c.shape.join('x')}`;
  return [
    `cut candidates, graph nodes giving a feature vector or map (${count}; output shapes at ${size}; * the cut):`,
    ...shown.map(line),
  ].join('\n');
}

/** Resolves and reads the word vectors (the parsed table is cached as a run would) and states the shapes. */
async function validateText(spec: Spec, root: string, classes: number, log: Logger): Promise<void> {
  const settings = textSettings(spec);
  const head = (dim: number) => {
    const widths = [dim, ...spec.model.head.hidden, classes];
    return { widths, params: widths.slice(1).reduce((s, w, i) => s + widths[i] * w + w, 0) };
  };
  if (isEncoderPath(spec.model.base as string)) {
    await selectBackend('cpu', { ...log, info: () => {} }, root);
    const enc = await loadSentenceEncoder(spec.model.base as string, root);
    enc.dispose();
    const h = head(enc.dim);
    log.info(
      `sentence encoder: ${spec.model.base} (sha256 ${enc.sha256.slice(0, 12)}), ${enc.vocab.size} pieces -> ${enc.dim} features per text`,
    );
    log.info(`parameters: ${enc.params} frozen (encoder), ${h.params} trainable (head ${h.widths.join(' -> ')})`);
    return;
  }
  const vectors = loadWordVectors(await resolveWordVectors(spec.model.base as string, root), defaultCacheDir());
  const dim = featureDim(vectors.dim, settings.pooling);
  const { widths, params: headParams } = head(dim);
  log.info(
    `word vectors: ${spec.model.base} (${vectors.file}, sha256 ${vectors.sha256.slice(0, 12)}), ${vectors.words.length} words x ${vectors.dim}; ${settings.pooling} pooling -> ${dim} features per text`,
  );
  log.info(
    `parameters: ${vectors.words.length * vectors.dim} frozen (word vectors), ${headParams} trainable (head ${widths.join(' -> ')})`,
  );
}

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
  log.info(`data: ${data.train.length} train, ${data.validation.length} validation, ${data.test.length} test; classes: ${data.classes.join(', ')}`);
  if (spec.task === 'image-classification') {
    await selectBackend('cpu', { ...log, info: () => {} }, root);
    const { backbone, source } = await loadBase(spec, root);
    const head = spec.model.head.hidden;
    const widths = [backbone.featureDim, ...head, data.classes.length];
    const headParams = widths.slice(1).reduce((s, w, i) => s + widths[i] * w + w, 0);
    log.info(`base model: ${spec.model.base} (sha256 ${source.sha256.slice(0, 12)}), cut at "${backbone.cut}" -> ${backbone.outputShape.join('x')}`);
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
  if (spec.task === 'text-classification') await validateText(spec, root, data.classes.length, log);
  log.info('OK');
  return EXIT.PASS;
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
    log.info(`sentence encoder: ${spec.model.base} (sha256 ${enc.sha256.slice(0, 12)}), ${enc.vocab.size} pieces -> ${enc.dim} features per text`);
    log.info(`parameters: ${enc.params} frozen (encoder), ${h.params} trainable (head ${h.widths.join(' -> ')})`);
    return;
  }
  const vectors = loadWordVectors(await resolveWordVectors(spec.model.base as string, root), defaultCacheDir());
  const dim = featureDim(vectors.dim, settings.pooling);
  const { widths, params: headParams } = head(dim);
  log.info(`word vectors: ${spec.model.base} (${vectors.file}, sha256 ${vectors.sha256.slice(0, 12)}), ${vectors.words.length} words x ${vectors.dim}; ${settings.pooling} pooling -> ${dim} features per text`);
  log.info(`parameters: ${vectors.words.length * vectors.dim} frozen (word vectors), ${headParams} trainable (head ${widths.join(' -> ')})`);
}

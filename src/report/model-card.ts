// The model card shipped inside the bundle: what the model is, what it was trained and tested on.
import type { Report } from '../domain/types.js';
import { metricsTable, perClassTable } from './markdown.js';

export function renderModelCard(r: Report, task: string): string {
  const f = r.fingerprint;
  return [
    `# Model card: ${r.name}`,
    '',
    `- **Task**: ${task}, ${r.data.classes.length} classes (${r.data.classes.join(', ')})`,
    r.text
      ? `- **Base**: ${r.text.sentence_encoder ? `sentence encoder ${r.model.base}` : `word vectors ${r.model.base}, ${r.text.pooling} pooling`} (${r.model.frozen_params} frozen parameters); new head with ${r.model.trainable_params} trained parameters`
      : `- **Base model**: ${r.model.base}, cut at \`${r.model.cut}\` (${r.model.frozen_params} frozen parameters); new head with ${r.model.trainable_params} trained parameters`,
    ...(r.text
      ? [
          `- **Text**: tokenizer and base reference in \`preprocess.json\` (${r.model.base}, sha256 \`${r.fingerprint.base_model_sha256}\`); out-of-vocabulary rate ${(r.text.oov_rate.test * 100).toFixed(1)}% of the test set's words`,
        ]
      : []),
    `- **Data**: ${r.data.train} training, ${r.data.validation} validation and ${r.data.test} test examples`,
    `- **Verdict of the gate**: ${r.verdict}`,
    '',
    '## Intended use',
    '',
    'Classifies inputs of the same kind and preprocessing as the training data (see `preprocess.json`).',
    'Outputs are softmax probabilities in the order of `labels.json`. It was evaluated only on the test set',
    'described below; performance on other data is unknown and should be measured before use.',
    '',
    '## Test metrics',
    '',
    metricsTable(r),
    '',
    '## Per class',
    '',
    perClassTable(r),
    '',
    '## Fingerprint',
    '',
    `- spec sha256: \`${f.spec_sha256}\``,
    `- test set sha256: \`${f.test_set_sha256}\``,
    `- base model sha256: \`${f.base_model_sha256}\``,
    `- backend: ${f.backend}; seed: ${f.seed}`,
    `- versions: ${Object.entries(f.versions)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    ...provenanceLines(r),
    '',
  ].join('\n');
}

/** Which workflow run and commit produced the model, when it was made in GitHub Actions. */
export function provenanceLines(r: Report): string[] {
  const run = r.run;
  if (!run) return [];
  const where = run.url ? `[${run.id}](${run.url})` : String(run.id);
  return [
    '',
    '## Provenance',
    '',
    `- produced by workflow run ${where}, attempt ${run.attempt}${run.workflow ? ` (${run.workflow}` + (run.event ? `, ${run.event})` : ')') : ''} of ${run.repository}`,
    `- commit: \`${run.head_sha}\``,
  ];
}

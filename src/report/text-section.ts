// report.md's section on the text of a text-classification run: the word vectors, the tokenizer
// and how much of the text the vectors cover (the out-of-vocabulary rate).
import type { Report } from '../domain/types.js';

const pct = (v: number): string => `${(v * 100).toFixed(1)}%`;

export function textSection(r: Report): string[] {
  const t = r.text;
  if (!t) return [];
  const c = t.counts;
  const row = (name: string, k: keyof typeof c) =>
    `| ${name} | ${c[k].texts} | ${c[k].tokens} | ${pct(t.oov_rate[k])} | ${c[k].truncated_texts} | ${c[k].texts_without_known_words} |`;
  return [
    '## Text',
    '',
    t.sentence_encoder
      ? `Sentence encoder ${t.sentence_encoder.source} (${t.sentence_encoder.vocab_size} pieces, ${t.sentence_encoder.dim} features, sha256 \`${t.sentence_encoder.sha256.slice(0, 12)}\`); ` +
        `tokenizer: ${t.tokenizer.normalisation}, ${t.tokenizer.lowercase ? 'lower-cased' : 'case kept'}, highest-scoring pieces, at most ${t.tokenizer.max_tokens} per text; out of vocabulary = unknown characters.`
      : `Word vectors ${t.word_vectors?.source} (${t.word_vectors?.words} words x ${t.word_vectors?.dim}, sha256 \`${t.word_vectors?.sha256.slice(0, 12)}\`), ` +
        `${t.pooling} pooling; tokenizer: ${t.tokenizer.normalisation}, ${t.tokenizer.lowercase ? 'lower-cased' : 'case kept'}, ` +
        `words \`${t.tokenizer.word_pattern}\`, at most ${t.tokenizer.max_tokens} per text.`,
    '',
    '| split | texts | tokens | out of vocabulary | truncated texts | texts with no known word |',
    '|---|---|---|---|---|---|',
    row('train', 'train'),
    row('validation', 'validation'),
    row('test', 'test'),
    '',
  ];
}

// The text tokenizer (docs/text.md): deterministic and the same at training and prediction time.
// NFKC normalisation folds compatibility forms (full-width letters, ligatures such as "ﬁ") into
// their plain letters; lower-casing uses Unicode's default case mapping, not the machine's locale.

export interface TokenizerSettings {
  lowercase: boolean;
  max_tokens: number;
}

/** A word: a maximal run of letters, combining marks and digits of any script. */
const WORD = /[\p{L}\p{M}\p{N}]+/gu;

export interface Tokens {
  tokens: string[];
  /** Words dropped past max_tokens. */
  dropped: number;
}

export function tokenize(text: string, s: TokenizerSettings): Tokens {
  const normal = text.normalize('NFKC');
  const cased = s.lowercase ? normal.toLowerCase() : normal;
  const all = cased.match(WORD) ?? [];
  if (all.length <= s.max_tokens) return { tokens: all, dropped: 0 };
  return { tokens: all.slice(0, s.max_tokens), dropped: all.length - s.max_tokens };
}

// The subword tokenizer of a sentence encoder (docs/text.md): the vocabulary of the Universal
// Sentence Encoder lite layout, vocab.json = [[piece, score], ...] where a piece's id is its index.
// A text is NFKC-normalised (and lower-cased when model.text.lowercase is true), its whitespace
// runs become "▁" with one "▁" in front, and it is split into the pieces whose scores add up to the
// most (Viterbi over every split). A character that starts no piece is one unknown token.
import { ModelError } from '../errors.js';

export const SPACE = '\u2581';

export interface PieceVocab {
  ids: Map<string, number>;
  scores: Float64Array;
  /** Longest piece, in UTF-16 units: no match is tried past it. */
  longest: number;
  /** Id given to an unknown character: the piece "<unk>" if listed, else 0. */
  unknownId: number;
  size: number;
}

export function parseVocab(json: unknown, where: string): PieceVocab {
  if (!Array.isArray(json) || json.length === 0) throw new ModelError(`${where}: expected a non-empty list of [piece, score] pairs`);
  const ids = new Map<string, number>();
  const scores = new Float64Array(json.length);
  let longest = 1;
  json.forEach((entry, i) => {
    if (!Array.isArray(entry) || typeof entry[0] !== 'string' || typeof entry[1] !== 'number' || !Number.isFinite(entry[1])) {
      throw new ModelError(`${where}: entry ${i} is not a [piece, score] pair: ${JSON.stringify(entry)?.slice(0, 80)}`);
    }
    if (!ids.has(entry[0])) ids.set(entry[0], i);
    scores[i] = entry[1];
    longest = Math.max(longest, entry[0].length);
  });
  return { ids, scores, longest, unknownId: ids.get('<unk>') ?? 0, size: json.length };
}

export interface PieceSettings {
  lowercase: boolean;
  max_tokens: number;
}

export interface Pieces {
  ids: number[];
  /** Tokens that were unknown characters. */
  unknown: number;
  /** Tokens dropped past max_tokens. */
  dropped: number;
}

/** Below every real piece's score, so an unknown character is used only where no piece fits. */
const UNKNOWN_SCORE = -1e6;

export function encodePieces(text: string, v: PieceVocab, s: PieceSettings): Pieces {
  const normal = text.normalize('NFKC');
  const cased = s.lowercase ? normal.toLowerCase() : normal;
  const t = SPACE + cased.trim().replace(/\s+/gu, SPACE);
  const n = t.length;
  // best[i]: the highest total score of a split of t[0, i); from[i]: where its last token starts.
  const best = new Float64Array(n + 1).fill(-Infinity);
  const from = new Int32Array(n + 1);
  const tokenId = new Int32Array(n + 1);
  best[0] = 0;
  for (let i = 0; i < n; i++) {
    if (best[i] === -Infinity) continue;
    for (let len = 1; len <= v.longest && i + len <= n; len++) {
      const id = v.ids.get(t.slice(i, i + len));
      if (id === undefined) continue;
      const score = best[i] + v.scores[id];
      if (score > best[i + len]) {
        best[i + len] = score;
        from[i + len] = i;
        tokenId[i + len] = id;
      }
    }
    // One character (a surrogate pair counts as one) as an unknown token.
    const step = t.codePointAt(i)! > 0xffff ? 2 : 1;
    const score = best[i] + UNKNOWN_SCORE;
    if (score > best[i + step]) {
      best[i + step] = score;
      from[i + step] = i;
      tokenId[i + step] = -1;
    }
  }
  const tokens: number[] = [];
  for (let end = n; end > 0; end = from[end]) tokens.push(tokenId[end]);
  tokens.reverse();
  const kept = tokens.slice(0, s.max_tokens);
  return {
    ids: kept.map((id) => (id < 0 ? v.unknownId : id)),
    unknown: kept.filter((id) => id < 0).length,
    dropped: tokens.length - kept.length,
  };
}

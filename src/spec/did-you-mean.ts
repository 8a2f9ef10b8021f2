// "did you mean" suggestions for misspelt keys and values.

/** Optimal string alignment distance: Levenshtein plus adjacent transpositions ("cutt", "epcohs"). */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.length][b.length];
}

const MAX_DISTANCE = 2;

/**
 * The candidate closest to `input`, or undefined when none is close enough: a case-insensitive or
 * `-`/`_` mix-up always matches; otherwise at most 2 edits, and fewer than the input's length so
 * that one-letter keys do not match everything.
 */
export function didYouMean(input: string, candidates: readonly string[]): string | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/-/g, '_');
  const loose = candidates.find((c) => c !== input && norm(c) === norm(input));
  if (loose !== undefined) return loose;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    // Lengths that differ by more than the limit cannot match; skipping them keeps long junk cheap.
    if (Math.abs(candidate.length - input.length) > MAX_DISTANCE) continue;
    const distance = editDistance(norm(input), norm(candidate));
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const limit = Math.min(MAX_DISTANCE, input.length - 1);
  return bestDistance <= limit ? best : undefined;
}

/** `; did you mean "cut"?` or the empty string. */
export function didYouMeanSuffix(input: string, candidates: readonly string[]): string {
  const match = didYouMean(input, candidates);
  return match === undefined ? '' : `; did you mean "${match}"?`;
}

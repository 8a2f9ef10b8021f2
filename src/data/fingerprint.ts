import { sha256 } from '../util/hash.js';
import type { Example } from './types.js';

/** Identifies a test set by content and labels, independent of file names and order. */
export function testSetFingerprint(test: Example[], classes: string[]): { sha256: string; histogram: Record<string, number> } {
  const lines = test.map((e) => `${e.sha256} ${classes[e.label]}`).sort();
  const histogram: Record<string, number> = Object.fromEntries(classes.map((c) => [c, 0]));
  for (const e of test) histogram[classes[e.label]]++;
  return { sha256: sha256(lines.join('\n')), histogram };
}

// Seeded, stratified carving of validation and test sets out of the training examples.
import { createRng, deriveSeed, permutation } from '../util/random.js';

export interface SplitFractions {
  validation: number;
  test: number;
  stratify: boolean;
}

/**
 * Splits `items` into [rest, ...parts] by fractions. Stratified: each class contributes its own
 * share (rounded), so small classes still appear in every part when they have enough examples.
 * Items are put in canonical order (by id) first, so the split depends on the seed and the
 * content only, not on the order files were listed in. Each group keeps at least one item in
 * `rest`, so carving never takes a class's last training example.
 */
export function carve<T extends { label: number; id: string }>(items: T[], fractions: number[], stratify: boolean, seed: number): T[][] {
  const groups = stratify ? groupByLabel(byId(items)) : new Map([[-1, byId(items)]]);
  const parts: T[][] = fractions.map(() => []);
  const rest: T[] = [];
  // Seeded per label, so adding or removing one class leaves the others' splits as they were.
  groups.forEach((group, label) => {
    const order = permutation(group.length, createRng(deriveSeed(seed, 'split', label)));
    let start = 0;
    fractions.forEach((f, p) => {
      const take = Math.min(Math.round(group.length * f), group.length - 1 - start);
      for (let k = start; k < start + take; k++) parts[p].push(group[order[k]]);
      start += take;
    });
    for (let k = start; k < group.length; k++) rest.push(group[order[k]]);
  });
  return [rest, ...parts];
}

function groupByLabel<T extends { label: number }>(items: T[]): Map<number, T[]> {
  const map = new Map<number, T[]>();
  for (const it of items) {
    const list = map.get(it.label);
    if (list) list.push(it);
    else map.set(it.label, [it]);
  }
  // In order of first appearance: each class has its own generator, so the order changes nothing.
  return map;
}

/** Canonical order (by id) so a test set's fingerprint and per-example results do not depend on how it was read. */
export function byId<T extends { id: string }>(items: T[]): T[] {
  // Ids are unique (a file's path, path#index or file:line), so two never compare equal.
  // Equivalent mutant: with unique ids, a.id <= b.id sorts as a.id < b.id.
  return [...items].sort((a, b) => (a.id < b.id ? -1 : 1));
}

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
 */
export function carve<T extends { label: number }>(items: T[], fractions: number[], stratify: boolean, seed: number): T[][] {
  const groups = stratify ? groupByLabel(items) : [items];
  const parts: T[][] = fractions.map(() => []);
  const rest: T[] = [];
  groups.forEach((group, g) => {
    const order = permutation(group.length, createRng(deriveSeed(seed, 'split', g)));
    let start = 0;
    fractions.forEach((f, p) => {
      const take = Math.round(group.length * f);
      for (let k = start; k < Math.min(start + take, group.length); k++) parts[p].push(group[order[k]]);
      start += take;
    });
    for (let k = start; k < group.length; k++) rest.push(group[order[k]]);
  });
  return [rest, ...parts];
}

function groupByLabel<T extends { label: number }>(items: T[]): T[][] {
  const map = new Map<number, T[]>();
  for (const it of items) {
    const list = map.get(it.label);
    if (list) list.push(it);
    else map.set(it.label, [it]);
  }
  return [...map.keys()].sort((a, b) => a - b).map((k) => map.get(k) as T[]);
}

/** Canonical order (by id) so a test set's fingerprint and per-example results do not depend on how it was read. */
export function byId<T extends { id: string }>(items: T[]): T[] {
  return [...items].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

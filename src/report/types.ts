// Moved to src/domain/types.ts (the domain model, which train, sweep and pipeline import too). This
// re-export keeps code written against the old path compiling while other branches merge; delete
// it once nothing imports it (test/layers.test.ts then needs no change).
export type * from '../domain/types.js';

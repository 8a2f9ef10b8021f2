// What the process that starts a training process (the Action's step, the CLI) knows about the run
// beforehand: from the spec alone, where the report goes and how the run is named. Enough to write
// a report if that process dies, and to key the feature cache. A spec that does not load gives no
// plan: the training process then reports the spec error itself.
import path from 'node:path';
import { findRepoRoot, loadSpec } from '../spec/load.js';
import { sha256 } from '../util/hash.js';

export interface RunPlan {
  name: string;
  specSha256: string;
  seed: number;
  outDir: string;
  retentionDays: number;
  base: string;
  /** Changes whenever features computed for this spec would differ (base, cut, input handling). */
  featureScope: string;
}

export function planRun(specPath: string, workspace?: string): RunPlan | undefined {
  try {
    const root = findRepoRoot(path.dirname(path.resolve(specPath)), workspace);
    const { spec, sha256: specSha256 } = loadSpec(specPath, { root });
    return {
      name: spec.name,
      specSha256,
      seed: spec.seed,
      outDir: path.resolve(root, spec.output.dir),
      retentionDays: spec.output.retention_days,
      base: spec.model.base ?? 'none',
      // model.text joins only when given, so image and tabular scopes stay as they were.
      featureScope: sha256(
        JSON.stringify({
          base: spec.model.base ?? null,
          cut: spec.model.cut ?? null,
          input: spec.model.input ?? null,
          ...(spec.model.text ? { text: spec.model.text } : {}),
        }),
      ).slice(0, 12),
    };
  } catch {
    return undefined;
  }
}

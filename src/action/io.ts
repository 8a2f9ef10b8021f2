// Input and output names of action.yml, in one place. Defaults are applied here too: outside a
// runner core.getInput does not read action.yml's defaults.
import { ConfigError } from '../errors.js';
export const INPUTS = {
  spec: { name: 'spec', default: 'finetune.yml' },
  backend: { name: 'backend', default: 'auto' },
  baseline: { name: 'baseline', default: '' },
  githubToken: { name: 'github-token', default: '' },
  uploadArtifacts: { name: 'upload-artifacts', default: 'true' },
  comment: { name: 'comment', default: 'true' },
  publish: { name: 'publish', default: 'auto' },
  mode: { name: 'mode', default: 'run' },
  candidate: { name: 'candidate', default: '' },
  shard: { name: 'shard', default: '' },
  trials: { name: 'trials', default: '' },
  requireGpu: { name: 'require-gpu', default: 'false' },
  checkName: { name: 'check-name', default: 'finetune / gate' },
  check: { name: 'check', default: 'auto' },
  publishFrom: { name: 'publish-from', default: 'artifact' },
} as const;

export const OUTPUTS = {
  verdict: 'verdict',
  passed: 'passed',
  accuracy: 'accuracy',
  f1: 'f1',
  reportPath: 'report-path',
  modelPath: 'model-path',
  modelArtifactId: 'model-artifact-id',
  reportArtifactId: 'report-artifact-id',
  modelSha256: 'model-sha256',
  trialsPath: 'trials-path',
  bundleSha256: 'bundle-sha256',
  bundlePath: 'bundle-path',
} as const;

export type InputKey = keyof typeof INPUTS;

export interface ActionInputs {
  spec: string;
  backend: string;
  baseline?: string;
  githubToken?: string;
  uploadArtifacts: boolean;
  comment: boolean;
  publish: 'auto' | 'true' | 'false';
  /** run: train and gate; gate: only gate an existing report (the workflow_run pattern). */
  mode: 'run' | 'gate';
  candidate?: string;
  /** `i/n`: run only this shard of the spec's sweep and write its trials.json (no gate). */
  shard?: string;
  /** Trials files or folders from the shards: merged, best trial trained and gated. */
  trials?: string[];
  /** require-gpu: no usable GPU path is exit 2 instead of training on the CPU. */
  requireGpu?: boolean;
  /** The check run / commit status on the PR head commit: what branch protection requires. */
  checkName: string;
  /** auto: post the check in mode gate only; true: in mode run too; false: never. */
  check: 'auto' | 'true' | 'false';
  /** On a release: artifact ships the gated run's model; train trains here and attaches only on pass. */
  publishFrom: 'artifact' | 'train';
}

/** Reads inputs through `get` (core.getInput in the Action), applying the defaults above. */
export function readInputs(get: (name: string) => string): ActionInputs {
  const value = (key: InputKey) => get(INPUTS[key].name).trim() || INPUTS[key].default;
  const bool = (key: InputKey) => parseBool(value(key), INPUTS[key].name);
  const publish = value('publish');
  if (!['auto', 'true', 'false'].includes(publish)) throw new ConfigError(`input publish: expected auto, true or false, got "${publish}"`);
  const mode = value('mode');
  if (mode !== 'run' && mode !== 'gate') throw new ConfigError(`input mode: expected run or gate, got "${mode}"`);
  const candidate = value('candidate') || undefined;
  if (mode === 'gate' && !candidate)
    throw new ConfigError(
      'input candidate: mode "gate" needs the candidate report.json, or the folder the report artifacts were downloaded to',
    );
  const check = value('check');
  if (!['auto', 'true', 'false'].includes(check)) throw new ConfigError(`input check: expected auto, true or false, got "${check}"`);
  const publishFrom = value('publishFrom');
  if (publishFrom !== 'artifact' && publishFrom !== 'train')
    throw new ConfigError(`input publish-from: expected artifact or train, got "${publishFrom}"`);
  const shard = value('shard') || undefined;
  const trials = value('trials')
    .split(/[\n,]/)
    .map((t) => t.trim())
    .filter(Boolean);
  if (shard && (trials.length > 0 || mode === 'gate'))
    throw new ConfigError('input shard: runs one shard of a sweep; it cannot be combined with trials or mode "gate"');
  return {
    mode,
    candidate,
    spec: value('spec'),
    backend: value('backend'),
    baseline: value('baseline') || undefined,
    githubToken: value('githubToken') || undefined,
    uploadArtifacts: bool('uploadArtifacts'),
    comment: bool('comment'),
    publish: publish as ActionInputs['publish'],
    requireGpu: bool('requireGpu'),
    checkName: value('checkName'),
    check: check as ActionInputs['check'],
    publishFrom,
    ...(shard ? { shard } : {}),
    ...(trials.length > 0 ? { trials } : {}),
  };
}

function parseBool(v: string, name: string): boolean {
  if (/^(true|yes|1|on)$/i.test(v)) return true;
  if (/^(false|no|0|off)$/i.test(v)) return false;
  throw new ConfigError(`input ${name}: expected true or false, got "${v}"`);
}

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
}

/** Reads inputs through `get` (core.getInput in the Action), applying the defaults above. */
export function readInputs(get: (name: string) => string): ActionInputs {
  const value = (key: InputKey) => get(INPUTS[key].name).trim() || INPUTS[key].default;
  const bool = (key: InputKey) => parseBool(value(key), INPUTS[key].name);
  const publish = value('publish');
  if (!['auto', 'true', 'false'].includes(publish)) throw new ConfigError(`input publish: expected auto, true or false, got "${publish}"`);
  return {
    spec: value('spec'),
    backend: value('backend'),
    baseline: value('baseline') || undefined,
    githubToken: value('githubToken') || undefined,
    uploadArtifacts: bool('uploadArtifacts'),
    comment: bool('comment'),
    publish: publish as ActionInputs['publish'],
  };
}

function parseBool(v: string, name: string): boolean {
  if (/^(true|yes|1|on)$/i.test(v)) return true;
  if (/^(false|no|0|off)$/i.test(v)) return false;
  throw new ConfigError(`input ${name}: expected true or false, got "${v}"`);
}

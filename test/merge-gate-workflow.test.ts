// The workflows of the merge gate and the inputs they use must fit the code: the gate job reads
// the PR run's report artifacts the way the Action expects them, never runs the PR's code, has the
// permissions for the check and the comment; the release job ships the gated model and attests it.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { INPUTS, OUTPUTS, readInputs } from '../src/action/io.js';
import { artifactNames } from '../src/github/artifacts.js';
import { loadSpec } from '../src/spec/load.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const readYaml = (rel: string) => parse(fs.readFileSync(path.join(ROOT, rel), 'utf8'));

interface Step {
  id?: string;
  uses?: string;
  run?: string;
  with?: Record<string, string>;
}
interface Job {
  if?: string;
  steps: Step[];
}
interface Workflow {
  name: string;
  on: Record<string, { workflows?: string[] } | null>;
  permissions: Record<string, string>;
  jobs: Record<string, Job>;
}

const stepOf = (job: Job, uses: string) => job.steps.find((s) => s.uses?.startsWith(uses)) as Step;
/** `finetune-*-report-*` as a RegExp. */
const glob = (pattern: string) =>
  new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );

describe('.github/workflows/finetune-gate.yml', () => {
  const wf = readYaml('.github/workflows/finetune-gate.yml') as Workflow;
  const pr = readYaml('.github/workflows/finetune-pr.yml') as Workflow;
  const job = wf.jobs.gate;

  it('runs after finetune-pr, only for pull request runs, with the permissions of the check and the comment', () => {
    expect(wf.on.workflow_run?.workflows).toEqual([pr.name]);
    expect(job.if).toBe("github.event.workflow_run.event == 'pull_request'");
    expect(wf.permissions).toMatchObject({
      contents: 'read',
      actions: 'read',
      'pull-requests': 'write',
      checks: 'write',
      statuses: 'write',
    });
  });

  it("never checks out or runs the pull request's code: the default branch, no run steps", () => {
    const checkout = stepOf(job, 'actions/checkout');
    expect(checkout.with?.ref).toBeUndefined();
    expect(checkout.with?.repository).toBeUndefined();
    expect(job.steps.filter((s) => s.run !== undefined)).toEqual([]);
    expect(job.steps.every((s) => s.uses?.startsWith('actions/') || s.uses === './')).toBe(true);
  });

  it("downloads the triggering run's report artifacts one folder each and gates that folder", () => {
    const download = stepOf(job, 'actions/download-artifact');
    expect(download.with?.['merge-multiple']).toBeUndefined();
    expect(download.with?.['run-id']).toBe('${{ github.event.workflow_run.id }}');
    const spec = loadSpec(path.join(ROOT, stepOf(job, './').with?.spec ?? ''), { root: ROOT }).spec;
    // The names the PR run's uploads get, on any attempt, match the pattern.
    for (const attempt of ['1', '2'])
      expect(artifactNames(spec.name, { GITHUB_JOB: 'train', GITHUB_RUN_ATTEMPT: attempt }).report).toMatch(
        glob(download.with?.pattern ?? ''),
      );
    expect(artifactNames(spec.name, { GITHUB_JOB: 'train', GITHUB_RUN_ATTEMPT: '1' }).model).not.toMatch(
      glob(download.with?.pattern ?? ''),
    );
    const action = stepOf(job, './');
    expect(action.with?.mode).toBe('gate');
    expect(action.with?.candidate).toBe(download.with?.path);
    expect(action.with?.['check-name']).toBe(INPUTS.checkName.default);
  });

  it('gates a report the PR run uploads: the same spec, with artifacts and no comment there', () => {
    const train = Object.values(pr.jobs)[0];
    const action = stepOf(train, './');
    expect(action.with?.spec).toBe(stepOf(job, './').with?.spec);
    expect(action.with?.['upload-artifacts']).not.toBe('false');
    expect(action.with?.comment).toBe('false');
    expect(pr.permissions).toEqual({ contents: 'read' });
  });
});

describe('.github/workflows/release.yml', () => {
  const wf = readYaml('.github/workflows/release.yml') as Workflow;
  const job = Object.values(wf.jobs)[0];

  it('ships the gated model (publish-from artifact) and attests the bundle it attached', () => {
    expect(wf.permissions).toMatchObject({ contents: 'write', actions: 'read' });
    const action = stepOf(job, './');
    expect(action.with?.['publish-from']).toBe('artifact');
    expect(job.steps.filter((s) => s.run !== undefined)).toEqual([]);
    expect(stepOf(job, 'actions/attest-build-provenance').with?.['subject-path']).toBe(
      `\${{ steps.${action.id}.outputs.${OUTPUTS.bundlePath} }}`,
    );
  });

  it("finds exactly one model of the spec in the example workflow's push run", () => {
    const example = readYaml('.github/workflows/example.yml') as Workflow;
    expect(Object.keys(example.on)).toContain('push');
    const spec = stepOf(job, './').with?.spec;
    const uploads = Object.values(example.jobs)
      .flatMap((j) => j.steps)
      .filter((s) => s.uses === './' && s.with?.spec === spec && s.with?.['upload-artifacts'] !== 'false');
    expect(uploads).toHaveLength(1);
  });
});

describe('Action inputs check-name, check and publish-from', () => {
  const action = readYaml('action.yml') as { inputs: Record<string, { default: string }>; outputs: Record<string, unknown> };
  const get = (values: Record<string, string>) => (name: string) => values[name] ?? '';

  it('are declared in action.yml with the defaults the code applies', () => {
    for (const key of ['checkName', 'check', 'publishFrom'] as const)
      expect(action.inputs[INPUTS[key].name]?.default).toBe(INPUTS[key].default);
    expect(action.outputs).toHaveProperty(OUTPUTS.bundlePath);
    expect(action.outputs).toHaveProperty(OUTPUTS.bundleSha256);
    expect(readInputs(get({}))).toMatchObject({ checkName: 'finetune / gate', check: 'auto', publishFrom: 'artifact' });
  });

  it('refuse values they do not know, naming the input', () => {
    expect(() => readInputs(get({ 'publish-from': 'build' }))).toThrow('input publish-from: expected artifact or train, got "build"');
    expect(() => readInputs(get({ check: 'maybe' }))).toThrow('input check: expected auto, true or false, got "maybe"');
  });
});

describe('the workflows shown in docs/merge-gate.md', () => {
  const text = fs.readFileSync(path.join(ROOT, 'docs/merge-gate.md'), 'utf8');
  const blocks = [...text.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => parse(m[1]) as Workflow);
  const actionStep = (job: Job) => job.steps.find((s) => s.uses?.endsWith('/finetune-action@v1')) as Step;

  it('are valid YAML workflows, each using the Action', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(3);
    for (const wf of blocks) expect(Object.values(wf.jobs).some((j) => actionStep(j))).toBe(true);
  });

  it('the gate: guarded, permitted, one folder per artifact, gated as that folder; the PR run it follows comments not', () => {
    const gate = blocks.find((b) => b.on.workflow_run) as Workflow;
    const pr = blocks.find((b) => b.name === gate.on.workflow_run?.workflows?.[0]) as Workflow;
    expect(pr.on).toHaveProperty('pull_request');
    expect(actionStep(Object.values(pr.jobs)[0]).with?.comment).toBe('false');
    const job = Object.values(gate.jobs)[0];
    expect(job.if).toBe("github.event.workflow_run.event == 'pull_request'");
    expect(gate.permissions).toMatchObject({ actions: 'read', 'pull-requests': 'write', checks: 'write' });
    const download = stepOf(job, 'actions/download-artifact');
    expect(download.with?.['merge-multiple']).toBeUndefined();
    expect(artifactNames('any-spec', { GITHUB_JOB: 'train', GITHUB_RUN_ATTEMPT: '2' }).report).toMatch(glob(download.with?.pattern ?? ''));
    expect(actionStep(job).with).toMatchObject({ mode: 'gate', candidate: download.with?.path });
    expect(stepOf(job, 'actions/checkout').with).toBeUndefined();
  });

  it('the release: ships the gated model and attests the archive the Action names', () => {
    const release = blocks.find((b) => b.on.release) as Workflow;
    const job = Object.values(release.jobs)[0];
    expect(release.permissions).toMatchObject({ contents: 'write', actions: 'read' });
    const action = actionStep(job);
    expect(action.with?.['publish-from'] ?? INPUTS.publishFrom.default).toBe('artifact');
    expect(stepOf(job, 'actions/attest-build-provenance').with?.['subject-path']).toBe(
      `\${{ steps.${action.id}.outputs.${OUTPUTS.bundlePath} }}`,
    );
  });
});

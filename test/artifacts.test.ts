// Uploads through the real @actions/artifact client, over HTTP, into a real blob store (Azurite).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { writeManifest } from '../src/bundle/manifest.js';
import { artifactNames, classifyUploadError, NOT_IN_ACTIONS, uploadRunArtifacts } from '../src/github/artifacts.js';
import { GitHubError } from '../src/github/context.js';
import { startAzurite, type Azurite } from './helpers/azurite.js';
import { runtimeToken, startResultsServer, type ResultsServer } from './helpers/results-server.js';

const sha = (b: string | Buffer) => createHash('sha256').update(b).digest('hex');
const ENV_KEYS = ['ACTIONS_RUNTIME_TOKEN', 'ACTIONS_RESULTS_URL', 'GITHUB_SERVER_URL', 'GITHUB_JOB', 'GITHUB_RUN_ATTEMPT'];

let azurite: Azurite;
let server: ResultsServer;
let tmp: string;
const savedEnv: Record<string, string | undefined> = {};

beforeAll(async () => {
  azurite = await startAzurite();
  server = await startResultsServer(azurite);
  for (const k of ENV_KEYS) savedEnv[k] = process.env[k];
  // The client reads these at call time.
  process.env.ACTIONS_RUNTIME_TOKEN = runtimeToken('run-backend-1', 'job-backend-1');
  process.env.ACTIONS_RESULTS_URL = server.url;
  delete process.env.GITHUB_SERVER_URL;
  process.env.GITHUB_JOB = 'train';
  process.env.GITHUB_RUN_ATTEMPT = '2';
  tmp = await mkdtemp(path.join(os.tmpdir(), 'artifacts-'));
});

afterAll(async () => {
  for (const k of ENV_KEYS) {
    if (savedEnv[k] === undefined) delete process.env[k];
    else process.env[k] = savedEnv[k];
  }
  await server?.close();
  await azurite?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

let run = 0;
let out: string;
const modelFiles: Record<string, string | Buffer> = {
  'model.json': '{"format":"layers-model"}',
  'labels.json': '["shirt","shoe"]',
  'weights/group1-shard1of1.bin': Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7) % 256)),
};
const reportFiles = { 'report.json': '{"verdict":"pass"}', 'report.md': '# pass\n' };

beforeEach(async () => {
  out = path.join(tmp, `run-${++run}`);
  await mkdir(path.join(out, 'model', 'weights'), { recursive: true });
  for (const [rel, data] of Object.entries(modelFiles)) await writeFile(path.join(out, 'model', rel), data);
  for (const [rel, data] of Object.entries(reportFiles)) await writeFile(path.join(out, rel), data);
  await writeManifest(path.join(out, 'model'));
});

const opts = (name: string) => ({ name, modelDir: path.join(out, 'model'), reportDir: out, retentionDays: 7 });
const created = () => server.calls.filter((c) => c.method === 'CreateArtifact');

/** Every entry of a zip, with the sha256 of its content, read back with the system unzip. */
async function zipEntries(zip: Buffer): Promise<Record<string, string>> {
  const file = path.join(tmp, `dl-${Date.now()}.zip`);
  await writeFile(file, zip);
  const names = execFileSync('unzip', ['-Z1', file], { encoding: 'utf8' }).trim().split('\n');
  return Object.fromEntries(names.map((n) => [n, sha(execFileSync('unzip', ['-p', file, n], { maxBuffer: 1 << 26 }))]));
}

describe('uploadRunArtifacts over HTTP', () => {
  it('uploads the bundle and the report as two artifacts holding exactly their files', async () => {
    const res = await uploadRunArtifacts(opts('fashion'));
    expect(res).toEqual({
      uploaded: true,
      modelArtifactId: server.artifacts.find((a) => a.name === 'finetune-fashion-model-train-2')?.id,
      reportArtifactId: server.artifacts.find((a) => a.name === 'finetune-fashion-report-train-2')?.id,
      modelArtifactName: 'finetune-fashion-model-train-2',
      reportArtifactName: 'finetune-fashion-report-train-2',
    });
    if (!res.uploaded) return;
    expect(res.modelArtifactId).not.toBe(res.reportArtifactId);

    const modelZip = await server.download(res.modelArtifactName);
    const expected = Object.fromEntries(Object.entries(modelFiles).map(([k, v]) => [k, sha(v)]));
    const entries = await zipEntries(modelZip);
    expect(Object.keys(entries).sort()).toEqual([...Object.keys(expected), 'sha256sums.txt'].sort());
    for (const [rel, digest] of Object.entries(expected)) expect(entries[rel]).toBe(digest);

    const reportEntries = await zipEntries(await server.download(res.reportArtifactName));
    expect(reportEntries).toEqual({ 'report.json': sha(reportFiles['report.json']), 'report.md': sha(reportFiles['report.md']) });

    // The client finalizes with the zip's own digest and the retention we asked for.
    const art = server.artifacts.find((a) => a.id === res.modelArtifactId);
    expect(art?.hash).toBe(`sha256:${sha(modelZip)}`);
    const days = (Date.parse(art?.expiresAt ?? '') - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(6.9);
    expect(days).toBeLessThan(7.1);
  });

  it('retries through a 503 and succeeds', async () => {
    const before = server.calls.length;
    server.failNext(1, 503);
    const res = await uploadRunArtifacts(opts('retry'));
    expect(res.uploaded).toBe(true);
    const calls = server.calls.slice(before, before + 2);
    expect(calls.map((c) => [c.method, c.status])).toEqual([
      ['CreateArtifact', 503],
      ['CreateArtifact', 200],
    ]);
  }, 30_000);

  it('says clearly when the artifact name already exists (409)', async () => {
    await uploadRunArtifacts(opts('dup'));
    const err = await uploadRunArtifacts(opts('dup')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitHubError);
    expect((err as GitHubError).kind).toBe('duplicate');
    expect((err as GitHubError).message).toMatch(/^artifact "finetune-dup-model-train-2" already exists in this workflow run \(409/);
  });

  it('says clearly when the storage quota is reached', async () => {
    server.failNext(1, 403, 'insufficient usage to create artifact');
    const err = await uploadRunArtifacts(opts('quota')).catch((e: unknown) => e);
    expect((err as GitHubError).kind).toBe('quota');
    expect((err as GitHubError).message).toMatch(/^artifact storage quota reached/);
  });

  it('refuses a symlink pointing outside before any request is made', async () => {
    const outside = path.join(tmp, 'secret.txt');
    await writeFile(outside, 'do not upload');
    await symlink(outside, path.join(out, 'model', 'weights', 'leak.bin'));
    const before = created().length;
    await expect(uploadRunArtifacts(opts('leak'))).rejects.toThrow(/symlink.*weights\/leak\.bin/);
    expect(created().length).toBe(before);
  });

  it('refuses a report file that links outside', async () => {
    await rm(path.join(out, 'report.md'));
    await symlink('/etc/hostname', path.join(out, 'report.md'));
    const before = created().length;
    await expect(uploadRunArtifacts(opts('leak2'))).rejects.toThrow(/refusing to upload a symlink/);
    expect(created().length).toBe(before);
  });

  it('uploads nothing outside GitHub Actions and says why', async () => {
    const before = server.calls.length;
    expect(await uploadRunArtifacts({ ...opts('local'), env: {} })).toEqual({ uploaded: false, reason: NOT_IN_ACTIONS });
    expect(server.calls.length).toBe(before);
  });
});

describe('artifact names and errors', () => {
  it('include the job id and run attempt', () => {
    expect(artifactNames('mnist', { GITHUB_JOB: 'gate', GITHUB_RUN_ATTEMPT: '3' })).toEqual({
      model: 'finetune-mnist-model-gate-3',
      report: 'finetune-mnist-report-gate-3',
    });
    expect(artifactNames('mnist', { GITHUB_JOB: 'gate' }, 'py3/x').model).toBe('finetune-mnist-model-gate-py3-x-1');
  });

  it('map the client messages to cases', () => {
    const cases: Array<[string, string]> = [
      [
        'Failed to CreateArtifact: Received non-retryable error: Failed request: (409) Conflict: an artifact with this name already exists on the workflow run',
        'duplicate',
      ],
      ['Failed to CreateArtifact: Artifact storage quota has been hit. Unable to upload any new artifacts.', 'quota'],
      ['Failed to CreateArtifact: Failed to make request after 5 attempts: Failed request: (503) Service Unavailable', 'unavailable'],
      ['Unable to get the ACTIONS_RUNTIME_TOKEN env variable', 'not-in-actions'],
      ['@actions/artifact v2.0.0+, upload-artifact@v4+ and download-artifact@v4+ are not currently supported on GHES.', 'ghes'],
      ['something else', 'other'],
    ];
    for (const [message, kind] of cases) expect(classifyUploadError(message)).toBe(kind);
  });
});

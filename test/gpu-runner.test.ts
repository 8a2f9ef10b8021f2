// The GPU runner's contract around the backend choice: the require-gpu input and flag, the device
// named in report.md and the PR comment, and the container recipes of docs/gpu.md, whose image
// checks run here against this machine (Debian 12 with lavapipe, like the WebGPU image).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { INPUTS, readInputs } from '../src/action/io.js';
import { trainInProcess } from '../src/action/train-in-process.js';
import { runCli } from '../src/cli/main.js';
import { doctorReport } from '../src/cli/doctor.js';
import { NATIVE_VERSION } from '../src/backend/native-install.js';
import { cpuName } from '../src/backend/devices.js';
import { BackendError } from '../src/backend/select.js';
import { renderReportMarkdown } from '../src/report/markdown.js';
import { renderCommentBody } from '../src/report/comment.js';
import type { Report } from '../src/domain/types.js';
import { ConfigError, EXIT } from '../src/errors.js';
import { makeTinyRepo } from './helpers/tiny-repo.js';
import type { Logger } from '../src/util/log.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'finetune-gpu-runner-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const read = (rel: string) => fs.readFileSync(rel, 'utf8');

describe('require-gpu', () => {
  const get = (values: Record<string, string>) => (name: string) => values[name] ?? '';

  it('is an Action input, false unless set, declared in action.yml with that default', () => {
    const action = parse(read('action.yml')) as { inputs: Record<string, { default: string }> };
    expect(action.inputs['require-gpu'].default).toBe(INPUTS.requireGpu.default);
    expect(readInputs(get({})).requireGpu).toBe(false);
    expect(readInputs(get({ 'require-gpu': 'true' })).requireGpu).toBe(true);
    expect(() => readInputs(get({ 'require-gpu': 'maybe' }))).toThrow(
      new ConfigError('input require-gpu: expected true or false, got "maybe"'),
    );
  });

  it("stops the Action's run with exit 2 before training when the backend cannot use a GPU", async () => {
    const repo = makeTinyRepo();
    const inputs = { ...readInputs(get({ spec: path.join(repo, 'finetune.yml'), backend: 'wasm', 'require-gpu': 'true' })) };
    const err = await trainInProcess(inputs).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect((err as BackendError).exitCode).toBe(EXIT.BAD_INPUT);
    expect((err as Error).message).toMatch(/^require-gpu: backend wasm trains on CPU \(/);
    expect(fs.existsSync(path.join(repo, 'finetune-out', 'report.json'))).toBe(false);
  });

  it('is a flag of finetune run: exit 2 and the reason, nothing trained', async () => {
    const repo = makeTinyRepo();
    const warnings: string[] = [];
    const log: Logger = { info: () => {}, progress: () => {}, warn: (m) => warnings.push(m) };
    const code = await runCli(['run', '--spec', path.join(repo, 'finetune.yml'), '--backend', 'cpu', '--require-gpu'], log);
    expect(code).toBe(EXIT.BAD_INPUT);
    expect(warnings.join('\n')).toMatch(/require-gpu: backend cpu trains on CPU \(.+\), not on a GPU/);
    expect(fs.existsSync(path.join(repo, 'finetune-out', 'report.json'))).toBe(false);
  });
});

describe('which device trained, in what people read', () => {
  it('a run records it in report.json and report.md', async () => {
    const repo = makeTinyRepo();
    const code = await runCli(['run', '--spec', path.join(repo, 'finetune.yml'), '--backend', 'wasm', '--no-cache'], {
      info: () => {},
      progress: () => {},
      warn: () => {},
    });
    expect(code).toBe(EXIT.PASS);
    const report = JSON.parse(read(path.join(repo, 'finetune-out', 'report.json'))) as Report;
    expect(report.fingerprint.backend).toBe('wasm');
    expect(report.fingerprint.device).toBe(`wasm on CPU (${cpuName()})`);
    expect(report.fingerprint).not.toHaveProperty('gpu_fallback');
    expect(read(path.join(repo, 'finetune-out', 'report.md'))).toContain(`<sub>trained with wasm on CPU (${cpuName()}) · seed`);
  });

  const real = JSON.parse(read('examples/fashion-mnist/baseline.json')) as Report;
  const warning = 'backend auto: the NVIDIA GPU NVIDIA L4 is not used, training continues on the CPU. tensorflow-gpu: ...';
  const onCpu: Report = {
    ...real,
    fingerprint: { ...real.fingerprint, backend: 'wasm', device: 'wasm on CPU (Intel Xeon, 8 threads)', gpu_fallback: warning },
  };

  it("report.md (and so the job summary) names the device and carries auto's warning", () => {
    const md = renderReportMarkdown(onCpu);
    expect(md).toContain(`> [!WARNING]\n> GPU not used: ${warning}\n`);
    expect(md).toMatch(/<sub>trained with wasm on CPU \(Intel Xeon, 8 threads\) · seed /);
  });

  it('the PR comment ends with the device and the warning', () => {
    const body = renderCommentBody(onCpu);
    expect(body.endsWith(`> GPU not used: ${warning}\n\n<sub>trained with wasm on CPU (Intel Xeon, 8 threads)</sub>`)).toBe(true);
    const onGpu: Report = {
      ...real,
      fingerprint: { ...real.fingerprint, backend: 'webgpu', device: 'webgpu on NVIDIA H100 80GB HBM3 (Vulkan)' },
    };
    expect(renderCommentBody(onGpu)).not.toContain('GPU not used');
    expect(renderCommentBody(onGpu).endsWith('<sub>trained with webgpu on NVIDIA H100 80GB HBM3 (Vulkan)</sub>')).toBe(true);
  });

  it('an older report without the device names its backend', () => {
    const old: Report = { ...real, fingerprint: { ...real.fingerprint, backend: 'wasm', device: undefined, gpu_fallback: undefined } };
    expect(renderReportMarkdown(old)).toMatch(/<sub>trained with backend wasm · seed /);
  });
});

describe('container recipes (docker/)', () => {
  const pkg = JSON.parse(read('package.json')) as { optionalDependencies: Record<string, string> };

  it('the tfjs-node-gpu image brings CUDA 11.2 / cuDNN 8.1 and the pinned tfjs-node-gpu on NODE_PATH', () => {
    const file = read('docker/tfjs-node-gpu.Dockerfile');
    expect(file).toMatch(/^FROM tensorflow\/tensorflow:2\.9\.1-gpu$/m);
    expect(file).toContain(`@tensorflow/tfjs-node-gpu@${NATIVE_VERSION}`);
    expect(file).toMatch(/^ENV NODE_PATH=\/opt\/finetune\/node_modules$/m);
  });

  it('the WebGPU image brings the Vulkan loader, libglvnd, graphics capability and the pinned Dawn on NODE_PATH', () => {
    const file = read('docker/webgpu.Dockerfile');
    expect(file).toContain(`webgpu@${pkg.optionalDependencies.webgpu}`);
    expect(file).toContain(`@tensorflow/tfjs-backend-webgpu@${pkg.optionalDependencies['@tensorflow/tfjs-backend-webgpu']}`);
    for (const p of ['libvulkan1', 'libglvnd0', '-t bookworm-backports mesa-vulkan-drivers']) expect(file).toContain(p);
    expect(file).toMatch(/^ENV NVIDIA_VISIBLE_DEVICES=all NVIDIA_DRIVER_CAPABILITIES=compute,utility,graphics$/m);
    expect(file).toMatch(/^ENV NODE_PATH=\/opt\/finetune\/node_modules$/m);
  });

  it('are built and checked by a workflow, each with its own check', () => {
    const wf = parse(read('.github/workflows/gpu-images.yml')) as { jobs: Record<string, { steps: { run?: string }[] }> };
    for (const flavour of ['webgpu', 'tfjs-node-gpu']) {
      const script = wf.jobs[flavour].steps.map((s) => s.run ?? '').join('\n');
      expect(script).toContain(`docker build -f docker/${flavour}.Dockerfile`);
      expect(script).toContain(`node docker/check-image.mjs ${flavour} /tmp/doctor.json`);
      expect(script).toMatch(/--require-gpu \|\| code=\$\?\n.*\n?.*test "\$code" -eq 2/);
    }
    expect(wf.jobs.webgpu.steps.map((s) => s.run ?? '').join('\n')).toContain('bench/gpu.sh --dry-run --backends webgpu');
  });

  it('the WebGPU image check passes on this Debian 12 machine with lavapipe; the CUDA one names what is missing', async () => {
    const file = path.join(tmp, 'doctor.json');
    fs.writeFileSync(file, JSON.stringify(await doctorReport(process.cwd(), {})));
    const check = (flavour: string) => spawnSync(process.execPath, ['docker/check-image.mjs', flavour, file], { encoding: 'utf8' });
    const webgpu = check('webgpu');
    expect(webgpu.status, webgpu.stdout).toBe(0);
    expect(webgpu.stdout.trim().split('\n')).toEqual([
      'ok     webgpu 0.6.2 and @tensorflow/tfjs-backend-webgpu 4.22.0 are installed',
      'ok     the Vulkan loader libvulkan.so.1 is found',
      'ok     Dawn gets a Vulkan adapter',
      'ok     lavapipe is there as the software adapter',
    ]);
    const cuda = check('tfjs-node-gpu');
    expect(cuda.status).toBe(1);
    expect(cuda.stdout).toContain('FAILED @tensorflow/tfjs-node-gpu 4.22.0 is installed');
    expect(cuda.stdout).toContain("FAILED libcudart.so.11.0 (CUDA 11.2) is on the loader's search path");
  });
});

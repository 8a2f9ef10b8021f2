// Backend selection without a GPU: the auto order, the tensorflow-gpu preflight (a stand-in for
// tfjs-node-gpu, which cannot be installed here, drives the real loading code) and adapter reports.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tf } from '../src/backend/tf.js';
import { autoCandidates, BackendError, parseBackendChoice, selectBackend } from '../src/backend/select.js';
import { gpuPreflightProblem, readTfDeviceReport, type TfDeviceReport } from '../src/backend/gpu-preflight.js';
import { describeAdapter } from '../src/backend/webgpu.js';
import { silentLogger } from '../src/util/log.js';

describe('auto', () => {
  it('prefers CUDA, then Vulkan, then libtensorflow (wasm is the last resort)', () => {
    expect(autoCandidates({ nvidia: true, gpuDevice: true, dawnInstalled: true })).toEqual(['tensorflow-gpu', 'webgpu', 'tensorflow']);
    expect(autoCandidates({ nvidia: false, gpuDevice: true, dawnInstalled: true })).toEqual(['webgpu', 'tensorflow']);
  });

  it('does not load Dawn where there is no GPU or no Dawn', () => {
    expect(autoCandidates({ nvidia: false, gpuDevice: false, dawnInstalled: true })).toEqual(['tensorflow']);
    expect(autoCandidates({ nvidia: true, gpuDevice: true, dawnInstalled: false })).toEqual(['tensorflow-gpu', 'tensorflow']);
  });

  it('accepts webgpu as a choice', () => {
    expect(parseBackendChoice('webgpu')).toBe('webgpu');
  });
});

describe('tensorflow-gpu preflight', () => {
  const onGpuMachine: TfDeviceReport = { usingGpu: false, gpuPackage: true, nvidiaDevice: true, cudaVisibleDevices: undefined };

  it('passes only when TensorFlow lists a GPU device', () => {
    expect(gpuPreflightProblem({ ...onGpuMachine, usingGpu: true })).toBeUndefined();
    expect(gpuPreflightProblem(onGpuMachine)).toMatch(/CUDA 11\.2 \/ cuDNN 8\.1/);
    expect(gpuPreflightProblem({ ...onGpuMachine, usingGpu: undefined })).toMatch(/did not report/);
  });

  it('names the cause when the GPU is hidden or absent', () => {
    expect(gpuPreflightProblem({ ...onGpuMachine, cudaVisibleDevices: '-1' })).toMatch(/CUDA_VISIBLE_DEVICES="-1"/);
    expect(gpuPreflightProblem({ ...onGpuMachine, nvidiaDevice: false })).toMatch(/no \/dev\/nvidia0/);
    expect(gpuPreflightProblem({ ...onGpuMachine, gpuPackage: false })).toMatch(/CPU build/);
  });

  it('reads the device from the backend or from its binding', () => {
    const env = { nvidiaDevice: true, cudaVisibleDevices: undefined };
    expect(readTfDeviceReport({ isUsingGpuDevice: true, isGPUPackage: true }, env).usingGpu).toBe(true);
    expect(readTfDeviceReport({ binding: { isUsingGpuDevice: () => false } }, env).usingGpu).toBe(false);
    expect(readTfDeviceReport({}, env)).toEqual({ usingGpu: undefined, gpuPackage: undefined, ...env });
  });
});

describe('webgpu adapter report', () => {
  it('marks software Vulkan as a fallback adapter', () => {
    const lavapipe = { info: { vendor: 'mesa', architecture: 'software', device: 'llvmpipe', description: 'llvmpipe: Mesa 25.0.7 (LLVM 15.0.6)' } };
    expect(describeAdapter(lavapipe)).toEqual({ name: 'llvmpipe, llvmpipe: Mesa 25.0.7 (LLVM 15.0.6)', fallback: true });
    // As Dawn reports an H100 over Vulkan.
    const h100 = { info: { vendor: 'nvidia', architecture: '', device: 'nvidia-h100-80gb-hbm3', description: 'NVIDIA: 580.159.04 580.159.4.0', isFallbackAdapter: false } };
    expect(describeAdapter(h100)).toEqual({ name: 'nvidia-h100-80gb-hbm3, NVIDIA: 580.159.04 580.159.4.0', fallback: false });
    expect(describeAdapter({ info: {}, isFallbackAdapter: true }).fallback).toBe(true);
  });
});

/** A workspace holding a stand-in for tfjs-node-gpu: it registers 'tensorflow' as the real one does. */
function fakeTfjsNodeGpu(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'finetune-tfgpu-'));
  const pkg = path.join(dir, 'node_modules/@tensorflow/tfjs-node-gpu');
  fs.mkdirSync(pkg, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), '{}');
  fs.writeFileSync(path.join(pkg, 'package.json'), '{ "name": "@tensorflow/tfjs-node-gpu", "version": "4.22.0", "main": "index.js" }');
  fs.writeFileSync(
    path.join(pkg, 'index.js'),
    `const backend = { isGPUPackage: true, get isUsingGpuDevice() { return globalThis.__fakeCudaLoaded === true; }, dispose() {} };
globalThis._tfengine.registerBackend('tensorflow', () => backend, 1);\n`,
  );
  return dir;
}

describe('tensorflow-gpu on a machine where CUDA does not load', () => {
  const workspace = fakeTfjsNodeGpu();
  const flags = globalThis as { __fakeCudaLoaded?: boolean };
  afterAll(async () => {
    await tf.setBackend('cpu');
    fs.rmSync(workspace, { recursive: true, force: true });
  });

  it('fails fast with the remedy instead of training on the CPU', async () => {
    flags.__fakeCudaLoaded = false;
    const err = await selectBackend('tensorflow-gpu', silentLogger, workspace).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    const message = (err as Error).message;
    expect(message).toMatch(/would train on the CPU/);
    for (const remedy of ['CUDA 11.2', 'cuDNN 8.1', 'tensorflow/tensorflow:2.9.1-gpu', 'backend: webgpu']) expect(message).toContain(remedy);
  });

  it('is used when TensorFlow reports a GPU device', async () => {
    flags.__fakeCudaLoaded = true;
    const info = await selectBackend('tensorflow-gpu', silentLogger, workspace);
    expect(info).toMatchObject({ name: 'tensorflow-gpu', tfBackend: 'tensorflow', versions: { '@tensorflow/tfjs-node-gpu': '4.22.0' } });
    expect(info.device).toMatch(/^gpu \(CUDA/);
  });

  it('still serves backend tensorflow on the CPU once loaded', async () => {
    const info = await selectBackend('tensorflow', silentLogger, workspace);
    expect(info).toMatchObject({ name: 'tensorflow', tfBackend: 'tensorflow' });
    expect(info.device).toMatch(/^cpu \(libtensorflow/);
  });
});

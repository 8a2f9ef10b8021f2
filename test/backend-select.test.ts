// Backend selection without a GPU: the auto order, the tensorflow-gpu preflight (a stand-in for
// tfjs-node-gpu, which cannot be installed here, drives the real loading code) and adapter reports.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tf } from '../src/backend/tf.js';
import { BackendError, parseBackendChoice, selectBackend, trainedOn } from '../src/backend/select.js';
import type { GpuFacts } from '../src/backend/auto-plan.js';
import { cpuName } from '../src/backend/devices.js';
import { EXIT } from '../src/errors.js';
import { gpuPreflightProblem, readTfDeviceReport, type TfDeviceReport } from '../src/backend/gpu-preflight.js';
import { describeAdapter } from '../src/backend/webgpu.js';
import { silentLogger, type Logger } from '../src/util/log.js';

/** What the probe would report on an NVIDIA runner with CUDA 12 only and no NVIDIA Vulkan ICD (no such machine here). */
const cuda12Runner: GpuFacts = {
  nvidia: 'NVIDIA H100 80GB HBM3',
  otherGpu: false,
  libs: { cudart12: '/usr/local/cuda/lib64/libcudart.so.12', vulkan: '/lib/x86_64-linux-gnu/libvulkan.so.1' },
  vulkanIcds: ['lvp_icd.json'],
  container: { inside: true, nvidiaCapabilities: 'compute,utility' },
  adapter: { kind: 'software', name: 'llvmpipe' },
  tfjsNodeGpu: 'installable',
  tfjsNode: false,
};

function capturingLog(): Logger & { warnings: string[]; infos: string[] } {
  const warnings: string[] = [];
  const infos: string[] = [];
  return { warnings, infos, info: (m) => infos.push(m), progress: () => {}, warn: (m) => warnings.push(m) };
}

describe('auto', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('on this machine without a GPU trains on wasm, says which CPU, and warns about nothing', async () => {
    const log = capturingLog();
    const info = await selectBackend('auto', log);
    expect(info).toMatchObject({ name: 'wasm', onGpu: false });
    expect(info.hardware).toBe(`CPU (${cpuName()})`);
    expect(trainedOn(info)).toBe(`wasm on CPU (${cpuName()})`);
    expect(info.gpuFallback).toBeUndefined();
    expect(log.warnings).toEqual([]);
  });

  it('on an NVIDIA runner no path can use: one warning with the GPU and both remedies, then the CPU', async () => {
    const log = capturingLog();
    const info = await selectBackend('auto', log, process.cwd(), { facts: cuda12Runner });
    expect(info).toMatchObject({ name: 'wasm', onGpu: false });
    expect(log.warnings).toHaveLength(1);
    expect(info.gpuFallback).toBe(log.warnings[0]);
    for (const part of [
      'NVIDIA H100 80GB HBM3',
      'libcudart.so.12',
      'tensorflow/tensorflow:2.9.1-gpu',
      'software one (llvmpipe)',
      'libvulkan1',
      'NVIDIA_DRIVER_CAPABILITIES="compute,utility" lacks graphics',
    ]) {
      expect(log.warnings[0]).toContain(part);
    }
    // Nothing was downloaded: tfjs-node-gpu was never tried.
    expect(log.infos.filter((m) => m.includes('installing'))).toEqual([]);
  });

  it('with require-gpu stops with exit 2 instead, naming the same causes', async () => {
    const log = capturingLog();
    const err = await selectBackend('auto', log, process.cwd(), { facts: cuda12Runner, requireGpu: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect((err as BackendError).exitCode).toBe(EXIT.BAD_INPUT);
    expect((err as Error).message).toMatch(
      /^require-gpu: no GPU path can use the NVIDIA GPU NVIDIA H100 80GB HBM3\. tensorflow-gpu: libcudart\.so\.11\.0 and libcudnn\.so\.8/,
    );
    expect(log.warnings).toEqual([]);
  });

  it('with require-gpu refuses a backend that never uses a GPU', async () => {
    const err = await selectBackend('wasm', silentLogger, process.cwd(), { requireGpu: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect((err as BackendError).exitCode).toBe(EXIT.BAD_INPUT);
    expect((err as Error).message).toBe(
      `require-gpu: backend wasm trains on CPU (${cpuName()}), not on a GPU; use backend auto, tensorflow-gpu or webgpu on a GPU runner (see docs/gpu.md)`,
    );
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
    const lavapipe = {
      info: { vendor: 'mesa', architecture: 'software', device: 'llvmpipe', description: 'llvmpipe: Mesa 25.0.7 (LLVM 15.0.6)' },
    };
    expect(describeAdapter(lavapipe)).toEqual({ name: 'llvmpipe, llvmpipe: Mesa 25.0.7 (LLVM 15.0.6)', fallback: true });
    // As Dawn reports an H100 over Vulkan.
    const h100 = {
      info: {
        vendor: 'nvidia',
        architecture: '',
        device: 'nvidia-h100-80gb-hbm3',
        description: 'NVIDIA: 580.159.04 580.159.4.0',
        isFallbackAdapter: false,
      },
    };
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
    for (const remedy of ['CUDA 11.2', 'cuDNN 8.1', 'tensorflow/tensorflow:2.9.1-gpu', 'backend: webgpu'])
      expect(message).toContain(remedy);
  });

  it('is used when TensorFlow reports a GPU device', async () => {
    flags.__fakeCudaLoaded = true;
    const info = await selectBackend('tensorflow-gpu', silentLogger, workspace);
    expect(info).toMatchObject({ name: 'tensorflow-gpu', tfBackend: 'tensorflow', versions: { '@tensorflow/tfjs-node-gpu': '4.22.0' } });
    expect(info.device).toMatch(/^gpu \(CUDA/);
  });

  // The libraries are "found" (the facts say so); the stand-in then reports whether CUDA loaded.
  const cudaRunner: GpuFacts = {
    ...cuda12Runner,
    libs: { cudart: '/cuda/libcudart.so.11.0', cudnn: '/cuda/libcudnn.so.8' },
    tfjsNodeGpu: 'present',
  };

  it('auto uses tensorflow-gpu where CUDA 11 is found and TensorFlow reports the GPU', async () => {
    flags.__fakeCudaLoaded = true;
    const log = capturingLog();
    const info = await selectBackend('auto', log, workspace, { facts: cudaRunner });
    expect(info).toMatchObject({ name: 'tensorflow-gpu', onGpu: true });
    expect(info.hardware).toMatch(/ \(CUDA\)$/);
    expect(log.warnings).toEqual([]);
  });

  it("auto warns once and stays on libtensorflow's CPU when the found CUDA does not load", async () => {
    flags.__fakeCudaLoaded = false;
    const log = capturingLog();
    const info = await selectBackend('auto', log, workspace, { facts: cudaRunner });
    expect(info).toMatchObject({ name: 'tensorflow', onGpu: false });
    const problem = gpuPreflightProblem({
      usingGpu: false,
      gpuPackage: true,
      nvidiaDevice: fs.existsSync('/dev/nvidia0') || fs.existsSync('/proc/driver/nvidia/version'),
      cudaVisibleDevices: process.env.CUDA_VISIBLE_DEVICES,
    });
    expect(log.warnings).toHaveLength(1);
    expect(log.warnings[0]).toContain(`tensorflow-gpu: ${problem}; to fix: install CUDA 11.2`);
    expect(info.gpuFallback).toBe(log.warnings[0]);
  });

  it('still serves backend tensorflow on the CPU once loaded', async () => {
    const info = await selectBackend('tensorflow', silentLogger, workspace);
    expect(info).toMatchObject({ name: 'tensorflow', tfBackend: 'tensorflow' });
    expect(info.device).toMatch(/^cpu \(libtensorflow/);
  });
});

// The webgpu backend (Dawn over Vulkan) trains like the cpu backend. In CI it runs on Mesa's
// software Vulkan (lavapipe); without Vulkan these tests fail and say what to install.
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../src/backend/tf.js';
import { selectBackend, type BackendInfo } from '../src/backend/select.js';
import { VULKAN_INSTALL, WEBGPU_INSTALL } from '../src/backend/webgpu.js';
import { silentLogger } from '../src/util/log.js';
import { convNet, denseNet, trainLosses } from './helpers/tiny-nets.js';
import path from 'node:path';
import { readModelSource } from '../src/model/source.js';
import { buildBackbone } from '../src/model/backbone.js';
import { compile } from '../src/model/inference.js';
import { EXAMPLE_MODEL_DIR } from './helpers/models.js';

const STEPS = 20;
let webgpu: BackendInfo | Error;

beforeAll(async () => {
  webgpu = await selectBackend('webgpu', silentLogger).catch((err: Error) => err);
});

async function onWebGpu(): Promise<void> {
  if (webgpu instanceof Error) {
    const what = /Vulkan/.test(webgpu.message)
      ? ''
      : `\nThese tests need "${WEBGPU_INSTALL}" (npm ci installs both) and ${VULKAN_INSTALL}.`;
    throw new Error(`webgpu is unavailable: ${webgpu.message}${what}`);
  }
  await tf.setBackend('webgpu');
}

/** The same training on cpu, then on webgpu: both from the same seeded weights and batches. */
async function compare(build: typeof denseNet): Promise<{ cpu: number[]; gpu: number[] }> {
  await onWebGpu();
  await tf.setBackend('cpu');
  const cpu = await trainLosses(build, STEPS);
  await onWebGpu();
  const gpu = await trainLosses(build, STEPS);
  return { cpu, gpu };
}

describe('backend webgpu', () => {
  it('registers into the engine of our own tfjs and reports its adapter', async () => {
    await onWebGpu();
    expect(tf.getBackend()).toBe('webgpu');
    const info = webgpu as BackendInfo;
    expect(info.name).toBe('webgpu');
    expect(info.device).toMatch(/Vulkan \(.+\)/);
    expect(info.versions.webgpu).toBe('0.6.2');
    // lavapipe is the CPU: the report must not call it a GPU.
    expect(info.onGpu).toBe(false);
    expect(info.hardware).toMatch(/^CPU \(llvmpipe.*, software Vulkan\)$/);
  });

  it('is refused under require-gpu on a software adapter (exit 2)', async () => {
    await onWebGpu();
    const err = await selectBackend('webgpu', silentLogger, process.cwd(), { requireGpu: true }).catch((e: unknown) => e);
    expect((err as { exitCode?: number }).exitCode).toBe(2);
    expect((err as Error).message).toMatch(/^require-gpu: backend webgpu trains on CPU \(llvmpipe.*, software Vulkan\), not on a GPU/);
  });

  it('adds 10 tensors right (needs the raised storage-buffer limit)', async () => {
    await onWebGpu();
    const n = 10;
    const tensors = Array.from({ length: n }, (_, i) => tf.fill([256], i + 1));
    const sum = tf.addN(tensors);
    const values = await sum.data();
    tf.dispose([...tensors, sum]);
    expect(Array.from(new Set(values))).toEqual([(n * (n + 1)) / 2]);
  });

  it("trains a dense net with Adam to the cpu backend's losses", async () => {
    const { cpu, gpu } = await compare(denseNet);
    expect(cpu[STEPS - 1]).toBeLessThan(cpu[0]);
    gpu.forEach((l, i) => expect(l, `step ${i}`).toBeCloseTo(cpu[i], 4));
  });

  it("trains a conv net (conv2d, depthwise, batch norm) with Adam to the cpu backend's losses", async () => {
    const { cpu, gpu } = await compare(convNet);
    expect(cpu[STEPS - 1]).toBeLessThan(cpu[0]);
    gpu.forEach((l, i) => expect(l, `step ${i}`).toBeCloseTo(cpu[i], 4));
  });
});

describe('folded inference on webgpu', () => {
  it("gives the cpu backend's features for the real MobileNetV2 (fused BatchNorm and ReLU6, padding kept as a layer)", async () => {
    const source = await readModelSource('mobilenet_v2', path.join(EXAMPLE_MODEL_DIR, 'model.json'));
    const values = Float32Array.from({ length: 2 * 32 * 32 * 3 }, (_, i) => Math.sin(i) * 0.9);
    // Built on each backend in turn: webgpu's tensors cannot be read synchronously by cpu kernels.
    const run = async (): Promise<Float32Array> => {
      const backbone = await buildBackbone(source, { cut: 'block_3_expand_relu', size: [32, 32], channels: 3 });
      const x = tf.tensor4d(values, [2, 32, 32, 3]);
      const y = compile(backbone.model).run(x);
      const out = (await y.data()) as Float32Array;
      tf.dispose([x, y]);
      return out;
    };
    await onWebGpu();
    const gpu = await run();
    await tf.setBackend('cpu');
    const cpu = await run();
    let worst = 0;
    let scale = 1e-12;
    cpu.forEach((c, i) => {
      worst = Math.max(worst, Math.abs(gpu[i] - c));
      scale = Math.max(scale, Math.abs(c));
    });
    expect(gpu.length).toBe(cpu.length);
    expect(worst / scale).toBeLessThan(1e-4);
  });
});

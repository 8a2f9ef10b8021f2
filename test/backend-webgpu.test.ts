// The webgpu backend (Dawn over Vulkan) trains like the cpu backend. In CI it runs on Mesa's
// software Vulkan (lavapipe); without Vulkan these tests fail and say what to install.
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../src/backend/tf.js';
import { selectBackend, type BackendInfo } from '../src/backend/select.js';
import { VULKAN_INSTALL, WEBGPU_INSTALL } from '../src/backend/webgpu.js';
import { silentLogger } from '../src/util/log.js';
import { convNet, denseNet, trainLosses } from './helpers/tiny-nets.js';

const STEPS = 20;
let webgpu: BackendInfo | Error;

beforeAll(async () => {
  webgpu = await selectBackend('webgpu', silentLogger).catch((err: Error) => err);
});

async function onWebGpu(): Promise<void> {
  if (webgpu instanceof Error) {
    const what = /Vulkan/.test(webgpu.message) ? '' : `\nThese tests need "${WEBGPU_INSTALL}" (npm ci installs both) and ${VULKAN_INSTALL}.`;
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

  it('trains a dense net with Adam to the cpu backend\'s losses', async () => {
    const { cpu, gpu } = await compare(denseNet);
    expect(cpu[STEPS - 1]).toBeLessThan(cpu[0]);
    gpu.forEach((l, i) => expect(l, `step ${i}`).toBeCloseTo(cpu[i], 4));
  });

  it('trains a conv net (conv2d, depthwise, batch norm) with Adam to the cpu backend\'s losses', async () => {
    const { cpu, gpu } = await compare(convNet);
    expect(cpu[STEPS - 1]).toBeLessThan(cpu[0]);
    gpu.forEach((l, i) => expect(l, `step ${i}`).toBeCloseTo(cpu[i], 4));
  });
});

// The copies between TF.js wasm backend's heap and our shared memory, by which products split over
// helper threads stage their operands and take back the helpers' rows: memory.copy across two
// memories where the runtime has multi-memory (Node 22 and later), typed-array copies elsewhere.
// Both routes give the same bits.
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { heapBridge, type PlainMemory, type SharedMemory } from '../src/accel/kernels/kernels.js';
import { tf } from '../src/backend/tf.js';
import { selectBackend } from '../src/backend/select.js';
import { silentLogger } from '../src/util/log.js';
import { createRng } from '../src/util/random.js';
import { float32Product } from './helpers/float32-product.js';

// Helper threads are what the bridge serves: at least one, on any machine.
process.env.FINETUNE_WORKERS = '2';

// The route each product takes, and how many times helpers' rows came back through the bridge.
const route = vi.hoisted(() => ({ bridgeOff: false, rowsBack: 0 }));
vi.mock('../src/accel/kernels/kernels.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../src/accel/kernels/kernels.js')>();
  return {
    ...actual,
    heapBridge: (heap: PlainMemory, shared: SharedMemory) => {
      const bridge = route.bridgeOff ? undefined : actual.heapBridge(heap, shared);
      return (
        bridge && {
          toShared: bridge.toShared,
          toHeap: (to: number, from: number, bytes: number) => {
            route.rowsBack++;
            bridge.toHeap(to, from, bytes);
          },
        }
      );
    },
  };
});

const nodeMajor = Number(process.versions.node.split('.')[0]);

// The tsconfig's libraries do not declare WebAssembly; this is the member used here.
declare const WebAssembly: { Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => PlainMemory };

const values = (n: number, seed: number) => {
  const rng = createRng(seed);
  return Float32Array.from({ length: n }, () => rng() * 2 - 1);
};

describe('heap bridge', () => {
  beforeAll(async () => {
    await selectBackend('wasm', silentLogger);
  });

  it('exists exactly where the runtime has multi-memory, and copies bytes both ways', () => {
    const heap = new WebAssembly.Memory({ initial: 2 });
    const shared = new WebAssembly.Memory({ initial: 2, maximum: 4, shared: true }) as unknown as SharedMemory;
    const bridge = heapBridge(heap, shared);
    expect(bridge !== undefined).toBe(nodeMajor >= 22);
    if (!bridge) return;
    const source = values(1000, 3);
    new Float32Array(heap.buffer, 400, 1000).set(source);
    bridge.toShared(65536 + 16, 400, 4000);
    expect(new Float32Array(shared.buffer, 65536 + 16, 1000)).toEqual(source);
    bridge.toHeap(80000, 65536 + 16, 4000);
    expect(new Float32Array(heap.buffer, 80000, 1000)).toEqual(source);
    // Nothing beyond the bytes asked for.
    expect(new Float32Array(heap.buffer, 84000, 4)).toEqual(new Float32Array(4));
  });

  it('a product split over helper threads gives the same bits with and without it', async () => {
    route.rowsBack = 0;
    const [m, k, n] = [320, 256, 192];
    const [av, bv] = [values(m * k, 1), values(k * n, 2)];
    const want = float32Product(av, bv, m, k, n);
    // New tensors each time: a right operand seen before goes to XNNPACK instead.
    const product = () =>
      tf.tidy(() =>
        tf
          .matMul(tf.tensor2d(av, [m, k]), tf.tensor2d(bv, [k, n]))
          .dataSync()
          .slice(),
      );
    // Helper threads start in the background and take bands once they run: alternate the two
    // routes until the helpers' rows came back through the bridge a few times (where it exists).
    for (let round = 0; round < 60 && (round < 10 || (nodeMajor >= 22 && route.rowsBack < 5)); round++) {
      route.bridgeOff = round % 2 === 1;
      expect(product()).toEqual(want);
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    if (nodeMajor >= 22) expect(route.rowsBack).toBeGreaterThanOrEqual(5);
  });
});

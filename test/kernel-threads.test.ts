// One product of our kernel split over helper threads: every thread count gives the bits of the
// single-threaded kernel, and the helpers really take part.
import { describe, expect, it } from 'vitest';
import { KernelThreads, type GemmFunction } from '../src/accel/kernels/kernel-threads.js';
import { compiledModule, instantiate } from '../src/accel/kernels/kernels.js';
import { createRng } from '../src/util/random.js';

const module = compiledModule();

function instance(pages: number) {
  const { memory, gemm } = instantiate(pages, pages);
  return { memory, gemm, floats: new Float32Array(memory.buffer) };
}

describe('KernelThreads', () => {
  const [m, k, n] = [203, 150, 77];
  const [aAt, bAt, biasAt, cAt] = [0, m * k * 4, (m * k + k * n) * 4, (m * k + k * n + n) * 4];
  const pages = Math.ceil(((m * k + k * n + n + m * n) * 4) / 65536);

  function fill(floats: Float32Array) {
    const rng = createRng(11);
    for (let i = 0; i < m * k + k * n + n; i++) floats[i] = rng() * 2 - 1;
  }

  it.each([1, 2, 3, 5])('%i threads give the single-threaded bits, transposed or not, with or without bias', async (threads) => {
    const one = instance(pages);
    const many = instance(pages);
    fill(one.floats);
    fill(many.floats);
    const pool = new KernelThreads(module, many.memory, many.gemm, threads);
    expect(pool.threads).toBe(threads);
    await pool.started();
    for (const [aRow, aCol, bias] of [
      [k * 4, 4, -1],
      [4, m * 4, -1],
      [k * 4, 4, biasAt],
    ]) {
      one.gemm(aAt, aRow, aCol, bAt, cAt, m, k, n, bias);
      for (let run = 0; run < 3; run++) {
        many.floats.fill(0, cAt / 4, cAt / 4 + m * n);
        pool.run(aAt, aRow, aCol, bAt, cAt, m, k, n, bias);
        expect(many.floats.subarray(cAt / 4, cAt / 4 + m * n)).toEqual(one.floats.subarray(cAt / 4, cAt / 4 + m * n));
      }
    }
  });

  it("with the caller computing in its own memory, its bands and the helpers' together give the single-threaded bits", async () => {
    const one = instance(pages);
    const many = instance(pages);
    const own = instance(pages);
    [one, many, own].forEach((x) => fill(x.floats));
    const pool = new KernelThreads(module, many.memory, many.gemm, 2);
    await pool.started();
    one.gemm(aAt, k * 4, 4, bAt, cAt, m, k, n, biasAt);
    let helped = 0;
    for (let run = 0; run < 20; run++) {
      own.floats.fill(0, cAt / 4, cAt / 4 + m * n);
      const collect = (first: number, rows: number) => {
        own.floats.set(many.floats.subarray(cAt / 4 + first * n, cAt / 4 + (first + rows) * n), cAt / 4 + first * n);
        helped++;
      };
      pool.run(aAt, k * 4, 4, bAt, cAt, m, k, n, biasAt, { gemm: own.gemm, a: aAt, b: bAt, c: cAt, bias: biasAt, collect });
      expect(own.floats.subarray(cAt / 4, cAt / 4 + m * n)).toEqual(one.floats.subarray(cAt / 4, cAt / 4 + m * n));
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    // The helper took part at least once: the rows it computed came from the shared memory.
    expect(helped).toBeGreaterThan(0);
  });

  it('helpers compute some of the bands, once they have started', async () => {
    const big = instance(pages);
    fill(big.floats);
    let mainBands = 0;
    const counted: GemmFunction = (...args) => {
      mainBands++;
      big.gemm(...args);
    };
    const pool = new KernelThreads(module, big.memory, counted, 2);
    await pool.started();
    let fewest = Infinity;
    // The caller never waits for a helper: until one has started, it computes every band itself.
    for (let run = 0; run < 100 && fewest >= 8; run++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      mainBands = 0;
      pool.run(aAt, k * 4, 4, bAt, cAt, m, k, n, -1);
      fewest = Math.min(fewest, mainBands);
    }
    // 203 rows in bands of 28: 8 bands, of which the calling thread took fewer at least once.
    expect(fewest).toBeLessThan(8);
  });
});

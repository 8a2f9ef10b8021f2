// Runs one matrix product of our kernels on several threads at once. wasm threads of TF.js's own
// build do not start in Node, but our module's memory is a SharedArrayBuffer: helper threads
// instantiate the same module over the same memory and compute bands of rows of C while the
// calling thread computes others. A row of C is computed the same way whoever computes it, so
// the result does not depend on how many threads there are, nor on which took which band.
//
// The threads meet in a small Int32Array (control) with Atomics:
// - the caller writes the product's arguments, resets the counters, bumps GENERATION and wakes
//   the helpers;
// - every thread takes bands by incrementing NEXT until none is left, and counts each finished
//   band in DONE; the caller returns once DONE reaches the number of bands;
// - a helper stores the generation it finished in its own ACK slot, and the caller waits for every
//   ACK before it writes the next product's arguments, so a late helper never reads half of them.
import { Worker } from 'node:worker_threads';

export type GemmFunction = (a: number, aRow: number, aCol: number, b: number, c: number, m: number, k: number, n: number, bias: number) => void;

const GENERATION = 0;
const NEXT = 1;
const DONE = 2;
const FAILED = 3;
/** a, aRow, aCol, b, c, m, k, n, bias, rows per band, bands */
const ARGS = 4;
const ACK = 15;
const MAX_HELPERS = 8;

/** Bands are whole 4-row blocks of the kernel, about this many per thread, for balance under load. */
const BANDS_PER_THREAD = 4;
const BLOCK_ROWS = 4;

/**
 * Takes and computes bands until none is left. Runs in the helpers too, sent as source, so it uses
 * literal indices: ARGS is 4, and the band count is at 14.
 */
function computeBands(control: Int32Array, gemm: GemmFunction): void {
  for (;;) {
    const band = Atomics.add(control, 1, 1);
    if (band >= control[14]) return;
    const [a, aRow, aCol, b, c, m, k, n, bias, rows] = control.subarray(4, 14);
    const first = band * rows;
    gemm(a + first * aRow, aRow, aCol, b, c + first * n * 4, Math.min(rows, m - first), k, n, bias);
    Atomics.add(control, 2, 1);
    Atomics.notify(control, 2);
  }
}

// CommonJS source, so it needs no file beside the bundle. The indices are those above.
const HELPER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memory, control: buffer, slot } = workerData;
const control = new Int32Array(buffer);
const { gemm } = new WebAssembly.Instance(module, { env: { memory } }).exports;
const computeBands = ${computeBands.toString()};
let seen = 0;
for (;;) {
  Atomics.wait(control, ${GENERATION}, seen);
  seen = Atomics.load(control, ${GENERATION});
  try {
    computeBands(control, gemm);
  } catch (err) {
    Atomics.store(control, ${FAILED}, 1);
    Atomics.notify(control, ${DONE});
  }
  Atomics.store(control, slot, seen);
  Atomics.notify(control, slot);
}`;

export class KernelThreads {
  private readonly control = new Int32Array(new SharedArrayBuffer(4 * (ACK + MAX_HELPERS)));
  private readonly helpers: Worker[] = [];

  /** `threads` counts the calling one: 1 starts no helper. */
  constructor(module: object, memory: object, private readonly gemm: GemmFunction, threads: number) {
    const count = Math.min(Math.max(threads - 1, 0), MAX_HELPERS);
    for (let h = 0; h < count; h++) {
      const workerData = { module, memory, control: this.control.buffer, slot: ACK + h };
      const worker = new Worker(HELPER_SOURCE, { eval: true, workerData });
      // A helper waits in Atomics.wait for ever; it must not keep the process alive.
      worker.unref();
      this.helpers.push(worker);
    }
  }

  get threads(): number {
    return this.helpers.length + 1;
  }

  /** c[m x n] = a b (+ bias) as gemm would compute it, with gemm's byte offsets and strides. */
  run(a: number, aRow: number, aCol: number, b: number, c: number, m: number, k: number, n: number, bias: number): void {
    const rows = Math.max(BLOCK_ROWS, Math.ceil(m / (this.threads * BANDS_PER_THREAD * BLOCK_ROWS)) * BLOCK_ROWS);
    const bands = Math.ceil(m / rows);
    if (this.helpers.length === 0 || bands < 2) return this.gemm(a, aRow, aCol, b, c, m, k, n, bias);
    const control = this.control;
    const generation = control[GENERATION];
    this.helpers.forEach((_, h) => waitFor(control, ACK + h, generation));
    control.set([a, aRow, aCol, b, c, m, k, n, bias, rows, bands], ARGS);
    Atomics.store(control, DONE, 0);
    Atomics.store(control, NEXT, 0);
    Atomics.store(control, GENERATION, generation + 1);
    Atomics.notify(control, GENERATION);
    computeBands(control, this.gemm);
    for (let done = Atomics.load(control, DONE); done < bands && !control[FAILED]; done = Atomics.load(control, DONE)) {
      Atomics.wait(control, DONE, done);
    }
    if (control[FAILED]) throw new Error('a kernel helper thread failed; set FINETUNE_WORKERS=1 to compute in one thread');
  }
}

/** Blocks until control[index] holds `value` (Node lets the main thread wait too). */
function waitFor(control: Int32Array, index: number, value: number): void {
  for (let seen = Atomics.load(control, index); seen !== value; seen = Atomics.load(control, index)) {
    Atomics.wait(control, index, seen);
  }
}

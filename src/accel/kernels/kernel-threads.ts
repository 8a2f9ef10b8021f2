// Runs one matrix product of our kernels on several threads at once. wasm threads of TF.js's own
// build do not start in Node, but our module's memory is a SharedArrayBuffer: helper threads
// instantiate the same module over the same memory and compute bands of rows of C while the
// calling thread computes others. A row of C is computed the same way whoever computes it, so
// the result does not depend on how many threads there are, nor on which took which band.
//
// The threads meet in a small Int32Array (control) with Atomics:
// - the caller writes the product's arguments, then publishes the product in CLAIM (its number in
//   the high bits, the next band, 0, in the low ones) and in GENERATION, and wakes the helpers;
// - every thread claims bands by a compare-and-swap on CLAIM while the number there is still its
//   product's, computes each, marks it in BAND_DONE with the product's number and counts it in
//   DONE; the caller returns once DONE reaches the number of bands. A caller computing in a memory
//   of its own takes each helper's band from BAND_DONE as soon as it is done, while the helpers
//   still compute the others.
// The arguments change only after every band of the last product was claimed and done, so a band
// is always computed from its own product's arguments, and the caller never waits for a helper
// that is late, asleep or gone: it takes whatever bands are left itself.
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';

export type GemmFunction = (
  a: number,
  aRow: number,
  aCol: number,
  b: number,
  c: number,
  m: number,
  k: number,
  n: number,
  bias: number,
) => void;

const GENERATION = 0;
const CLAIM = 1;
const DONE = 2;
const FAILED = 3;
/** a, aRow, aCol, b, c, m, k, n, bias, rows per band, bands */
const ARGS = 4;
/** Per band, the number of the product it was last computed for. */
const BAND_DONE = ARGS + 11;
const CONTROL_LENGTH = BAND_DONE + 256;
const MAX_HELPERS = 8;

/** Bands are whole 4-row blocks of the kernel, about this many per thread, for balance under load. */
const BANDS_PER_THREAD = 12;
const BLOCK_ROWS = 4;
/** CLAIM holds the product's number above these bits and the next band below them. */
const BAND_BITS = 8;

/**
 * Claims and computes bands of product `generation` until none is left. Runs in the helpers too,
 * sent as source, so it uses literal indices: CLAIM 1, DONE 2, ARGS 4 (bands at 14), BAND_DONE 15,
 * BAND_BITS 8.
 */
function computeBands(control: Int32Array, gemm: GemmFunction, generation: number): void {
  for (;;) {
    const claim = Atomics.load(control, 1);
    const band = claim & 255;
    if (claim >>> 8 !== generation || band >= control[14]) return;
    if (Atomics.compareExchange(control, 1, claim, claim + 1) !== claim) continue;
    const [a, aRow, aCol, b, c, m, k, n, bias, rows] = control.subarray(4, 14);
    const first = band * rows;
    gemm(a + first * aRow, aRow, aCol, b, c + first * n * 4, Math.min(rows, m - first), k, n, bias);
    Atomics.store(control, 15 + band, generation);
    Atomics.add(control, 2, 1);
    Atomics.notify(control, 2);
  }
}

// CommonJS source, so it needs no file beside the bundle. The indices are those above.
const HELPER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memory, control: buffer } = workerData;
const control = new Int32Array(buffer);
const { gemm } = new WebAssembly.Instance(module, { env: { memory } }).exports;
const computeBands = ${computeBands.toString()};
let seen = 0;
for (;;) {
  Atomics.wait(control, ${GENERATION}, seen);
  seen = Atomics.load(control, ${GENERATION});
  try {
    computeBands(control, gemm, seen);
  } catch (err) {
    Atomics.store(control, ${FAILED}, 1);
    Atomics.notify(control, ${DONE});
  }
}`;

export class KernelThreads {
  private readonly control = new Int32Array(new SharedArrayBuffer(4 * CONTROL_LENGTH));
  private readonly helpers: Worker[] = [];
  private readonly online: Promise<void>;

  /** `threads` counts the calling one: 1 starts no helper. A helper that cannot start is done without. */
  constructor(
    module: object,
    memory: object,
    private readonly gemm: GemmFunction,
    threads: number,
  ) {
    const count = Math.min(Math.max(threads - 1, 0), MAX_HELPERS);
    for (let h = 0; h < count; h++) {
      try {
        const worker = new Worker(HELPER_SOURCE, { eval: true, workerData: { module, memory, control: this.control.buffer } });
        // A helper waits in Atomics.wait for ever; it must not keep the process alive.
        worker.unref();
        worker.on('error', () => {});
        this.helpers.push(worker);
      } catch {
        break;
      }
    }
    this.online = Promise.allSettled(this.helpers.map((w) => once(w, 'online'))).then(() => undefined);
  }

  /** Settles once every helper runs or failed to (the caller need not wait: it computes bands meanwhile). */
  started(): Promise<void> {
    return this.online;
  }

  get threads(): number {
    return this.helpers.length + 1;
  }

  /**
   * c[m x n] = a b (+ bias) as gemm would compute it, with gemm's byte offsets and strides.
   * With `local`, the calling thread computes its bands there instead (the same product over
   * another memory: another instance's gemm and its offsets), and the helpers theirs here; each
   * band a helper computed goes to `local.collect` (its first row and rows) as soon as it is done.
   */
  run(
    a: number,
    aRow: number,
    aCol: number,
    b: number,
    c: number,
    m: number,
    k: number,
    n: number,
    bias: number,
    local?: LocalProduct,
  ): void {
    const bandsWanted = Math.min(this.threads * BANDS_PER_THREAD, (1 << BAND_BITS) - 1);
    const rows = Math.ceil(m / bandsWanted / BLOCK_ROWS) * BLOCK_ROWS;
    const bands = rows > 0 ? Math.ceil(m / rows) : 0;
    if (this.helpers.length === 0 || bands < 2) {
      if (local) local.gemm(local.a, aRow, aCol, local.b, local.c, m, k, n, local.bias);
      else this.gemm(a, aRow, aCol, b, c, m, k, n, bias);
      return;
    }
    const control = this.control;
    // Numbers wrap within the bits above BAND_BITS; a helper would have to sleep through 8M products.
    const generation = (control[GENERATION] + 1) & 0x7fffff;
    control.set([a, aRow, aCol, b, c, m, k, n, bias, rows, bands], ARGS);
    // No band is marked done for this product yet, not even by one that wrapped to its number.
    control.fill(-1, BAND_DONE, BAND_DONE + bands);
    Atomics.store(control, DONE, 0);
    Atomics.store(control, CLAIM, generation << BAND_BITS);
    Atomics.store(control, GENERATION, generation);
    Atomics.notify(control, GENERATION);
    if (!local) {
      computeBands(control, this.gemm, generation);
      waitForDone(control, (done) => done < bands);
      return;
    }
    const mine = claimBandsLocally(control, generation, local);
    // Every band is claimed now: collect the helpers' as each is done, while they compute the rest.
    let theirs = Array.from({ length: bands }, (_, band) => band).filter((band) => !mine.has(band));
    waitForDone(control, () => {
      theirs = theirs.filter((band) => {
        if (Atomics.load(control, BAND_DONE + band) !== generation) return true;
        local.collect(band * rows, Math.min(rows, m - band * rows));
        return false;
      });
      return theirs.length > 0;
    });
  }
}

/**
 * Waits on DONE while `pending` (given DONE as read before it is called) says bands are left;
 * throws if a helper failed.
 */
function waitForDone(control: Int32Array, pending: (done: number) => boolean): void {
  for (let done = Atomics.load(control, DONE); !control[FAILED] && pending(done); done = Atomics.load(control, DONE)) {
    Atomics.wait(control, DONE, done);
  }
  if (control[FAILED]) throw new Error('a kernel helper thread failed; set FINETUNE_WORKERS=1 to compute in one thread');
}

/** The product's operands and result in the caller's own memory, and the gemm over that memory. */
export interface LocalProduct {
  gemm: (a: number, aRow: number, aCol: number, b: number, c: number, m: number, k: number, n: number, bias: number) => void;
  a: number;
  b: number;
  c: number;
  bias: number;
  /** Takes rows first .. first + rows - 1 of C, which a helper computed in the shared memory. */
  collect(first: number, rows: number): void;
}

/** computeBands for the caller with a LocalProduct: each band it claims is computed there. Returns the bands it took. */
function claimBandsLocally(control: Int32Array, generation: number, local: LocalProduct): Set<number> {
  const taken = new Set<number>();
  for (;;) {
    const claim = Atomics.load(control, CLAIM);
    const band = claim & ((1 << BAND_BITS) - 1);
    if (claim >>> BAND_BITS !== generation || band >= control[ARGS + 10]) return taken;
    if (Atomics.compareExchange(control, CLAIM, claim, claim + 1) !== claim) continue;
    const [, aRow, aCol, , , m, k, n, , rows] = control.subarray(ARGS, ARGS + 10);
    const first = band * rows;
    local.gemm(local.a + first * aRow, aRow, aCol, local.b, local.c + first * n * 4, Math.min(rows, m - first), k, n, local.bias);
    taken.add(band);
    Atomics.add(control, DONE, 1);
  }
}

// What backend selection registers for wasm with acceleration on: the gradient kernels stock wasm
// lacks, then our kernels in front. Both idempotent.
import { registerWasmGradients } from '../../src/backend/wasm-gradients.js';
import { registerAccelKernels } from '../../src/accel/wasm/register.js';

export function registerWasmGradKernels(): void {
  registerWasmGradients();
  registerAccelKernels();
}

// The one place that imports TensorFlow.js, so every module shares the same engine.
import * as tf from '@tensorflow/tfjs';
// A named, used import: a bare side-effect import of the cpu backend is tree-shaken by the bundler.
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';

export { tf };
export const cpuBackendClass = MathBackendCPU;

// tfjs-node-gpu without CUDA 11.2 / cuDNN 8.1 does not fail: libtensorflow logs a dlerror and
// registers only its CPU device. This decides, from what the binding reports, whether a GPU is used.

export interface TfDeviceReport {
  /** From TensorFlow's device list (NodeJSKernelBackend.isUsingGpuDevice); undefined when not reported. */
  usingGpu: boolean | undefined;
  /** The binding is the GPU build of libtensorflow. */
  gpuPackage: boolean | undefined;
  /** /dev/nvidia0 or the NVIDIA driver's /proc entry exists. */
  nvidiaDevice: boolean;
  cudaVisibleDevices: string | undefined;
}

export const GPU_REMEDY =
  'install CUDA 11.2 and cuDNN 8.1 (libcudart.so.11.0 and libcudnn.so.8 on LD_LIBRARY_PATH), ' +
  'run in a container image such as tensorflow/tensorflow:2.9.1-gpu (with --gpus all), ' +
  'or use backend: webgpu (Vulkan, no CUDA version pin)';

/** Why tensorflow-gpu is not really on a GPU, or undefined when it is. */
export function gpuPreflightProblem(r: TfDeviceReport): string | undefined {
  if (r.usingGpu === true) return undefined;
  if (r.gpuPackage === false) return 'the loaded binding is the CPU build of TensorFlow, not @tensorflow/tfjs-node-gpu';
  const hidden = r.cudaVisibleDevices?.trim();
  if (hidden === '' || hidden === '-1') return `CUDA_VISIBLE_DEVICES="${r.cudaVisibleDevices}" hides every GPU`;
  if (!r.nvidiaDevice) return 'no NVIDIA GPU is visible to this process (no /dev/nvidia0)';
  if (r.usingGpu === undefined) return 'the TensorFlow binding did not report its device, so a GPU cannot be confirmed';
  return 'TensorFlow registered no GPU device: libtensorflow 2.9.1 could not load CUDA 11.2 / cuDNN 8.1 (see the dlerror above)';
}

/** What a tfjs-node backend instance says about its device; tolerant of versions that lack a field. */
export function readTfDeviceReport(
  backend: unknown,
  env: { nvidiaDevice: boolean; cudaVisibleDevices: string | undefined },
): TfDeviceReport {
  const b = (backend ?? {}) as { isUsingGpuDevice?: unknown; isGPUPackage?: unknown; binding?: { isUsingGpuDevice?: unknown } };
  let usingGpu: boolean | undefined;
  if (typeof b.isUsingGpuDevice === 'boolean') usingGpu = b.isUsingGpuDevice;
  else if (typeof b.binding?.isUsingGpuDevice === 'function') usingGpu = Boolean((b.binding.isUsingGpuDevice as () => unknown)());
  const gpuPackage = typeof b.isGPUPackage === 'boolean' ? b.isGPUPackage : undefined;
  return { usingGpu, gpuPackage, ...env };
}

// TF.js's WebGPU backend on Dawn's node plugin (npm `webgpu`) over Vulkan: a GPU path without the
// CUDA version pin of tfjs-node-gpu. Both packages are optional and resolved at run time.
import { pathToFileURL } from 'node:url';
import { tf } from './tf.js';
import { BackendError, tfVersions, type BackendChoice, type BackendInfo } from './types.js';
import { packageVersion, requireFile, resolveOptional } from './resolve.js';
import { nvidiaGpu } from './devices.js';

const DAWN = 'webgpu';
const TFJS_WEBGPU = '@tensorflow/tfjs-backend-webgpu';
export const WEBGPU_INSTALL = `npm install ${DAWN}@0.6.2 ${TFJS_WEBGPU}@4.22.0`;
export const VULKAN_INSTALL =
  "a Vulkan driver and the loader libvulkan1: on an NVIDIA machine the driver's Vulkan ICD (libGLX_nvidia.so.0, which " +
  "needs libglvnd0; in a container NVIDIA_DRIVER_CAPABILITIES must include graphics); without a GPU, Mesa's lavapipe 25.x " +
  '(Debian 12: apt-get install -t bookworm-backports mesa-vulkan-drivers; its own 22.3 is too old for Dawn)';

/** The parts of WebGPU's adapter used here (its full types come with the optional package). */
interface GpuAdapter {
  info?: { vendor?: string; architecture?: string; device?: string; description?: string; isFallbackAdapter?: boolean };
  isFallbackAdapter?: boolean;
  limits: { maxStorageBuffersPerShaderStage: number };
  requestDevice(desc?: { requiredLimits?: Record<string, number> }): Promise<unknown>;
}

interface GpuRequestOptions {
  powerPreference?: string;
  forceFallbackAdapter?: boolean;
}

interface Gpu {
  requestAdapter(opts?: GpuRequestOptions): Promise<GpuAdapter | null>;
}

interface Dawn {
  create(flags: string[]): Gpu;
  globals: object;
}

export interface AdapterSummary {
  name: string;
  /** A software (CPU) rasteriser such as lavapipe/llvmpipe or SwiftShader. */
  fallback: boolean;
}

let dawn: { gpu: Gpu; adapter?: GpuAdapter; versions: Record<string, string> } | undefined;

/** `webgpu` as asked for: fails with what to install when Dawn or a Vulkan device is missing. */
export async function initWebGpu(requested: BackendChoice, workspace: string, opts: { hardwareOnly?: boolean } = {}): Promise<BackendInfo> {
  const adapter = await probeAdapter(workspace);
  if (opts.hardwareOnly && adapter.fallback) throw new BackendError(`the WebGPU adapter is a software one (${adapter.name})`);
  await registerTfjsWebGpu(workspace);
  if (!(await tf.setBackend('webgpu'))) throw new BackendError(`the webgpu backend failed to initialise on ${adapter.name}`);
  await tf.ready();
  const used = dawn?.adapter ? describeAdapter(dawn.adapter) : adapter;
  const device = `${used.fallback ? 'cpu, software Vulkan' : 'gpu, Vulkan'} (${used.name})`;
  return {
    requested,
    name: 'webgpu',
    tfBackend: 'webgpu',
    device,
    versions: { ...tfVersions(), ...dawn?.versions },
    hardware: adapterHardware(used, nvidiaGpu()),
    onGpu: !used.fallback,
  };
}

/**
 * The adapter in words for the report. Dawn names an NVIDIA card by a slug ("nvidia-h100-80gb-hbm3"),
 * so the driver's model name is used where there is one; a software adapter is the CPU.
 */
export function adapterHardware(adapter: AdapterSummary, nvidiaModel: string | undefined): string {
  if (adapter.fallback) return `CPU (${adapter.name}, software Vulkan)`;
  const name = nvidiaModel && /nvidia/i.test(adapter.name) ? nvidiaModel : adapter.name;
  return `${name} (Vulkan)`;
}

/** Loads Dawn and describes the adapter TF.js will get (it asks for high performance too). */
export async function probeAdapter(workspace: string): Promise<AdapterSummary> {
  const [adapter] = await requestAdapters(workspace, false);
  if (!adapter) throw new BackendError(`WebGPU found no Vulkan device: install ${VULKAN_INSTALL}`);
  return adapter;
}

/** Where Dawn and TF.js's WebGPU backend resolve from (undefined: not installed). */
export function webgpuPackages(workspace: string): { dawn?: string; tfjs?: string } {
  return { dawn: resolveOptional(DAWN, workspace), tfjs: resolveOptional(TFJS_WEBGPU, workspace) };
}

/**
 * The adapters Dawn offers: the high-performance one TF.js gets, and with `all` also the low-power
 * and the fallback (software) one, without duplicates. Throws when Dawn cannot be loaded.
 */
export async function requestAdapters(workspace: string, all: boolean): Promise<AdapterSummary[]> {
  const gpu = await loadDawn(workspace);
  const asks: GpuRequestOptions[] = all
    ? [{ powerPreference: 'high-performance' }, { powerPreference: 'low-power' }, { forceFallbackAdapter: true }]
    : [{ powerPreference: 'high-performance' }];
  const found = new Map<string, AdapterSummary>();
  for (const ask of asks) {
    const adapter = await gpu.requestAdapter(ask);
    if (!adapter) continue;
    const summary = describeAdapter(adapter);
    if (!found.has(summary.name)) found.set(summary.name, summary);
  }
  return [...found.values()];
}

export function describeAdapter(adapter: Pick<GpuAdapter, 'info' | 'isFallbackAdapter'>): AdapterSummary {
  const info = adapter.info ?? {};
  // NVIDIA's description is only the driver version: the device id names the card.
  const name = [info.device, info.description].filter(Boolean).join(', ') || info.vendor || 'unknown adapter';
  const software = /llvmpipe|lavapipe|swiftshader|software/i.test(`${name} ${info.architecture ?? ''}`);
  return { name, fallback: Boolean(info.isFallbackAdapter ?? adapter.isFallbackAdapter) || software };
}

/** Dawn's globals and `navigator.gpu`, which the tfjs backend looks for when it is imported. */
async function loadDawn(workspace: string): Promise<Gpu> {
  if (dawn) return dawn.gpu;
  const entry = resolveOptional(DAWN, workspace);
  if (!entry) throw new BackendError(`the webgpu backend needs ${DAWN} and ${TFJS_WEBGPU}: run "${WEBGPU_INSTALL}" in ${workspace}`);
  let mod: Dawn;
  try {
    mod = (await import(/* webpackIgnore: true */ pathToFileURL(entry).href)) as Dawn;
  } catch (err) {
    throw new BackendError(`${DAWN} failed to load (${(err as Error).message}); it ships dawn.node for linux-x64, darwin and win32 only`);
  }
  const gpu = mod.create([]);
  dawn = { gpu, versions: { [DAWN]: packageVersion(entry, DAWN) } };
  Object.assign(globalThis, mod.globals);
  Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true, enumerable: true });
  patchRequestAdapter(gpu);
  return gpu;
}

/**
 * tfjs 4.22 does not ask for maxStorageBuffersPerShaderStage, so Dawn gives the default (8) and
 * addN of 8+ tensors is silently wrong: every device is asked for the adapter's full limit.
 */
function patchRequestAdapter(gpu: Gpu): void {
  const requestAdapter = gpu.requestAdapter.bind(gpu);
  gpu.requestAdapter = async (opts) => {
    const adapter = await requestAdapter(opts);
    if (!adapter) return adapter;
    const requestDevice = adapter.requestDevice.bind(adapter);
    const maxStorageBuffersPerShaderStage = adapter.limits.maxStorageBuffersPerShaderStage;
    adapter.requestDevice = (desc = {}) =>
      requestDevice({ ...desc, requiredLimits: { ...desc.requiredLimits, maxStorageBuffersPerShaderStage } });
    if (dawn) dawn.adapter = adapter;
    return adapter;
  };
}

/** The tfjs backend registers 'webgpu' into the global engine that the bundled tfjs shares. */
async function registerTfjsWebGpu(workspace: string): Promise<void> {
  if (tf.findBackendFactory('webgpu')) return;
  const entry = resolveOptional(TFJS_WEBGPU, workspace);
  if (!entry) throw new BackendError(`the webgpu backend needs ${TFJS_WEBGPU}: run "${WEBGPU_INSTALL}" in ${workspace}`);
  // Its own copy of tfjs-core warns that the shared platform is set again; PROD silences that, and
  // is restored so that a failing backend initialisation still logs why.
  const prod = tf.env().getBool('PROD');
  tf.env().set('PROD', true);
  try {
    requireFile(entry);
  } catch (err) {
    throw new BackendError(`${TFJS_WEBGPU} failed to load: ${(err as Error).message}`);
  } finally {
    tf.env().set('PROD', prod);
  }
  if (!tf.findBackendFactory('webgpu')) throw new BackendError(`${TFJS_WEBGPU} loaded but registered no backend into this tfjs engine`);
  if (dawn) dawn.versions[TFJS_WEBGPU] = packageVersion(entry, TFJS_WEBGPU);
}

// What `auto` does on a machine, as a pure function of what was probed there (gpu-probe.ts): which
// GPU path can work, why each other one cannot and how to fix it, and what happens when a GPU is
// seen but no path can use it (one warning, or exit 2 with require-gpu). docs/gpu.md explains it
// to users.
import { CUDA_RUNTIME, CUDNN, VULKAN_LOADER } from './gpu-libs.js';

export type GpuPath = 'tensorflow-gpu' | 'webgpu';
export type AutoCandidate = GpuPath | 'tensorflow';

/** The kind of adapter Dawn gave: `not-installed` when Dawn is absent, `not-probed` where no GPU was seen (Dawn is not loaded for nothing). */
export type AdapterKind = 'hardware' | 'software' | 'none' | 'not-installed' | 'not-probed';

export interface GpuFacts {
  /** The NVIDIA GPU the driver shows (its model name), or undefined. */
  nvidia?: string;
  /** Another GPU Dawn may reach: a Linux render node (AMD, Intel), or macOS / Windows. */
  otherGpu: boolean;
  /** CUDA_VISIBLE_DEVICES as set ('' or -1 hide every GPU from CUDA). */
  cudaVisibleDevices?: string;
  /** Where each library was found (undefined: not on the loader's search path). */
  libs: { cudart?: string; cudnn?: string; cudart12?: string; vulkan?: string };
  /** File names of the Vulkan ICD manifests found (nvidia_icd.json, lvp_icd.json, ...). */
  vulkanIcds: string[];
  /** Inside a container, and its NVIDIA_DRIVER_CAPABILITIES when set. */
  container: { inside: boolean; nvidiaCapabilities?: string };
  adapter: { kind: AdapterKind; name?: string; problem?: string };
  /** tfjs-node-gpu: in the workspace or the tool cache, installable on demand (Actions), or neither. */
  tfjsNodeGpu: 'present' | 'installable' | 'absent';
  /** tfjs-node (CPU) in the workspace or the tool cache. */
  tfjsNode: boolean;
}

export interface Blocker {
  reason: string;
  remedy: string;
}

export interface AutoPlan {
  /** GPU paths to try, in order: CUDA first (libtensorflow's kernels), then Vulkan. */
  gpu: GpuPath[];
  /** The CPU backend auto ends on when no GPU path is used. */
  cpu: 'tensorflow' | 'wasm';
  /** Why each GPU path missing from `gpu` cannot work, with its remedy. */
  blocked: Partial<Record<GpuPath, Blocker>>;
}

export const CUDA_REMEDY =
  `run the job in the container image tensorflow/tensorflow:2.9.1-gpu (with --gpus all), or install CUDA 11.2 and cuDNN 8.1 ` +
  `so that ${CUDA_RUNTIME} and ${CUDNN} are on LD_LIBRARY_PATH or in ldconfig's cache (CUDA 12 alone is not enough)`;
export const VULKAN_REMEDY =
  "install the Vulkan loader (Debian/Ubuntu: libvulkan1) and NVIDIA's Vulkan ICD (nvidia_icd.json with libGLX_nvidia.so.0, " +
  'shipped with the driver; needs libglvnd0); in a container set NVIDIA_DRIVER_CAPABILITIES to include graphics ' +
  '(e.g. compute,utility,graphics or all)';
export const TFJS_NODE_GPU_INSTALL =
  'npm install @tensorflow/tfjs-node-gpu@4.22.0 in the workspace (in GitHub Actions it is installed on demand into the tool cache)';
export const DAWN_INSTALL = 'npm install webgpu@0.6.2 @tensorflow/tfjs-backend-webgpu@4.22.0 in the workspace';
export const GPU_DOCS = 'docs/gpu.md';

export function planAuto(f: GpuFacts): AutoPlan {
  const blocked: Partial<Record<GpuPath, Blocker>> = {};
  const gpu: GpuPath[] = [];
  const cuda = cudaBlocker(f);
  if (cuda) blocked['tensorflow-gpu'] = cuda;
  else gpu.push('tensorflow-gpu');
  const vulkan = webgpuBlocker(f);
  if (vulkan) blocked.webgpu = vulkan;
  else gpu.push('webgpu');
  // A tfjs-node-gpu that loads but finds no GPU device still runs libtensorflow on the CPU.
  const cpu = f.tfjsNode || gpu.includes('tensorflow-gpu') ? 'tensorflow' : 'wasm';
  return { gpu, cpu, blocked };
}

function cudaBlocker(f: GpuFacts): Blocker | undefined {
  if (!f.nvidia)
    return {
      reason: 'no NVIDIA GPU is visible (no /dev/nvidia0, no /proc/driver/nvidia/version)',
      remedy: 'tensorflow-gpu needs an NVIDIA GPU and its driver',
    };
  const hidden = f.cudaVisibleDevices?.trim();
  if (hidden === '' || hidden === '-1')
    return {
      reason: `CUDA_VISIBLE_DEVICES="${f.cudaVisibleDevices}" hides every GPU`,
      remedy: 'unset CUDA_VISIBLE_DEVICES or name a GPU (e.g. 0)',
    };
  const missing = [f.libs.cudart ? '' : CUDA_RUNTIME, f.libs.cudnn ? '' : CUDNN].filter(Boolean);
  if (missing.length > 0) {
    const cuda12 = f.libs.cudart12 && !f.libs.cudart ? ` (found ${f.libs.cudart12}: CUDA 12, which libtensorflow 2.9 cannot use)` : '';
    return {
      reason: `${missing.join(' and ')} (CUDA 11.2 / cuDNN 8.1) not found on the loader's search path${cuda12}`,
      remedy: CUDA_REMEDY,
    };
  }
  if (f.tfjsNodeGpu === 'absent')
    return {
      reason: '@tensorflow/tfjs-node-gpu is not installed and is only installed on demand in GitHub Actions',
      remedy: TFJS_NODE_GPU_INSTALL,
    };
  return undefined;
}

function webgpuBlocker(f: GpuFacts): Blocker | undefined {
  const a = f.adapter;
  switch (a.kind) {
    case 'hardware':
      return undefined;
    case 'not-installed':
      return { reason: 'Dawn (npm webgpu) or @tensorflow/tfjs-backend-webgpu is not installed', remedy: DAWN_INSTALL };
    case 'not-probed':
      return { reason: 'no GPU is visible, so Vulkan was not probed', remedy: VULKAN_REMEDY };
    case 'software':
      return { reason: `the only Vulkan adapter is a software one (${a.name ?? 'unnamed'})${vulkanSetupGap(f)}`, remedy: VULKAN_REMEDY };
    case 'none':
      return { reason: `Dawn found no Vulkan adapter${a.problem ? ` (${a.problem})` : ''}${vulkanSetupGap(f)}`, remedy: VULKAN_REMEDY };
  }
}

/** What is missing for NVIDIA's Vulkan driver, as far as files and the environment tell. */
function vulkanSetupGap(f: GpuFacts): string {
  const gaps: string[] = [];
  if (!f.libs.vulkan) gaps.push(`the Vulkan loader ${VULKAN_LOADER} is missing`);
  if (f.nvidia && !f.vulkanIcds.some((i) => /nvidia/i.test(i))) gaps.push('no NVIDIA Vulkan ICD (nvidia_icd.json) is installed');
  const caps = f.container.nvidiaCapabilities;
  if (f.nvidia && f.container.inside && caps !== undefined && !/\b(graphics|all)\b/.test(caps))
    gaps.push(`NVIDIA_DRIVER_CAPABILITIES="${caps}" lacks graphics`);
  return gaps.length > 0 ? `: ${gaps.join('; ')}` : '';
}

export type GpuOutcome = { action: 'none' } | { action: 'warn' | 'fail'; message: string };

/**
 * After every GPU path in the plan failed (or there was none): nothing to say on a machine without
 * a GPU; one warning when an NVIDIA GPU sits unused; exit 2 with require-gpu. `blocked` holds the
 * plan's blockers plus the paths that failed when tried.
 */
export function gpuOutcome(f: GpuFacts, blocked: Partial<Record<GpuPath, Blocker>>, requireGpu: boolean): GpuOutcome {
  if (!f.nvidia && !requireGpu) return { action: 'none' };
  const seen = f.nvidia ? `the NVIDIA GPU ${f.nvidia}` : f.otherGpu ? 'the GPU here' : undefined;
  const paths = (['tensorflow-gpu', 'webgpu'] as const).map((p) => {
    const b = blocked[p] ?? { reason: 'not tried', remedy: '' };
    return `${p}: ${b.reason}; to fix: ${b.remedy}.`;
  });
  if (requireGpu) {
    const head = seen ? `no GPU path can use ${seen}` : 'no GPU is visible to this process';
    return { action: 'fail', message: `require-gpu: ${head}. ${paths.join(' ')} See ${GPU_DOCS}.` };
  }
  return {
    action: 'warn',
    message:
      `backend auto: ${seen ?? 'the GPU'} is not used, training continues on the CPU. ${paths.join(' ')} ` +
      `Set require-gpu: true (CLI --require-gpu) to stop instead. See ${GPU_DOCS}.`,
  };
}

export interface AutoChoice {
  /** What auto would use, if each path loads as its files promise. */
  pick: AutoCandidate | 'wasm';
  /** One line per backend auto considers, in its order: used, not used and why, or not reached. */
  why: { backend: AutoCandidate | 'wasm'; verdict: string }[];
  /** The warning auto would give (a GPU seen and left unused). */
  warning?: string;
}

/** `finetune doctor`'s account of auto on this machine: the plan, read aloud. */
export function describeAuto(f: GpuFacts): AutoChoice {
  const plan = planAuto(f);
  const pick: AutoChoice['pick'] = plan.gpu.length > 0 ? plan.gpu[0] : plan.cpu;
  const why: AutoChoice['why'] = [];
  for (const p of ['tensorflow-gpu', 'webgpu'] as const) {
    const b = plan.blocked[p];
    if (b) why.push({ backend: p, verdict: `not usable: ${b.reason}` });
    else
      why.push({
        backend: p,
        verdict: p === pick ? `usable: ${usableBecause(p, f)}` : `usable, tried if ${pick} fails: ${usableBecause(p, f)}`,
      });
  }
  if (plan.cpu === 'tensorflow') {
    const from = f.tfjsNode ? '@tensorflow/tfjs-node is installed' : 'libtensorflow of tfjs-node-gpu runs on the CPU too';
    why.push({ backend: 'tensorflow', verdict: `${pick === 'tensorflow' ? 'used' : 'the CPU fallback'}: ${from}` });
  } else
    why.push({ backend: 'tensorflow', verdict: 'not used: @tensorflow/tfjs-node is not installed (auto never downloads it for the CPU)' });
  why.push({ backend: 'wasm', verdict: pick === 'wasm' ? 'used: always available' : 'the last resort' });
  const outcome = plan.gpu.length === 0 ? gpuOutcome(f, plan.blocked, false) : { action: 'none' as const };
  return { pick, why, ...(outcome.action === 'warn' ? { warning: outcome.message } : {}) };
}

function usableBecause(p: GpuPath, f: GpuFacts): string {
  if (p === 'webgpu') return `hardware Vulkan adapter ${f.adapter.name ?? ''}`.trim();
  const pkg = f.tfjsNodeGpu === 'present' ? 'installed' : 'installed on demand (once per runner)';
  return `${f.nvidia} with ${f.libs.cudart} and ${f.libs.cudnn}; @tensorflow/tfjs-node-gpu ${pkg}`;
}

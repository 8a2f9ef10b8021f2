// Looks at the machine for what auto-plan.ts decides on: the NVIDIA GPU, the CUDA 11 / cuDNN 8 and
// Vulkan libraries on the loader's search path, the Vulkan ICDs, the container, the adapter Dawn
// gets and which tfjs-node packages are at hand. Nothing here downloads or loads libtensorflow.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AdapterKind, GpuFacts } from './auto-plan.js';
import {
  CUDA_12_RUNTIME,
  CUDA_RUNTIME,
  CUDNN,
  STANDARD_LIB_DIRS,
  VULKAN_LOADER,
  findLibrary,
  ldLibraryPathDirs,
  parseLdconfig,
} from './gpu-libs.js';
import { canInstallOnDemand } from './native-install.js';
import { findInToolCache } from './native-locate.js';
import { resolveOptional } from './resolve.js';
import { requestAdapters, webgpuPackages, type AdapterSummary } from './webgpu.js';
import { firstLine } from './types.js';
import { hasOtherGpu, nvidiaGpu } from './devices.js';

export interface ProbeOptions {
  workspace: string;
  env?: NodeJS.ProcessEnv;
  /** when-gpu: load Dawn only where a GPU is seen (auto); always: also on CPU-only machines, listing every adapter (doctor). */
  vulkan: 'when-gpu' | 'always';
  /** `ldconfig -p`'s output; read from ldconfig unless given. */
  ldconfig?: string;
}

export interface Probe {
  facts: GpuFacts;
  /** Every adapter Dawn offered (doctor asks for each power preference and the fallback one). */
  adapters: AdapterSummary[];
}

export async function probeGpu(opts: ProbeOptions): Promise<Probe> {
  const env = opts.env ?? process.env;
  const nvidia = nvidiaGpu();
  const otherGpu = hasOtherGpu();
  const vulkan =
    opts.vulkan === 'always' || nvidia !== undefined || otherGpu
      ? await probeVulkan(opts.workspace, opts.vulkan === 'always')
      : { adapter: { kind: 'not-probed' as const }, adapters: [] };
  const facts: GpuFacts = {
    nvidia,
    otherGpu,
    cudaVisibleDevices: env.CUDA_VISIBLE_DEVICES,
    libs: probeLibraries(env, opts.ldconfig ?? readLdconfig()),
    vulkanIcds: vulkanIcds(env),
    container: { inside: inContainer(), nvidiaCapabilities: env.NVIDIA_DRIVER_CAPABILITIES },
    adapter: vulkan.adapter,
    tfjsNodeGpu: nativeStatus('@tensorflow/tfjs-node-gpu', opts.workspace, env),
    tfjsNode: nativeStatus('@tensorflow/tfjs-node', opts.workspace, env) === 'present',
  };
  return { facts, adapters: vulkan.adapters };
}

export function probeLibraries(env: NodeJS.ProcessEnv, ldconfigText: string): GpuFacts['libs'] {
  const search = {
    ldLibraryPath: ldLibraryPathDirs(env.LD_LIBRARY_PATH),
    ldconfig: parseLdconfig(ldconfigText),
    standardDirs: STANDARD_LIB_DIRS,
    exists: (f: string) => fs.existsSync(f),
  };
  return {
    cudart: findLibrary(CUDA_RUNTIME, search),
    cudnn: findLibrary(CUDNN, search),
    cudart12: findLibrary(CUDA_12_RUNTIME, search),
    vulkan: findLibrary(VULKAN_LOADER, search),
  };
}

/** `ldconfig -p`, or '' where there is none (macOS, Windows, minimal images). */
function readLdconfig(): string {
  for (const cmd of ['ldconfig', '/sbin/ldconfig', '/usr/sbin/ldconfig']) {
    const res = spawnSync(cmd, ['-p'], { encoding: 'utf8', timeout: 10_000, maxBuffer: 16 << 20 });
    if (res.status === 0) return res.stdout;
  }
  return '';
}

/** ICD manifest names: from VK_ICD_FILENAMES / VK_DRIVER_FILES when set (the loader then reads only those), else the standard folders. */
export function vulkanIcds(env: NodeJS.ProcessEnv): string[] {
  const listed = env.VK_DRIVER_FILES || env.VK_ICD_FILENAMES;
  if (listed)
    return listed
      .split(':')
      .filter(Boolean)
      .filter((f) => fs.existsSync(f))
      .map((f) => path.basename(f));
  const dirs = [
    '/etc/vulkan/icd.d',
    '/usr/local/share/vulkan/icd.d',
    '/usr/share/vulkan/icd.d',
    path.join(os.homedir(), '.local/share/vulkan/icd.d'),
  ];
  const names = new Set<string>();
  for (const dir of dirs) {
    try {
      for (const f of fs.readdirSync(dir)) if (f.endsWith('.json')) names.add(f);
    } catch {
      // Not there.
    }
  }
  return [...names].sort();
}

function inContainer(): boolean {
  return fs.existsSync('/.dockerenv') || fs.existsSync('/run/.containerenv');
}

async function probeVulkan(workspace: string, all: boolean): Promise<{ adapter: GpuFacts['adapter']; adapters: AdapterSummary[] }> {
  const pkgs = webgpuPackages(workspace);
  if (!pkgs.dawn || !pkgs.tfjs) return { adapter: { kind: 'not-installed' }, adapters: [] };
  let adapters: AdapterSummary[];
  try {
    adapters = await requestAdapters(workspace, all);
  } catch (err) {
    return { adapter: { kind: 'none', problem: firstLine(err) }, adapters: [] };
  }
  const first = adapters[0];
  if (!first) return { adapter: { kind: 'none' }, adapters };
  const kind: AdapterKind = first.fallback ? 'software' : 'hardware';
  return { adapter: { kind, name: first.name }, adapters };
}

type NativePkg = '@tensorflow/tfjs-node' | '@tensorflow/tfjs-node-gpu';

/** The package's entry and where it came from, as initNative would find it without installing. */
export function findNative(
  pkg: NativePkg,
  workspace: string,
  env: NodeJS.ProcessEnv,
): { entry: string; from: 'workspace' | 'tool cache' } | undefined {
  const local = resolveOptional(pkg, workspace);
  if (local) return { entry: local, from: 'workspace' };
  const cached = canInstallOnDemand(env) ? findInToolCache(pkg) : undefined;
  return cached ? { entry: cached, from: 'tool cache' } : undefined;
}

/** Ready to load (workspace or tool cache), installable on demand in Actions, or neither. */
function nativeStatus(pkg: NativePkg, workspace: string, env: NodeJS.ProcessEnv): GpuFacts['tfjsNodeGpu'] {
  if (findNative(pkg, workspace, env)) return 'present';
  return canInstallOnDemand(env) ? 'installable' : 'absent';
}

// Where the dynamic loader would find a shared library, decided without loading it: tfjs-node-gpu
// only logs a dlerror when CUDA 11 is missing, so auto looks for the files before it downloads
// several hundred MB of libtensorflow. Pure: the caller passes the directories, the `ldconfig -p`
// text and a file-exists function.
import path from 'node:path';

/** What libtensorflow 2.9.1 (tfjs-node-gpu 4.22) opens: CUDA 11.x's runtime and cuDNN 8. */
export const CUDA_RUNTIME = 'libcudart.so.11.0';
export const CUDNN = 'libcudnn.so.8';
/** CUDA 12's runtime: found instead of 11's, it explains why tfjs-node-gpu cannot use the GPU. */
export const CUDA_12_RUNTIME = 'libcudart.so.12';
/** The Vulkan loader Dawn opens. */
export const VULKAN_LOADER = 'libvulkan.so.1';

/**
 * Directories the loader searches after LD_LIBRARY_PATH and its cache, plus where CUDA installs
 * itself (the toolkit does not always register with ldconfig).
 */
export const STANDARD_LIB_DIRS = [
  '/lib/x86_64-linux-gnu',
  '/usr/lib/x86_64-linux-gnu',
  '/lib64',
  '/usr/lib64',
  '/lib',
  '/usr/lib',
  '/usr/local/cuda/lib64',
  '/usr/local/cuda-11.2/lib64',
  '/usr/local/nvidia/lib64',
];

/**
 * `ldconfig -p` as a map from library name to its first path. Lines look like
 * `\tlibcudart.so.11.0 (libc6,x86-64) => /usr/local/cuda/lib64/libcudart.so.11.0`; 32-bit entries
 * (no x86-64 / AArch64 in the flags) are skipped: a 64-bit process cannot load them.
 */
export function parseLdconfig(text: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^\s*(\S+)\s+\(([^)]*)\)\s+=>\s+(\S+)\s*$/.exec(line);
    if (!m) continue;
    const [, name, flags, file] = m;
    if (!/64/.test(flags)) continue;
    if (!found.has(name)) found.set(name, file);
  }
  return found;
}

/** LD_LIBRARY_PATH as directories, in order; empty entries mean the current directory to the loader and are skipped. */
export function ldLibraryPathDirs(value: string | undefined): string[] {
  return (value ?? '').split(':').filter((d) => d.trim() !== '');
}

export interface LibrarySearch {
  /** LD_LIBRARY_PATH's directories (searched first, as the loader does). */
  ldLibraryPath: string[];
  /** The loader's cache, from parseLdconfig. */
  ldconfig: Map<string, string>;
  /** Default directories, searched last. */
  standardDirs: string[];
  exists(file: string): boolean;
}

/** The file the loader would open for `name`, in the loader's order; undefined when none. */
export function findLibrary(name: string, search: LibrarySearch): string | undefined {
  for (const dir of search.ldLibraryPath) {
    const file = path.join(dir, name);
    if (search.exists(file)) return file;
  }
  const cached = search.ldconfig.get(name);
  if (cached) return cached;
  for (const dir of search.standardDirs) {
    const file = path.join(dir, name);
    if (search.exists(file)) return file;
  }
  return undefined;
}

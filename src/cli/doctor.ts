// `finetune doctor`: what this machine offers for training, before a run depends on it: the
// backends found with their versions, the devices (CPU, NVIDIA GPU, Vulkan adapters and their kind),
// the CUDA / cuDNN / Vulkan libraries on the loader's search path, and what `auto` would pick and
// why. Always exit 0: it reports, it does not judge. docs/gpu.md explains how to read it.
import { tf } from '../backend/tf.js';
import { describeAuto, type AutoChoice, type GpuFacts } from '../backend/auto-plan.js';
import { probeGpu, findNative } from '../backend/gpu-probe.js';
import { cpuName } from '../backend/devices.js';
import { CUDA_12_RUNTIME, CUDA_RUNTIME, CUDNN, VULKAN_LOADER } from '../backend/gpu-libs.js';
import { packageVersion, resolveOptional } from '../backend/resolve.js';
import { webgpuPackages, type AdapterSummary } from '../backend/webgpu.js';
import { EXIT } from '../errors.js';

export interface DoctorBackend {
  name: 'wasm' | 'cpu' | 'tensorflow' | 'tensorflow-gpu' | 'webgpu';
  installed: boolean;
  /** Package name to version, for what was found. */
  versions: Record<string, string>;
  /** Where it was found, or how to get it. */
  note: string;
}

export interface DoctorReport {
  backends: DoctorBackend[];
  devices: {
    cpu: string;
    nvidia_gpu: string | null;
    other_gpu: boolean;
    vulkan_adapters: { name: string; kind: 'hardware' | 'software' }[];
    /** Why no adapter was listed (Dawn missing or failing), when none was. */
    vulkan_problem?: string;
  };
  libraries: Record<string, string | null>;
  vulkan_icds: string[];
  container: GpuFacts['container'];
  cuda_visible_devices: string | null;
  auto: AutoChoice;
}

export async function doctorReport(workspace: string, env: NodeJS.ProcessEnv = process.env): Promise<DoctorReport> {
  const { facts, adapters } = await probeGpu({ workspace, env, vulkan: 'always' });
  return {
    backends: findBackends(workspace, env),
    devices: {
      cpu: cpuName(),
      nvidia_gpu: facts.nvidia ?? null,
      other_gpu: facts.otherGpu,
      vulkan_adapters: adapters.map((a: AdapterSummary) => ({ name: a.name, kind: a.fallback ? 'software' : 'hardware' })),
      ...(adapters.length === 0 ? { vulkan_problem: vulkanProblem(facts) } : {}),
    },
    libraries: {
      [CUDA_RUNTIME]: facts.libs.cudart ?? null,
      [CUDNN]: facts.libs.cudnn ?? null,
      [CUDA_12_RUNTIME]: facts.libs.cudart12 ?? null,
      [VULKAN_LOADER]: facts.libs.vulkan ?? null,
    },
    vulkan_icds: facts.vulkanIcds,
    container: facts.container,
    cuda_visible_devices: facts.cudaVisibleDevices ?? null,
    auto: describeAuto(facts),
  };
}

function vulkanProblem(f: GpuFacts): string {
  if (f.adapter.kind === 'not-installed') return 'Dawn (npm webgpu) or @tensorflow/tfjs-backend-webgpu is not installed';
  return `Dawn found no Vulkan adapter${f.adapter.problem ? ` (${f.adapter.problem})` : ''}`;
}

function findBackends(workspace: string, env: NodeJS.ProcessEnv): DoctorBackend[] {
  const core = { '@tensorflow/tfjs-core': tf.version_core };
  const wasmEntry = resolveOptional('@tensorflow/tfjs-backend-wasm', workspace);
  const wasm: DoctorBackend = {
    name: 'wasm',
    installed: true,
    note: 'built in',
    versions: wasmEntry ? { '@tensorflow/tfjs-backend-wasm': packageVersion(wasmEntry, '@tensorflow/tfjs-backend-wasm') } : core,
  };
  const cpu: DoctorBackend = { name: 'cpu', installed: true, versions: core, note: 'built in' };
  const native = (name: 'tensorflow' | 'tensorflow-gpu', pkg: '@tensorflow/tfjs-node' | '@tensorflow/tfjs-node-gpu'): DoctorBackend => {
    const found = findNative(pkg, workspace, env);
    if (found) return { name, installed: true, versions: { [pkg]: packageVersion(found.entry, pkg) }, note: `from the ${found.from}` };
    const onDemand = env.GITHUB_ACTIONS === 'true' ? 'backend ' + name + ' installs it into the tool cache' : `npm install ${pkg}@4.22.0`;
    return { name, installed: false, versions: {}, note: `${pkg} not installed (${onDemand})` };
  };
  const { dawn, tfjs } = webgpuPackages(workspace);
  const webgpu: DoctorBackend = {
    name: 'webgpu',
    installed: Boolean(dawn && tfjs),
    versions: {
      ...(dawn ? { webgpu: packageVersion(dawn, 'webgpu') } : {}),
      ...(tfjs ? { '@tensorflow/tfjs-backend-webgpu': packageVersion(tfjs, '@tensorflow/tfjs-backend-webgpu') } : {}),
    },
    note: dawn && tfjs ? 'Dawn over Vulkan' : 'npm install webgpu@0.6.2 @tensorflow/tfjs-backend-webgpu@4.22.0',
  };
  return [wasm, cpu, native('tensorflow', '@tensorflow/tfjs-node'), native('tensorflow-gpu', '@tensorflow/tfjs-node-gpu'), webgpu];
}

/** The report as people read it. */
export function renderDoctor(r: DoctorReport): string {
  const row = (label: string, value: string) => `  ${label.padEnd(20)} ${value}`;
  const versions = (v: Record<string, string>) =>
    Object.entries(v)
      .map(([k, x]) => `${k} ${x}`)
      .join(', ');
  const adapters = r.devices.vulkan_adapters.map((a) => `${a.name} (${a.kind})`);
  const lines = [
    'backends',
    ...r.backends.map((b) =>
      row(b.name, `${b.installed ? 'installed' : 'missing  '}  ${[versions(b.versions), b.note].filter(Boolean).join('; ')}`),
    ),
    '',
    'devices',
    row('CPU', r.devices.cpu),
    row('NVIDIA GPU', r.devices.nvidia_gpu ?? 'none seen'),
    row('other GPU', r.devices.other_gpu ? 'a render node or a desktop GPU' : 'none seen'),
    row('Vulkan adapters', adapters.length > 0 ? adapters.join('; ') : `none: ${r.devices.vulkan_problem}`),
    '',
    'libraries (loader search path: LD_LIBRARY_PATH, ldconfig -p, standard folders)',
    ...Object.entries(r.libraries).map(([name, file]) => row(name, file ?? 'not found')),
    row('Vulkan ICDs', r.vulkan_icds.join(', ') || 'none'),
    row('container', r.container.inside ? `yes (NVIDIA_DRIVER_CAPABILITIES=${r.container.nvidiaCapabilities ?? 'unset'})` : 'no'),
    row('CUDA_VISIBLE_DEVICES', r.cuda_visible_devices ?? 'unset'),
    '',
    `auto would pick: ${r.auto.pick}`,
    ...r.auto.why.map((w) => `  ${w.backend}: ${w.verdict}`),
    ...(r.auto.warning ? ['', `warning: ${r.auto.warning}`] : []),
  ];
  return lines.join('\n');
}

export async function doctorCommand(
  opts: { json: boolean; workspace?: string },
  out: (text: string) => void = (t) => console.log(t),
): Promise<number> {
  const report = await doctorReport(opts.workspace ?? process.cwd());
  out(opts.json ? JSON.stringify(report, null, 2) : renderDoctor(report));
  return EXIT.PASS;
}

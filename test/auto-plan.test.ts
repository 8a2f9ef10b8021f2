// What auto does, as a pure function of the probed facts: every combination of GPU seen, CUDA 11 /
// cuDNN 8 found, adapter kind, tfjs-node(-gpu) at hand and require-gpu, then the exact reasons and
// remedies for the cases people meet.
import { describe, expect, it } from 'vitest';
import {
  CUDA_REMEDY,
  VULKAN_REMEDY,
  describeAuto,
  gpuOutcome,
  planAuto,
  type AdapterKind,
  type GpuFacts,
} from '../src/backend/auto-plan.js';

const H100 = 'NVIDIA H100 80GB HBM3';
const CUDART = '/usr/local/cuda/lib64/libcudart.so.11.0';
const CUDNN = '/usr/lib/x86_64-linux-gnu/libcudnn.so.8';

/** An NVIDIA machine where both paths work; each test changes what it is about. */
const gpuRunner: GpuFacts = {
  nvidia: H100,
  otherGpu: false,
  libs: { cudart: CUDART, cudnn: CUDNN, vulkan: '/lib/x86_64-linux-gnu/libvulkan.so.1' },
  vulkanIcds: ['nvidia_icd.json'],
  container: { inside: false },
  adapter: { kind: 'hardware', name: 'nvidia-h100-80gb-hbm3, NVIDIA: 580.159.04' },
  tfjsNodeGpu: 'installable',
  tfjsNode: false,
};

/** The CUDA 12 runner of the issue: no CUDA 11, no NVIDIA Vulkan ICD, only lavapipe. */
const cuda12Runner: GpuFacts = {
  ...gpuRunner,
  libs: { cudart12: '/usr/local/cuda/lib64/libcudart.so.12', vulkan: '/lib/x86_64-linux-gnu/libvulkan.so.1' },
  vulkanIcds: ['lvp_icd.json'],
  adapter: { kind: 'software', name: 'llvmpipe, llvmpipe: Mesa 25.0.7' },
};

describe('auto over every combination of probed facts', () => {
  const kinds: AdapterKind[] = ['hardware', 'software', 'none', 'not-installed', 'not-probed'];
  const cases: { f: GpuFacts; requireGpu: boolean }[] = [];
  for (const nvidia of [undefined, H100])
    for (const otherGpu of [false, true])
      for (const cudart of [undefined, CUDART])
        for (const cudnn of [undefined, CUDNN])
          for (const kind of kinds)
            for (const tfjsNodeGpu of ['present', 'installable', 'absent'] as const)
              for (const tfjsNode of [false, true])
                for (const requireGpu of [false, true]) {
                  const adapter = {
                    kind,
                    ...(kind === 'hardware' || kind === 'software' ? { name: kind === 'software' ? 'llvmpipe' : 'Radeon RX 7900' } : {}),
                  };
                  cases.push({
                    f: { ...gpuRunner, nvidia, otherGpu, libs: { cudart, cudnn }, adapter, tfjsNodeGpu, tfjsNode },
                    requireGpu,
                  });
                }

  it('covers all 960 of them', () => {
    expect(cases).toHaveLength(2 * 2 * 2 * 2 * 5 * 3 * 2 * 2);
  });

  it('tries tfjs-node-gpu exactly when an NVIDIA GPU, CUDA 11, cuDNN 8 and the package (or its install) are there', () => {
    for (const { f } of cases) {
      const cuda = f.nvidia !== undefined && f.libs.cudart !== undefined && f.libs.cudnn !== undefined && f.tfjsNodeGpu !== 'absent';
      expect(planAuto(f).gpu.includes('tensorflow-gpu'), JSON.stringify(f)).toBe(cuda);
    }
  });

  it('tries WebGPU exactly when the adapter is a hardware one, and CUDA first when both can work', () => {
    for (const { f } of cases) {
      const plan = planAuto(f);
      expect(plan.gpu.includes('webgpu'), JSON.stringify(f)).toBe(f.adapter.kind === 'hardware');
      if (plan.gpu.length === 2) expect(plan.gpu).toEqual(['tensorflow-gpu', 'webgpu']);
    }
  });

  it('gives every GPU path it does not try a reason and a remedy', () => {
    for (const { f } of cases) {
      const plan = planAuto(f);
      for (const p of ['tensorflow-gpu', 'webgpu'] as const) {
        const blocked = plan.blocked[p];
        expect(blocked === undefined, `${p} ${JSON.stringify(f)}`).toBe(plan.gpu.includes(p));
        if (blocked) {
          expect(blocked.reason.length).toBeGreaterThan(10);
          expect(blocked.remedy.length).toBeGreaterThan(10);
        }
      }
    }
  });

  it('falls back to libtensorflow on the CPU only where it is at hand, else wasm', () => {
    for (const { f } of cases) {
      const plan = planAuto(f);
      expect(plan.cpu, JSON.stringify(f)).toBe(f.tfjsNode || plan.gpu.includes('tensorflow-gpu') ? 'tensorflow' : 'wasm');
    }
  });

  it('with no GPU path: silent without a GPU, one warning for an unused NVIDIA GPU, exit 2 under require-gpu', () => {
    for (const { f, requireGpu } of cases) {
      const plan = planAuto(f);
      if (plan.gpu.length > 0) continue;
      const outcome = gpuOutcome(f, plan.blocked, requireGpu);
      const expected = requireGpu ? 'fail' : f.nvidia ? 'warn' : 'none';
      expect(outcome.action, JSON.stringify({ f, requireGpu })).toBe(expected);
      if (outcome.action === 'none') continue;
      if (f.nvidia) expect(outcome.message).toContain(H100);
      else
        expect(outcome.message).toMatch(
          f.otherGpu ? /^require-gpu: no GPU path can use the GPU here\./ : /^require-gpu: no GPU is visible to this process\./,
        );
      for (const p of ['tensorflow-gpu', 'webgpu'] as const) {
        expect(outcome.message).toContain(`${p}: ${plan.blocked[p]?.reason}; to fix: ${plan.blocked[p]?.remedy}.`);
      }
    }
  });
});

describe('the reasons and remedies people meet', () => {
  it('on a CUDA 12 runner with only lavapipe: one warning names the GPU, CUDA 12, the software adapter and both remedies', () => {
    const plan = planAuto(cuda12Runner);
    expect(plan.gpu).toEqual([]);
    expect(plan.blocked['tensorflow-gpu']?.reason).toBe(
      "libcudart.so.11.0 and libcudnn.so.8 (CUDA 11.2 / cuDNN 8.1) not found on the loader's search path " +
        '(found /usr/local/cuda/lib64/libcudart.so.12: CUDA 12, which libtensorflow 2.9 cannot use)',
    );
    expect(plan.blocked.webgpu?.reason).toBe(
      'the only Vulkan adapter is a software one (llvmpipe, llvmpipe: Mesa 25.0.7): no NVIDIA Vulkan ICD (nvidia_icd.json) is installed',
    );
    const outcome = gpuOutcome(cuda12Runner, plan.blocked, false);
    expect(outcome.action).toBe('warn');
    const message = (outcome as { message: string }).message;
    expect(message.startsWith(`backend auto: the NVIDIA GPU ${H100} is not used, training continues on the CPU.`)).toBe(true);
    for (const remedy of [
      'tensorflow/tensorflow:2.9.1-gpu',
      'CUDA 11.2 and cuDNN 8.1',
      'libvulkan1',
      'nvidia_icd.json',
      'NVIDIA_DRIVER_CAPABILITIES',
      'graphics',
      'require-gpu: true',
    ]) {
      expect(message).toContain(remedy);
    }
    expect(CUDA_REMEDY).toContain('tensorflow/tensorflow:2.9.1-gpu');
    expect(VULKAN_REMEDY).toContain('libvulkan1');
  });

  it('names the one library that is missing', () => {
    const noCudnn = planAuto({ ...gpuRunner, libs: { cudart: CUDART } }).blocked['tensorflow-gpu']?.reason;
    expect(noCudnn).toMatch(/^libcudnn\.so\.8 \(CUDA 11\.2/);
    expect(noCudnn).not.toContain('libcudart');
  });

  it('says when CUDA_VISIBLE_DEVICES hides the GPU, before looking at libraries', () => {
    expect(planAuto({ ...gpuRunner, cudaVisibleDevices: '-1' }).blocked['tensorflow-gpu']?.reason).toBe(
      'CUDA_VISIBLE_DEVICES="-1" hides every GPU',
    );
    expect(planAuto({ ...gpuRunner, cudaVisibleDevices: '' }).blocked['tensorflow-gpu']?.reason).toBe(
      'CUDA_VISIBLE_DEVICES="" hides every GPU',
    );
    expect(planAuto({ ...gpuRunner, cudaVisibleDevices: '0' }).gpu).toContain('tensorflow-gpu');
  });

  it('points at the container capability when a container lacks graphics, not when it has it', () => {
    const inContainer = (caps: string) =>
      planAuto({ ...cuda12Runner, vulkanIcds: [], container: { inside: true, nvidiaCapabilities: caps } }).blocked.webgpu?.reason ?? '';
    expect(inContainer('compute,utility')).toContain('NVIDIA_DRIVER_CAPABILITIES="compute,utility" lacks graphics');
    expect(inContainer('compute,utility,graphics')).not.toContain('NVIDIA_DRIVER_CAPABILITIES');
    expect(inContainer('all')).not.toContain('NVIDIA_DRIVER_CAPABILITIES');
  });

  it('names the missing Vulkan loader when Dawn finds no adapter', () => {
    const reason = planAuto({ ...cuda12Runner, libs: {}, adapter: { kind: 'none' } }).blocked.webgpu?.reason;
    expect(reason).toBe(
      'Dawn found no Vulkan adapter: the Vulkan loader libvulkan.so.1 is missing; no NVIDIA Vulkan ICD (nvidia_icd.json) is installed',
    );
  });

  it("outside Actions without tfjs-node-gpu says to install it rather than download behind the user's back", () => {
    const blocked = planAuto({ ...gpuRunner, tfjsNodeGpu: 'absent' }).blocked['tensorflow-gpu'];
    expect(blocked?.remedy).toContain('npm install @tensorflow/tfjs-node-gpu@4.22.0');
  });

  it('under require-gpu fails even without a GPU, saying there is none', () => {
    const cpuOnly: GpuFacts = { ...gpuRunner, nvidia: undefined, libs: {}, vulkanIcds: [], adapter: { kind: 'not-probed' } };
    const outcome = gpuOutcome(cpuOnly, planAuto(cpuOnly).blocked, true);
    expect(outcome).toMatchObject({ action: 'fail' });
    expect((outcome as { message: string }).message).toMatch(
      /^require-gpu: no GPU is visible to this process\. tensorflow-gpu: no NVIDIA GPU is visible/,
    );
  });
});

describe("doctor's account of auto", () => {
  it('picks CUDA on a complete GPU runner and says WebGPU is next', () => {
    const choice = describeAuto(gpuRunner);
    expect(choice.pick).toBe('tensorflow-gpu');
    expect(choice.warning).toBeUndefined();
    expect(choice.why.map((w) => w.backend)).toEqual(['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm']);
    expect(choice.why[0].verdict).toBe(
      `usable: ${H100} with ${CUDART} and ${CUDNN}; @tensorflow/tfjs-node-gpu installed on demand (once per runner)`,
    );
    expect(choice.why[1].verdict).toMatch(/^usable, tried if tensorflow-gpu fails: hardware Vulkan adapter nvidia-h100/);
  });

  it('picks WebGPU where only Vulkan works, and wasm with the warning where nothing does', () => {
    expect(describeAuto({ ...gpuRunner, libs: {} }).pick).toBe('webgpu');
    const cpu = describeAuto(cuda12Runner);
    expect(cpu.pick).toBe('wasm');
    expect(cpu.why.at(-1)).toEqual({ backend: 'wasm', verdict: 'used: always available' });
    expect(cpu.warning).toContain(H100);
  });
});

// `finetune doctor` on this CPU machine: the backends and their versions, lavapipe as a software
// adapter, the libraries, auto's choice; and in a process of its own, a Vulkan loader pointed at
// no driver and a fake CUDA 11 folder on LD_LIBRARY_PATH.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { doctorReport, renderDoctor, type DoctorReport } from '../src/cli/doctor.js';
import { runCli } from '../src/cli/main.js';
import { cpuName } from '../src/backend/devices.js';
import { compileSrc } from './helpers/compile-src.js';
import { silentLogger } from '../src/util/log.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'finetune-doctor-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('finetune doctor on a CPU machine with the software Vulkan driver', () => {
  let report: DoctorReport;
  beforeAll(async () => {
    report = await doctorReport(process.cwd(), {});
  });

  it('lists every backend with the versions found', () => {
    expect(report.backends.map((b) => [b.name, b.installed])).toEqual([
      ['wasm', true],
      ['cpu', true],
      ['tensorflow', false],
      ['tensorflow-gpu', false],
      ['webgpu', true],
    ]);
    expect(report.backends[0].versions).toEqual({ '@tensorflow/tfjs-backend-wasm': '4.22.0' });
    expect(report.backends[4].versions).toEqual({ webgpu: '0.6.2', '@tensorflow/tfjs-backend-webgpu': '4.22.0' });
    expect(report.backends[3].note).toBe('@tensorflow/tfjs-node-gpu not installed (npm install @tensorflow/tfjs-node-gpu@4.22.0)');
  });

  it('shows lavapipe as a software adapter, the CPU, and no NVIDIA GPU', () => {
    expect(report.devices.cpu).toBe(cpuName());
    expect(report.devices.nvidia_gpu).toBeNull();
    expect(report.devices.vulkan_adapters.length).toBeGreaterThan(0);
    for (const a of report.devices.vulkan_adapters) expect(a).toMatchObject({ kind: 'software', name: expect.stringMatching(/llvmpipe/) });
    expect(report.vulkan_icds).toContain('lvp_icd.json');
    expect(report.libraries['libvulkan.so.1']).toMatch(/libvulkan\.so\.1$/);
  });

  it('says auto would pick wasm, and why not each other backend', () => {
    expect(report.auto.pick).toBe('wasm');
    expect(report.auto.warning).toBeUndefined();
    const why = Object.fromEntries(report.auto.why.map((w) => [w.backend, w.verdict]));
    expect(why['tensorflow-gpu']).toMatch(/^not usable: no NVIDIA GPU is visible/);
    expect(why.webgpu).toMatch(/^not usable: the only Vulkan adapter is a software one \(llvmpipe/);
    expect(why.wasm).toBe('used: always available');
  });

  it('renders the same facts as text', () => {
    const text = renderDoctor(report);
    expect(text).toMatch(/^ {2}webgpu +installed {2}webgpu 0\.6\.2, @tensorflow\/tfjs-backend-webgpu 4\.22\.0; Dawn over Vulkan$/m);
    expect(text).toMatch(/^ {2}Vulkan adapters +llvmpipe.* \(software\)$/m);
    expect(text).toMatch(/^ {2}libcudart\.so\.11\.0 +not found$/m);
    expect(text).toContain('\nauto would pick: wasm\n');
  });

  it('is a CLI command with --json that exits 0', async () => {
    const printed: string[] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((m: unknown) => void printed.push(String(m)));
    let code: number;
    try {
      code = await runCli(['doctor', '--json'], silentLogger);
    } finally {
      spy.mockRestore();
    }
    expect(code).toBe(0);
    expect(printed).toHaveLength(1);
    const parsed = JSON.parse(printed[0]) as DoctorReport;
    expect(parsed.auto.pick).toBe('wasm');
    expect(parsed.backends.map((b) => b.name)).toEqual(['wasm', 'cpu', 'tensorflow', 'tensorflow-gpu', 'webgpu']);
  });
});

describe('finetune doctor in a process of its own', () => {
  it('reports no adapter when the Vulkan loader finds no driver, and CUDA 11 from LD_LIBRARY_PATH', () => {
    const out = path.join(tmp, 'build');
    compileSrc(out, 'cli/doctor');
    const entry = path.join(out, 'entry.js');
    fs.writeFileSync(entry, "import { doctorCommand } from './cli/doctor.js';\nprocess.exitCode = await doctorCommand({ json: true });\n");
    const cuda = path.join(tmp, 'cuda-11.2');
    fs.mkdirSync(cuda);
    for (const f of ['libcudart.so.11.0', 'libcudnn.so.8']) fs.writeFileSync(path.join(cuda, f), '');
    const env = { ...process.env, VK_ICD_FILENAMES: path.join(tmp, 'no-such-icd.json'), LD_LIBRARY_PATH: cuda };
    const res = spawnSync(process.execPath, [entry], { encoding: 'utf8', env, timeout: 120_000 });
    expect(res.status, res.stderr).toBe(0);
    const report = JSON.parse(res.stdout) as DoctorReport;
    expect(report.devices.vulkan_adapters).toEqual([]);
    expect(report.devices.vulkan_problem).toBe('Dawn found no Vulkan adapter');
    expect(report.vulkan_icds).toEqual([]);
    expect(report.libraries['libcudart.so.11.0']).toBe(path.join(cuda, 'libcudart.so.11.0'));
    expect(report.libraries['libcudnn.so.8']).toBe(path.join(cuda, 'libcudnn.so.8'));
    // The libraries alone do not make a GPU: without an NVIDIA device auto stays on the CPU.
    expect(report.auto.pick).toBe('wasm');
    expect(report.auto.why[1]).toEqual({ backend: 'webgpu', verdict: 'not usable: Dawn found no Vulkan adapter' });
  });
});

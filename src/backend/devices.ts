// The machine's compute devices in words, for logs and reports: the NVIDIA GPU's model, whether
// another GPU is there, and the CPU.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The NVIDIA GPU's model name, from the driver's /proc entries or nvidia-smi; undefined when there is no NVIDIA device. */
export function nvidiaGpu(): string | undefined {
  if (!fs.existsSync('/dev/nvidia0') && !fs.existsSync('/proc/driver/nvidia/version')) return undefined;
  try {
    const dir = '/proc/driver/nvidia/gpus';
    const info = fs.readFileSync(path.join(dir, fs.readdirSync(dir)[0], 'information'), 'utf8');
    const model = /^Model:\s*(.+)$/m.exec(info)?.[1].trim();
    if (model) return model;
  } catch {
    // Containers often lack the per-GPU /proc entries: ask nvidia-smi.
  }
  const smi = spawnSync('nvidia-smi', ['-L'], { encoding: 'utf8', timeout: 10_000 });
  return (smi.status === 0 && /^GPU 0:\s*(.+?)\s*(\(UUID|$)/m.exec(smi.stdout)?.[1]) || 'NVIDIA GPU';
}

/** A Linux render node (AMD, Intel) or a desktop OS whose GPU Dawn reaches directly (Metal, D3D12). */
export function hasOtherGpu(): boolean {
  if (process.platform === 'darwin' || process.platform === 'win32') return true;
  try {
    return fs.readdirSync('/dev/dri').some((f) => f.startsWith('renderD'));
  } catch {
    return false;
  }
}

/** The CPU in words, for the report: its model and how many threads it has. */
export function cpuName(): string {
  const cpus = os.cpus();
  const model = cpus[0]?.model.replace(/\s+/g, ' ').trim() || os.arch();
  return `${model}, ${cpus.length} threads`;
}

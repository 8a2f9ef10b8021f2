#!/usr/bin/env node
// Checks what `finetune doctor --json` saw inside one of the images of docker/: the packages and
// libraries each GPU path needs are where finetune looks for them. No GPU is needed for this; on a
// GPU machine it also wants the GPU path usable.
//   node docker/check-image.mjs tfjs-node-gpu|webgpu doctor.json [--gpu]
import fs from 'node:fs';

const [flavour, file, ...rest] = process.argv.slice(2);
const gpu = rest.includes('--gpu');
if (!['tfjs-node-gpu', 'webgpu'].includes(flavour) || !file) {
  console.error('usage: node docker/check-image.mjs tfjs-node-gpu|webgpu doctor.json [--gpu]');
  process.exit(2);
}
const doctor = JSON.parse(fs.readFileSync(file, 'utf8'));
const backend = (name) => doctor.backends.find((b) => b.name === name);
const why = (name) => doctor.auto.why.find((w) => w.backend === name)?.verdict ?? '';

const checks =
  flavour === 'tfjs-node-gpu'
    ? [
        ['@tensorflow/tfjs-node-gpu 4.22.0 is installed', backend('tensorflow-gpu')?.versions['@tensorflow/tfjs-node-gpu'] === '4.22.0'],
        ["libcudart.so.11.0 (CUDA 11.2) is on the loader's search path", Boolean(doctor.libraries['libcudart.so.11.0'])],
        ["libcudnn.so.8 (cuDNN 8.1) is on the loader's search path", Boolean(doctor.libraries['libcudnn.so.8'])],
        ...(gpu ? [['auto picks tensorflow-gpu', doctor.auto.pick === 'tensorflow-gpu']] : []),
      ]
    : [
        [
          'webgpu 0.6.2 and @tensorflow/tfjs-backend-webgpu 4.22.0 are installed',
          backend('webgpu')?.versions.webgpu === '0.6.2' && backend('webgpu')?.versions['@tensorflow/tfjs-backend-webgpu'] === '4.22.0',
        ],
        ['the Vulkan loader libvulkan.so.1 is found', Boolean(doctor.libraries['libvulkan.so.1'])],
        ['Dawn gets a Vulkan adapter', doctor.devices.vulkan_adapters.length > 0],
        ...(gpu
          ? [
              [
                'Dawn gets a hardware adapter, and auto can use it',
                doctor.devices.vulkan_adapters.some((a) => a.kind === 'hardware') && why('webgpu').startsWith('usable'),
              ],
            ]
          : [['lavapipe is there as the software adapter', doctor.vulkan_icds.includes('lvp_icd.json')]]),
      ];

let failed = 0;
for (const [what, ok] of checks) {
  console.log(`${ok ? 'ok    ' : 'FAILED'} ${what}`);
  if (!ok) failed++;
}
if (failed > 0) {
  console.log(`auto: ${doctor.auto.pick}; ${doctor.auto.why.map((w) => `${w.backend}: ${w.verdict}`).join('; ')}`);
  process.exit(1);
}

#!/usr/bin/env bash
# The GPU measurements in one command: makes NVIDIA's Vulkan driver reachable, shows what
# `finetune doctor` sees, then runs bench/gpu.mjs (the benchmark job cold and warm and the
# two-phase example on webgpu, and on tensorflow-gpu where it is installed), which appends the
# numbers and the device to bench/results.json and bench/RESULTS.md.
#   bench/gpu.sh             on a GPU machine: records only numbers measured on the GPU
#   bench/gpu.sh --dry-run   anywhere (lavapipe on a CPU machine): a small run, nothing recorded
# Node 24: `node` on PATH, or NODE=/path/to/node. FINETUNE_CLI: another bundle than dist/cli/index.js.
set -euo pipefail
cd "$(dirname "$0")/.."
NODE="${NODE:-node}"
CLI="${FINETUNE_CLI:-dist/cli/index.js}"

# NVIDIA's container runtime puts the driver's ICD manifest outside the loader's default folders,
# and a driver-only install may ship libGLX_nvidia.so.0 without one: point the loader at it.
if [ -z "${VK_DRIVER_FILES:-}${VK_ICD_FILENAMES:-}" ] \
  && [ ! -f /usr/share/vulkan/icd.d/nvidia_icd.json ] && [ ! -f /etc/vulkan/icd.d/nvidia_icd.json ]; then
  if [ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ]; then
    export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  elif ldconfig -p 2>/dev/null | grep -q libGLX_nvidia.so.0; then
    manifest="$(mktemp -d)/nvidia_icd.json"
    printf '{"file_format_version":"1.0.0","ICD":{"library_path":"libGLX_nvidia.so.0","api_version":"1.3"}}\n' >"$manifest"
    export VK_DRIVER_FILES="$manifest"
  fi
fi
if ! ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1 ' && [ -z "${LD_LIBRARY_PATH:-}" ]; then
  echo "note: the Vulkan loader libvulkan.so.1 is not in ldconfig's cache: install libvulkan1 (and libglvnd0) or put it on LD_LIBRARY_PATH" >&2
fi

"$NODE" "$CLI" doctor
"$NODE" bench/gpu.mjs "$@"

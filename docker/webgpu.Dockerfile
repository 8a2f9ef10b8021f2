# finetune-action on WebGPU: TF.js's WebGPU backend on Dawn (npm webgpu) over Vulkan, with no CUDA
# version pin. The image holds the Vulkan loader and libglvnd; NVIDIA's container runtime mounts
# the driver's Vulkan ICD (nvidia_icd.json, libGLX_nvidia.so.0) when NVIDIA_DRIVER_CAPABILITIES
# includes graphics. Mesa's lavapipe 25 (bookworm-backports) is there too, so the image also runs
# where no GPU is mounted (on the CPU, slowly: auto never picks it, backend webgpu does).
# Run it with the GPU mounted: docker run --gpus all ..., or a workflow's
#   container: { image: <this image>, options: --gpus all }
# See docs/gpu.md. Checked by .github/workflows/gpu-images.yml.
FROM node:24-bookworm-slim

RUN echo 'deb http://deb.debian.org/debian bookworm-backports main' > /etc/apt/sources.list.d/bookworm-backports.list \
 && apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates git libvulkan1 libglvnd0 libegl1 \
 && apt-get install -y --no-install-recommends -t bookworm-backports mesa-vulkan-drivers \
 && rm -rf /var/lib/apt/lists/*

# Outside the workspace, so a checkout never hides it: finetune finds it through NODE_PATH.
WORKDIR /opt/finetune
RUN echo '{ "private": true }' > package.json \
 && npm install --no-audit --no-fund webgpu@0.6.2 @tensorflow/tfjs-backend-webgpu@4.22.0 \
 && node -e "require.resolve('webgpu'); require.resolve('@tensorflow/tfjs-backend-webgpu')"
ENV NODE_PATH=/opt/finetune/node_modules
# graphics: without it the container runtime mounts no Vulkan driver and Dawn sees only lavapipe.
ENV NVIDIA_VISIBLE_DEVICES=all NVIDIA_DRIVER_CAPABILITIES=compute,utility,graphics
WORKDIR /

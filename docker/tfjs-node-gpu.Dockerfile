# finetune-action on tfjs-node-gpu (libtensorflow 2.9.1): CUDA 11.2 and cuDNN 8.1 come from
# TensorFlow's own image, Node 24 from nodejs.org, and @tensorflow/tfjs-node-gpu 4.22.0 with its
# libtensorflow (several hundred MB) is downloaded once, here, instead of on every runner.
# Run it with the GPU mounted: docker run --gpus all ..., or a workflow's
#   container: { image: <this image>, options: --gpus all }
# See docs/gpu.md. Checked by .github/workflows/gpu-images.yml.
FROM tensorflow/tensorflow:2.9.1-gpu

RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl xz-utils git \
 && rm -rf /var/lib/apt/lists/*

# The newest Node 24 (the Action's runtime is node24; the CLI runs on it too).
RUN set -eux; \
    base=https://nodejs.org/dist/latest-v24.x; \
    file="$(curl -fsSL "$base/SHASUMS256.txt" | grep -o 'node-v24[0-9.]*-linux-x64\.tar\.xz' | head -n1)"; \
    curl -fsSL "$base/$file" | tar -xJ -C /usr/local --strip-components=1 --exclude='*.md' --exclude=LICENSE; \
    node --version

# Outside the workspace, so a checkout never hides it: finetune finds it through NODE_PATH.
WORKDIR /opt/finetune
# Its install script downloads libtensorflow: listed in allowScripts, as npm asks of install scripts.
RUN echo '{ "private": true, "allowScripts": { "@tensorflow/tfjs-node-gpu@4.22.0": true } }' > package.json \
 && npm install --no-audit --no-fund --ignore-scripts=false @tensorflow/tfjs-node-gpu@4.22.0 \
 && find node_modules/@tensorflow/tfjs-node-gpu -name tfjs_binding.node | grep -q . \
 && find node_modules/@tensorflow/tfjs-node-gpu -name 'libtensorflow.so*' | grep -q .
ENV NODE_PATH=/opt/finetune/node_modules
# TensorFlow's image registers CUDA 11.2 (/usr/local/cuda/lib64) and cuDNN 8 with ldconfig;
# finetune doctor lists where it finds libcudart.so.11.0 and libcudnn.so.8.
ENV NVIDIA_VISIBLE_DEVICES=all NVIDIA_DRIVER_CAPABILITIES=compute,utility
WORKDIR /

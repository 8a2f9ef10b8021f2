"""One partial fine-tune step of the ported MobileNetV2 in PyTorch, the twin of finetune-step.mjs.

Starts from what `node bench/finetune-step.mjs --dump STEP_DIR` wrote: the batch at the split
(our frozen layers' activations of the first Fashion-MNIST training images), its labels and the
Dense head's initial weights. The trainable part is torchvision's features[] modules that hold the
Keras blocks from --from to out_relu (block_b is features[b + 1], Conv_1 + out_relu features[18];
checked by shapes and by running the frozen features[] on the same images), then global average
pooling and Dense 10; Adam as tf.train.adam (lr from the dump, eps 1e-7); BatchNorm in training
mode (batch) or eval mode (inference), as the TF.js step. One step = zero_grad, forward, loss,
backward, optimizer step, loss.item(); the first step is not timed. Prints one JSON line.

    python3 finetune_step.py STATE_DICT STEP_DIR BN STEPS LAYOUT    (BN: batch|inference,
                                                                      LAYOUT: contiguous|channels_last)
"""
import json
import os
import re
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from idx import read_idx
from keras_mobilenet import keras_mobilenet_v2, preprocess

# Adam's epsilon in tf.train.adam (the backend's epsilon); PyTorch's default is 1e-8.
TF_ADAM_EPSILON = 1e-7


def first_module(keras_layer):
    """features[] index of the module that starts at a Keras block's expand layer."""
    m = re.fullmatch(r'block_(\d+)_expand', keras_layer)
    if not m:
        sys.exit(f'--from must be a block_N_expand layer, not {keras_layer}')
    return int(m.group(1)) + 1


def read_f32(step_dir, name, shape):
    return torch.from_numpy(np.fromfile(os.path.join(step_dir, name), dtype='<f4').reshape(shape).copy())


def split_check(model, first, meta, x_nchw):
    """The frozen features[:first] on the same images against our activations at the split."""
    frozen = nn.Sequential(*model.features[:first]).eval()
    images = read_idx(meta['images'])[:meta['batch']]
    with torch.no_grad():
        theirs = frozen(preprocess(images, meta['size']).contiguous())
    if theirs.shape != x_nchw.shape:
        sys.exit(f'features[:{first}] gives {tuple(theirs.shape)}, the split {meta["split"]} is {tuple(x_nchw.shape)}')
    return float((theirs - x_nchw).abs().max()), float(x_nchw.abs().max())


def main(state_dict, step_dir, bn, steps, layout):
    torch.set_num_threads(2)
    steps = int(steps)
    with open(os.path.join(step_dir, 'meta.json')) as f:
        meta = json.load(f)
    if meta['to'] != 'out_relu':
        sys.exit('only --to out_relu is mirrored here')
    model = keras_mobilenet_v2()
    model.load_state_dict(torch.load(state_dict))
    first = first_module(meta['from'])
    x = read_f32(step_dir, 'input.bin', meta['input_shape']).permute(0, 3, 1, 2).contiguous()
    split_diff, split_max = split_check(model, first, meta, x)
    y = torch.from_numpy(np.fromfile(os.path.join(step_dir, 'labels.bin'), dtype='<i4').astype(np.int64))
    dense = nn.Linear(meta['head_shape'][0], meta['head_shape'][1])
    dense.weight.data = read_f32(step_dir, 'head_kernel.bin', meta['head_shape']).t().contiguous()
    dense.bias.data = read_f32(step_dir, 'head_bias.bin', [meta['head_shape'][1]])
    net = nn.Sequential(*model.features[first:19], nn.AdaptiveAvgPool2d(1), nn.Flatten(), dense)
    if layout == 'channels_last':
        net.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    net.train(bn == 'batch')
    params = list(net.parameters())
    opt = torch.optim.Adam(params, lr=meta['learning_rate'], eps=TF_ADAM_EPSILON)
    runs = []
    for _ in range(steps + 1):
        t0 = time.perf_counter()
        opt.zero_grad()
        loss = F.cross_entropy(net(x), y)
        t1 = time.perf_counter()
        loss.backward()
        t2 = time.perf_counter()
        opt.step()
        value = loss.item()
        t3 = time.perf_counter()
        runs.append({'loss': value, 'total': t3 - t0, 'forward': t1 - t0, 'backward': t2 - t1, 'update': t3 - t2})
    timed = runs[1:]
    med = lambda key: round(statistics.median(r[key] for r in timed) * 1000, 2)
    print(json.dumps({
        'ms_per_step': med('total'),
        'min_ms': round(min(r['total'] for r in timed) * 1000, 2),
        'forward_ms': med('forward'),
        'backward_ms': med('backward'),
        'update_ms': med('update'),
        'losses': [r['loss'] for r in runs],
        'params': sum(p.numel() for p in params),
        'modules': f'features[{first}:19]',
        'split_max_abs_diff': split_diff,
        'split_max_activation': split_max,
        'bn': bn,
        'layout': layout,
        'threads': torch.get_num_threads(),
        'torch': torch.__version__,
    }))


if __name__ == '__main__':
    main(*sys.argv[1:6])

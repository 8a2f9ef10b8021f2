"""torchvision's MobileNetV2 carrying the Keras weights of the example base model.

The TF.js model.json holds a Keras MobileNetV2 with uint8-quantised weights. torchvision's
mobilenet_v2 is the same architecture; two Keras details differ and are reproduced here:
stride-2 convolutions pad only bottom/right (ZeroPadding2D ((0,1),(0,1)) then 'valid'), and
BatchNormalization uses epsilon 1e-3.

    python3 keras_mobilenet.py MODEL_JSON OUT_PT   ports the weights into a state dict
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision.models import mobilenet_v2

# torchvision features[k] that stride by 2 (Conv1, block_1, block_3, block_6, block_13).
STRIDE2_BLOCKS = (2, 4, 7, 14)
CUTS = {
    # Cut layer -> number of whole features[] modules kept, then the expand part of the next one.
    'block_13_expand_relu': (14, True),
    'out_relu': (19, False),
}


class KerasPad(nn.Module):
    """ZeroPadding2D ((0,1),(0,1)): one row below, one column right."""

    def forward(self, x):
        return F.pad(x, (0, 1, 0, 1))


def read_keras_weights(model_json):
    """name -> float32 array in Keras layout, dequantised as TF.js does: min + scale * q."""
    with open(model_json) as f:
        spec = json.load(f)
    folder = os.path.dirname(model_json)
    out = {}
    for group in spec['weightsManifest']:
        data = b''.join(open(os.path.join(folder, p), 'rb').read() for p in group['paths'])
        offset = 0
        for w in group['weights']:
            n = int(np.prod(w['shape'])) if w['shape'] else 1
            q = w.get('quantization')
            dtype = np.dtype(q['dtype'] if q else 'float32')
            raw = np.frombuffer(data, dtype=dtype, count=n, offset=offset)
            offset += n * dtype.itemsize
            values = (q['min'] + q['scale'] * raw.astype(np.float64)) if q else raw
            out[w['name']] = values.astype(np.float32).reshape(w['shape'])
    return out


def keras_names():
    """torchvision (conv, bn) pairs of each features[] module, with their Keras layer names."""
    pairs = [(0, ['Conv1', 'bn_Conv1'])]
    pairs.append((1, ['expanded_conv_depthwise', 'expanded_conv_depthwise_BN', 'expanded_conv_project', 'expanded_conv_project_BN']))
    for b in range(1, 17):
        pairs.append((b + 1, [f'block_{b}_{p}' for p in ('expand', 'expand_BN', 'depthwise', 'depthwise_BN', 'project', 'project_BN')]))
    pairs.append((18, ['Conv_1', 'Conv_1_bn']))
    return pairs


def torch_layers(features, k):
    """The conv and bn modules of features[k], in order."""
    return [m for m in features[k].modules() if isinstance(m, (nn.Conv2d, nn.BatchNorm2d))]


def load_into(model, weights):
    for k, names in keras_names():
        for module, name in zip(torch_layers(model.features, k), names):
            if isinstance(module, nn.BatchNorm2d):
                module.weight.data = torch.from_numpy(weights[f'{name}/gamma'].copy())
                module.bias.data = torch.from_numpy(weights[f'{name}/beta'].copy())
                module.running_mean.data = torch.from_numpy(weights[f'{name}/moving_mean'].copy())
                module.running_var.data = torch.from_numpy(weights[f'{name}/moving_variance'].copy())
            elif module.groups > 1:
                # Keras depthwise [kh, kw, in, 1] -> torch [in, 1, kh, kw]
                module.weight.data = torch.from_numpy(weights[f'{name}/depthwise_kernel'].transpose(2, 3, 0, 1).copy())
            else:
                # Keras [kh, kw, in, out] -> torch [out, in, kh, kw]
                module.weight.data = torch.from_numpy(weights[f'{name}/kernel'].transpose(3, 2, 0, 1).copy())


def keras_mobilenet_v2():
    """torchvision's MobileNetV2 with Keras' padding and BatchNorm epsilon (weights unset)."""
    model = mobilenet_v2(weights=None)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.eps = 1e-3
    stride2 = [model.features[0]] + [model.features[k].conv[1] for k in STRIDE2_BLOCKS]
    for block in stride2:
        conv = block[0]
        conv.padding = (0, 0)
        block[0] = nn.Sequential(KerasPad(), conv)
    return model


def backbone(state_dict_path, cut):
    """The frozen backbone up to `cut`, global-average-pooled, in eval mode."""
    model = keras_mobilenet_v2()
    model.load_state_dict(torch.load(state_dict_path))
    whole, expand_next = CUTS[cut]
    parts = list(model.features[:whole])
    if expand_next:
        parts.append(model.features[whole].conv[0])
    net = nn.Sequential(*parts, nn.AdaptiveAvgPool2d(1), nn.Flatten())
    # channels_last: about 1.6x faster than the default layout for this net on CPU here.
    net.to(memory_format=torch.channels_last)
    net.eval()
    for p in net.parameters():
        p.requires_grad_(False)
    return net


def preprocess(images_uint8, size):
    """[n, h, w] gray uint8 -> [n, 3, size, size] in [-1, 1]: replicate, bilinear (half-pixel), scale."""
    x = torch.from_numpy(images_uint8.copy()).float().unsqueeze(1).expand(-1, 3, -1, -1)
    x = F.interpolate(x, size=(size, size), mode='bilinear', align_corners=False)
    return (x * (2.0 / 255.0) - 1.0).contiguous(memory_format=torch.channels_last)


def main(model_json, out_pt):
    model = keras_mobilenet_v2()
    load_into(model, read_keras_weights(model_json))
    torch.save(model.state_dict(), out_pt)
    print(json.dumps({'ported': model_json, 'state_dict': out_pt}))


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2])

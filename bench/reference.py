"""The reference job in PyTorch: frozen MobileNetV2 features, then a dense head, evaluated on test.

The same work as our spec (bench/work/bench.yml): the same IDX files, backbone, cut, input size
and preprocessing, head (standardised features -> Dense 128 relu -> dropout 0.2 -> Dense 10),
Adam 1e-3, batch 64, a fixed number of epochs with a validation pass after each. Prints one JSON
line: timings and accuracies (the caller measures wall time and peak RSS).

    python3 reference.py STATE_DICT CUT SIZE EPOCHS DATA_DIR
"""
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn

from idx import read_idx
from keras_mobilenet import backbone, preprocess

FEATURE_BATCH = 64
TRAIN_BATCH = 64
SEED = 42


def load(data_dir, split):
    return read_idx(os.path.join(data_dir, f'{split}-images.gz')), read_idx(os.path.join(data_dir, f'{split}-labels.gz'))


def features(net, images, size):
    out = []
    with torch.inference_mode():
        for start in range(0, len(images), FEATURE_BATCH):
            out.append(net(preprocess(images[start:start + FEATURE_BATCH], size)))
    return torch.cat(out)


def accuracy(head, x, y):
    head.eval()
    with torch.inference_mode():
        return (head(x).argmax(1) == y).float().mean().item()


def train(x, y, val_x, val_y, epochs):
    torch.manual_seed(SEED)
    mean, std = x.mean(0), x.std(0).clamp_min(1e-6)
    head = nn.Sequential(nn.Linear(x.shape[1], 128), nn.ReLU(), nn.Dropout(0.2), nn.Linear(128, 10))
    opt = torch.optim.Adam(head.parameters(), lr=1e-3)
    x, val_x = (x - mean) / std, (val_x - mean) / std
    gen = torch.Generator().manual_seed(SEED)
    for _ in range(epochs):
        head.train()
        order = torch.randperm(len(x), generator=gen)
        for start in range(0, len(x), TRAIN_BATCH):
            idx = order[start:start + TRAIN_BATCH]
            opt.zero_grad()
            nn.functional.cross_entropy(head(x[idx]), y[idx]).backward()
            opt.step()
        val_acc = accuracy(head, val_x, val_y)
    return head, mean, std, val_acc


def main(state_dict, cut, size, epochs, data_dir):
    started = time.perf_counter()
    torch.set_num_threads(2)
    size, epochs = int(size), int(epochs)
    net = backbone(state_dict, cut)
    splits = {s: load(data_dir, s) for s in ('train', 'validation', 'test')}
    t = time.perf_counter()
    feats = {s: features(net, imgs, size) for s, (imgs, _) in splits.items()}
    features_s = time.perf_counter() - t
    labels = {s: torch.from_numpy(lbl.astype(np.int64)) for s, (_, lbl) in splits.items()}
    t = time.perf_counter()
    head, mean, std, val_acc = train(feats['train'], labels['train'], feats['validation'], labels['validation'], epochs)
    train_s = time.perf_counter() - t
    test_acc = accuracy(head, (feats['test'] - mean) / std, labels['test'])
    print(json.dumps({
        'features_s': features_s,
        'train_s': train_s,
        'script_s': time.perf_counter() - started,
        'val_accuracy': val_acc,
        'accuracy': test_acc,
        'torch': torch.__version__,
        'threads': torch.get_num_threads(),
    }))


if __name__ == '__main__':
    main(*sys.argv[1:6])

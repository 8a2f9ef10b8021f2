"""Checks that the ported PyTorch backbone gives the features our pipeline gave.

Our features are read from the feature cache a run of ours left (pack files keyed by the sha256
of each IDX image). Prints JSON {compared, max_abs_diff, max_feature}.

    python3 check_features.py STATE_DICT CUT SIZE CACHE_DIR IMAGES_IDX_GZ
"""
import glob
import hashlib
import json
import os
import struct
import sys

import numpy as np
import torch

from idx import read_idx
from keras_mobilenet import backbone, preprocess


def read_packs(cache_dir):
    rows = {}
    for pack in glob.glob(os.path.join(cache_dir, 'features', '*', 'pack-*.bin')):
        data = open(pack, 'rb').read()
        (length,) = struct.unpack('<I', data[:4])
        header = json.loads(data[4:4 + length])
        body = np.frombuffer(data, dtype='<f4', offset=4 + length).reshape(-1, header['dim'])
        rows.update(zip(header['hashes'], body))
    return rows


def image_hash(img):
    h, w = img.shape
    return hashlib.sha256(f'{h}x{w}x1:'.encode() + img.tobytes()).hexdigest()


def main(state_dict, cut, size, cache_dir, images_file):
    torch.set_num_threads(2)
    ours = read_packs(cache_dir)
    images = read_idx(images_file)
    keep = [i for i, img in enumerate(images) if image_hash(img) in ours]
    if not keep:
        sys.exit(f'no cached features of {images_file} under {cache_dir}')
    with torch.no_grad():
        theirs = backbone(state_dict, cut)(preprocess(images[keep], int(size))).numpy()
    mine = np.stack([ours[image_hash(images[i])] for i in keep])
    print(json.dumps({'compared': len(keep), 'max_abs_diff': float(np.abs(mine - theirs).max()), 'max_feature': float(np.abs(mine).max())}))


if __name__ == '__main__':
    main(*sys.argv[1:6])

// The benchmark's data: contiguous slices of the Debian Fashion-MNIST files, as gzipped IDX
// files both sides read. Validation is given explicitly so both sides use the same split.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

const SOURCE = '/usr/share/datasets/fashion-mnist';
export const CLASSES = ['t-shirt', 'trouser', 'pullover', 'dress', 'coat', 'sandal', 'shirt', 'sneaker', 'bag', 'ankle-boot'];

/** train = train[0, n), validation = the next rows of train, test = t10k[0, n); from Debian's files unless `source` is given. */
export function makeData(dir, counts, source = SOURCE) {
  fs.mkdirSync(dir, { recursive: true });
  const parts = {
    train: ['train', 0, counts.train],
    validation: ['train', counts.train, counts.train + counts.validation],
    test: ['t10k', 0, counts.test],
  };
  for (const [split, [set, from, to]] of Object.entries(parts)) {
    for (const kind of ['images', 'labels']) {
      const file = path.join(source, `${set}-${kind}-idx${kind === 'images' ? 3 : 1}-ubyte.gz`);
      if (!fs.existsSync(file)) throw new Error(`${file} is missing (Debian's files: apt-get install dataset-fashion-mnist)`);
      fs.writeFileSync(path.join(dir, `${split}-${kind}.gz`), idxSlice(file, from, to));
    }
  }
}

function idxSlice(file, from, to) {
  const buf = zlib.gunzipSync(fs.readFileSync(file));
  const rank = buf[3];
  const header = Buffer.from(buf.subarray(0, 4 + rank * 4));
  const item = Array.from({ length: rank - 1 }, (_, i) => header.readUInt32BE(8 + i * 4)).reduce((a, b) => a * b, 1);
  if (to > header.readUInt32BE(4)) throw new Error(`${file} holds fewer than ${to} items`);
  header.writeUInt32BE(to - from, 4);
  const body = buf.subarray(4 + rank * 4 + from * item, 4 + rank * 4 + to * item);
  return zlib.gzipSync(Buffer.concat([header, body]));
}

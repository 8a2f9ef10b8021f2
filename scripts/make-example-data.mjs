#!/usr/bin/env node
// Writes the committed Fashion-MNIST subset of examples/fashion-mnist/data from the full data
// set (Debian package dataset-fashion-mnist). Takes the first N examples of each file, keeping
// the IDX format. Usage: node scripts/make-example-data.mjs [trainN] [testN]
import fs from 'node:fs';
import zlib from 'node:zlib';
import path from 'node:path';

const src = process.env.FASHION_MNIST_DIR ?? '/usr/share/datasets/fashion-mnist';
const out = 'examples/fashion-mnist/data';
const [trainN, testN] = [Number(process.argv[2] ?? 5000), Number(process.argv[3] ?? 1000)];

function subset(file, n, outFile) {
  const buf = zlib.gunzipSync(fs.readFileSync(path.join(src, file)));
  const rank = buf[3];
  const header = Buffer.from(buf.subarray(0, 4 + rank * 4));
  const itemBytes = Array.from({ length: rank - 1 }, (_, i) => header.readUInt32BE(8 + i * 4)).reduce((a, b) => a * b, 1);
  header.writeUInt32BE(n, 4);
  const body = buf.subarray(4 + rank * 4, 4 + rank * 4 + n * itemBytes);
  // mtime 0 in the gzip header keeps the output byte-identical across runs.
  fs.writeFileSync(path.join(out, outFile), zlib.gzipSync(Buffer.concat([header, body]), { level: 9 }));
}

fs.mkdirSync(out, { recursive: true });
subset('train-images-idx3-ubyte.gz', trainN, 'train-images-idx3-ubyte.gz');
subset('train-labels-idx1-ubyte.gz', trainN, 'train-labels-idx1-ubyte.gz');
subset('t10k-images-idx3-ubyte.gz', testN, 't10k-images-idx3-ubyte.gz');
subset('t10k-labels-idx1-ubyte.gz', testN, 't10k-labels-idx1-ubyte.gz');
console.log(`wrote ${trainN} train and ${testN} test examples to ${out}`);

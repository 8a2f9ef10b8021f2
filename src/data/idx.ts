// MNIST-style IDX files (optionally gzipped): images uint8 [n, rows, cols], labels uint8 [n].
import fs from 'node:fs';
import zlib from 'node:zlib';
import { DataError } from '../errors.js';
import { sha256 } from '../util/hash.js';
import type { Example } from './types.js';

interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

export function parseIdx(bytes: Uint8Array, where: string): IdxArray {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 4 || buf[0] !== 0 || buf[1] !== 0) throw new DataError(`${where}: not an IDX file (bad magic number)`);
  if (buf[2] !== 0x08) throw new DataError(`${where}: only unsigned-byte IDX data is supported (type 0x${buf[2].toString(16)})`);
  const rank = buf[3];
  const header = 4 + rank * 4;
  if (buf.length < header) throw new DataError(`${where}: truncated IDX header`);
  const dims = Array.from({ length: rank }, (_, i) => buf.readUInt32BE(4 + i * 4));
  const size = dims.reduce((a, b) => a * b, 1);
  if (buf.length - header !== size) {
    throw new DataError(`${where}: header declares ${size} bytes of data, the file holds ${buf.length - header}`);
  }
  return { dims, data: buf.subarray(header) };
}

export function readIdxFile(file: string, where: string): IdxArray {
  if (!fs.existsSync(file)) throw new DataError(`${where}: file ${file} does not exist`);
  let bytes: Uint8Array = fs.readFileSync(file);
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = zlib.gunzipSync(bytes);
    } catch (err) {
      throw new DataError(`${where}: cannot gunzip ${file}: ${(err as Error).message}`);
    }
  }
  return parseIdx(bytes, where);
}

/** Reads an images/labels pair into examples with ids "<images path>#<index>". */
export function readIdxExamples(imagesFile: string, labelsFile: string, displayPath: string, where: string): Example[] {
  const images = readIdxFile(imagesFile, `${where}.images`);
  const labels = readIdxFile(labelsFile, `${where}.labels`);
  if (images.dims.length !== 3) throw new DataError(`${where}.images: expected [n, rows, cols], got [${images.dims.join(', ')}]`);
  if (labels.dims.length !== 1 || labels.dims[0] !== images.dims[0]) {
    throw new DataError(`${where}: ${images.dims[0]} images but ${labels.dims[0]} labels`);
  }
  const [n, rows, cols] = images.dims;
  const pixels = rows * cols;
  return Array.from({ length: n }, (_, i) => {
    const data = images.data.subarray(i * pixels, (i + 1) * pixels);
    return {
      id: `${displayPath}#${i}`,
      label: labels.data[i],
      sha256: sha256(Buffer.concat([Buffer.from(`${rows}x${cols}x1:`), data])),
      image: () => ({ width: cols, height: rows, channels: 1 as const, data }),
    };
  });
}

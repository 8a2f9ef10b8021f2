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
  if (buf.length < 4 || buf[0] !== 0 || buf[1] !== 0) {
    throw new DataError(
      `${where}: not an IDX file (bad magic number 0x${buf.subarray(0, 4).toString('hex')}; expected 0x0000 followed by type and rank)`,
    );
  }
  if (buf[2] !== 0x08) throw new DataError(`${where}: only unsigned-byte IDX data is supported (type 0x${buf[2].toString(16)})`);
  const rank = buf[3];
  const header = 4 + rank * 4;
  if (buf.length < header) throw new DataError(`${where}: truncated IDX header`);
  const dims = Array.from({ length: rank }, (_, i) => buf.readUInt32BE(4 + i * 4));
  const size = dims.reduce((a, b) => a * b, 1);
  if (buf.length - header !== size) {
    const how = buf.length - header < size ? 'truncated: ' : '';
    throw new DataError(
      `${where}: ${how}the header declares [${dims.join(', ')}] = ${size} bytes of data, the file holds ${buf.length - header}`,
    );
  }
  return { dims, data: buf.subarray(header) };
}

/** A documented cap on one unpacked idx file (Fashion-MNIST's train images are 47 MB): stops gzip bombs. */
export const MAX_IDX_BYTES = 1024 * 1024 * 1024;

/** `display` (the repo-relative path) is named in messages after `where` (the spec key). */
export function readIdxFile(file: string, where: string, display = file): IdxArray {
  const at = `${where} (${display})`;
  if (!fs.existsSync(file)) throw new DataError(`${where}: file "${display}" does not exist`);
  if (!fs.statSync(file).isFile()) throw new DataError(`${where}: "${display}" is not a file`);
  let bytes: Uint8Array = fs.readFileSync(file);
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = zlib.gunzipSync(bytes, { maxOutputLength: MAX_IDX_BYTES });
    } catch (err) {
      throw new DataError(`${at}: cannot gunzip: ${(err as Error).message}`);
    }
  }
  return parseIdx(bytes, at);
}

/**
 * Reads an images/labels pair into examples with ids "<displayPath>#<index>"; `displayPath` and
 * `labelsDisplay` are the repo-relative paths named in messages.
 */
export function readIdxExamples(
  imagesFile: string,
  labelsFile: string,
  displayPath: string,
  where: string,
  labelsDisplay = labelsFile,
): Example[] {
  const images = readIdxFile(imagesFile, `${where}.images`, displayPath);
  const labels = readIdxFile(labelsFile, `${where}.labels`, labelsDisplay);
  if (images.dims.length !== 3)
    throw new DataError(`${where}.images (${displayPath}): expected [n, rows, cols], got [${images.dims.join(', ')}]`);
  if (labels.dims.length !== 1) throw new DataError(`${where}.labels (${labelsDisplay}): expected [n], got [${labels.dims.join(', ')}]`);
  if (labels.dims[0] !== images.dims[0]) {
    throw new DataError(`${where}: ${displayPath} holds ${images.dims[0]} images but ${labelsDisplay} holds ${labels.dims[0]} labels`);
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

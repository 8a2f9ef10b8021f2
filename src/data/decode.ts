// Decodes PNG and JPEG to RGB or grayscale pixels. Header sizes are checked first, so a tiny
// file that declares a 20000x20000 image is refused before any memory is spent on it.
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import type { DecodedImage } from './types.js';

/** A documented cap: 40 megapixels (e.g. 8000x5000). */
export const MAX_IMAGE_PIXELS = 40_000_000;
/** A documented cap on the file itself, checked before it is read: 40 MP compress well below this. */
export const MAX_IMAGE_FILE_BYTES = 128 * 1024 * 1024;

export class ImageDecodeError extends Error {}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export function imageSizeFromHeader(bytes: Uint8Array): { width: number; height: number; format: 'png' | 'jpeg' } {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.subarray(0, 8).equals(PNG_SIGNATURE)) {
    // The first chunk must be IHDR (length 13): width and height follow its type.
    if (b.length < 24 || b.toString('latin1', 12, 16) !== 'IHDR') throw new ImageDecodeError('PNG without an IHDR header (truncated?)');
    return { width: b.readUInt32BE(16), height: b.readUInt32BE(20), format: 'png' };
  }
  if (b.length >= 4 && b[0] === 0xff && b[1] === 0xd8) return { ...jpegSize(b), format: 'jpeg' };
  throw new ImageDecodeError('not a PNG or JPEG file');
}

function jpegSize(b: Buffer): { width: number; height: number } {
  let i = 2;
  while (i + 9 < b.length) {
    if (b[i] !== 0xff) throw new ImageDecodeError('corrupt JPEG marker');
    // Any number of 0xFF fill bytes may precede a marker.
    if (b[i + 1] === 0xff) {
      i++;
      continue;
    }
    const marker = b[i + 1];
    const len = b.readUInt16BE(i + 2);
    // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC) carry the frame size.
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { height: b.readUInt16BE(i + 5), width: b.readUInt16BE(i + 7) };
    }
    i += 2 + len;
  }
  throw new ImageDecodeError('JPEG without a frame header (truncated?)');
}

export function decodeImage(bytes: Uint8Array): DecodedImage {
  const { width, height, format } = imageSizeFromHeader(bytes);
  if (width === 0 || height === 0) throw new ImageDecodeError(`declares an empty ${width}x${height} image`);
  if (width * height > MAX_IMAGE_PIXELS) {
    throw new ImageDecodeError(`declares ${width}x${height} pixels, more than the limit of ${MAX_IMAGE_PIXELS} pixels`);
  }
  try {
    const rgba = format === 'png' ? decodePng(bytes) : decodeJpeg(bytes);
    return toRgbOrGray(rgba.data, rgba.width, rgba.height);
  } catch (err) {
    if (err instanceof ImageDecodeError) throw err;
    throw new ImageDecodeError(`cannot decode ${format.toUpperCase()} (truncated or corrupt): ${(err as Error).message}`);
  }
}

function decodePng(bytes: Uint8Array): { data: Uint8Array; width: number; height: number } {
  const png = PNG.sync.read(Buffer.from(bytes), { skipRescale: false });
  return { data: png.data, width: png.width, height: png.height };
}

function decodeJpeg(bytes: Uint8Array): { data: Uint8Array; width: number; height: number } {
  const img = jpeg.decode(bytes, {
    useTArray: true,
    formatAsRGBA: true,
    maxResolutionInMP: MAX_IMAGE_PIXELS / 1e6,
    tolerantDecoding: false,
  });
  return { data: img.data, width: img.width, height: img.height };
}

/** Drops alpha; keeps one channel when the image is gray, so gray inputs stay small. */
function toRgbOrGray(rgba: Uint8Array, width: number, height: number): DecodedImage {
  const n = width * height;
  let gray = true;
  for (let i = 0; i < n && gray; i++) {
    const o = i * 4;
    gray = rgba[o] === rgba[o + 1] && rgba[o] === rgba[o + 2];
  }
  const channels = gray ? 1 : 3;
  const data = new Uint8Array(n * channels);
  for (let i = 0; i < n; i++) {
    if (gray) data[i] = rgba[i * 4];
    else data.set(rgba.subarray(i * 4, i * 4 + 3), i * 3);
  }
  return { width, height, channels, data };
}

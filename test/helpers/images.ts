// Real PNG and JPEG files for the data tests, made with the same libraries the decoder uses.
import zlib from 'node:zlib';
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';

/** RGBA pixels of a w x h image; `pixel(x, y)` gives [r, g, b, a]. */
export function rgba(w: number, h: number, pixel: (x: number, y: number) => [number, number, number, number]): Buffer {
  const data = Buffer.alloc(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) data.set(pixel(x, y), (y * w + x) * 4);
  }
  return data;
}

export type PngColour = 'gray' | 'gray-alpha' | 'rgb' | 'rgba';
const COLOR_TYPE: Record<PngColour, number> = { gray: 0, 'gray-alpha': 4, rgb: 2, rgba: 6 };

/** A PNG of the given colour type (gray types use the red channel). */
export function pngBytes(w: number, h: number, data: Buffer, colour: PngColour = 'rgba'): Buffer {
  const png = new PNG({ width: w, height: h });
  data.copy(png.data);
  const colorType = COLOR_TYPE[colour];
  return PNG.sync.write(png, { colorType, inputColorType: 6, inputHasAlpha: true } as Parameters<typeof PNG.sync.write>[1]);
}

export function jpegBytes(w: number, h: number, data: Buffer, quality = 95): Buffer {
  return Buffer.from(jpeg.encode({ data, width: w, height: h }, quality).data);
}

/** A small solid-colour PNG: enough for tests that only need a valid image. */
export function solidPng(r: number, g: number, b: number, size = 4): Buffer {
  return pngBytes(
    size,
    size,
    rgba(size, size, () => [r, g, b, 255]),
    'rgb',
  );
}

function chunk(type: string, body: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  const typed = Buffer.concat([Buffer.from(type, 'latin1'), body]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(typed));
  return Buffer.concat([len, typed, crc]);
}

/**
 * A well-formed PNG a few dozen bytes long whose IHDR declares `w` x `h` RGB pixels: the
 * decompression-bomb shape, refused by its header alone.
 */
export function pngDeclaring(w: number, h: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(Buffer.alloc(64))), chunk('IEND', Buffer.alloc(0))]);
}

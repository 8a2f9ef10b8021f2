// Real PNG and JPEG files through the decoder: channels, pixel values, broken and oversized files.
import { beforeAll, describe, expect, it } from 'vitest';
import { PNG } from 'pngjs';
import { decodeImage, imageSizeFromHeader, ImageDecodeError, MAX_IMAGE_PIXELS } from '../src/data/decode.js';
import { imagesToTensor } from '../src/features/preprocess.js';
import { selectBackend } from '../src/backend/select.js';
import { silentLogger } from '../src/util/log.js';
import { jpegBytes, pngBytes, pngDeclaring, rgba } from './helpers/images.js';

// A gradient with distinct channels, so a swapped or dropped channel shows.
const W = 8;
const H = 6;
const colour = (x: number, y: number): [number, number, number, number] => [x * 30, y * 40, 255 - x * 10, 255];
const gray = (x: number, y: number): [number, number, number, number] => [x * 20 + y * 5, x * 20 + y * 5, x * 20 + y * 5, 255];

function decodeError(bytes: Uint8Array): ImageDecodeError {
  try {
    decodeImage(bytes);
  } catch (err) {
    expect(err).toBeInstanceOf(ImageDecodeError);
    return err as ImageDecodeError;
  }
  throw new Error('expected an ImageDecodeError');
}

beforeAll(async () => {
  await selectBackend('cpu', silentLogger);
});

describe('PNG', () => {
  it('keeps RGB pixels exactly', () => {
    const img = decodeImage(pngBytes(W, H, rgba(W, H, colour), 'rgb'));
    expect([img.width, img.height, img.channels]).toEqual([W, H, 3]);
    expect([...img.data.subarray(0, 6)]).toEqual([0, 0, 255, 30, 0, 245]);
    const last = (H * W - 1) * 3;
    expect([...img.data.subarray(last, last + 3)]).toEqual([7 * 30, 5 * 40, 255 - 70]);
  });

  it('drops alpha and keeps the colour underneath', () => {
    const translucent = (x: number, y: number): [number, number, number, number] =>
      [...colour(x, y).slice(0, 3), 40 + x] as [number, number, number, number];
    const img = decodeImage(pngBytes(W, H, rgba(W, H, translucent), 'rgba'));
    expect(img.channels).toBe(3);
    expect(img.data.length).toBe(W * H * 3);
    expect([...img.data.subarray(3, 6)]).toEqual([30, 0, 245]);
  });

  it('decodes grayscale to one channel, replicated to RGB for the base', () => {
    const img = decodeImage(pngBytes(W, H, rgba(W, H, gray), 'gray'));
    expect(img.channels).toBe(1);
    expect(img.data[2 * W + 3]).toBe(3 * 20 + 2 * 5);
    const t = imagesToTensor([img], { size: [H, W], channels: 3, scale: [0, 255], resize: 'bilinear' });
    const px = t.slice([0, 2, 3, 0], [1, 1, 1, 3]).dataSync();
    expect([...px]).toEqual([70, 70, 70]);
    t.dispose();
  });

  it('drops alpha of a gray+alpha PNG', () => {
    const img = decodeImage(
      pngBytes(
        W,
        H,
        rgba(W, H, (x, y) => [...gray(x, y).slice(0, 3), 90] as [number, number, number, number]),
        'gray-alpha',
      ),
    );
    expect(img.channels).toBe(1);
    expect(img.data[W + 1]).toBe(25);
  });

  it('rescales a 16-bit PNG to 8 bits', () => {
    const png = new PNG({ width: 2, height: 1, bitDepth: 16, colorType: 2, inputColorType: 2, inputHasAlpha: false });
    png.data = Buffer.from(new Uint16Array([0xffff, 0, 0x8080, 0, 0xffff, 0]).buffer);
    const bytes = PNG.sync.write(png, { bitDepth: 16, colorType: 2, inputColorType: 2, inputHasAlpha: false } as Parameters<
      typeof PNG.sync.write
    >[1]);
    const img = decodeImage(bytes);
    expect(img.channels).toBe(3);
    expect(img.width * img.height).toBe(2);
  });

  it('refuses a truncated file, naming it truncated or corrupt', () => {
    const bytes = pngBytes(W, H, rgba(W, H, colour), 'rgb');
    for (const cut of [bytes.length - 12, 60, 30]) {
      expect(decodeError(bytes.subarray(0, cut)).message).toMatch(/truncated|corrupt/);
    }
  });

  it('refuses a flipped byte in the pixel data (CRC)', () => {
    const bytes = Buffer.from(pngBytes(W, H, rgba(W, H, colour), 'rgb'));
    bytes[45] ^= 0xff;
    expect(decodeError(bytes).message).toMatch(/PNG/);
  });
});

describe('JPEG', () => {
  // Flat 4x4 blocks: JPEG keeps flat areas close to their colour.
  const blocks = (x: number, y: number): [number, number, number, number] =>
    x < 8 ? [200, 40, 40, 255] : y < 8 ? [30, 180, 60, 255] : [20, 40, 220, 255];

  it('decodes colour to RGB, close to the original', () => {
    const img = decodeImage(jpegBytes(16, 16, rgba(16, 16, blocks)));
    expect([img.width, img.height, img.channels]).toEqual([16, 16, 3]);
    const at = (x: number, y: number) => [...img.data.subarray((y * 16 + x) * 3, (y * 16 + x) * 3 + 3)];
    for (const [x, y] of [
      [3, 3],
      [12, 3],
      [12, 12],
    ] as const) {
      at(x, y).forEach((v, c) => expect(Math.abs(v - blocks(x, y)[c])).toBeLessThanOrEqual(8));
    }
  });

  it('decodes a gray picture to values close to the original', () => {
    const img = decodeImage(
      jpegBytes(
        16,
        16,
        rgba(16, 16, () => [128, 128, 128, 255]),
      ),
    );
    for (const v of img.data) expect(Math.abs(v - 128)).toBeLessThanOrEqual(2);
  });

  it('refuses a truncated file', () => {
    const bytes = jpegBytes(16, 16, rgba(16, 16, blocks));
    for (const cut of [bytes.length - 2, Math.floor(bytes.length / 2), 100, 10]) {
      expect(decodeError(bytes.subarray(0, cut)).message).toMatch(/truncated|corrupt|JPEG/);
    }
  });

  it('reads the frame size from the header', () => {
    expect(imageSizeFromHeader(jpegBytes(24, 10, rgba(24, 10, blocks)))).toEqual({ width: 24, height: 10, format: 'jpeg' });
  });
});

describe('refused before decoding', () => {
  it('a tiny PNG whose header declares 20000x20000 pixels, fast and without allocating them', () => {
    const bytes = pngDeclaring(20000, 20000);
    expect(bytes.length).toBeLessThan(200);
    expect(imageSizeFromHeader(bytes)).toEqual({ width: 20000, height: 20000, format: 'png' });
    const before = process.memoryUsage().arrayBuffers;
    const started = performance.now();
    const err = decodeError(bytes);
    expect(performance.now() - started).toBeLessThan(50);
    // Decoding would need 1.6 GB of RGBA; nothing near that was allocated.
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 1024 * 1024);
    expect(err.message).toContain('20000x20000');
    expect(err.message).toContain(String(MAX_IMAGE_PIXELS));
  });

  it('a header declaring an empty image', () => {
    expect(decodeError(pngDeclaring(0, 10)).message).toContain('empty 0x10');
  });

  it('a file that is neither PNG nor JPEG', () => {
    expect(decodeError(Buffer.from('GIF89a not supported')).message).toContain('not a PNG or JPEG');
    expect(decodeError(Buffer.alloc(0)).message).toContain('not a PNG or JPEG');
  });

  it('a PNG signature without an IHDR chunk', () => {
    const bytes = Buffer.from(pngBytes(4, 4, rgba(4, 4, colour), 'rgb'));
    bytes.write('IDAT', 12, 'latin1');
    expect(decodeError(bytes).message).toContain('IHDR');
  });
});

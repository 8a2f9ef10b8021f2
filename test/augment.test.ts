// Seeded image augmentation: the transforms themselves, and the spec key that turns them on.
import { describe, expect, it } from 'vitest';
import { applyView, augmentView, drawView, type AugmentSettings, type ViewDraw } from '../src/data/augment.js';
import type { DecodedImage } from '../src/data/types.js';
import { parseSpec } from '../src/spec/load.js';
import { createRng } from '../src/util/random.js';
import { SPEC_HEAD, specErrorMessage } from './helpers/spec-text.js';

const OFF: AugmentSettings = { flip: false, crop: 0, brightness: 0, contrast: 0 };
const PLAIN: ViewDraw = { flip: false, dy: 0, dx: 0, brightness: 1, contrast: 1 };
const SHA = 'ab'.repeat(32);

/** A w x h image whose every value differs from its neighbours, so a shift or a mirror shows. */
function image(w: number, h: number, channels: 1 | 3 = 3, seed = 1): DecodedImage {
  const rng = createRng(seed);
  return { width: w, height: h, channels, data: Uint8Array.from({ length: w * h * channels }, () => Math.floor(rng() * 256)) };
}

function pixel(img: DecodedImage, x: number, y: number): number[] {
  const at = (y * img.width + x) * img.channels;
  return Array.from(img.data.subarray(at, at + img.channels));
}

function mirror(img: DecodedImage): DecodedImage {
  const data = new Uint8Array(img.data.length);
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) data.set(pixel(img, img.width - 1 - x, y), (y * img.width + x) * img.channels);
  }
  return { ...img, data };
}

/** The shift (dy, dx) within `pad` that explains `out` as a black-filled shift of `img`, if any. */
function findShift(img: DecodedImage, out: DecodedImage, padY: number, padX: number): [number, number] | undefined {
  for (let dy = -padY; dy <= padY; dy++) {
    for (let dx = -padX; dx <= padX; dx++) {
      let same = true;
      for (let y = 0; y < img.height && same; y++) {
        for (let x = 0; x < img.width && same; x++) {
          const [sy, sx] = [y + dy, x + dx];
          const want = sy < 0 || sy >= img.height || sx < 0 || sx >= img.width ? [0, 0, 0] : pixel(img, sx, sy);
          same = pixel(out, x, y).every((v, c) => v === want[c]);
        }
      }
      if (same) return [dy, dx];
    }
  }
  return undefined;
}

const views = (img: DecodedImage, s: AugmentSettings, n: number, seed = 42) =>
  Array.from({ length: n }, (_, v) => augmentView(img, s, seed, SHA, v));

describe('augmentation transforms', () => {
  const all: AugmentSettings = { flip: true, crop: 0.2, brightness: 0.3, contrast: 0.3 };

  it('are deterministic per (seed, image, view) and differ across views, seeds and images', () => {
    const img = image(20, 16);
    const a = views(img, all, 6);
    const b = views(img, all, 6);
    a.forEach((v, i) => expect(Buffer.from(v.data).equals(Buffer.from(b[i].data))).toBe(true));
    const distinct = new Set(a.map((v) => Buffer.from(v.data).toString('hex')));
    expect(distinct.size).toBe(6);
    const otherSeed = augmentView(img, all, 43, SHA, 0);
    const otherImage = augmentView(img, all, 42, 'cd'.repeat(32), 0);
    expect(Buffer.from(otherSeed.data).equals(Buffer.from(a[0].data))).toBe(false);
    expect(Buffer.from(otherImage.data).equals(Buffer.from(a[0].data))).toBe(false);
  });

  it('do not depend on the order views are made in', () => {
    const img = image(12, 12);
    const forward = views(img, all, 5);
    const backward = [4, 3, 2, 1, 0].map((v) => augmentView(img, all, 42, SHA, v)).reverse();
    forward.forEach((v, i) => expect(Array.from(backward[i].data)).toEqual(Array.from(v.data)));
  });

  it('leave the input untouched', () => {
    const img = image(10, 8);
    const before = Array.from(img.data);
    views(img, all, 4);
    expect(Array.from(img.data)).toEqual(before);
  });

  it('flip gives the exact mirror image, and twice gives the image back', () => {
    const img = image(9, 7);
    const flipped = applyView(img, { ...PLAIN, flip: true });
    expect(Array.from(flipped.data)).toEqual(Array.from(mirror(img).data));
    expect(Array.from(applyView(flipped, { ...PLAIN, flip: true }).data)).toEqual(Array.from(img.data));
  });

  it('flip alone gives either the image or its mirror, each for some views', () => {
    const img = image(9, 7, 1);
    const seen = views(img, { ...OFF, flip: true }, 40).map((v) => {
      if (Buffer.from(v.data).equals(Buffer.from(img.data))) return 'plain';
      expect(Array.from(v.data)).toEqual(Array.from(mirror(img).data));
      return 'mirror';
    });
    expect(new Set(seen)).toEqual(new Set(['plain', 'mirror']));
  });

  it('crop keeps the shape and only shifts within the pad, filling with black', () => {
    const img = image(20, 10);
    const shifts = views(img, { ...OFF, crop: 0.2 }, 30).map((v) => {
      expect([v.width, v.height, v.channels, v.data.length]).toEqual([20, 10, 3, img.data.length]);
      const shift = findShift(img, v, 2, 4);
      expect(shift).toBeDefined();
      return (shift as [number, number]).join(',');
    });
    expect(new Set(shifts).size).toBeGreaterThan(5);
  });

  it('brightness scales each value by one factor within the bound, saturating rather than wrapping', () => {
    const img = image(16, 16, 3, 7);
    for (const v of views(img, { ...OFF, brightness: 0.4 }, 12)) {
      const ratios: number[] = [];
      img.data.forEach((p, i) => {
        const q = v.data[i];
        expect(q).toBeGreaterThanOrEqual(Math.min(255, Math.floor(p * 0.6)));
        expect(q).toBeLessThanOrEqual(Math.min(255, Math.ceil(p * 1.4)));
        if (p > 100 && q < 255) ratios.push(q / p);
      });
      // One factor for the whole image (up to rounding).
      expect(Math.max(...ratios) - Math.min(...ratios)).toBeLessThan(0.02);
      // Brighter pixels never come out darker (wrapping past 255 would).
      const order = Array.from(img.data.keys()).sort((a, b) => img.data[a] - img.data[b]);
      for (let k = 1; k < order.length; k++) expect(v.data[order[k]]).toBeGreaterThanOrEqual(v.data[order[k - 1]]);
    }
  });

  it('contrast scales the spread about the mean within the bound and keeps values in 0..255', () => {
    const img = image(16, 16, 3, 9);
    const mean = img.data.reduce((s, p) => s + p, 0) / img.data.length;
    const spread = (d: Uint8Array) => d.reduce((s, p) => s + Math.abs(p - mean), 0);
    const factors = views(img, { ...OFF, contrast: 0.5 }, 12).map((v) => {
      const order = Array.from(img.data.keys()).sort((a, b) => img.data[a] - img.data[b]);
      for (let k = 1; k < order.length; k++) expect(v.data[order[k]]).toBeGreaterThanOrEqual(v.data[order[k - 1]]);
      return spread(v.data) / spread(img.data);
    });
    factors.forEach((f) => {
      expect(f).toBeGreaterThan(0.5 - 0.02);
      expect(f).toBeLessThan(1.5 + 0.02);
    });
    expect(Math.max(...factors) - Math.min(...factors)).toBeGreaterThan(0.2);
  });

  it('clip at both ends under strong brightness and contrast', () => {
    const img: DecodedImage = { width: 2, height: 1, channels: 1, data: Uint8Array.from([10, 250]) };
    const out = applyView(img, { ...PLAIN, brightness: 1.5, contrast: 2 });
    // mean 195; 15 -> 195 + (15 - 195) * 2 < 0 and 375 -> 195 + 180 * 2 > 255
    expect(Array.from(out.data)).toEqual([0, 255]);
  });

  it("keep each transform's choice when another is turned on", () => {
    const rng = () => createRng(5);
    const flipOnly = drawView({ ...OFF, flip: true }, 32, 32, rng());
    const withMore = drawView({ flip: true, crop: 0.1, brightness: 0.2, contrast: 0 }, 32, 32, rng());
    expect(withMore.flip).toBe(flipOnly.flip);
    expect(flipOnly).toMatchObject({ dy: 0, dx: 0, brightness: 1, contrast: 1 });
    expect(withMore.contrast).toBe(1);
  });
});

describe('spec train.augment', () => {
  const spec = (augment: string) => parseSpec(`${SPEC_HEAD}train:\n  augment: ${augment}\n`, 'finetune.yml');
  const error = specErrorMessage;

  it('is off unless given, and fills its defaults: transforms off, 4 views', () => {
    expect(parseSpec(SPEC_HEAD, 'finetune.yml').train.augment).toBeUndefined();
    expect(spec('{ flip: true }').train.augment).toEqual({ flip: true, crop: 0, brightness: 0, contrast: 0, views: 4 });
    expect(spec('{ crop: 0.1, brightness: 0.2, contrast: 0.3, views: 2 }').train.augment).toEqual({
      flip: false,
      crop: 0.1,
      brightness: 0.2,
      contrast: 0.3,
      views: 2,
    });
  });

  it('refuses out-of-range amounts and view counts', () => {
    expect(error(`${SPEC_HEAD}train:\n  augment: { crop: 0.6 }\n`)).toMatch(
      /train\.augment\.crop: expected a number in \[0, 0\.5\], got 0\.6/,
    );
    expect(error(`${SPEC_HEAD}train:\n  augment: { brightness: 1.5 }\n`)).toMatch(
      /train\.augment\.brightness: expected a number in \[0, 1\]/,
    );
    expect(error(`${SPEC_HEAD}train:\n  augment: { flip: true, views: 0 }\n`)).toMatch(
      /train\.augment\.views: expected an integer from 1 to 100, got 0/,
    );
    expect(error(`${SPEC_HEAD}train:\n  augment: { flip: yes }\n`)).toMatch(/train\.augment\.flip: expected true or false/);
  });

  it('refuses an augment that turns nothing on, and one on a tabular task', () => {
    expect(error(`${SPEC_HEAD}train:\n  augment: { views: 3 }\n`)).toMatch(/train\.augment: expected at least one transform on/);
    const tabular =
      'version: 1\nname: t\ntask: tabular-classification\ndata:\n  format: csv\n  train: data/train.csv\ntrain:\n  augment: { flip: true }\n';
    expect(error(tabular)).toMatch(/train\.augment: expected no augment for task "tabular-classification"/);
  });
});

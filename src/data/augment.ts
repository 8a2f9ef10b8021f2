// Seeded augmentation of one decoded image: pad-and-crop, horizontal flip, brightness, contrast.
// Each (seed, example, view) has its own random stream, so a view is the same whatever order,
// batch or thread it is computed in. View 0 is drawn like every other: no view is reserved for
// the plain image, so `views` views give `views` different looks at each image. Pure: pixels in,
// new pixels out; applied to the decoded image, before it is resized for the base.
import { createRng, deriveSeed } from '../util/random.js';
import type { DecodedImage } from './types.js';

/** The transforms of spec train.augment (views aside); a zero amount or false is off. */
export interface AugmentSettings {
  flip: boolean;
  /** Largest shift, as a fraction of the height and width (the pad of pad-then-crop). */
  crop: number;
  /** Largest relative change of the pixel values. */
  brightness: number;
  /** Largest relative change of the spread about the mean. */
  contrast: number;
}

/** The random choices behind one view. */
export interface ViewDraw {
  flip: boolean;
  /** Rows and columns the crop window moves from the centre; uncovered pixels are black. */
  dy: number;
  dx: number;
  /** Factors around 1. */
  brightness: number;
  contrast: number;
}

/** The stream of view `view` of the example with this content hash. */
export function viewSeed(seed: number, sha256: string, view: number): number {
  return deriveSeed(seed, 'augment', sha256, view);
}

/**
 * Always five draws in the same order, used or not, so turning one transform on or off leaves the
 * choices of the others as they were.
 */
export function drawView(s: AugmentSettings, width: number, height: number, rng: () => number): ViewDraw {
  const [uFlip, uY, uX, uB, uC] = [rng(), rng(), rng(), rng(), rng()];
  const padY = Math.round(s.crop * height);
  const padX = Math.round(s.crop * width);
  return {
    flip: s.flip && uFlip < 0.5,
    dy: Math.floor(uY * (2 * padY + 1)) - padY,
    dx: Math.floor(uX * (2 * padX + 1)) - padX,
    brightness: 1 + (2 * uB - 1) * s.brightness,
    contrast: 1 + (2 * uC - 1) * s.contrast,
  };
}

/** Applies one draw. The output has the input's size and channels. */
export function applyView(img: DecodedImage, d: ViewDraw): DecodedImage {
  const out = shiftAndFlip(img, d);
  if (d.brightness !== 1 || d.contrast !== 1) adjustLevels(out.data, d.brightness, d.contrast);
  return out;
}

/** View `view` of an image whose content hashes to `sha256`, under the spec's seed. */
export function augmentView(img: DecodedImage, s: AugmentSettings, seed: number, sha256: string, view: number): DecodedImage {
  return applyView(img, drawView(s, img.width, img.height, createRng(viewSeed(seed, sha256, view))));
}

// Pad-then-crop is a shift with black fill: output (y, x) reads input (y + dy, x + dx).
function shiftAndFlip(img: DecodedImage, d: ViewDraw): DecodedImage {
  const { width: w, height: h, channels: c } = img;
  const data = new Uint8Array(w * h * c);
  for (let y = 0; y < h; y++) {
    const sy = y + d.dy;
    if (sy < 0 || sy >= h) continue;
    for (let x = 0; x < w; x++) {
      const sx = (d.flip ? w - 1 - x : x) + d.dx;
      if (sx < 0 || sx >= w) continue;
      const from = (sy * w + sx) * c;
      data.set(img.data.subarray(from, from + c), (y * w + x) * c);
    }
  }
  return { width: w, height: h, channels: c, data };
}

// Brightness scales every value; contrast then scales the distance from the image's mean. Values
// saturate at 0 and 255 rather than wrap.
function adjustLevels(px: Uint8Array, brightness: number, contrast: number): void {
  let sum = 0;
  for (const v of px) sum += v;
  const mean = (sum / Math.max(px.length, 1)) * brightness;
  for (let i = 0; i < px.length; i++) {
    const v = mean + (px[i] * brightness - mean) * contrast;
    px[i] = Math.min(255, Math.max(0, Math.round(v)));
  }
}

import { describe, expect, it } from 'vitest';
import type { RasterImage } from '../types.ts';
import { boxBlur3, cropRaster, downscaleRaster, downscaleShared, type Plane } from './raster.ts';

/** Deterministic, non-smooth bytes (every channel differs, so a channel mix-up shows). */
function bytes(length: number, seed: number): Uint8Array {
  const data = new Uint8Array(length);
  let s = seed;
  for (let i = 0; i < data.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    data[i] = s >>> 24;
  }
  return data;
}

function noise(width: number, height: number, channels: RasterImage['channels'], seed = 1): RasterImage {
  return { data: bytes(width * height * channels, seed), width, height, channels };
}

/** The definition: each output pixel is the rounded mean of its factor×factor block, per channel. */
function blockMeans(img: RasterImage, factor: number): Uint8Array {
  const w = Math.floor(img.width / factor);
  const h = Math.floor(img.height / factor);
  const out = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let c = 0; c < 3; c++) {
        let sum = 0;
        for (let dy = 0; dy < factor; dy++) for (let dx = 0; dx < factor; dx++) sum += img.data[((y * factor + dy) * img.width + x * factor + dx) * img.channels + c];
        out[(y * w + x) * 3 + c] = Math.round(sum / (factor * factor));
      }
    }
  }
  return out;
}

/** The definition: mean of the 3×3 neighbourhood, coordinates clamped to the plane. */
function blurByDefinition(p: Plane): Float32Array {
  const { width: w, height: h, data } = p;
  const at = (x: number, y: number) => data[Math.min(h - 1, Math.max(0, y)) * w + Math.min(w - 1, Math.max(0, x))];
  const tmp = new Float32Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) tmp[y * w + x] = (at(x - 1, y) + at(x, y) + at(x + 1, y)) / 3;
  const out = new Float32Array(w * h);
  const t = (x: number, y: number) => tmp[Math.min(h - 1, Math.max(0, y)) * w + x];
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[y * w + x] = (t(x, y - 1) + t(x, y) + t(x, y + 1)) / 3;
  return out;
}

describe('downscaleRaster', () => {
  it('gives the rounded block means for every factor, with RGB and RGBA input and ragged edges dropped', () => {
    for (const channels of [3, 4] as const) {
      const img = noise(37, 23, channels, channels);
      for (const factor of [2, 3, 4, 5]) {
        const small = downscaleRaster(img, factor);
        expect(small.width).toBe(Math.floor(37 / factor));
        expect(small.height).toBe(Math.floor(23 / factor));
        expect(small.channels).toBe(3);
        expect(Array.from(small.data)).toEqual(Array.from(blockMeans(img, factor)));
      }
    }
  });

  it('is shared per raster and factor, and recomputed for another raster', () => {
    const a = noise(16, 16, 3, 7);
    const b = { ...a };
    expect(downscaleShared(a, 4)).toBe(downscaleShared(a, 4));
    expect(downscaleShared(a, 2)).not.toBe(downscaleShared(a, 4));
    expect(downscaleShared(b, 4)).not.toBe(downscaleShared(a, 4));
    expect(Array.from(downscaleShared(b, 4).data)).toEqual(Array.from(downscaleRaster(a, 4).data));
  });
});

describe('boxBlur3', () => {
  it('matches the clamped 3×3 mean exactly, down to one-pixel-wide and one-pixel-high planes', () => {
    for (const [w, h] of [
      [1, 1],
      [1, 5],
      [6, 1],
      [2, 2],
      [9, 7],
    ]) {
      const plane: Plane = { data: Float32Array.from(bytes(w * h, w * 31 + h)), width: w, height: h };
      expect(Array.from(boxBlur3(plane).data)).toEqual(Array.from(blurByDefinition(plane)));
    }
  });
});

describe('cropRaster', () => {
  const img: RasterImage = { data: bytes(7 * 5 * 3, 3), width: 7, height: 5, channels: 3 };
  const px = (r: RasterImage, x: number, y: number) => [...r.data.subarray((y * r.width + x) * 3, (y * r.width + x) * 3 + 3)];

  it('copies the pixels inside the rectangle', () => {
    const c = cropRaster(img, 2, 1, 5, 4);
    expect([c.width, c.height, c.channels]).toEqual([3, 3, 3]);
    for (let y = 0; y < 3; y++) for (let x = 0; x < 3; x++) expect(px(c, x, y)).toEqual(px(img, x + 2, y + 1));
  });

  it('clamps a rectangle reaching outside the image and widens fractional edges outwards', () => {
    const c = cropRaster(img, -3.5, 2.2, 9, 4.1);
    expect([c.width, c.height]).toEqual([7, 3]);
    expect(px(c, 0, 0)).toEqual(px(img, 0, 2));
    expect(px(c, 6, 2)).toEqual(px(img, 6, 4));
  });

  it('gives an empty raster for a rectangle outside the image', () => {
    const c = cropRaster(img, 8, 0, 12, 3);
    expect([c.width, c.data.length]).toEqual([0, 0]);
  });
});

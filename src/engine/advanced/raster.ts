/**
 * Pixel plumbing the detectors share: luminance and chroma planes, area downscaling, box statistics.
 *
 * Detectors work on small float planes (a 214×135 card is enough to judge colour or blobs), so the whole
 * advanced stage stays within a few milliseconds per detector (issue 5: ≤ 30% extra latency).
 */
import type { RasterImage } from '../types.ts';

/** A single-channel float image, row-major. */
export interface Plane {
  data: Float32Array;
  width: number;
  height: number;
}

/** Integer pixel box, half-open: x0 ≤ x < x1. */
export interface PixelBox {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** ITU-R BT.601 luma, 0..255. */
export function lumaPlane(img: RasterImage): Plane {
  const { width, height, channels, data } = img;
  const out = new Float32Array(width * height);
  for (let i = 0, p = 0; i < out.length; i++, p += channels) {
    out[i] = 0.299 * data[p] + 0.587 * data[p + 1] + 0.114 * data[p + 2];
  }
  return { data: out, width, height };
}

/**
 * Area-average downscale by an integer factor (no aliasing: every source pixel counts once).
 * Used before colour and blob statistics, which do not need full resolution.
 */
export function downscaleRaster(img: RasterImage, factor: number): RasterImage {
  if (!Number.isInteger(factor) || factor < 1) throw new RangeError(`Expected positive integer for factor but received ${factor}`);
  if (factor === 1) return img;
  const width = Math.floor(img.width / factor);
  const height = Math.floor(img.height / factor);
  const ch = img.channels;
  const out = new Uint8Array(width * height * 3);
  const area = factor * factor;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let dy = 0; dy < factor; dy++) {
        let p = ((y * factor + dy) * img.width + x * factor) * ch;
        for (let dx = 0; dx < factor; dx++, p += ch) {
          r += img.data[p];
          g += img.data[p + 1];
          b += img.data[p + 2];
        }
      }
      const o = (y * width + x) * 3;
      out[o] = Math.round(r / area);
      out[o + 1] = Math.round(g / area);
      out[o + 2] = Math.round(b / area);
    }
  }
  return { data: out, width, height, channels: 3 };
}

/** 3×3 box blur (edges replicated). */
export function boxBlur3(p: Plane): Plane {
  const { width: w, height: h, data } = p;
  const tmp = new Float32Array(w * h);
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      tmp[i] = (data[x > 0 ? i - 1 : i] + data[i] + data[x < w - 1 ? i + 1 : i]) / 3;
    }
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      out[i] = (tmp[y > 0 ? i - w : i] + tmp[i] + tmp[y < h - 1 ? i + w : i]) / 3;
    }
  }
  return { data: out, width: w, height: h };
}

/** Value at quantile q (0..1) of an array (copies; fine for the few thousand values detectors use). */
export function quantile(values: ArrayLike<number>, q: number): number {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values as ArrayLike<number>).sort();
  const pos = Math.min(sorted.length - 1, Math.max(0, q * (sorted.length - 1)));
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export function median(values: ArrayLike<number>): number {
  return quantile(values, 0.5);
}

/** Clamp to [lo, hi]. */
export function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

/**
 * Maps a raw measurement onto 0..100 linearly between two calibration points (`at0` → 0, `at100` → 100),
 * clamped. Calibration points may be in either order.
 */
export function scoreBetween(value: number, at0: number, at100: number): number {
  return Math.round(clamp(((value - at0) / (at100 - at0)) * 100, 0, 100));
}

/**
 * Fixed-bin histogram for quantiles in O(n) (detectors take percentiles of thousands of pixels; sorting
 * them dominated their cost). Values are clamped to [lo, hi); resolution is (hi − lo) / bins.
 */
export class Histogram {
  readonly counts: Uint32Array;
  total = 0;
  constructor(
    readonly lo: number,
    readonly hi: number,
    readonly bins = 256,
  ) {
    this.counts = new Uint32Array(bins);
  }
  add(v: number): void {
    let b = Math.floor(((v - this.lo) / (this.hi - this.lo)) * this.bins);
    if (b < 0) b = 0;
    else if (b >= this.bins) b = this.bins - 1;
    this.counts[b]++;
    this.total++;
  }
  /** Value at quantile q (bin centre), NaN when empty. */
  quantile(q: number): number {
    if (this.total === 0) return NaN;
    const target = q * (this.total - 1);
    let seen = 0;
    for (let b = 0; b < this.bins; b++) {
      seen += this.counts[b];
      if (seen > target) return this.lo + ((b + 0.5) * (this.hi - this.lo)) / this.bins;
    }
    return this.hi;
  }
}

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

/** The pixels of `img` inside [x0, x1) × [y0, y1) (integers, clamped to the image), copied. */
export function cropRaster(img: RasterImage, x0: number, y0: number, x1: number, y1: number): RasterImage {
  const left = Math.max(0, Math.min(img.width, Math.floor(x0)));
  const top = Math.max(0, Math.min(img.height, Math.floor(y0)));
  const width = Math.max(0, Math.min(img.width, Math.ceil(x1)) - left);
  const height = Math.max(0, Math.min(img.height, Math.ceil(y1)) - top);
  const ch = img.channels;
  const out = new Uint8Array(width * height * ch);
  for (let y = 0; y < height; y++) out.set(img.data.subarray(((top + y) * img.width + left) * ch, ((top + y) * img.width + left + width) * ch), y * width * ch);
  return { data: out, width, height, channels: ch };
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
  const src = img.data;
  const out = new Uint8Array(width * height * 3);
  const area = factor * factor;
  if (factor === 2) {
    // The common case (quality's half-size card) unrolled: four reads per channel, no inner loops.
    const stride = img.width * ch;
    for (let y = 0, o = 0; y < height; y++) {
      let p = 2 * y * stride;
      for (let x = 0; x < width; x++, p += 2 * ch, o += 3) {
        const q = p + stride;
        // (sum + 2) >> 2 is Math.round(sum / 4) for non-negative integers.
        out[o] = (src[p] + src[p + ch] + src[q] + src[q + ch] + 2) >> 2;
        out[o + 1] = (src[p + 1] + src[p + ch + 1] + src[q + 1] + src[q + ch + 1] + 2) >> 2;
        out[o + 2] = (src[p + 2] + src[p + ch + 2] + src[q + 2] + src[q + ch + 2] + 2) >> 2;
      }
    }
    return { data: out, width, height, channels: 3 };
  }
  if (factor === 4) {
    // The detectors' ¼-size grid, unrolled: per output pixel, four source rows of four pixels. The sums
    // are integers, so the order of the additions cannot change them; (sum + 8) >> 4 is Math.round(sum / 16)
    // for non-negative integers.
    const stride = img.width * ch;
    for (let y = 0, o = 0; y < height; y++) {
      const r0 = 4 * y * stride;
      for (let x = 0; x < width; x++, o += 3) {
        let r = 0;
        let g = 0;
        let b = 0;
        for (let p = r0 + 4 * x * ch, end = p + 4 * stride; p < end; p += stride) {
          const p1 = p + ch;
          const p2 = p1 + ch;
          const p3 = p2 + ch;
          r += src[p] + src[p1] + src[p2] + src[p3];
          g += src[p + 1] + src[p1 + 1] + src[p2 + 1] + src[p3 + 1];
          b += src[p + 2] + src[p1 + 2] + src[p2 + 2] + src[p3 + 2];
        }
        out[o] = (r + 8) >> 4;
        out[o + 1] = (g + 8) >> 4;
        out[o + 2] = (b + 8) >> 4;
      }
    }
    return { data: out, width, height, channels: 3 };
  }
  // Integer sums per output pixel, gathered a source row at a time (contiguous reads): the same sums as a
  // block-by-block walk, so the same rounded means.
  const acc = new Uint32Array(width * 3);
  for (let y = 0; y < height; y++) {
    acc.fill(0);
    for (let dy = 0; dy < factor; dy++) {
      let p = (y * factor + dy) * img.width * ch;
      for (let a = 0; a < width * 3; a += 3) {
        let r = 0;
        let g = 0;
        let b = 0;
        for (let dx = 0; dx < factor; dx++, p += ch) {
          r += src[p];
          g += src[p + 1];
          b += src[p + 2];
        }
        acc[a] += r;
        acc[a + 1] += g;
        acc[a + 2] += b;
      }
    }
    const o = y * width * 3;
    for (let k = 0; k < width * 3; k++) out[o + k] = Math.round(acc[k] / area);
  }
  return { data: out, width, height, channels: 3 };
}

const downscaled = new WeakMap<RasterImage, Map<number, RasterImage>>();

/**
 * downscaleRaster, remembered per source raster: several detectors look at the same rectified card at
 * the same ¼ size (occlusion, photocopy), and the card object lives exactly as long as the request.
 * Callers must treat the result as read-only (it is shared).
 */
export function downscaleShared(img: RasterImage, factor: number): RasterImage {
  let byFactor = downscaled.get(img);
  if (!byFactor) downscaled.set(img, (byFactor = new Map()));
  let out = byFactor.get(factor);
  if (!out) byFactor.set(factor, (out = downscaleRaster(img, factor)));
  return out;
}

/**
 * 3×3 box blur (edges replicated). The border pixels are handled apart from the interior so the inner
 * loops carry no bounds tests; every pixel still sums the same three values in the same order.
 */
export function boxBlur3(p: Plane): Plane {
  const { width: w, height: h, data } = p;
  const tmp = new Float32Array(w * h);
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    const row = y * w;
    if (w === 1) {
      tmp[row] = (data[row] + data[row] + data[row]) / 3;
      continue;
    }
    tmp[row] = (data[row] + data[row] + data[row + 1]) / 3;
    for (let i = row + 1, end = row + w - 1; i < end; i++) tmp[i] = (data[i - 1] + data[i] + data[i + 1]) / 3;
    const last = row + w - 1;
    tmp[last] = (data[last - 1] + data[last] + data[last]) / 3;
  }
  if (h === 1) {
    for (let i = 0; i < w; i++) out[i] = (tmp[i] + tmp[i] + tmp[i]) / 3;
    return { data: out, width: w, height: h };
  }
  for (let i = 0; i < w; i++) out[i] = (tmp[i] + tmp[i] + tmp[i + w]) / 3;
  for (let i = w, end = (h - 1) * w; i < end; i++) out[i] = (tmp[i - w] + tmp[i] + tmp[i + w]) / 3;
  for (let i = (h - 1) * w; i < h * w; i++) out[i] = (tmp[i - w] + tmp[i] + tmp[i]) / 3;
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

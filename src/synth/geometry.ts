/**
 * Plane geometry for placing cards in scenes: homographies from four point pairs and a perspective warp on
 * raw buffers. Labels are computed by pushing the card's own corners through the same matrix that moves
 * its pixels, so the quads in labels.json are exact by construction.
 *
 * Pixel convention: pixel (i, j) covers [i, i+1) × [j, j+1); its centre is (i + 0.5, j + 0.5). Quads are
 * continuous coordinates, so a card filling a W × H image has corners (0,0) (W,0) (W,H) (0,H).
 */
import type { Homography, Point, Quad } from '../engine/types.ts';
import { applyHomography, invertHomography, mapQuad, quadArea, rectQuad } from '../geometry/homography.ts';

export { applyHomography, homographyFromQuads, invertHomography, mapQuad, multiplyHomography, quadArea, rectQuad } from '../geometry/homography.ts';

export interface Canvas8 {
  data: Uint8Array;
  width: number;
  height: number;
  channels: 3 | 4;
}

/**
 * Warps `src` (RGBA, straight alpha) into `dst` through `H` (src pixel coords → dst pixel coords), blending
 * by the source alpha times `opacity`. Bilinear sampling; only the destination quad's bounding box is visited.
 * `shade(x, y)` optionally multiplies the source colour (lighting that belongs to the card, not the scene).
 */
export function warpOnto(dst: Canvas8, src: Canvas8, H: Homography, opacity = 1): void {
  if (src.channels !== 4) throw new TypeError(`Expected an RGBA source but received ${src.channels} channels`);
  const corners = mapQuad(H, rectQuad(0, 0, src.width, src.height));
  const ys = corners.map((p) => p.y);
  const by0 = Math.max(0, Math.floor(Math.min(...ys)));
  const by1 = Math.min(dst.height, Math.ceil(Math.max(...ys)));
  const Hi = invertHomography(H);
  const [a, b, c, d, e, f, g, h, i] = Hi;
  const sw = src.width;
  const sh = src.height;
  const s = src.data;
  const o = dst.data;
  const dc = dst.channels;
  const maxX = sw - 1;
  const maxY = sh - 1;
  for (let y = by0; y < by1; y++) {
    // Only the row's span inside the (convex) destination quad, padded for the anti-aliased edge.
    const span = rowSpan(corners, y + 0.5, 1.5);
    if (!span) continue;
    const x0 = Math.max(0, Math.floor(span[0]));
    const x1 = Math.min(dst.width, Math.ceil(span[1]));
    const py = y + 0.5;
    for (let x = x0; x < x1; x++) {
      const px = x + 0.5;
      const w = g * px + h * py + i;
      // Sample position in source pixel-centre coordinates.
      const u = (a * px + b * py + c) / w - 0.5;
      const v = (d * px + e * py + f) / w - 0.5;
      if (u < -1 || v < -1 || u > sw || v > sh) continue;
      const ix = Math.floor(u);
      const iy = Math.floor(v);
      const fx = u - ix;
      const fy = v - iy;
      let r: number;
      let gg: number;
      let bb: number;
      let al: number;
      if (ix >= 0 && iy >= 0 && ix < maxX && iy < maxY) {
        const i00 = (iy * sw + ix) * 4;
        const i10 = i00 + 4;
        const i01 = i00 + sw * 4;
        const i11 = i01 + 4;
        const w00 = (1 - fx) * (1 - fy) * s[i00 + 3];
        const w10 = fx * (1 - fy) * s[i10 + 3];
        const w01 = (1 - fx) * fy * s[i01 + 3];
        const w11 = fx * fy * s[i11 + 3];
        al = w00 + w10 + w01 + w11;
        if (al <= 0) continue;
        r = s[i00] * w00 + s[i10] * w10 + s[i01] * w01 + s[i11] * w11;
        gg = s[i00 + 1] * w00 + s[i10 + 1] * w10 + s[i01 + 1] * w01 + s[i11 + 1] * w11;
        bb = s[i00 + 2] * w00 + s[i10 + 2] * w10 + s[i01 + 2] * w01 + s[i11 + 2] * w11;
      } else {
        // Border: outside the source counts as transparent.
        r = gg = bb = al = 0;
        for (let k = 0; k < 4; k++) {
          const sx = ix + (k & 1);
          const sy = iy + (k >> 1);
          if (sx < 0 || sy < 0 || sx >= sw || sy >= sh) continue;
          const si = (sy * sw + sx) * 4;
          const wt = ((k & 1) ? fx : 1 - fx) * ((k >> 1) ? fy : 1 - fy) * s[si + 3];
          r += s[si] * wt;
          gg += s[si + 1] * wt;
          bb += s[si + 2] * wt;
          al += wt;
        }
        if (al <= 0) continue;
      }
      const alpha = (al / 255) * opacity;
      const di = (y * dst.width + x) * dc;
      if (alpha >= 0.999) {
        o[di] = r / al;
        o[di + 1] = gg / al;
        o[di + 2] = bb / al;
      } else {
        o[di] = o[di] * (1 - alpha) + (r / al) * alpha;
        o[di + 1] = o[di + 1] * (1 - alpha) + (gg / al) * alpha;
        o[di + 2] = o[di + 2] * (1 - alpha) + (bb / al) * alpha;
      }
      if (dc === 4) o[di + 3] = Math.max(o[di + 3], al);
    }
  }
}

/**
 * The x-interval where the horizontal line at `y` crosses a convex quad, widened by `pad`; null when it
 * misses. Lets per-row loops skip the empty corners of a rotated quad's bounding box.
 */
export function rowSpan(q: readonly Point[], y: number, pad = 0): [number, number] | null {
  let lo = Infinity;
  let hi = -Infinity;
  for (let k = 0; k < q.length; k++) {
    const p = q[k];
    const n = q[(k + 1) % q.length];
    const ya = Math.min(p.y, n.y) - pad;
    const yb = Math.max(p.y, n.y) + pad;
    if (y < ya || y > yb) continue;
    let x: number;
    if (Math.abs(n.y - p.y) < 1e-9) {
      lo = Math.min(lo, p.x, n.x);
      hi = Math.max(hi, p.x, n.x);
      continue;
    }
    const t = Math.min(1, Math.max(0, (y - p.y) / (n.y - p.y)));
    x = p.x + t * (n.x - p.x);
    lo = Math.min(lo, x);
    hi = Math.max(hi, x);
  }
  return lo <= hi ? [lo - pad, hi + pad] : null;
}

export function quadInside(q: Quad, width: number, height: number, margin = 0): boolean {
  return q.every((p) => p.x >= -margin && p.y >= -margin && p.x <= width + margin && p.y <= height + margin);
}

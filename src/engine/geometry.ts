/**
 * Plane geometry for locating and rectifying cards: least-squares homography / affine / similarity fits
 * from point correspondences, mapping points and quads, and a bilinear perspective warp.
 *
 * Convention (shared with advanced/warp.ts): canonical coordinates are continuous, the card spans
 * [0, 856] × [0, 540]; pixel (u, v) covers [u, u+1) × [v, v+1), so its centre is (u + 0.5, v + 0.5).
 */
import { applyHomography, invertHomography, multiplyHomography, rowInside } from '../geometry/homography.ts';
import type { Homography, Point, Quad, RasterImage } from './types.ts';

export { applyHomography, invertHomography, mapQuad, multiplyHomography, quadArea } from '../geometry/homography.ts';

/** Solves the symmetric positive (semi)definite normal equations by Gaussian elimination with pivoting. */
function solve(A: number[][], b: number[]): number[] | null {
  const n = b.length;
  const M = A.map((row, i) => [...row, b[i]]);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(M[r][col]) > Math.abs(M[pivot][col])) pivot = r;
    if (Math.abs(M[pivot][col]) < 1e-10) return null;
    [M[col], M[pivot]] = [M[pivot], M[col]];
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = M[r][col] / M[col][col];
      if (f === 0) continue;
      for (let c = col; c <= n; c++) M[r][c] -= f * M[col][c];
    }
  }
  return M.map((row, i) => row[n] / row[i]);
}

/** Least squares over rows `a·x = b` (with weights), via the normal equations. */
function leastSquares(rows: number[][], rhs: number[], weights: number[]): number[] | null {
  const n = rows[0].length;
  const AtA = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  const Atb = new Array<number>(n).fill(0);
  rows.forEach((r, k) => {
    const w = weights[k];
    for (let i = 0; i < n; i++) {
      Atb[i] += w * r[i] * rhs[k];
      for (let j = 0; j < n; j++) AtA[i][j] += w * r[i] * r[j];
    }
  });
  return solve(AtA, Atb);
}

/**
 * Hartley normalisation: translate to the centroid and scale to mean distance √2, which keeps the DLT
 * well conditioned when coordinates are in the hundreds or thousands (Hartley & Zisserman §4.4).
 */
function normaliser(pts: Point[]): Homography {
  const cx = pts.reduce((a, p) => a + p.x, 0) / pts.length;
  const cy = pts.reduce((a, p) => a + p.y, 0) / pts.length;
  const d = pts.reduce((a, p) => a + Math.hypot(p.x - cx, p.y - cy), 0) / pts.length || 1;
  const s = Math.SQRT2 / d;
  return [s, 0, -s * cx, 0, s, -s * cy, 0, 0, 1];
}

export interface Correspondence {
  from: Point;
  to: Point;
  weight?: number;
}

/** Least-squares homography `from → to` (≥ 4 correspondences in general position), or null. */
export function fitHomography(cs: Correspondence[]): Homography | null {
  if (cs.length < 4) return null;
  const Tf = normaliser(cs.map((c) => c.from));
  const Tt = normaliser(cs.map((c) => c.to));
  const rows: number[][] = [];
  const rhs: number[] = [];
  const w: number[] = [];
  for (const c of cs) {
    const { x, y } = applyHomography(Tf, c.from);
    const { x: X, y: Y } = applyHomography(Tt, c.to);
    rows.push([x, y, 1, 0, 0, 0, -x * X, -y * X]);
    rhs.push(X);
    rows.push([0, 0, 0, x, y, 1, -x * Y, -y * Y]);
    rhs.push(Y);
    w.push(c.weight ?? 1, c.weight ?? 1);
  }
  const s = leastSquares(rows, rhs, w);
  if (!s) return null;
  const Hn: Homography = [s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], 1];
  const H = multiplyHomography(invertHomography(Tt), multiplyHomography(Hn, Tf));
  return H[8] !== 0 ? (H.map((v) => v / H[8]) as Homography) : null;
}

/** Least-squares affine map (≥ 3 correspondences), as a homography with last row 0 0 1. */
export function fitAffine(cs: Correspondence[]): Homography | null {
  if (cs.length < 3) return null;
  const rows: number[][] = [];
  const rhs: number[] = [];
  const w: number[] = [];
  for (const c of cs) {
    rows.push([c.from.x, c.from.y, 1, 0, 0, 0]);
    rhs.push(c.to.x);
    rows.push([0, 0, 0, c.from.x, c.from.y, 1]);
    rhs.push(c.to.y);
    w.push(c.weight ?? 1, c.weight ?? 1);
  }
  const s = leastSquares(rows, rhs, w);
  return s ? [s[0], s[1], s[2], s[3], s[4], s[5], 0, 0, 1] : null;
}

/** Least-squares similarity (rotation, uniform scale, translation; ≥ 2 correspondences). */
export function fitSimilarity(cs: Correspondence[]): Homography | null {
  if (cs.length < 2) return null;
  // x' = a x − b y + tx, y' = b x + a y + ty
  const rows: number[][] = [];
  const rhs: number[] = [];
  const w: number[] = [];
  for (const c of cs) {
    rows.push([c.from.x, -c.from.y, 1, 0]);
    rhs.push(c.to.x);
    rows.push([c.from.y, c.from.x, 0, 1]);
    rhs.push(c.to.y);
    w.push(c.weight ?? 1, c.weight ?? 1);
  }
  const s = leastSquares(rows, rhs, w);
  return s ? [s[0], -s[1], s[2], s[1], s[0], s[3], 0, 0, 1] : null;
}

/** Exact homography taking the rectangle [0,w]×[0,h] to a quad (clockwise from top-left). */
export function rectToQuad(w: number, h: number, q: Quad): Homography | null {
  return fitHomography([
    { from: { x: 0, y: 0 }, to: q[0] },
    { from: { x: w, y: 0 }, to: q[1] },
    { from: { x: w, y: h }, to: q[2] },
    { from: { x: 0, y: h }, to: q[3] },
  ]);
}

/** True when the quad is convex and clockwise (a plausible view of a flat card). */
export function isConvexClockwise(q: Quad): boolean {
  for (let i = 0; i < 4; i++) {
    const a = q[i];
    const b = q[(i + 1) % 4];
    const c = q[(i + 2) % 4];
    const cross = (b.x - a.x) * (c.y - b.y) - (b.y - a.y) * (c.x - b.x);
    if (cross <= 0) return false;
  }
  return true;
}

/**
 * One bilinear RGB sample into `out[o..o+2]`: the pixels at `tl`, `tr`, `bl`, `br` (top-left, top-right,
 * bottom-left, bottom-right; the first three bytes of each) weighted by the fractional position (fx, fy),
 * rounded. Shared by the warps so each sums in the same order.
 */
export function bilinearRgb(data: Uint8Array, tl: number, tr: number, bl: number, br: number, fx: number, fy: number, out: Uint8Array, o: number): void {
  const gx = 1 - fx;
  const gy = 1 - fy;
  const w00 = gx * gy;
  const w01 = fx * gy;
  const w10 = gx * fy;
  const w11 = fx * fy;
  out[o] = data[tl] * w00 + data[tr] * w01 + data[bl] * w10 + data[br] * w11 + 0.5;
  out[o + 1] = data[tl + 1] * w00 + data[tr + 1] * w01 + data[bl + 1] * w10 + data[br + 1] * w11 + 0.5;
  out[o + 2] = data[tl + 2] * w00 + data[tr + 2] * w01 + data[bl + 2] * w10 + data[br + 2] * w11 + 0.5;
}

/**
 * Samples `src` through `outToSrc` (output pixel centre → source coordinates) into a `width`×`height` RGB
 * raster. Bilinear; outside the source the nearest edge pixel is repeated.
 */
export function warpPerspective(src: RasterImage, outToSrc: Homography, width: number, height: number): RasterImage {
  const out = new Uint8Array(width * height * 3);
  const { data, width: W, height: H, channels: C } = src;
  const maxX = W - 1;
  const maxY = H - 1;
  const rowStep = W * C;
  const [a, b, c, d, e, f, g, h, k] = outToSrc;
  let o = 0;
  for (let v = 0; v < height; v++) {
    const yc = v + 0.5;
    // The row's products, hoisted: each sum below is still formed in the same order, so every source
    // coordinate (and pixel) is bit for bit what the plain formula gives.
    const byc = b * yc;
    const eyc = e * yc;
    const hyc = h * yc;
    if (rowInside(a * 0.5 + byc + c, d * 0.5 + eyc + f, g * 0.5 + hyc + k, a, d, g, width, W, H)) {
      // Every sample of the row and its right and lower neighbours lie in the source: no clamping.
      for (let u = 0; u < width; u++) {
        const xc = u + 0.5;
        const w = g * xc + hyc + k;
        const x = (a * xc + byc + c) / w - 0.5;
        const y = (d * xc + eyc + f) / w - 0.5;
        const x0 = x | 0;
        const y0 = y | 0;
        const fx = x - x0;
        const fy = y - y0;
        const i00 = (y0 * W + x0) * C;
        const i01 = i00 + C;
        const i10 = i00 + rowStep;
        const i11 = i10 + C;
        bilinearRgb(data, i00, i01, i10, i11, fx, fy, out, o);
        o += 3;
      }
      continue;
    }
    for (let u = 0; u < width; u++) {
      const xc = u + 0.5;
      const w = g * xc + hyc + k;
      // Source pixel centres sit at integer + 0.5: shift back to array indices.
      let x = (a * xc + byc + c) / w - 0.5;
      let y = (d * xc + eyc + f) / w - 0.5;
      x = x < 0 ? 0 : x > maxX ? maxX : x;
      y = y < 0 ? 0 : y > maxY ? maxY : y;
      const x0 = x | 0;
      const y0 = y | 0;
      const fx = x - x0;
      const fy = y - y0;
      const i00 = (y0 * W + x0) * C;
      const i01 = x0 < maxX ? i00 + C : i00;
      const i10 = y0 < maxY ? i00 + rowStep : i00;
      const i11 = x0 < maxX ? i10 + C : i10;
      bilinearRgb(data, i00, i01, i10, i11, fx, fy, out, o);
      o += 3;
    }
  }
  return { data: out, width, height, channels: 3 };
}

/**
 * Plane projective geometry shared by the generator (placing cards in scenes), recognition (rectifying
 * them) and the advanced stage (re-warping crops): 3×3 homographies, row-major, acting on points.
 *
 * Pixel convention everywhere: pixel (i, j) covers [i, i+1) × [j, j+1), its centre is (i + 0.5, j + 0.5);
 * quads are continuous coordinates, clockwise from the card's own top-left.
 */
import type { Homography, Point, Quad } from '../engine/types.ts';

export function applyHomography(h: Homography, p: Point): Point {
  const w = h[6] * p.x + h[7] * p.y + h[8];
  return { x: (h[0] * p.x + h[1] * p.y + h[2]) / w, y: (h[3] * p.x + h[4] * p.y + h[5]) / w };
}

export function mapQuad(h: Homography, q: Quad): Quad {
  return q.map((p) => applyHomography(h, p)) as Quad;
}

export function invertHomography(h: Homography): Homography {
  const [a, b, c, d, e, f, g, k, l] = h;
  const A = e * l - f * k;
  const B = -(d * l - f * g);
  const C = d * k - e * g;
  const det = a * A + b * B + c * C;
  if (!Number.isFinite(det) || Math.abs(det) < 1e-15) throw new RangeError('Expected an invertible homography but received a singular one');
  const inv = [A, -(b * l - c * k), b * f - c * e, B, a * l - c * g, -(a * f - c * d), C, -(a * k - b * g), a * e - b * d];
  return inv.map((v) => v / det) as Homography;
}

/** The product `a · b`: maps a point through `b` first, then through `a`. */
export function multiplyHomography(a: Homography, b: Homography): Homography {
  const out = new Array<number>(9);
  for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) out[r * 3 + c] = a[r * 3] * b[c] + a[r * 3 + 1] * b[3 + c] + a[r * 3 + 2] * b[6 + c];
  return out as Homography;
}

/** The exact homography taking four points `src[i]` to `dst[i]` (h33 = 1); throws on a degenerate quad. */
export function homographyFromQuads(src: readonly Point[], dst: readonly Point[]): Homography {
  const A: number[][] = [];
  for (let i = 0; i < 4; i++) {
    const { x, y } = src[i];
    const { x: u, y: v } = dst[i];
    A.push([x, y, 1, 0, 0, 0, -u * x, -u * y, u]);
    A.push([0, 0, 0, x, y, 1, -v * x, -v * y, v]);
  }
  // Gauss–Jordan with partial pivoting on the augmented 8×9 matrix.
  for (let c = 0; c < 8; c++) {
    let p = c;
    for (let r = c + 1; r < 8; r++) if (Math.abs(A[r][c]) > Math.abs(A[p][c])) p = r;
    if (Math.abs(A[p][c]) < 1e-12) throw new RangeError('Expected four points in general position but received a degenerate quadrilateral');
    [A[c], A[p]] = [A[p], A[c]];
    for (let r = 0; r < 8; r++) {
      if (r === c) continue;
      const f = A[r][c] / A[c][c];
      for (let k = c; k < 9; k++) A[r][k] -= f * A[c][k];
    }
  }
  const h = A.map((row, i) => row[8] / row[i]);
  return [h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], 1];
}

/** The axis-aligned rectangle [x0,x1]×[y0,y1] as a clockwise quad. */
export function rectQuad(x0: number, y0: number, x1: number, y1: number): Quad {
  return [{ x: x0, y: y0 }, { x: x1, y: y0 }, { x: x1, y: y1 }, { x: x0, y: y1 }];
}

/** Signed area (shoelace); positive for clockwise quads in image coordinates (y down). */
export function quadArea(q: Quad): number {
  let s = 0;
  for (let k = 0; k < 4; k++) {
    const p = q[k];
    const n = q[(k + 1) % 4];
    s += p.x * n.y - n.x * p.y;
  }
  return s / 2;
}

/**
 * Whether a row of `n` samples, starting at homogeneous (X, Y, W) and stepping by (dX, dY, dW), lies with
 * its bilinear neighbours inside a `sw`×`sh` source: true when both ends do (a projective map keeps the
 * row a straight segment), with a margin far above the rounding of the stepped sums, so that clamping
 * would change no sample.
 */
export function rowInside(X: number, Y: number, W: number, dX: number, dY: number, dW: number, n: number, sw: number, sh: number): boolean {
  const MARGIN = 1e-6;
  const Xe = X + dX * (n - 1);
  const Ye = Y + dY * (n - 1);
  const We = W + dW * (n - 1);
  // Both ends in front of the camera (a change of sign between them would put the row through infinity).
  if (!(W > 0 && We > 0) && !(W < 0 && We < 0)) return false;
  const xs = [X / W - 0.5, Xe / We - 0.5];
  const ys = [Y / W - 0.5, Ye / We - 0.5];
  return xs.every((x) => x >= MARGIN && x < sw - 1 - MARGIN) && ys.every((y) => y >= MARGIN && y < sh - 1 - MARGIN);
}

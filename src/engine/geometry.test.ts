import { describe, expect, it } from 'vitest';
import { applyHomography, fitAffine, fitHomography, fitSimilarity, invertHomography, isConvexClockwise, mapQuad, rectToQuad, warpPerspective } from './geometry.ts';
import type { Homography, Point, Quad, RasterImage } from './types.ts';

const H: Homography = [0.9, -0.2, 40, 0.15, 1.1, -25, 0.0002, -0.0001, 1];
const grid: Point[] = [];
for (let x = 0; x <= 800; x += 200) for (let y = 0; y <= 500; y += 125) grid.push({ x, y });

describe('fits', () => {
  it('recovers a homography from exact correspondences', () => {
    const h = fitHomography(grid.map((p) => ({ from: p, to: applyHomography(H, p) })))!;
    for (const p of grid) {
      const a = applyHomography(h, p);
      const b = applyHomography(H, p);
      expect(Math.hypot(a.x - b.x, a.y - b.y)).toBeLessThan(1e-6);
    }
  });

  it('recovers a similarity from two points and an affine map from three', () => {
    const S: Homography = [0.8, -0.6, 10, 0.6, 0.8, 20, 0, 0, 1];
    const s = fitSimilarity([{ x: 0, y: 0 }, { x: 100, y: 30 }].map((p) => ({ from: p, to: applyHomography(S, p) })))!;
    expect(applyHomography(s, { x: 50, y: 50 }).x).toBeCloseTo(applyHomography(S, { x: 50, y: 50 }).x, 6);
    const A: Homography = [1.2, 0.3, 5, -0.1, 0.9, 7, 0, 0, 1];
    const a = fitAffine([{ x: 0, y: 0 }, { x: 100, y: 0 }, { x: 0, y: 100 }].map((p) => ({ from: p, to: applyHomography(A, p) })))!;
    expect(applyHomography(a, { x: 70, y: 40 }).y).toBeCloseTo(applyHomography(A, { x: 70, y: 40 }).y, 6);
  });

  it('returns null with too few points', () => {
    expect(fitHomography(grid.slice(0, 3).map((p) => ({ from: p, to: p })))).toBeNull();
    expect(fitSimilarity([{ from: { x: 0, y: 0 }, to: { x: 0, y: 0 } }])).toBeNull();
  });

  it('inverts and maps quads', () => {
    const inv = invertHomography(H);
    const p = applyHomography(inv, applyHomography(H, { x: 123, y: 45 }));
    expect(p.x).toBeCloseTo(123, 6);
    const q: Quad = [{ x: 10, y: 10 }, { x: 90, y: 20 }, { x: 80, y: 70 }, { x: 15, y: 60 }];
    const h = rectToQuad(100, 50, q)!;
    expect(mapQuad(h, [{ x: 0, y: 0 }, { x: 100, y: 0 }, { x: 100, y: 50 }, { x: 0, y: 50 }])[2].x).toBeCloseTo(80, 6);
    expect(isConvexClockwise(q)).toBe(true);
    expect(isConvexClockwise([q[0], q[3], q[2], q[1]])).toBe(false);
  });
});

describe('warpPerspective', () => {
  it('samples through the map with pixel centres at +0.5', () => {
    const src: RasterImage = { data: new Uint8Array(4 * 4 * 3), width: 4, height: 4, channels: 3 };
    for (let i = 0; i < 16; i++) src.data.fill(i * 10, i * 3, i * 3 + 3);
    // Output 2×2 covers the source's right half, top half: out (u,v) centre → src (2 + u + .5, v + .5).
    const out = warpPerspective(src, [1, 0, 2, 0, 1, 0, 0, 0, 1], 2, 2);
    expect([...out.data.filter((_, i) => i % 3 === 0)]).toEqual([20, 30, 60, 70]);
  });

  it.each([
    ['reaching outside the source on two sides (edges repeated)', [{ x: -3, y: 2 }, { x: 35, y: -1.5 }, { x: 40, y: 25 }, { x: 1.2, y: 20.7 }]],
    ['inside the source (rows sampled without clamping)', [{ x: 2.5, y: 2 }, { x: 33, y: 1.2 }, { x: 34.6, y: 20.1 }, { x: 1.2, y: 19.7 }]],
  ] as Array<[string, Quad]>)('gives, pixel for pixel, the plain bilinear formula through a perspective map %s', (_, quad) => {
    const src: RasterImage = { data: Uint8Array.from({ length: 37 * 23 * 3 }, (_, i) => (i * 97 + ((i * i) % 89)) & 255), width: 37, height: 23, channels: 3 };
    // Output 31×19 → a tilted, foreshortened quad.
    const h = rectToQuad(31, 19, quad)!;
    const out = warpPerspective(src, h, 31, 19);
    for (let v = 0; v < 19; v++) {
      for (let u = 0; u < 31; u++) {
        const w = h[6] * (u + 0.5) + h[7] * (v + 0.5) + h[8];
        const x = Math.min(36, Math.max(0, (h[0] * (u + 0.5) + h[1] * (v + 0.5) + h[2]) / w - 0.5));
        const y = Math.min(22, Math.max(0, (h[3] * (u + 0.5) + h[4] * (v + 0.5) + h[5]) / w - 0.5));
        const x0 = Math.floor(x);
        const y0 = Math.floor(y);
        const px = (xx: number, yy: number, k: number) => src.data[(Math.min(22, yy) * 37 + Math.min(36, xx)) * 3 + k];
        for (let k = 0; k < 3; k++) {
          const fx = x - x0;
          const fy = y - y0;
          const want = px(x0, y0, k) * (1 - fx) * (1 - fy) + px(x0 + 1, y0, k) * fx * (1 - fy) + px(x0, y0 + 1, k) * (1 - fx) * fy + px(x0 + 1, y0 + 1, k) * fx * fy;
          expect(Math.abs(out.data[(v * 31 + u) * 3 + k] - want)).toBeLessThanOrEqual(0.5 + 1e-9);
        }
      }
    }
  });
});

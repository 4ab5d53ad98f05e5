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
});

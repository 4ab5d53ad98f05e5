import { describe, expect, it } from 'vitest';
import { boxesFromProbabilityMap, convexHull } from './detect.ts';
import type { Quad } from './types.ts';

const OPTS = { binThresh: 0.3, boxThresh: 0.6, unclipRatio: 1.5, maxCandidates: 1000 };

/** A probability map with `value` inside the given axis-aligned pixel ranges (inclusive) and 0.05 elsewhere. */
function mapWith(width: number, height: number, rects: Array<[x0: number, y0: number, x1: number, y1: number, value: number]>): Float32Array {
  const m = new Float32Array(width * height).fill(0.05);
  for (const [x0, y0, x1, y1, v] of rects) for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) m[y * width + x] = v;
  return m;
}

const round = (q: Quad) => q.map((p) => [Math.round(p.x * 100) / 100, Math.round(p.y * 100) / 100]);

describe('boxesFromProbabilityMap (DB post-processing)', () => {
  it('grows a kernel back by area × ratio / perimeter, corners clockwise from top-left', () => {
    // Kernel pixel centres span x 10..50, y 20..30: w = 40, h = 10 → d = 400 × 1.5 / 100 = 6.
    const boxes = boxesFromProbabilityMap(mapWith(80, 50, [[10, 20, 50, 30, 0.9]]), 80, 50, OPTS);
    expect(boxes).toHaveLength(1);
    expect(boxes[0].score).toBeCloseTo(0.9, 5);
    expect(round(boxes[0].quad)).toEqual([[4, 14], [56, 14], [56, 36], [4, 36]]);
  });

  it('keeps a tall box tall (top-left stays top-left) for recognition to turn', () => {
    const boxes = boxesFromProbabilityMap(mapWith(60, 80, [[20, 10, 28, 60, 0.95]]), 60, 80, OPTS);
    expect(boxes).toHaveLength(1);
    const [tl, tr, br, bl] = boxes[0].quad;
    expect(tl.x).toBeLessThan(tr.x);
    expect(tr.y).toBeLessThan(br.y);
    expect(bl.x).toBeLessThan(br.x);
    expect(tl.y).toBeLessThan(bl.y);
  });

  it('drops components scoring under boxThresh and specks under 3 px', () => {
    const boxes = boxesFromProbabilityMap(
      mapWith(100, 60, [
        [5, 5, 40, 15, 0.5], // above binThresh, below boxThresh
        [80, 5, 81, 20, 0.99], // 1 px wide after fitting
        [5, 30, 60, 45, 0.8], // a real line
      ]),
      100,
      60,
      OPTS,
    );
    expect(boxes).toHaveLength(1);
    expect(boxes[0].score).toBeCloseTo(0.8, 5);
  });

  it('fits a rotated kernel with a rotated rectangle, first edge pointing right', () => {
    const w = 120, h = 120;
    const m = new Float32Array(w * h);
    const angle = (20 * Math.PI) / 180;
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
      const dx = x - 60, dy = y - 60;
      const u = dx * Math.cos(angle) + dy * Math.sin(angle);
      const v = -dx * Math.sin(angle) + dy * Math.cos(angle);
      m[y * w + x] = Math.abs(u) <= 40 && Math.abs(v) <= 8 ? 0.9 : 0.02;
    }
    const [box] = boxesFromProbabilityMap(m, w, h, OPTS);
    const [tl, tr, , bl] = box.quad;
    expect((Math.atan2(tr.y - tl.y, tr.x - tl.x) * 180) / Math.PI).toBeCloseTo(20, 0);
    expect(Math.hypot(tr.x - tl.x, tr.y - tl.y)).toBeGreaterThan(Math.hypot(bl.x - tl.x, bl.y - tl.y) * 2.5);
  });

  it('separates lines with one background row between them', () => {
    const boxes = boxesFromProbabilityMap(mapWith(100, 60, [[5, 5, 90, 14, 0.9], [5, 16, 90, 25, 0.85]]), 100, 60, OPTS);
    expect(boxes.map((b) => Math.round(b.score * 100))).toEqual([90, 85]);
  });
});

describe('convexHull', () => {
  it('drops interior and collinear points', () => {
    const hull = convexHull([{ x: 0, y: 0 }, { x: 2, y: 0 }, { x: 4, y: 0 }, { x: 4, y: 4 }, { x: 0, y: 4 }, { x: 2, y: 2 }]);
    expect(hull).toHaveLength(4);
  });
});

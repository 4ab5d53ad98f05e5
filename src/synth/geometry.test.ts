import { describe, expect, it } from 'vitest';
import { applyHomography, homographyFromQuads, invertHomography, mapQuad, quadArea, rectQuad, warpOnto, type Canvas8 } from './geometry.ts';
import { Rng } from './random.ts';
import { placeObject } from './scene.ts';

describe('homographies', () => {
  it('map the four source corners onto the four destination corners', () => {
    const src = rectQuad(0, 0, 856, 540);
    const dst = [{ x: 100, y: 80 }, { x: 900, y: 130 }, { x: 870, y: 640 }, { x: 60, y: 600 }];
    const H = homographyFromQuads(src, dst);
    src.forEach((p, i) => {
      const q = applyHomography(H, p);
      expect(q.x).toBeCloseTo(dst[i].x, 6);
      expect(q.y).toBeCloseTo(dst[i].y, 6);
    });
    const back = applyHomography(invertHomography(H), dst[2]);
    expect(back.x).toBeCloseTo(856, 6);
    expect(back.y).toBeCloseTo(540, 6);
  });

  it('keep placed cards clockwise whatever the rotation and tilt', () => {
    const rng = new Rng(3);
    for (let i = 0; i < 40; i++) {
      const H = placeObject(rng, 1600, 1200, { fill: 0.8, rotation: rng.float(-Math.PI, Math.PI), tiltX: rng.normal(0, 0.3), tiltY: rng.normal(0, 0.3), focal: 2 });
      expect(quadArea(mapQuad(H, rectQuad(0, 0, 856, 540)))).toBeGreaterThan(0);
    }
  });
});

describe('warpOnto', () => {
  it('puts the source exactly inside the mapped quad (pixel-centre convention)', () => {
    const src: Canvas8 = { data: new Uint8Array(200 * 100 * 4).fill(255), width: 200, height: 100, channels: 4 };
    const dst: Canvas8 = { data: new Uint8Array(500 * 400 * 3), width: 500, height: 400, channels: 3 };
    const quad = [{ x: 120.3, y: 60.7 }, { x: 410.2, y: 95.1 }, { x: 380.6, y: 300.4 }, { x: 90.5, y: 260.2 }];
    const H = homographyFromQuads(rectQuad(0, 0, 200, 100), quad);
    warpOnto(dst, src, H);
    const at = (x: number, y: number) => dst.data[(Math.floor(y) * dst.width + Math.floor(x)) * 3];
    const cx = quad.reduce((s, p) => s + p.x, 0) / 4;
    const cy = quad.reduce((s, p) => s + p.y, 0) / 4;
    for (const p of quad) {
      const d = Math.hypot(cx - p.x, cy - p.y);
      const ux = (cx - p.x) / d;
      const uy = (cy - p.y) / d;
      expect(at(p.x + ux * 3, p.y + uy * 3)).toBeGreaterThan(200); // just inside: card
      expect(at(p.x - ux * 3, p.y - uy * 3)).toBeLessThan(30); // just outside: untouched
    }
  });
});

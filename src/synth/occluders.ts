/**
 * Things covering part of a card's face (warning 9105): a fingertip, a sticker, a coin. Each lies inside
 * the card outline (an occluder over the edge is a border problem, 9101) and is described by a polygon in
 * canonical card pixels, so the label can say exactly which fields it hides.
 */
import { createCanvas } from '@napi-rs/canvas';
import { CANONICAL_HEIGHT, CANONICAL_WIDTH } from '../domain/cardLayout.ts';
import type { Homography, IdField, Point } from '../engine/types.ts';
import { warpOnto, type Canvas8 } from './geometry.ts';
import type { Rng } from './random.ts';
import type { InkBox } from './renderCard.ts';
import { sourceFor } from './scene.ts';

export interface Occluder {
  kind: 'finger' | 'sticker' | 'coin';
  /** Outline in canonical card pixels. */
  polygon: Point[];
}

const EDGE_MARGIN = 14;

function capsule(cx: number, cy: number, len: number, r: number, angle: number): Point[] {
  const pts: Point[] = [];
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  for (let k = 0; k <= 16; k++) {
    const a = -Math.PI / 2 + (k / 16) * Math.PI;
    pts.push({ x: len / 2 + r * Math.cos(a), y: r * Math.sin(a) });
  }
  for (let k = 0; k <= 16; k++) {
    const a = Math.PI / 2 + (k / 16) * Math.PI;
    pts.push({ x: -len / 2 + r * Math.cos(a), y: r * Math.sin(a) });
  }
  return pts.map((p) => ({ x: cx + p.x * c - p.y * s, y: cy + p.x * s + p.y * c }));
}

function inside(poly: Point[]): boolean {
  return poly.every((p) => p.x >= EDGE_MARGIN && p.y >= EDGE_MARGIN && p.x <= CANONICAL_WIDTH - EDGE_MARGIN && p.y <= CANONICAL_HEIGHT - EDGE_MARGIN);
}

/** Chooses an occluder over one of the card's fields, draws it into the scene through `H`, returns its outline. */
export async function drawOccluder(scene: Canvas8, H: Homography, rng: Rng, ink: Partial<Record<IdField, InkBox[]>>): Promise<Occluder> {
  const targets = Object.values(ink).flat().filter((b): b is InkBox => !!b);
  const kind = rng.weighted([['finger', 4], ['sticker', 4], ['coin', 2]] as const);
  let poly: Point[] = [];
  for (let attempt = 0; attempt < 40; attempt++) {
    const t = targets.length > 0 ? rng.pick(targets) : { x0: 300, y0: 200, x1: 500, y1: 300 };
    const cx = rng.float(t.x0, t.x1);
    const cy = rng.float(t.y0, t.y1);
    if (kind === 'finger') poly = capsule(cx, cy, rng.float(90, 170), rng.float(34, 46), rng.float(-Math.PI, Math.PI));
    else if (kind === 'coin') poly = capsule(cx, cy, 0, rng.float(35, 60), 0);
    else {
      const w = rng.float(70, 200);
      const h = rng.float(40, 90);
      const a = rng.normal(0, 0.3);
      const c = Math.cos(a);
      const s = Math.sin(a);
      poly = [[-w / 2, -h / 2], [w / 2, -h / 2], [w / 2, h / 2], [-w / 2, h / 2]].map(([x, y]) => ({ x: cx + x * c - y * s, y: cy + x * s + y * c }));
    }
    if (inside(poly)) break;
  }
  if (!inside(poly)) poly = capsule(CANONICAL_WIDTH / 2, CANONICAL_HEIGHT / 2, 0, 40, 0);
  // Draw at 2× canonical so the layer stays sharp on large photos.
  const sc = 2;
  const layer = createCanvas(CANONICAL_WIDTH * sc, CANONICAL_HEIGHT * sc);
  const ctx = layer.getContext('2d');
  ctx.scale(sc, sc);
  const xs = poly.map((p) => p.x);
  const ys = poly.map((p) => p.y);
  const cx = (Math.min(...xs) + Math.max(...xs)) / 2;
  const cy = (Math.min(...ys) + Math.max(...ys)) / 2;
  const r = Math.max(Math.max(...xs) - Math.min(...xs), Math.max(...ys) - Math.min(...ys)) / 2;
  ctx.beginPath();
  poly.forEach((p, i) => (i === 0 ? ctx.moveTo(p.x, p.y) : ctx.lineTo(p.x, p.y)));
  ctx.closePath();
  if (kind === 'finger') {
    const skin = rng.pick([[232, 190, 160], [215, 170, 140], [190, 145, 110], [160, 115, 85]]);
    const g = ctx.createRadialGradient(cx - r * 0.2, cy - r * 0.2, r * 0.1, cx, cy, r * 1.1);
    g.addColorStop(0, `rgb(${skin.map((v) => Math.min(255, v + 20)).join(',')})`);
    g.addColorStop(1, `rgb(${skin.map((v) => v * 0.75).join(',')})`);
    ctx.fillStyle = g;
    ctx.fill();
    // Nail near one end.
    const tip = poly[8];
    ctx.fillStyle = 'rgba(245,215,205,0.85)';
    ctx.beginPath();
    ctx.ellipse(tip.x + (cx - tip.x) * 0.25, tip.y + (cy - tip.y) * 0.25, r * 0.22, r * 0.16, Math.atan2(cy - tip.y, cx - tip.x), 0, 2 * Math.PI);
    ctx.fill();
  } else if (kind === 'coin') {
    const g = ctx.createRadialGradient(cx - r / 3, cy - r / 3, 0, cx, cy, r);
    g.addColorStop(0, '#f2e6b0');
    g.addColorStop(1, '#9c7a2c');
    ctx.fillStyle = g;
    ctx.fill();
  } else {
    ctx.fillStyle = rng.pick(['#ffeb3b', '#ff8a65', '#81d4fa', '#ffffff', '#a5d6a7', '#f48fb1']);
    ctx.fill();
    ctx.fillStyle = 'rgba(0,0,0,0.7)';
    ctx.font = `${Math.round(r * 0.3)}px SynthHei`;
    ctx.fillText(rng.pick(['已核验', '仅供办理', '复印无效', 'NO.', '样本', '已登记']), cx - r * 0.5, cy + r * 0.1);
  }
  const { data } = ctx.getImageData(0, 0, layer.width, layer.height);
  const raster: Canvas8 = { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: layer.width, height: layer.height, channels: 4 };
  const { src, H: Hs } = await sourceFor(raster, H);
  warpOnto(scene, src, Hs);
  return { kind, polygon: poly };
}

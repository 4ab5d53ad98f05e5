/**
 * Building an image around cards: choose where a card lands (with a camera-like perspective), warp it in,
 * then apply what the capture does to it (blur, lighting, glare, sensor noise). Every placement is a
 * homography from canonical card pixels (856 × 540) to image pixels, kept for the labels.
 */
import sharp from 'sharp';
import { CANONICAL_HEIGHT, CANONICAL_WIDTH } from '../domain/cardLayout.ts';
import type { Homography, Point, Quad } from '../engine/types.ts';
import { multiplyHomography, homographyFromQuads, mapQuad, rectQuad, rowSpan, warpOnto, type Canvas8 } from './geometry.ts';
import { Rng } from './random.ts';
import type { RenderedCard } from './renderCard.ts';

export const CARD_QUAD: Quad = rectQuad(0, 0, CANONICAL_WIDTH, CANONICAL_HEIGHT);

export function scaleHomography(sx: number, sy = sx): Homography {
  return [sx, 0, 0, 0, sy, 0, 0, 0, 1];
}
export function translateHomography(tx: number, ty: number): Homography {
  return [1, 0, tx, 0, 1, ty, 0, 0, 1];
}

export interface PlacementOptions {
  /** Fraction of the frame the card's bounding box spans (of the tighter dimension). */
  fill: number;
  /** In-plane rotation, radians (0 = upright). */
  rotation: number;
  /** Out-of-plane tilts, radians, about the card's horizontal and vertical axes. */
  tiltX?: number;
  tiltY?: number;
  /** Focal length in card widths (longer = flatter perspective). */
  focal?: number;
  /** Where the bounding-box centre goes, as a fraction of the free room (0..1 each); default random. */
  at?: Point;
  /** Size of the object being placed, in its own pixels (default: the canonical card). */
  objectWidth?: number;
  objectHeight?: number;
}

/**
 * Pinhole camera over a card in 3-D: tilt the card plane, project, rotate in the image plane, then scale and
 * move it into the frame. Returns object pixels → image pixels.
 */
export function placeObject(rng: Rng, width: number, height: number, o: PlacementOptions): Homography {
  const ow = o.objectWidth ?? CANONICAL_WIDTH;
  const oh = o.objectHeight ?? CANONICAL_HEIGHT;
  const f = (o.focal ?? 3) * ow;
  const ax = o.tiltX ?? 0;
  const ay = o.tiltY ?? 0;
  const src = rectQuad(0, 0, ow, oh);
  const projected = src.map(({ x, y }) => {
    const X = x - ow / 2;
    const Y = y - oh / 2;
    // Rotate about the vertical axis (ay), then the horizontal one (ax).
    const X1 = X * Math.cos(ay);
    const Z1 = -X * Math.sin(ay);
    const Y2 = Y * Math.cos(ax) - Z1 * Math.sin(ax);
    const Z2 = Y * Math.sin(ax) + Z1 * Math.cos(ax);
    const k = f / (f + Z2);
    const px = X1 * k;
    const py = Y2 * k;
    const c = Math.cos(o.rotation);
    const s = Math.sin(o.rotation);
    return { x: px * c - py * s, y: px * s + py * c };
  });
  const xs = projected.map((p) => p.x);
  const ys = projected.map((p) => p.y);
  const bw = Math.max(...xs) - Math.min(...xs);
  const bh = Math.max(...ys) - Math.min(...ys);
  const scale = o.fill * Math.min(width / bw, height / bh);
  const at = o.at ?? { x: rng.next(), y: rng.next() };
  const freeX = width - bw * scale;
  const freeY = height - bh * scale;
  const cx = bw * scale / 2 + freeX * at.x;
  const cy = bh * scale / 2 + freeY * at.y;
  const mx = (Math.max(...xs) + Math.min(...xs)) / 2;
  const my = (Math.max(...ys) + Math.min(...ys)) / 2;
  const dst = projected.map((p) => ({ x: (p.x - mx) * scale + cx, y: (p.y - my) * scale + cy }));
  return homographyFromQuads(src, dst);
}

/** Homography for a card lying flat and upright at (x, y) with width `w` (scans, pages). */
export function flatPlacement(x: number, y: number, w: number, rotationQuarterTurns = 0, frame?: { width: number; height: number }): Homography {
  const s = w / CANONICAL_WIDTH;
  const base = multiplyHomography(translateHomography(x, y), scaleHomography(s));
  if (!frame || rotationQuarterTurns % 4 === 0) return base;
  // Rotate the whole frame by quarter turns clockwise: (x, y) → (H - y, x) for 90°.
  const t = ((rotationQuarterTurns % 4) + 4) % 4;
  const { width: W, height: H } = frame;
  const rot: Homography = t === 1 ? [0, -1, H, 1, 0, 0, 0, 0, 1] : t === 2 ? [-1, 0, W, 0, -1, H, 0, 0, 1] : [0, 1, 0, -1, 0, W, 0, 0, 1];
  return multiplyHomography(rot, base);
}

/**
 * Resizes the card raster close to the size it will have in the image (so the warp's bilinear sampling does
 * not alias) and returns the raster with its own raster → image homography.
 */
export async function sourceFor(image: Canvas8, Hcanon: Homography, canonW = CANONICAL_WIDTH, canonH = CANONICAL_HEIGHT): Promise<{ src: Canvas8; H: Homography }> {
  const q = mapQuad(Hcanon, rectQuad(0, 0, canonW, canonH));
  const edge = Math.max(Math.hypot(q[1].x - q[0].x, q[1].y - q[0].y), Math.hypot(q[2].x - q[3].x, q[2].y - q[3].y));
  let src = image;
  const target = Math.round(edge * 1.15);
  if (target < image.width * 0.8 && target > 16) {
    const h = Math.max(2, Math.round((target * image.height) / image.width));
    const { data } = await sharp(Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength), { raw: { width: image.width, height: image.height, channels: image.channels } })
      .resize(target, h, { fit: 'fill' })
      .raw()
      .toBuffer({ resolveWithObject: true });
    src = { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: target, height: h, channels: image.channels };
  }
  return { src, H: multiplyHomography(Hcanon, scaleHomography(canonW / src.width, canonH / src.height)) };
}

export async function drawCard(scene: Canvas8, card: RenderedCard, Hcanon: Homography): Promise<void> {
  const { src, H } = await sourceFor(card.image, Hcanon);
  warpOnto(scene, src, H);
}

/** A drop shadow under a card lying on a surface: a dark, soft copy of the card's outline, offset. */
export function drawShadow(scene: Canvas8, Hcanon: Homography, rng: Rng, strength = 0.35): void {
  if (strength <= 0) return;
  const q = mapQuad(Hcanon, CARD_QUAD);
  const dx = rng.float(-6, 10);
  const dy = rng.float(2, 14);
  const cx = (q[0].x + q[1].x + q[2].x + q[3].x) / 4;
  const cy = (q[0].y + q[1].y + q[2].y + q[3].y) / 4;
  const xs = q.map((p) => p.x);
  const ys = q.map((p) => p.y);
  const x0 = Math.max(0, Math.floor(Math.min(...xs) - 30));
  const x1 = Math.min(scene.width, Math.ceil(Math.max(...xs) + 30));
  const y0 = Math.max(0, Math.floor(Math.min(...ys) - 30));
  const y1 = Math.min(scene.height, Math.ceil(Math.max(...ys) + 30));
  const soft = Math.max(4, Math.hypot(q[1].x - q[0].x, q[1].y - q[0].y) * 0.02);
  // Distance to the quad edges, as a soft mask: cheap approximation via the inscribed test per edge.
  const edges = q.map((p, i) => {
    const n = q[(i + 1) % 4];
    const len = Math.hypot(n.x - p.x, n.y - p.y);
    return { p, nx: (n.y - p.y) / len, ny: -(n.x - p.x) / len };
  });
  const sign = edges[0].nx * (cx - edges[0].p.x) + edges[0].ny * (cy - edges[0].p.y) < 0 ? 1 : -1;
  const d = scene.data;
  const ch = scene.channels;
  const shifted = q.map((p) => ({ x: p.x + dx, y: p.y + dy }));
  const shade = (x: number, y: number) => {
    let dmin = Infinity;
    for (const e of edges) {
      const dist = sign * (e.nx * (x - dx - e.p.x) + e.ny * (y - dy - e.p.y));
      if (dist < dmin) dmin = dist;
    }
    if (dmin < -soft) return;
    const a = strength * Math.min(1, (dmin + soft) / (2 * soft));
    const i = (y * scene.width + x) * ch;
    d[i] *= 1 - a;
    d[i + 1] *= 1 - a;
    d[i + 2] *= 1 - a;
  };
  for (let y = y0; y < y1; y++) {
    const outer = rowSpan(shifted, y + 0.5, soft + 1);
    if (!outer) continue;
    const lo = Math.max(x0, Math.floor(outer[0]));
    const hi = Math.min(x1, Math.ceil(outer[1]));
    // Pixels well inside the card get covered by it: skip them.
    const a = rowSpan(q, y - 3);
    const b = rowSpan(q, y + 0.5);
    const c = rowSpan(q, y + 4);
    let skipLo = Infinity;
    let skipHi = -Infinity;
    if (a && b && c) {
      skipLo = Math.max(a[0], b[0], c[0]) + 3;
      skipHi = Math.min(a[1], b[1], c[1]) - 3;
    }
    for (let x = lo; x < hi; x++) {
      if (x > skipLo && x < skipHi) {
        x = Math.ceil(skipHi) - 1;
        continue;
      }
      shade(x, y);
    }
  }
}

export interface CaptureEffects {
  /** Gaussian blur sigma in image pixels (defocus, motion). */
  blur: number;
  /** Sensor noise standard deviation, in 8-bit levels. */
  noise: number;
  /** Lighting: brightness at the dark end of a linear gradient (1 = even light). */
  light: number;
  /** Glare blob: peak added brightness (0 = none) and radius as a fraction of the image's short side. */
  glare: number;
  glareRadius?: number;
  glareAt?: Point;
  /** Colour cast multipliers (white balance). */
  cast?: [number, number, number];
  /** Camera shake: a straight smear of `length` pixels at `angle` radians. */
  motion?: { length: number; angle: number };
}

/** A normalised line kernel (odd size) for motion blur: the path of a point during the exposure. */
function motionKernel(length: number, angle: number): { width: number; height: number; kernel: number[] } {
  const n = Math.max(3, 2 * Math.ceil(length / 2) + 1);
  const k = new Array<number>(n * n).fill(0);
  const c = (n - 1) / 2;
  for (let t = -length / 2; t <= length / 2; t += 0.25) {
    const x = Math.round(c + t * Math.cos(angle));
    const y = Math.round(c + t * Math.sin(angle));
    if (x >= 0 && y >= 0 && x < n && y < n) k[y * n + x] += 1;
  }
  const sum = k.reduce((a, b) => a + b, 0);
  return { width: n, height: n, kernel: k.map((v) => v / sum) };
}

const NOISE_TILE = 512;

let unitNoiseCache: Float32Array | undefined;
/** Standard-normal samples shared by every image (fixed seed); each image reads them from its own offset. */
function unitNoise(): Float32Array {
  if (!unitNoiseCache) {
    const r = new Rng(0x5eed, 99);
    unitNoiseCache = new Float32Array(NOISE_TILE * NOISE_TILE * 4 + 4);
    for (let i = 0; i < unitNoiseCache.length; i++) unitNoiseCache[i] = r.normal();
  }
  return unitNoiseCache;
}

function raw(img: Canvas8) {
  return { raw: { width: img.width, height: img.height, channels: img.channels } } as const;
}
function buf(a: Uint8Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

/**
 * Blur (sharp), then lighting and colour cast, glare and sensor noise, in the order a camera applies them.
 * One pass in JavaScript over the pixels: measured cheaper than libvips' float compositing of full-size
 * layers. Noise reads a shared table of normal samples from a per-image offset (no PRNG call per pixel).
 */
export async function capture(img: Canvas8, rng: Rng, fx: CaptureEffects): Promise<Canvas8> {
  let out = img;
  if (fx.blur > 0.3 || fx.motion) {
    let pipeline = sharp(buf(img.data), raw(img));
    if (fx.motion) pipeline = pipeline.convolve(motionKernel(fx.motion.length, fx.motion.angle));
    if (fx.blur > 0.3) pipeline = pipeline.blur(fx.blur);
    const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
    out = { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height, channels: img.channels };
  }
  const { width: W, height: H, channels: ch } = out;
  const px = new Uint8ClampedArray(out.data.buffer, out.data.byteOffset, out.data.byteLength);
  const cast = fx.cast ?? [1, 1, 1];
  // Linear falloff in a random direction, normalised so t runs 0..1 across the frame.
  const dir = rng.float(0, 2 * Math.PI);
  const tx = Math.cos(dir) / W;
  const ty = Math.sin(dir) / H;
  const t0 = -(Math.min(0, tx * W) + Math.min(0, ty * H));
  const tspan = Math.abs(tx * W) + Math.abs(ty * H);
  const k = (1 - fx.light) / tspan;
  const gr = (fx.glareRadius ?? 0.2) * Math.min(W, H);
  const gx = (fx.glareAt?.x ?? rng.next()) * W;
  const gy = (fx.glareAt?.y ?? rng.next()) * H;
  const inv2s2 = 1 / (2 * gr * gr);
  const unit = unitNoise();
  const N = unit.length - 4;
  let idx = rng.int(0, N - 1);
  const luma = fx.noise;
  const chroma = fx.noise * 0.3;
  const [cr, cg, cb] = cast;
  for (let y = 0; y < H; y++) {
    const dy2 = (y - gy) * (y - gy);
    let gx0 = 1;
    let gx1 = 0;
    if (fx.glare > 0 && dy2 * inv2s2 < 9) {
      const half = Math.sqrt(9 / inv2s2 - dy2);
      gx0 = Math.max(0, Math.floor(gx - half));
      gx1 = Math.min(W, Math.ceil(gx + half));
    }
    let light = fx.light + k * (t0 + ty * y);
    const dl = k * tx;
    let i = y * W * ch;
    // Jump to another stretch of the noise table on each row so rows do not repeat.
    idx = (idx + 7919 * 4) % N;
    for (let x = 0; x < W; x++, i += ch, light += dl) {
      let g = 0;
      if (x >= gx0 && x < gx1) {
        const e = ((x - gx) * (x - gx) + dy2) * inv2s2;
        if (e < 9) g = fx.glare * Math.exp(-e);
      }
      if (idx >= N) idx -= N;
      const n = unit[idx] * luma + g;
      px[i] = px[i] * light * cr + n + unit[idx + 1] * chroma;
      px[i + 1] = px[i + 1] * light * cg + n + unit[idx + 2] * chroma;
      px[i + 2] = px[i + 2] * light * cb + n + unit[idx + 3] * chroma;
      idx += 4;
    }
  }
  return out;
}

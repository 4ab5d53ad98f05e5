/**
 * detect: text-line boxes with the PP-OCRv4 mobile DB detector.
 *
 * The network outputs a per-pixel text probability map whose text regions are *shrunk* kernels of the real
 * lines (Differentiable Binarization, Liao et al., AAAI 2020, §3.3: the kernel is the line polygon offset
 * inwards by D = A(1 − r²)/L with r = 0.4). Post-processing is our own: threshold the map, take 8-connected
 * components, fit each a minimum-area rectangle, score it by the mean probability inside, and grow it back
 * out by the inverse offset D' = A'·ratio/L' (the paper's unclip, §3.4) before mapping to input pixels.
 */
import sharp from 'sharp';
import { loadOnnxSession, resolveModelAssets, type InferenceSession } from './inference.ts';
import type { Point, Quad, RasterImage, StageContext, TextBox } from './types.ts';

export interface DetectOptions {
  /** Long side of the network input, rounded to a multiple of 32 (the backbone's stride). Default 960. */
  maxSide?: number;
  /** Drop boxes whose mean probability is below this. Default 0.6. */
  boxThresh?: number;
  /** Probability above which a pixel counts as text. Default 0.3. */
  binThresh?: number;
  /** How far a kernel is grown back: offset = area × ratio / perimeter. Default 1.5. */
  unclipRatio?: number;
  /** At most this many components are considered (a page of noise must not take seconds). Default 1000. */
  maxCandidates?: number;
  /** The detection model; default a process-wide session loaded on first use. */
  session?: InferenceSession;
}

const DEFAULTS = { maxSide: 960, boxThresh: 0.6, binThresh: 0.3, unclipRatio: 1.5, maxCandidates: 1000 };
/** Boxes with a short side under this many map pixels are noise (before unclip; +2 after). */
const MIN_BOX_SIDE = 3;
/** PP-OCR det normalisation (ImageNet statistics), applied in the B, G, R order the model was trained on. */
const BGR_MEAN = [0.485, 0.456, 0.406];
const BGR_STD = [0.229, 0.224, 0.225];

let defaultSession: Promise<InferenceSession> | undefined;
function defaultDetectionSession(): Promise<InferenceSession> {
  defaultSession ??= loadOnnxSession(resolveModelAssets().detection);
  return defaultSession;
}

/**
 * Finds text lines in an image.
 *
 * @returns boxes in the given image's pixels, corners clockwise from the line's top-left, sorted top to
 *   bottom then left to right.
 * @example
 *   const boxes = await detectText(decoded.image, ctx, { maxSide: 640 });
 */
export async function detectText(image: RasterImage, ctx: StageContext, opts: DetectOptions = {}): Promise<TextBox[]> {
  const o = { ...DEFAULTS, ...definedOnly(opts) };
  if (!Number.isInteger(o.maxSide) || o.maxSide < 32) {
    throw new TypeError(`Expected integer ≥ 32 for maxSide but received ${String(o.maxSide)} of type ${typeof o.maxSide}`);
  }
  const session = opts.session ?? (await defaultDetectionSession());
  const started = performance.now();
  try {
    const input = await detectorInput(image, o.maxSide);
    const out = await session.run(input.tensor);
    const [, , mapH, mapW] = out.dims;
    const boxes = boxesFromProbabilityMap(out.data, mapW, mapH, o);
    // Map pixel centres of the probability map (= the scaled image, padding right and below) back to pixel
    // centres of the input image.
    const sx = image.width / input.contentWidth;
    const sy = image.height / input.contentHeight;
    const result = boxes.map(({ quad, score }) => ({
      score,
      quad: quad.map((p) => ({
        x: clamp((p.x + 0.5) * sx - 0.5, 0, image.width - 1),
        y: clamp((p.y + 0.5) * sy - 0.5, 0, image.height - 1),
      })) as Quad,
    }));
    return sortReadingOrder(result);
  } finally {
    ctx.timings.detect = (ctx.timings.detect ?? 0) + (performance.now() - started);
  }
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

/**
 * Network input: the image scaled (aspect kept, never enlarged) so its long side ≤ maxSide, then padded
 * with the normalisation mean (0 after normalising) to the network's stride: the long side to a multiple
 * of 32, the short side to a multiple of 64. Padding rather than stretching keeps the geometry exact, and
 * the coarse short-side step keeps the set of input shapes small (onnxruntime plans per shape).
 */
async function detectorInput(image: RasterImage, maxSide: number) {
  const ratio = Math.min(1, maxSide / Math.max(image.width, image.height));
  const cw = Math.max(1, Math.round(image.width * ratio));
  const ch = Math.max(1, Math.round(image.height * ratio));
  const landscape = cw >= ch;
  const w = Math.max(64, Math.ceil(cw / (landscape ? 32 : 64)) * (landscape ? 32 : 64));
  const h = Math.max(64, Math.ceil(ch / (landscape ? 64 : 32)) * (landscape ? 64 : 32));
  let pixels: Uint8Array = image.data;
  if (cw !== image.width || ch !== image.height) {
    const buf = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels } })
      .resize(cw, ch, { fit: 'fill' })
      .raw()
      .toBuffer();
    pixels = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  const c = image.channels;
  const plane = w * h;
  const data = new Float32Array(3 * plane);
  // Tensor channel k is B, G, R for k = 0, 1, 2: one 256-entry table per channel replaces the arithmetic.
  const lut = [0, 1, 2].map((k) => Float32Array.from({ length: 256 }, (_, v) => (v / 255 - BGR_MEAN[k]) / BGR_STD[k]));
  const [lutB, lutG, lutR] = lut;
  for (let y = 0; y < ch; y++) {
    for (let x = 0, i = y * w, p = y * cw * c; x < cw; x++, i++, p += c) {
      data[i] = lutB[pixels[p + 2]];
      data[plane + i] = lutG[pixels[p + 1]];
      data[2 * plane + i] = lutR[pixels[p]];
    }
  }
  return { tensor: { data, dims: [1, 3, h, w] }, contentWidth: cw, contentHeight: ch };
}

/** A rotated rectangle: centre, unit axis `u` along its `w` side, `v` ⟂ along its `h` side. */
interface RotatedRect {
  cx: number;
  cy: number;
  ux: number;
  uy: number;
  w: number;
  h: number;
}

/**
 * DB post-processing on a probability map (map pixels in, map pixels out).
 * Exported for tests: it is the part of detection that is ours, not the network's.
 */
export function boxesFromProbabilityMap(
  prob: Float32Array,
  width: number,
  height: number,
  o: { binThresh: number; boxThresh: number; unclipRatio: number; maxCandidates: number },
): TextBox[] {
  const boxes: TextBox[] = [];
  for (const component of connectedComponents(prob, width, height, o.binThresh, o.maxCandidates)) {
    const hull = convexHull(component);
    if (hull.length < 3) continue;
    const rect = minAreaRect(hull);
    if (Math.min(rect.w, rect.h) < MIN_BOX_SIDE) continue;
    const score = meanInsideRect(prob, width, height, rect);
    if (score < o.boxThresh) continue;
    const grown = unclipRect(rect, o.unclipRatio);
    if (Math.min(grown.w, grown.h) < MIN_BOX_SIDE + 2) continue;
    boxes.push({ quad: rectCorners(grown), score });
  }
  return boxes;
}

/**
 * 8-connected components of `prob > thresh` (the connectivity of a traced outer contour). Each component is
 * reduced to the leftmost and rightmost pixel centre of every row it covers: their convex hull is the
 * component's convex hull, which is all a minimum-area rectangle needs.
 */
function connectedComponents(prob: Float32Array, width: number, height: number, thresh: number, maxCount: number): Point[][] {
  const n = width * height;
  // 0 = background, 1 = unvisited text, 2 = visited.
  const state = new Uint8Array(n);
  for (let i = 0; i < n; i++) if (prob[i] > thresh) state[i] = 1;
  const stack = new Int32Array(n);
  // Per-row extremes of the component being filled; rows outside [minY, maxY] are never read.
  const rowMin = new Int32Array(height).fill(width);
  const rowMax = new Int32Array(height).fill(-1);
  const components: Point[][] = [];
  for (let seed = 0; seed < n && components.length < maxCount; seed++) {
    if (state[seed] !== 1) continue;
    let top = 0;
    stack[top++] = seed;
    state[seed] = 2;
    let minY = (seed / width) | 0;
    let maxY = minY;
    while (top > 0) {
      const idx = stack[--top];
      const y = (idx / width) | 0;
      const x = idx - y * width;
      if (x < rowMin[y]) rowMin[y] = x;
      if (x > rowMax[y]) rowMax[y] = x;
      if (y < minY) minY = y;
      if (y > maxY) maxY = y;
      for (let dy = -1; dy <= 1; dy++) {
        const ny = y + dy;
        if (ny < 0 || ny >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          if (nx < 0 || nx >= width) continue;
          const j = ny * width + nx;
          if (state[j] === 1) {
            state[j] = 2;
            stack[top++] = j;
          }
        }
      }
    }
    const points: Point[] = [];
    for (let y = minY; y <= maxY; y++) {
      const lo = rowMin[y];
      const hi = rowMax[y];
      rowMin[y] = width;
      rowMax[y] = -1;
      if (hi < 0) continue;
      points.push({ x: lo, y });
      if (hi !== lo) points.push({ x: hi, y });
    }
    components.push(points);
  }
  return components;
}

/** Andrew's monotone chain; returns the hull counter-clockwise in y-up terms, without collinear points. */
export function convexHull(points: Point[]): Point[] {
  const pts = [...points].sort((a, b) => a.x - b.x || a.y - b.y);
  if (pts.length < 3) return pts;
  const cross = (o: Point, a: Point, b: Point) => (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x);
  const lower: Point[] = [];
  for (const p of pts) {
    while (lower.length >= 2 && cross(lower[lower.length - 2], lower[lower.length - 1], p) <= 0) lower.pop();
    lower.push(p);
  }
  const upper: Point[] = [];
  for (let i = pts.length - 1; i >= 0; i--) {
    const p = pts[i];
    while (upper.length >= 2 && cross(upper[upper.length - 2], upper[upper.length - 1], p) <= 0) upper.pop();
    upper.push(p);
  }
  lower.pop();
  upper.pop();
  return lower.concat(upper);
}

/**
 * Minimum-area enclosing rectangle of a convex polygon: one side of the optimum lies on a hull edge
 * (Freeman & Shapira, CACM 1975), so try each edge direction and keep the smallest.
 */
function minAreaRect(hull: Point[]): RotatedRect {
  let best: RotatedRect | undefined;
  let bestArea = Infinity;
  for (let i = 0; i < hull.length; i++) {
    const a = hull[i];
    const b = hull[(i + 1) % hull.length];
    const len = Math.hypot(b.x - a.x, b.y - a.y);
    if (len === 0) continue;
    const ux = (b.x - a.x) / len;
    const uy = (b.y - a.y) / len;
    let minU = Infinity, maxU = -Infinity, minV = Infinity, maxV = -Infinity;
    for (const p of hull) {
      const pu = p.x * ux + p.y * uy;
      const pv = -p.x * uy + p.y * ux;
      if (pu < minU) minU = pu;
      if (pu > maxU) maxU = pu;
      if (pv < minV) minV = pv;
      if (pv > maxV) maxV = pv;
    }
    const area = (maxU - minU) * (maxV - minV);
    if (area < bestArea) {
      bestArea = area;
      const cu = (minU + maxU) / 2;
      const cv = (minV + maxV) / 2;
      best = { cx: cu * ux - cv * uy, cy: cu * uy + cv * ux, ux, uy, w: maxU - minU, h: maxV - minV };
    }
  }
  return best!;
}

/** Mean probability over the map pixels whose centres fall inside the rectangle. */
function meanInsideRect(prob: Float32Array, width: number, height: number, r: RotatedRect): number {
  const corners = rectCorners(r);
  const x0 = Math.max(0, Math.floor(Math.min(...corners.map((p) => p.x))));
  const x1 = Math.min(width - 1, Math.ceil(Math.max(...corners.map((p) => p.x))));
  const y0 = Math.max(0, Math.floor(Math.min(...corners.map((p) => p.y))));
  const y1 = Math.min(height - 1, Math.ceil(Math.max(...corners.map((p) => p.y))));
  const hw = r.w / 2 + 0.5;
  const hh = r.h / 2 + 0.5;
  let sum = 0;
  let count = 0;
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const dx = x - r.cx;
      const dy = y - r.cy;
      if (Math.abs(dx * r.ux + dy * r.uy) <= hw && Math.abs(-dx * r.uy + dy * r.ux) <= hh) {
        sum += prob[y * width + x];
        count++;
      }
    }
  }
  return count === 0 ? 0 : sum / count;
}

/**
 * Grows a kernel rectangle back to the line's extent. Offsetting a rectangle outward by d (with rounded
 * corners) has the minimum-area rectangle w + 2d by h + 2d, so the polygon offset reduces to arithmetic.
 */
function unclipRect(r: RotatedRect, ratio: number): RotatedRect {
  const d = (r.w * r.h * ratio) / (2 * (r.w + r.h));
  return { ...r, w: r.w + 2 * d, h: r.h + 2 * d };
}

/**
 * Corners clockwise on screen (y down) starting from the line's top-left: the first edge is the rectangle
 * axis pointing most nearly rightwards, so upright lines (±45°) keep their reading direction; a tall box is
 * left tall, for recognition to turn.
 */
function rectCorners(r: RotatedRect): Quad {
  const axes = [
    { x: r.ux, y: r.uy, half: r.w / 2, otherHalf: r.h / 2 },
    { x: -r.ux, y: -r.uy, half: r.w / 2, otherHalf: r.h / 2 },
    { x: -r.uy, y: r.ux, half: r.h / 2, otherHalf: r.w / 2 },
    { x: r.uy, y: -r.ux, half: r.h / 2, otherHalf: r.w / 2 },
  ];
  const a = axes.reduce((best, ax) => (ax.x > best.x ? ax : best));
  // Rotating the reading direction by +90° in y-down coordinates points "down" the line.
  const dx = -a.y;
  const dy = a.x;
  const at = (su: number, sv: number): Point => ({
    x: r.cx + su * a.x * a.half + sv * dx * a.otherHalf,
    y: r.cy + su * a.y * a.half + sv * dy * a.otherHalf,
  });
  return [at(-1, -1), at(1, -1), at(1, 1), at(-1, 1)];
}

/**
 * Top to bottom, then left to right among boxes whose tops are within half a line height (so the two
 * halves of one row stay in reading order even when one sits a few pixels higher).
 */
function sortReadingOrder(boxes: TextBox[]): TextBox[] {
  const top = (b: TextBox) => Math.min(b.quad[0].y, b.quad[1].y);
  const lineHeight = (b: TextBox) => Math.hypot(b.quad[3].x - b.quad[0].x, b.quad[3].y - b.quad[0].y);
  const sorted = [...boxes].sort((a, b) => top(a) - top(b));
  for (let i = 1; i < sorted.length; i++) {
    for (let j = i; j > 0; j--) {
      const prev = sorted[j - 1];
      const cur = sorted[j];
      const sameRow = Math.abs(top(cur) - top(prev)) < 0.5 * Math.min(lineHeight(cur), lineHeight(prev));
      if (sameRow && cur.quad[0].x < prev.quad[0].x) {
        sorted[j - 1] = cur;
        sorted[j] = prev;
      } else break;
    }
  }
  return sorted;
}

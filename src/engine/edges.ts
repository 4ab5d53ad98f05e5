/**
 * Edge-first card outline (recognition-notes.md): near a card already found by its text, look for the
 * card's own outline — Canny edges → contours → a convex 4-gon (approxPolyDP) close to the text-first
 * estimate — and return its corners. The outline gives tight corners for CropIdCard and the border checks;
 * where it is cut off, low in contrast or hidden, there is no such 4-gon and the text-first quad stands.
 *
 * OpenCV is @techstark/opencv-js (WebAssembly). It loads once per process (≈2 s, ≈100 MB); call
 * `loadOpenCv()` at worker start-up to keep that out of the first request.
 */
import { createRequire } from 'node:module';
import type { Point, Quad, RasterImage } from './types.ts';

// The package's typings are not needed for the handful of calls made here.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type CV = any;

let loading: Promise<{ cv: CV }> | undefined;

/**
 * Loads OpenCV once. The module object is a "thenable", so it is never handed to `resolve` itself (that
 * would recurse into its `then`): the promise carries it wrapped in an object.
 */
export function loadOpenCv(): Promise<{ cv: CV }> {
  loading ??= new Promise<{ cv: CV }>((resolve, reject) => {
    try {
      const require = createRequire(import.meta.url);
      const cv: CV = require('@techstark/opencv-js');
      if (typeof cv.Mat === 'function') resolve({ cv });
      else cv.onRuntimeInitialized = () => resolve({ cv });
    } catch (e) {
      reject(e);
    }
  });
  return loading;
}

/** Long side of the working raster for edge search: enough for corners within ~0.3% of a card filling it. */
const WORK_SIDE = 640;

/**
 * Candidate card outlines near `predicted` (image coordinates, clockwise from the card's top-left): convex
 * 4-gons of about the card's area, corners in the predicted order, nearest first. The caller decides which
 * (if any) is the card, by where the printed labels fall.
 */
export async function findCardOutlines(image: RasterImage, predicted: Quad): Promise<Quad[]> {
  const { cv } = await loadOpenCv();
  const xs = predicted.map((p) => p.x);
  const ys = predicted.map((p) => p.y);
  const pw = Math.max(...xs) - Math.min(...xs);
  const ph = Math.max(...ys) - Math.min(...ys);
  const x0 = Math.max(0, Math.floor(Math.min(...xs) - 0.3 * pw));
  const y0 = Math.max(0, Math.floor(Math.min(...ys) - 0.3 * ph));
  const x1 = Math.min(image.width, Math.ceil(Math.max(...xs) + 0.3 * pw));
  const y1 = Math.min(image.height, Math.ceil(Math.max(...ys) + 0.3 * ph));
  if (x1 - x0 < 32 || y1 - y0 < 32) return [];
  const scale = Math.min(1, WORK_SIDE / Math.max(x1 - x0, y1 - y0));
  const w = Math.max(8, Math.round((x1 - x0) * scale));
  const h = Math.max(8, Math.round((y1 - y0) * scale));
  const gray = grayCrop(image, x0, y0, x1 - x0, y1 - y0, w, h);

  const mats: CV[] = [];
  const track = <T,>(m: T): T => {
    mats.push(m);
    return m;
  };
  try {
    const src = track(cv.matFromArray(h, w, cv.CV_8UC1, gray));
    const blurred = track(new cv.Mat());
    cv.GaussianBlur(src, blurred, new cv.Size(5, 5), 0);
    const edges = track(new cv.Mat());
    // Low thresholds: a white card on a light desk has a faint outline; clutter is filtered by shape below.
    cv.Canny(blurred, edges, 30, 90);
    const kernel = track(cv.Mat.ones(3, 3, cv.CV_8U));
    cv.dilate(edges, edges, kernel);
    const contours = track(new cv.MatVector());
    const hierarchy = track(new cv.Mat());
    cv.findContours(edges, contours, hierarchy, cv.RETR_LIST, cv.CHAIN_APPROX_SIMPLE);

    const target = predicted.map((p) => ({ x: (p.x - x0) * scale, y: (p.y - y0) * scale }));
    const targetArea = Math.abs(shoelace(target));
    const cardW = (dist(target[0], target[1]) + dist(target[3], target[2])) / 2;
    const found: Array<{ quad: Point[]; cost: number }> = [];
    for (let i = 0; i < contours.size(); i++) {
      const c = contours.get(i);
      const area = cv.contourArea(c);
      if (area < 0.4 * targetArea || area > 2.5 * targetArea) {
        c.delete();
        continue;
      }
      const hull = new cv.Mat();
      cv.convexHull(c, hull);
      const poly = new cv.Mat();
      cv.approxPolyDP(hull, poly, 0.02 * cv.arcLength(hull, true), true);
      if (poly.rows === 4) {
        const pts: Point[] = [];
        for (let k = 0; k < 4; k++) pts.push({ x: poly.data32S[2 * k], y: poly.data32S[2 * k + 1] });
        const aligned = alignCorners(pts, target);
        const cost = Math.max(...aligned.map((p, k) => dist(p, target[k]))) / cardW;
        const a = Math.abs(shoelace(aligned));
        if (cost < 0.6 && a > 0.4 * targetArea && a < 2.5 * targetArea) found.push({ quad: aligned, cost });
      }
      hull.delete();
      poly.delete();
      c.delete();
    }
    found.sort((a, b) => a.cost - b.cost);
    return found.slice(0, 8).map((f) => f.quad.map((p) => ({ x: p.x / scale + x0, y: p.y / scale + y0 })) as Quad);
  } finally {
    for (const m of mats) m.delete();
  }
}

/** Area-averaged grey crop (BT.601 luma) of `image` at `w`×`h`. */
function grayCrop(image: RasterImage, x0: number, y0: number, cw: number, ch: number, w: number, h: number): Uint8Array {
  const out = new Uint8Array(w * h);
  const { data, width, channels } = image;
  const sx = cw / w;
  const sy = ch / h;
  // About two samples per output pixel along each axis: the edge search blurs 5×5 anyway, and averaging every
  // source pixel of a 12 MP crop cost more than the OpenCV calls.
  const step = Math.max(1, Math.ceil(Math.min(sx, sy) / 2));
  for (let v = 0; v < h; v++) {
    const ya = y0 + Math.floor(v * sy);
    const yb = Math.min(y0 + ch, Math.max(ya + 1, y0 + Math.floor((v + 1) * sy)));
    for (let u = 0; u < w; u++) {
      const xa = x0 + Math.floor(u * sx);
      const xb = Math.min(x0 + cw, Math.max(xa + 1, x0 + Math.floor((u + 1) * sx)));
      let s = 0;
      let n = 0;
      for (let y = ya; y < yb; y += step) {
        for (let x = xa; x < xb; x += step) {
          const i = (y * width + x) * channels;
          s += 0.299 * data[i] + 0.587 * data[i + 1] + 0.114 * data[i + 2];
          n++;
        }
      }
      out[v * w + u] = n > 0 ? Math.round(s / n) : 0;
    }
  }
  return out;
}

function dist(a: Point, b: Point): number {
  return Math.hypot(a.x - b.x, a.y - b.y);
}

function shoelace(q: Point[]): number {
  let s = 0;
  for (let i = 0; i < q.length; i++) {
    const a = q[i];
    const b = q[(i + 1) % q.length];
    s += a.x * b.y - b.x * a.y;
  }
  return s / 2;
}

/** The polygon's corners in the order (and orientation) that best matches `target`'s. */
function alignCorners(pts: Point[], target: Point[]): Point[] {
  const cw = shoelace(pts) > 0 ? pts : pts.slice().reverse();
  let best = cw;
  let bestCost = Infinity;
  for (let r = 0; r < 4; r++) {
    const rot = [0, 1, 2, 3].map((k) => cw[(k + r) % 4]);
    const cost = rot.reduce((s, p, k) => s + dist(p, target[k]), 0);
    if (cost < bestCost) {
      bestCost = cost;
      best = rot;
    }
  }
  return best;
}

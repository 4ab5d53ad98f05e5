/**
 * BorderCheckWarn, first half → 9101: the card's border is incomplete because the image frame cuts it.
 *
 * Geometry, not pixels: the located homography says where every point of the canonical card falls in the
 * photo, even the parts the frame cut off (locate fits it from the visible outline or the printed labels).
 * We sample the card's area and outline through the inverse map and measure how much lies beyond the
 * frame. A tolerance of 0.5 mm (2.5 mm where the corners come from the printed text alone) absorbs corner
 * jitter of the locator, so a card laid exactly against the scanner's edge is not called cut.
 *
 * Score (0–100, ≥ 50 warns, as COS CI's BorderCodeValue): 50 when 1% of the card's area or 10% of its
 * outline is outside the frame, 100 from 2% / 20%; at least 60 when any corner is outside.
 */
import { CANONICAL_HEIGHT, CANONICAL_WIDTH } from '../../domain/cardLayout.ts';
import type { DecodedImage, DetectorReport, LocatedCard } from '../types.ts';
import { clamp } from './raster.ts';
import { applyHomography, invertHomography } from './warp.ts';

export const BORDER_THRESHOLD = 50;
/** 0.5 mm in canonical px (10 px/mm): corners confirmed by the card's visible outline. */
const TOLERANCE_CANONICAL = 5;
/**
 * 2.5 mm: corners extrapolated from the printed text alone (locate's method 'text'), which land up to a few
 * percent of the card off (fresh synthetic seed 9001: 2 of 40 clean photos called cut by a corner 1–4% of
 * the card's width beyond the frame while the card lay inside it). The generator's cut case loses 8–35% of
 * the card, and a frame that clips less than this off a corner is not told from the fit's own error.
 */
const TEXT_FIT_TOLERANCE_CANONICAL = 25;
const GRID_X = 43;
const GRID_Y = 27;
const OUTLINE_STEPS = 100;
/** Score of a card with any corner beyond the frame (past the tolerance), however little of it is lost. */
const CLIPPED_CORNER_SCORE = 60;

export interface CutMeasure {
  /** Fraction of the card's area whose image position is beyond the frame. */
  areaOutside: number;
  /** Fraction of the card's outline beyond the frame. */
  outlineOutside: number;
  /** Corners beyond the frame (a clipped corner is an incomplete border however small). */
  cornersOutside: number;
}

export function measureCut(decoded: DecodedImage, card: LocatedCard): CutMeasure {
  const toImage = invertHomography(card.homography);
  const { width: W, height: H } = decoded.image;
  // Tolerance in image px: the local scale of the corners' uncertainty at the card's centre.
  const tolerance = card.method === 'text' ? TEXT_FIT_TOLERANCE_CANONICAL : TOLERANCE_CANONICAL;
  const c = applyHomography(toImage, { x: CANONICAL_WIDTH / 2, y: CANONICAL_HEIGHT / 2 });
  const c2 = applyHomography(toImage, { x: CANONICAL_WIDTH / 2 + tolerance, y: CANONICAL_HEIGHT / 2 });
  const tol = Math.max(1, Math.hypot(c2.x - c.x, c2.y - c.y));
  const outside = (x: number, y: number) => {
    const p = applyHomography(toImage, { x, y });
    return p.x < -tol || p.y < -tol || p.x > W + tol || p.y > H + tol;
  };
  let outArea = 0;
  for (let j = 0; j < GRID_Y; j++) {
    for (let i = 0; i < GRID_X; i++) {
      if (outside(((i + 0.5) / GRID_X) * CANONICAL_WIDTH, ((j + 0.5) / GRID_Y) * CANONICAL_HEIGHT)) outArea++;
    }
  }
  let outLine = 0;
  const corners = [
    [0, 0],
    [CANONICAL_WIDTH, 0],
    [CANONICAL_WIDTH, CANONICAL_HEIGHT],
    [0, CANONICAL_HEIGHT],
  ];
  for (let e = 0; e < 4; e++) {
    const [ax, ay] = corners[e];
    const [bx, by] = corners[(e + 1) % 4];
    for (let s = 0; s < OUTLINE_STEPS; s++) {
      const t = (s + 0.5) / OUTLINE_STEPS;
      if (outside(ax + (bx - ax) * t, ay + (by - ay) * t)) outLine++;
    }
  }
  const cornersOutside = corners.filter(([x, y]) => outside(x, y)).length;
  return { areaOutside: outArea / (GRID_X * GRID_Y), outlineOutside: outLine / (4 * OUTLINE_STEPS), cornersOutside };
}

/** ISO/IEC 7810 ID-1 corner radius, 3.18 mm, in canonical px. */
const CORNER_RADIUS_CANONICAL = 31.8;
/** How far (fraction of the card's width) a located corner may be from the frame's corner in a tight crop. */
const TIGHT_MARGIN = 0.06;
/** RGB distance between a frame corner's tip and the card's paper beside it that shows the card's rounding. */
const ROUNDING_CONTRAST = 24;

export interface TightCrop {
  tight: boolean;
  detail: string;
}

/**
 * A scan or picture cropped to the card: the card fills the frame and its edges coincide with the frame's,
 * so the locator's corners (a few px off either way) may land just beyond it although nothing is lost.
 * Told from a frame that cuts the card by the card's rounded corners (ID-1, r = 3.18 mm): in a tight crop
 * each corner of the frame shows, at its very tip, what lies behind the card (the rounding leaves it
 * uncovered), unlike the card's paper just inside; a frame cutting into the card shows paper or print there.
 */
export function tightCrop(decoded: DecodedImage, card: LocatedCard): TightCrop {
  const img = decoded.image;
  const { width: W, height: H, channels: c, data } = img;
  const q = card.quad;
  const cardW = (Math.hypot(q[1].x - q[0].x, q[1].y - q[0].y) + Math.hypot(q[2].x - q[3].x, q[2].y - q[3].y)) / 2;
  const margin = Math.max(4, TIGHT_MARGIN * cardW);
  const frameCorners = [
    { x: 0, y: 0, sx: 1, sy: 1 },
    { x: W, y: 0, sx: -1, sy: 1 },
    { x: W, y: H, sx: -1, sy: -1 },
    { x: 0, y: H, sx: 1, sy: -1 },
  ];
  // The card must fill the frame: every frame corner has a located card corner near it.
  const far = frameCorners.map((f) => Math.min(...q.map((p) => Math.hypot(p.x - f.x, p.y - f.y)))).reduce((a, b) => Math.max(a, b));
  if (far > margin) return { tight: false, detail: `card does not fill the frame (a frame corner ${far.toFixed(0)} px from the card's)` };
  const r = Math.max(4, (CORNER_RADIUS_CANONICAL / CANONICAL_WIDTH) * cardW);
  // Mean colour over the pixels of a corner's triangle (x + y < a) or square band (a ≤ x, y < b), from the tip.
  const mean = (f: (typeof frameCorners)[number], inside: (x: number, y: number) => boolean, size: number) => {
    const sum = [0, 0, 0];
    let n = 0;
    for (let y = 0; y < size && y < H; y++) {
      for (let x = 0; x < size && x < W; x++) {
        if (!inside(x, y)) continue;
        const px = f.sx > 0 ? x : W - 1 - x;
        const py = f.sy > 0 ? y : H - 1 - y;
        const p = (py * W + px) * c;
        for (let k = 0; k < 3; k++) sum[k] += data[p + k];
        n++;
      }
    }
    return sum.map((v) => v / Math.max(1, n));
  };
  // The rounding leaves uncovered the tip up to r(1 − 1/√2) ≈ 0.29 r along the diagonal: use its first half.
  const tip = Math.max(2, 0.3 * r);
  const contrasts = frameCorners.map((f) => {
    const a = mean(f, (x, y) => x + y < tip, Math.ceil(tip));
    const b = mean(f, (x, y) => x >= 0.9 * r && y >= 0.9 * r, Math.ceil(1.5 * r));
    return Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
  });
  const rounded = contrasts.filter((d) => d >= ROUNDING_CONTRAST).length;
  return {
    tight: rounded >= 3,
    detail: `card fills the frame; ${rounded} of 4 frame corners show the card's rounding (tip contrast ${contrasts.map((d) => d.toFixed(0)).join('/')})`,
  };
}

export function borderCutReport(decoded: DecodedImage, card: LocatedCard): DetectorReport {
  const m = measureCut(decoded, card);
  const extent = Math.round(clamp(Math.max(m.areaOutside / 0.02, m.outlineOutside / 0.2), 0, 1) * 100);
  let score = Math.max(extent, m.cornersOutside > 0 ? CLIPPED_CORNER_SCORE : 0);
  let why = `${(m.areaOutside * 100).toFixed(1)}% of the card area, ${(m.outlineOutside * 100).toFixed(1)}% of its outline and ${m.cornersOutside} corner(s) beyond the frame`;
  if (score > 0) {
    // A crop tight to the card loses nothing: what lies "beyond" is the locator's few px of slack.
    const t = tightCrop(decoded, card);
    why += `; ${t.detail}`;
    if (t.tight) score = 0;
  }
  return { name: 'border-cut', code: 9101, score, threshold: BORDER_THRESHOLD, fired: score >= BORDER_THRESHOLD, reason: why };
}

/**
 * Which cells of a `w`×`h` grid over the canonical card lie inside the frame (1) or beyond it (0). Parts
 * cut off by the frame are this check's business (9101), not the content detectors': the rectified
 * raster there only repeats the frame's edge pixels, so they leave those cells out.
 */
export function visibleGrid(card: LocatedCard, frame: { width: number; height: number } | undefined, w: number, h: number): Uint8Array {
  const m = new Uint8Array(w * h).fill(1);
  if (!frame) return m;
  const toImage = invertHomography(card.homography);
  const sx = card.card.width / w;
  const sy = card.card.height / h;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const p = applyHomography(toImage, { x: (x + 0.5) * sx, y: (y + 0.5) * sy });
      if (p.x < 1 || p.y < 1 || p.x > frame.width - 1 || p.y > frame.height - 1) m[y * w + x] = 0;
    }
  }
  return m;
}

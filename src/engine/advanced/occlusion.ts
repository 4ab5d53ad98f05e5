/**
 * BorderCheckWarn, second half → 9105: something inside the frame covers part of the card (a finger, a
 * sticker, a coin, a glare that wipes out print).
 *
 * The card is compared with what a card must look like, on a 4× downscaled rectified raster:
 * - skin: a connected blob of skin-coloured pixels (YCbCr skin cluster, Chai & Ngan 1999) outside the
 *   portrait, which is the only place a card shows skin;
 * - foreign colour: a connected blob whose chroma is far from the card's paper (stickers, coins, fingers
 *   of any complexion), again outside the portrait and emblem;
 * - bright: a solid blob brighter than the paper (its luma modelled as a plane, like the chroma) whose
 *   outline is a cliff with plain paper around it — a white or pale label, which has the paper's own
 *   chroma; glare is as bright but fades out over centimetres and is dropped on that;
 * - missing text: a value field that every card prints (name, number, authority…) with no ink at all —
 *   what a white sticker or a blown-out glare leaves.
 * Chroma rather than brightness, because lighting gradients change a photo's brightness, not its hue.
 * The score is the strongest cue, each mapped so that its threshold lands on 50.
 */
import { LAYOUTS, toCanonicalPixels, type NormBox } from '../../domain/cardLayout.ts';
import type { DetectorReport, LocatedCard } from '../types.ts';
import { Histogram, clamp, downscaleShared } from './raster.ts';
import { visibleGrid } from './border.ts';

export const OCCLUSION_THRESHOLD = 50;
const FACTOR = 4;
/** Blob area (fraction of the card) that scores 50: 0.4% is 4×5 mm, about a fingertip's end or a small label. */
const BLOB_AT_50 = 0.004;
/** Margin around the layout's emblem box that is not searched (canonical px, 6 mm). */
const EMBLEM_GROW = 60;
/** Chroma distance (BT.601 Cb/Cr) from the paper that counts as foreign colour. */
const COLOUR_DISTANCE = 20;

/** Fields every card of that kind prints (Address may be short, so only fields of fixed presence). */
const REQUIRED_FIELDS = {
  FRONT: ['Name', 'Sex', 'Nation', 'Birth', 'IdNum'],
  BACK: ['Authority', 'ValidDate'],
  TEMPORARY: ['Name', 'Sex', 'Nation', 'Birth', 'IdNum', 'ValidDate', 'Authority'],
} as const;

interface Cue {
  name: string;
  score: number;
  detail: string;
}

/** Largest 4-connected component of `mask` (1 = set), in pixels. */
export function largestComponent(mask: Uint8Array, w: number, h: number): number {
  const { sizes } = labelComponents(mask, w, h);
  return sizes.reduce((a, b) => Math.max(a, b), 0);
}

/**
 * The paper's chroma as an affine function of position: a warm lamp on one side or a coloured reflection
 * tints a photographed card smoothly from one edge to the other (on the real novelty-card photo by 20+
 * Cb/Cr levels), which a single median would call a foreign blob. Least squares on the pixels within
 * COLOUR_DISTANCE of the median, refitted once on those within it of the first fit, so a cover (a few %
 * of the card) does not pull the plane. The fitted tilt is capped: a card's own print never changes tint
 * by more than that across the card, and a cover filling half of it must not become "paper".
 */
function paperChroma(Cb: Float32Array, Cr: Float32Array, w: number, h: number, cb0: number, cr0: number) {
  let fit = { cb: [cb0, 0, 0], cr: [cr0, 0, 0] };
  for (let pass = 0; pass < 2; pass++) {
    // Normal equations for [1, u, v] (u, v centred coordinates), accumulated for both channels.
    const m = new Float64Array(9);
    const rb = new Float64Array(3);
    const rr = new Float64Array(3);
    const d2 = COLOUR_DISTANCE * COLOUR_DISTANCE;
    for (let y = 0; y < h; y++) {
      const v = y / h - 0.5;
      for (let x = 0; x < w; x++) {
        const i = y * w + x;
        const u = x / w - 0.5;
        const eb = Cb[i] - (fit.cb[0] + fit.cb[1] * u + fit.cb[2] * v);
        const er = Cr[i] - (fit.cr[0] + fit.cr[1] * u + fit.cr[2] * v);
        if (eb * eb + er * er > d2) continue;
        addPlaneSample(m, u, v);
        addPlaneValue(rb, u, v, Cb[i]);
        addPlaneValue(rr, u, v, Cr[i]);
      }
    }
    mirrorPlaneMatrix(m);
    const cb = solve3(m, rb);
    const cr = solve3(m, rr);
    if (!cb || !cr) break;
    const cap = (c: number[]) => [c[0], clamp(c[1], -MAX_TILT, MAX_TILT), clamp(c[2], -MAX_TILT, MAX_TILT)];
    fit = { cb: cap(cb), cr: cap(cr) };
  }
  return { fit };
}

/** Largest change of paper chroma across the card (Cb/Cr levels, edge to edge) the lighting model accepts. */
const MAX_TILT = 30;

/** 3×3 linear system by Cramer's rule; null when singular. */
/**
 * Least-squares plane a + b·u + c·v by its normal equations: one sample's (1, u, v) outer product into the
 * upper triangle of the 3×3 matrix `m` (row-major)…
 */
function addPlaneSample(m: Float64Array, u: number, v: number): void {
  m[0] += 1;
  m[1] += u;
  m[2] += v;
  m[4] += u * u;
  m[5] += u * v;
  m[8] += v * v;
}

/** …its value times (1, u, v) into the right-hand side `r`… */
function addPlaneValue(r: Float64Array, u: number, v: number, value: number): void {
  r[0] += value;
  r[1] += u * value;
  r[2] += v * value;
}

/** …and the lower triangle mirrored from the upper once every sample is in. */
function mirrorPlaneMatrix(m: Float64Array): void {
  m[3] = m[1];
  m[6] = m[2];
  m[7] = m[5];
}

function solve3(m: Float64Array, r: Float64Array): number[] | null {
  const det = (a: ArrayLike<number>) => a[0] * (a[4] * a[8] - a[5] * a[7]) - a[1] * (a[3] * a[8] - a[5] * a[6]) + a[2] * (a[3] * a[7] - a[4] * a[6]);
  const d = det(m);
  if (Math.abs(d) < 1e-9) return null;
  return [0, 1, 2].map((k) => {
    const c = Array.from(m);
    for (let row = 0; row < 3; row++) c[row * 3 + k] = r[row];
    return det(c) / d;
  });
}

/**
 * Binary opening (or, with `close`, closing) with a 5×5 square (separable: a run of 5 along x, then along
 * y), in place.
 */
function open5(mask: Uint8Array, w: number, h: number, close = false): void {
  const a = new Uint8Array(mask.length);
  const b = new Uint8Array(mask.length);
  run5(mask, a, w, h, !close, true);
  run5(a, b, w, h, !close, false);
  run5(b, a, w, h, close, true);
  run5(a, mask, w, h, close, false);
}

/**
 * One 1-D pass of length 5 along x (rows) or y (columns) from `src` into `out`: erode needs all 5 set,
 * dilate any (outside the grid = unset). A running count slides along each line, so each cell is read
 * twice instead of five times.
 */
function run5(src: Uint8Array, out: Uint8Array, w: number, h: number, erode: boolean, alongX: boolean): void {
  const lines = alongX ? h : w;
  const n = alongX ? w : h;
  const step = alongX ? 1 : w;
  for (let line = 0; line < lines; line++) {
    const base = alongX ? line * w : line;
    let count = 0;
    for (let t = 0; t <= 2 && t < n; t++) count += src[base + t * step];
    for (let k = 0; k < n; k++) {
      out[base + k * step] = erode ? (count === 5 ? 1 : 0) : count > 0 ? 1 : 0;
      if (k >= 2) count -= src[base + (k - 2) * step];
      if (k + 3 < n) count += src[base + (k + 3) * step];
    }
  }
}

/**
 * Clears components that lie along the card's sides: touching the rim, spanning at least 40% of a side,
 * with ≥ 85% of their cells in the outer 8% of the card. That is the table (or the card's own edge)
 * showing where the located outline sits a few px off — on the real novelty-card photo a warm wooden
 * table down one side and along the top, which reads as skin. A finger or sticker reaching in from the
 * edge is far shorter along it (a fingertip is ~4 mm wide, ≤ 17 mm long) or reaches deeper.
 */
function dropEdgeBands(mask: Uint8Array, w: number, h: number, rim: number): void {
  const { labels, sizes } = labelComponents(mask, w, h);
  const stat = sizes.map(() => ({ x0: w, y0: h, x1: -1, y1: -1, margin: 0 }));
  const mx = 0.08 * w;
  const my = 0.08 * h;
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i];
    if (l < 0) continue;
    const x = i % w;
    const y = (i - x) / w;
    const b = stat[l];
    b.x0 = Math.min(b.x0, x);
    b.x1 = Math.max(b.x1, x);
    b.y0 = Math.min(b.y0, y);
    b.y1 = Math.max(b.y1, y);
    if (x < mx || x >= w - mx || y < my || y >= h - my) b.margin++;
  }
  const band = stat.map((b, k) => {
    const touches = b.x0 <= rim || b.y0 <= rim || b.x1 >= w - 1 - rim || b.y1 >= h - 1 - rim;
    const long = b.x1 - b.x0 + 1 >= 0.4 * w || b.y1 - b.y0 + 1 >= 0.4 * h;
    return touches && long && b.margin >= 0.85 * sizes[k];
  });
  for (let i = 0; i < labels.length; i++) if (labels[i] >= 0 && band[labels[i]]) mask[i] = 0;
}

/** 3×3 erosion or dilation of a binary mask (outside the grid counts as unset). */
function morph3(src: Uint8Array, w: number, h: number, erode: boolean): Uint8Array {
  const out = new Uint8Array(src.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let all = 1;
      let any = 0;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          const yy = y + dy;
          const v = xx >= 0 && yy >= 0 && xx < w && yy < h ? src[yy * w + xx] : 0;
          all &= v;
          any |= v;
        }
      }
      out[y * w + x] = erode ? all : any;
    }
  }
  return out;
}

/** Chroma step (Cb/Cr levels) across a blob's outline below which it is a tint, not a thing. */
const EDGE_CONTRAST = 12;

/**
 * Clears components whose outline is soft: the mean chroma 2 cells (8 canonical px) inside the outline
 * and 2 cells outside it differ by less than EDGE_CONTRAST. A finger, sticker or coin has a sharp edge;
 * a lamp's warm tint fades in over centimetres, so the part of it past the colour threshold differs little
 * from the part just below it. Returns the strongest contrast kept (for the report).
 */
function dropSoftEdged(mask: Uint8Array, w: number, h: number, Cb: Float32Array, Cr: Float32Array): number {
  const { labels, sizes } = labelComponents(mask, w, h);
  if (sizes.length === 0) return 0;
  const e1 = morph3(mask, w, h, true);
  const e2 = morph3(e1, w, h, true);
  const d1 = morph3(mask, w, h, false);
  const d2 = morph3(d1, w, h, false);
  // Per component: sums of Cb, Cr and counts over its inner ring and its outer ring. The outer ring's
  // owner is the component of the nearest blob cell, found by looking 1–2 cells back toward it.
  const acc = sizes.map(() => ({ ib: 0, ir: 0, ni: 0, ob: 0, or: 0, no: 0 }));
  for (let i = 0; i < mask.length; i++) {
    if (e1[i] && !e2[i] && labels[i] >= 0) {
      const a = acc[labels[i]];
      a.ib += Cb[i];
      a.ir += Cr[i];
      a.ni++;
    } else if (d2[i] && !d1[i]) {
      const x = i % w;
      const y = (i - x) / w;
      let owner = -1;
      for (let dy = -2; dy <= 2 && owner < 0; dy++) {
        for (let dx = -2; dx <= 2 && owner < 0; dx++) {
          const xx = x + dx;
          const yy = y + dy;
          if (xx >= 0 && yy >= 0 && xx < w && yy < h && labels[yy * w + xx] >= 0) owner = labels[yy * w + xx];
        }
      }
      if (owner < 0) continue;
      const a = acc[owner];
      a.ob += Cb[i];
      a.or += Cr[i];
      a.no++;
    }
  }
  const step = acc.map((a) => (a.ni && a.no ? Math.hypot(a.ib / a.ni - a.ob / a.no, a.ir / a.ni - a.or / a.no) : Infinity));
  for (let i = 0; i < labels.length; i++) if (labels[i] >= 0 && step[labels[i]] < EDGE_CONTRAST) mask[i] = 0;
  let best = 0;
  for (let k = 0; k < sizes.length; k++) if (step[k] >= EDGE_CONTRAST && Number.isFinite(step[k])) best = Math.max(best, step[k]);
  return best;
}

interface Blob {
  size: number;
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** The largest 4-connected component with its bounding box (grid cells, inclusive), for the report. */
function largestBlob(mask: Uint8Array, w: number, h: number): Blob {
  const { labels, sizes } = labelComponents(mask, w, h);
  let best = -1;
  for (let i = 0; i < sizes.length; i++) if (best < 0 || sizes[i] > sizes[best]) best = i;
  const blob = { size: best >= 0 ? sizes[best] : 0, x0: w, y0: h, x1: -1, y1: -1 };
  if (best < 0) return blob;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] !== best) continue;
    const x = i % w;
    const y = (i - x) / w;
    blob.x0 = Math.min(blob.x0, x);
    blob.x1 = Math.max(blob.x1, x);
    blob.y0 = Math.min(blob.y0, y);
    blob.y1 = Math.max(blob.y1, y);
  }
  return blob;
}

/** 4-connected components of `mask`: per-pixel label (−1 = unset) and each label's size. */
function labelComponents(mask: Uint8Array, w: number, h: number): { labels: Int32Array; sizes: number[] } {
  const labels = new Int32Array(mask.length).fill(-1);
  const stack = new Int32Array(mask.length);
  const sizes: number[] = [];
  for (let s = 0; s < mask.length; s++) {
    if (!mask[s] || labels[s] >= 0) continue;
    const id = sizes.length;
    let top = 0;
    stack[top++] = s;
    labels[s] = id;
    let size = 0;
    while (top > 0) {
      const i = stack[--top];
      size++;
      const x = i % w;
      const y = (i - x) / w;
      if (x > 0 && mask[i - 1] && labels[i - 1] < 0) ((labels[i - 1] = id), (stack[top++] = i - 1));
      if (x < w - 1 && mask[i + 1] && labels[i + 1] < 0) ((labels[i + 1] = id), (stack[top++] = i + 1));
      if (y > 0 && mask[i - w] && labels[i - w] < 0) ((labels[i - w] = id), (stack[top++] = i - w));
      if (y < h - 1 && mask[i + w] && labels[i + w] < 0) ((labels[i + w] = id), (stack[top++] = i + w));
    }
    sizes.push(size);
  }
  return { labels, sizes };
}

function boxMask(w: number, h: number, boxes: NormBox[], grow: number): Uint8Array {
  const m = new Uint8Array(w * h);
  for (const nb of boxes) {
    const b = toCanonicalPixels(nb, w, h);
    for (let y = Math.max(0, Math.floor(b.y0 - grow)); y < Math.min(h, Math.ceil(b.y1 + grow)); y++) {
      for (let x = Math.max(0, Math.floor(b.x0 - grow)); x < Math.min(w, Math.ceil(b.x1 + grow)); x++) m[y * w + x] = 1;
    }
  }
  return m;
}

/** Cells of the ¼-size canonical grid that something foreign covers (skin or foreign colour), for other detectors. */
export interface CoveredGrid {
  mask: Uint8Array;
  width: number;
  height: number;
}

export interface OcclusionAnalysis {
  cues: Cue[];
  covered: CoveredGrid;
}

export function analyseOcclusion(card: LocatedCard, frame?: { width: number; height: number }): OcclusionAnalysis {
  const layout = LAYOUTS[card.kind];
  const small = downscaleShared(card.card, FACTOR);
  const { width: w, height: h, data } = small;
  const n = w * h;
  const Cb = new Float32Array(n);
  const Cr = new Float32Array(n);
  const Y = new Float32Array(n);
  const hcb = new Histogram(0, 256, 512);
  const hcr = new Histogram(0, 256, 512);
  for (let i = 0, p = 0; i < n; i++, p += 3) {
    const r = data[p];
    const g = data[p + 1];
    const b = data[p + 2];
    Cb[i] = 128 - 0.168736 * r - 0.331264 * g + 0.5 * b;
    Cr[i] = 128 + 0.5 * r - 0.418688 * g - 0.081312 * b;
    Y[i] = 0.299 * r + 0.587 * g + 0.114 * b;
    hcb.add(Cb[i]);
    hcr.add(Cr[i]);
  }
  // The card's paper chroma: the median over the whole card (most of a card is background). Chroma, not
  // brightness, because lighting gradients and vignetting change brightness across a photo, not hue.
  const paperCb = hcb.quantile(0.5);
  const paperCr = hcr.quantile(0.5);
  // Where a card legitimately shows skin or colour: the portrait and the emblem. The outermost 12 canonical
  // px are skipped too: a locator's quad a little off puts the table's colour there.
  const excluded = boxMask(w, h, [layout.portrait].filter((b): b is NormBox => !!b), 1);
  // The emblem varies most between card printings and demo templates (on the real sample backs it reaches
  // 6 mm below and left of the layout's box), so it is excluded with 6 mm to spare.
  if (layout.emblem) {
    const e = boxMask(w, h, [layout.emblem], EMBLEM_GROW / FACTOR);
    for (let i = 0; i < e.length; i++) excluded[i] |= e[i];
  }
  const rim = Math.ceil(12 / FACTOR);
  const visible = visibleGrid(card, frame, w, h);
  const paper = paperChroma(Cb, Cr, w, h, paperCb, paperCr);
  const labelMask = boxMask(w, h, Object.values(layout.labels).map((l) => l.box), 1);
  const skin = new Uint8Array(n);
  const coloured = new Uint8Array(n);

  // The paper's chroma planes, c0 + c1·u + c2·v at centred coordinates u, v, evaluated once per cell.
  const [b0, b1, b2] = paper.fit.cb;
  const [r0, r1, r2] = paper.fit.cr;
  for (let y = rim; y < h - rim; y++) {
    const v = y / h - 0.5;
    for (let x = rim; x < w - rim; x++) {
      const i = y * w + x;
      if (excluded[i] || !visible[i]) continue;
      const u = x / w - 0.5;
      const pcb = b0 + b1 * u + b2 * v;
      const pcr = r0 + r1 * u + r2 * v;
      const dc = Math.hypot(Cb[i] - pcb, Cr[i] - pcr);

      // Printed labels are thin: at 4× downscale their blue mixes with the paper and stays under 20.
      // The labels are printed in blue (bold and blurred, 公民身份号码 merges into one blue block): blue
      // inside a label's box is the card's own print; other colours there still count.
      const labelBlue = labelMask[i] && Cb[i] > pcb && Cr[i] < pcr;
      coloured[i] = dc > COLOUR_DISTANCE && !labelBlue ? 1 : 0;
      // YCbCr skin cluster (Chai & Ngan 1999), and clearly off the paper's own tint.
      skin[i] = Cr[i] >= 133 && Cr[i] <= 178 && Cb[i] >= 77 && Cb[i] <= 127 && dc > 12 ? 1 : 0;
    }
  }
  // Opening (erode, then dilate, 5×5 cells = 2 mm): a cover is solid, at least ~3 mm across (a fingertip,
  // a label, a coin), while what else differs from the median paper is thin — strokes of the coloured
  // labels, the table showing along the rim when the located outline is a few px off, guilloche lines.
  open5(skin, w, h);
  open5(coloured, w, h);
  dropEdgeBands(skin, w, h, rim);
  dropEdgeBands(coloured, w, h, rim);
  const contrast = { skin: dropSoftEdged(skin, w, h, Cb, Cr), colour: dropSoftEdged(coloured, w, h, Cb, Cr) };
  const blobScore = (px: number) => Math.round(clamp((px / n / BLOB_AT_50) * 50, 0, 100));
  const skinBlob = largestBlob(skin, w, h);
  const colourBlob = largestBlob(coloured, w, h);
  const where = (b: Blob) => (b.size ? ` at x ${b.x0 * FACTOR}–${(b.x1 + 1) * FACTOR}, y ${b.y0 * FACTOR}–${(b.y1 + 1) * FACTOR}` : '');
  const cues: Cue[] = [
    { name: 'skin', score: blobScore(skinBlob.size), detail: `skin blob ${((skinBlob.size / n) * 100).toFixed(2)}% of card${where(skinBlob)}, edge step ${contrast.skin.toFixed(0)}` },
    { name: 'colour', score: blobScore(colourBlob.size), detail: `foreign-colour blob ${((colourBlob.size / n) * 100).toFixed(2)}% of card${where(colourBlob)}, edge step ${contrast.colour.toFixed(0)}` },
  ];
  const bright = brightPatchCue(Y, w, h, excluded, visible, rim);
  cues.push(bright.cue);
  // Missing text: a required field with no ink at all (covered by something of the paper's own colour,
  // a white sticker, or washed out by glare).
  const missing = missingTextCue(card, visible, w, h);
  if (missing) cues.push(missing);
  // Only blobs a cover could make (≥ half the warning size): scattered coloured pixels — the blue label
  // strokes — must not hide regions from the edit detector.
  const union = new Uint8Array(n);
  for (let i = 0; i < n; i++) union[i] = skin[i] | coloured[i] | bright.mask[i];
  const { labels, sizes } = labelComponents(union, w, h);
  const mask = new Uint8Array(n);
  const minPx = (n * BLOB_AT_50) / 2;
  for (let i = 0; i < n; i++) if (labels[i] >= 0 && sizes[labels[i]] >= minPx) mask[i] = 1;
  return { cues, covered: { mask, width: w, height: h } };
}

/** Paper luma as an affine function of position (the capture's linear lighting falloff), robust to ink and covers. */
function paperLuma(Y: Float32Array, w: number, h: number, use: Uint8Array): (x: number, y: number) => number {
  const levels = new Histogram(0, 256, 256);
  for (let i = 0; i < Y.length; i++) if (use[i]) levels.add(Y[i]);
  // Most of a card's face is paper, the rest darker ink: the paper level sits above the median.
  let fit = [levels.quantile(0.6), 0, 0];
  for (let pass = 0; pass < 2; pass++) {
    const m = new Float64Array(9);
    const r = new Float64Array(3);
    for (let y = 0; y < h; y++) {
      const v = y / h - 0.5;
      for (let x = 0; x < w; x++) {
        const i = y * w + x;
        if (!use[i]) continue;
        const u = x / w - 0.5;
        if (Math.abs(Y[i] - (fit[0] + fit[1] * u + fit[2] * v)) > PAPER_LUMA_BAND) continue;
        addPlaneSample(m, u, v);
        addPlaneValue(r, u, v, Y[i]);
      }
    }
    mirrorPlaneMatrix(m);
    const next = solve3(m, r);
    if (!next) break;
    fit = next;
  }
  return (x, y) => fit[0] + fit[1] * (x / w - 0.5) + fit[2] * (y / h - 0.5);
}

/** Luma band (levels) around the paper fit whose cells count as paper (and below which a cell is ink). */
const PAPER_LUMA_BAND = 12;
/** Luma above the paper's (levels) that no printed card shows: a white label, or glare. */
const BRIGHT_STEP = 12;
/**
 * A bright blob is a cover when its outline is a cliff: ≥ BRIGHT_JUMP levels between its inside (2–3 cells
 * in) and just outside it (1–2 cells out), with the paper further out (4–6 cells) back within BRIGHT_FAR of
 * the paper's level. Seeds 91/93: white stickers jump 16–22 with the far ring at −5…+5; glare on photos
 * and screen re-shoots jumps ≤ 8, and the one glare that jumped 12 (clipped, cut by bold glyphs) still
 * lit its surroundings 12 levels above the paper — a glare fades out, a label ends.
 */
const BRIGHT_JUMP = 12;
const BRIGHT_FAR = 6;

/**
 * Mean of `value` per component in three bands around its outline (4-connected distance in cells): inside
 * at depth 2–3, outside at distance 1–2 (near) and 4–6 (far). Outside cells belong to the component whose
 * cell reached them first (breadth-first from all components at once).
 */
function edgeProfiles(labels: Int32Array, count: number, value: Float32Array, w: number, h: number): Array<{ inner: number; near: number; far: number }> {
  const n = w * h;
  const si = new Float64Array(count);
  const ni = new Float64Array(count);
  const sn = new Float64Array(count);
  const nn = new Float64Array(count);
  const sf = new Float64Array(count);
  const nf = new Float64Array(count);
  if (count === 0) return [];
  // Breadth-first in rings: `queue[start..end)` is the ring at the current distance.
  const queue = new Int32Array(n);
  const seen = new Uint8Array(n);
  const owner = new Int32Array(n).fill(-1);
  const visit = (maxD: number, onRing: (j: number, d: number, from: number) => void, start: number, end: number) => {
    for (let d = 1; d <= maxD && start < end; d++) {
      const ringEnd = end;
      for (let q = start; q < ringEnd; q++) {
        const i = queue[q];
        const x = i % w;
        for (let k = 0; k < 4; k++) {
          const j = k === 0 ? (x > 0 ? i - 1 : -1) : k === 1 ? (x < w - 1 ? i + 1 : -1) : k === 2 ? i - w : i + w;
          if (j < 0 || j >= n || seen[j]) continue;
          seen[j] = 1;
          queue[end++] = j;
          onRing(j, d, i);
        }
      }
      start = ringEnd;
    }
  };
  // Outside: from every labelled cell at once, each reached cell owned by the component that got there first.
  let end = 0;
  for (let i = 0; i < n; i++) if (labels[i] >= 0) ((seen[i] = 1), (owner[i] = labels[i]), (queue[end++] = i));
  visit(6, (j, d, from) => {
    const o = (owner[j] = owner[from]);
    const v = value[j];
    if (Number.isNaN(v)) return;
    if (d <= 2) ((sn[o] += v), nn[o]++);
    else if (d >= 4) ((sf[o] += v), nf[o]++);
  }, 0, end);
  // Inside: from the unlabelled cells that touch a component (and components' cells on the grid's border).
  seen.fill(0);
  end = 0;
  for (let i = 0; i < n; i++) {
    const x = i % w;
    const y = (i - x) / w;
    if (labels[i] < 0) {
      seen[i] = 1;
      const touches = (x > 0 && labels[i - 1] >= 0) || (x < w - 1 && labels[i + 1] >= 0) || (y > 0 && labels[i - w] >= 0) || (y < h - 1 && labels[i + w] >= 0);
      if (touches) queue[end++] = i;
    }
  }
  visit(3, (j, d) => {
    const v = value[j];
    if (d >= 2 && !Number.isNaN(v)) ((si[labels[j]] += v), ni[labels[j]]++);
  }, 0, end);
  return Array.from({ length: count }, (_, k) => ({ inner: ni[k] ? si[k] / ni[k] : 0, near: nn[k] ? sn[k] / nn[k] : 0, far: nf[k] ? sf[k] / nf[k] : 0 }));
}

/**
 * Bright cover: a solid blob brighter than the paper with a sharp outline and plain paper around it — a
 * white or pale label, which the colour cues miss because it has the paper's own (lack of) chroma. Luma
 * is compared with an affine fit of the paper's (a photo's lighting falls off linearly), and glare is told
 * apart by its outline (BRIGHT_JUMP, BRIGHT_FAR). Portrait and emblem are excluded: a real photo's
 * background is white.
 */
function brightPatchCue(Y: Float32Array, w: number, h: number, excluded: Uint8Array, visible: Uint8Array, rim: number): { cue: Cue; mask: Uint8Array } {
  const n = w * h;
  const use = new Uint8Array(n);
  for (let y = rim; y < h - rim; y++) for (let x = rim; x < w - rim; x++) if (!excluded[y * w + x] && visible[y * w + x]) use[y * w + x] = 1;
  const paper = paperLuma(Y, w, h, use);
  const mask = new Uint8Array(n);
  // Brightness above the paper; ink (well below it) is left out of the outline profiles: a glare
  // interrupted by bold glyphs would otherwise show the glyphs' sharp edges as its own.
  const above = new Float32Array(n);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const d = Y[i] - paper(x, y);
      above[i] = d < -PAPER_LUMA_BAND ? NaN : d;
      if (use[i] && d > BRIGHT_STEP) mask[i] = 1;
    }
  }
  if (!mask.includes(1)) return { cue: { name: 'bright', score: 0, detail: 'nothing brighter than the paper' }, mask };
  // Closing first: a label's own printing (已核验, 16 px glyphs) would otherwise split it into slivers
  // that the opening then removes.
  open5(mask, w, h, true);
  for (let i = 0; i < n; i++) mask[i] &= use[i];
  open5(mask, w, h);
  dropEdgeBands(mask, w, h, rim);
  const { labels, sizes } = labelComponents(mask, w, h);
  const profiles = edgeProfiles(labels, sizes.length, above, w, h);
  const kept = profiles.map((p) => p.inner - p.near >= BRIGHT_JUMP && p.far <= BRIGHT_FAR);
  let best = -1;
  for (let k = 0; k < sizes.length; k++) if (kept[k] && (best < 0 || sizes[k] > sizes[best])) best = k;
  for (let i = 0; i < n; i++) mask[i] = labels[i] >= 0 && kept[labels[i]] ? 1 : 0;
  if (best < 0) return { cue: { name: 'bright', score: 0, detail: `no sharp-edged bright blob (${sizes.length} with a soft outline)` }, mask };
  const blob = largestBlob(mask, w, h);
  const p = profiles[best];
  const score = Math.round(clamp((blob.size / n / BLOB_AT_50) * 50, 0, 100));
  const where = ` at x ${blob.x0 * FACTOR}–${(blob.x1 + 1) * FACTOR}, y ${blob.y0 * FACTOR}–${(blob.y1 + 1) * FACTOR}`;
  const detail = `bright blob ${((blob.size / n) * 100).toFixed(2)}% of card${where}, outline jump ${(p.inner - p.near).toFixed(0)}, surroundings ${p.far.toFixed(0)} above paper`;
  return { cue: { name: 'bright', score, detail }, mask };
}

function missingTextCue(card: LocatedCard, visible: Uint8Array, vw: number, vh: number): Cue | null {
  const layout = LAYOUTS[card.kind];
  const img = card.card;
  const c = img.channels;
  let emptiest = Infinity;
  let emptiestField = '';
  for (const f of REQUIRED_FIELDS[card.kind]) {
    const region = layout.values[f];
    if (!region) continue;
    const b = toCanonicalPixels(region.box, img.width, img.height);
    const x1 = b.x0 + Math.min(b.x1 - b.x0, (b.y1 - b.y0) * 1.5);
    // A field the frame cut off is missing for another reason (9101).
    const corners = [[b.x0, b.y0], [x1, b.y0], [b.x0, b.y1], [x1, b.y1]];
    if (corners.some(([x, y]) => !visible[Math.min(vh - 1, Math.floor((y / img.height) * vh)) * vw + Math.min(vw - 1, Math.floor((x / img.width) * vw))])) continue;
    const levels = new Histogram(0, 256, 256);
    for (let y = Math.floor(b.y0); y < Math.ceil(b.y1); y++) {
      for (let x = Math.floor(b.x0); x < Math.ceil(x1); x++) {
        const p = (y * img.width + x) * c;
        levels.add(0.299 * img.data[p] + 0.587 * img.data[p + 1] + 0.114 * img.data[p + 2]);
      }
    }
    if (levels.total === 0) continue;
    // Ink relative to this field's own paper, so a dim photo or a grey copy still counts its print.
    const paper = levels.quantile(0.8);
    let ink = 0;
    for (let v = 0; v < 256 && v < paper - 50; v++) ink += levels.counts[v];
    const frac = ink / levels.total;
    if (frac < emptiest) {
      emptiest = frac;
      emptiestField = f;
    }
  }
  if (!emptiestField) return null;
  // A printed glyph inks 10–25% of its cell (≥ 2.5% of this window even for 一); 0.4% scores 50.
  const score = Math.round(clamp(((0.008 - emptiest) / 0.008) * 100, 0, 100));
  return { name: 'missing-text', score, detail: `${emptiestField} field ink ${(emptiest * 100).toFixed(1)}%` };
}

export function occlusionReport(analysis: OcclusionAnalysis): DetectorReport {
  const { cues } = analysis;
  const top = cues.reduce((a, b) => (b.score > a.score ? b : a));
  return {
    name: 'occlusion',
    code: 9105,
    score: top.score,
    threshold: OCCLUSION_THRESHOLD,
    fired: top.score >= OCCLUSION_THRESHOLD,
    reason: cues.map((c) => `${c.name} ${c.score}: ${c.detail}`).join('; '),
  };
}

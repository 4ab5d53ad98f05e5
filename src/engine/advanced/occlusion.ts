/**
 * BorderCheckWarn, second half → 9105: something inside the frame covers part of the card (a finger, a
 * sticker, a coin, a glare that wipes out print).
 *
 * The card is compared with what a card must look like, on a 4× downscaled rectified raster:
 * - skin: a connected blob of skin-coloured pixels (YCbCr skin cluster, Chai & Ngan 1999) outside the
 *   portrait, which is the only place a card shows skin;
 * - foreign colour: a connected blob whose chroma is far from the card's paper (stickers, coins, fingers
 *   of any complexion), again outside the portrait and emblem;
 * - missing text: a value field that every card prints (name, number, authority…) with no ink at all —
 *   what a white sticker or a blown-out glare leaves. (A white label beside the text, not over a field's
 *   first characters, is not seen: the card's own paper is too uneven for "brighter than paper" to hold.)
 * Chroma rather than brightness, because lighting gradients change a photo's brightness, not its hue.
 * The score is the strongest cue, each mapped so that its threshold lands on 50.
 */
import { LAYOUTS, toCanonicalPixels, type NormBox } from '../../domain/cardLayout.ts';
import type { DetectorReport, LocatedCard } from '../types.ts';
import { Histogram, clamp, downscaleRaster } from './raster.ts';
import { visibleGrid } from './border.ts';

export const OCCLUSION_THRESHOLD = 50;
const FACTOR = 4;
/** Blob area (fraction of the card) that scores 50: 0.4% is 4×5 mm, about a fingertip's end or a small label. */
const BLOB_AT_50 = 0.004;
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
  const small = downscaleRaster(card.card, FACTOR);
  const { width: w, height: h, data } = small;
  const n = w * h;
  const Cb = new Float32Array(n);
  const Cr = new Float32Array(n);
  const hcb = new Histogram(0, 256, 512);
  const hcr = new Histogram(0, 256, 512);
  for (let i = 0, p = 0; i < n; i++, p += 3) {
    const r = data[p];
    const g = data[p + 1];
    const b = data[p + 2];
    Cb[i] = 128 - 0.168736 * r - 0.331264 * g + 0.5 * b;
    Cr[i] = 128 + 0.5 * r - 0.418688 * g - 0.081312 * b;
    hcb.add(Cb[i]);
    hcr.add(Cr[i]);
  }
  // The card's paper chroma: the median over the whole card (most of a card is background). Chroma, not
  // brightness, because lighting gradients and vignetting change brightness across a photo, not hue.
  const paperCb = hcb.quantile(0.5);
  const paperCr = hcr.quantile(0.5);
  // Where a card legitimately shows skin or colour: the portrait and the emblem. The outermost 12 canonical
  // px are skipped too: a locator's quad a little off puts the table's colour there.
  const excluded = boxMask(w, h, [layout.portrait, layout.emblem].filter((b): b is NormBox => !!b), 1);
  const rim = Math.ceil(12 / FACTOR);
  const visible = visibleGrid(card, frame, w, h);
  const skin = new Uint8Array(n);
  const coloured = new Uint8Array(n);

  for (let y = rim; y < h - rim; y++) {
    for (let x = rim; x < w - rim; x++) {
      const i = y * w + x;
      if (excluded[i] || !visible[i]) continue;
      const dc = Math.hypot(Cb[i] - paperCb, Cr[i] - paperCr);

      // Printed labels are thin: at 4× downscale their blue mixes with the paper and stays under 20.
      coloured[i] = dc > COLOUR_DISTANCE ? 1 : 0;
      // YCbCr skin cluster (Chai & Ngan 1999), and clearly off the paper's own tint.
      skin[i] = Cr[i] >= 133 && Cr[i] <= 178 && Cb[i] >= 77 && Cb[i] <= 127 && dc > 12 ? 1 : 0;
    }
  }
  const blobScore = (px: number) => Math.round(clamp((px / n / BLOB_AT_50) * 50, 0, 100));
  const skinPx = largestComponent(skin, w, h);
  const colourPx = largestComponent(coloured, w, h);
  const cues: Cue[] = [
    { name: 'skin', score: blobScore(skinPx), detail: `skin blob ${((skinPx / n) * 100).toFixed(2)}% of card` },
    { name: 'colour', score: blobScore(colourPx), detail: `foreign-colour blob ${((colourPx / n) * 100).toFixed(2)}% of card` },
  ];
  // Missing text: a required field with no ink at all (covered by something of the paper's own colour,
  // a white sticker, or washed out by glare).
  const missing = missingTextCue(card, visible, w, h);
  if (missing) cues.push(missing);
  // Only blobs a cover could make (≥ half the warning size): scattered coloured pixels — the blue label
  // strokes — must not hide regions from the edit detector.
  const union = new Uint8Array(n);
  for (let i = 0; i < n; i++) union[i] = skin[i] | coloured[i];
  const { labels, sizes } = labelComponents(union, w, h);
  const mask = new Uint8Array(n);
  const minPx = (n * BLOB_AT_50) / 2;
  for (let i = 0; i < n; i++) if (labels[i] >= 0 && sizes[labels[i]] >= minPx) mask[i] = 1;
  return { cues, covered: { mask, width: w, height: h } };
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

/**
 * CopyWarn → 9102: the image shows a photocopy, not the card. A copier prints toner in grey: the card's
 * tinted guilloche background, the red/blue print and the colour portrait all lose their chroma.
 *
 * Measure: chroma spread on the rectified card (downscaled 4× so sensor noise averages out), taken
 * relative to the card's own median chroma so that a colour cast (a grey copy photographed under warm
 * light) does not read as colour. A genuine card shows strong chroma somewhere (portrait skin, emblem,
 * tinted pattern): the 99.5th percentile of |chroma − median| stays well above a copy's. Only the part
 * of the card inside the frame counts (a cut-off emblem must not make a card look grey).
 *
 * Calibration (synthetic set, seed 11): copies ≤ 0.2; genuine cards ≥ 9 (a back whose emblem the frame
 * cut off) and usually 20–100. 50 sits at 4.
 */
import { LAYOUTS, toCanonicalPixels } from '../../domain/cardLayout.ts';
import type { DetectorReport, LocatedCard } from '../types.ts';
import { visibleGrid } from './border.ts';
import { Histogram, downscaleShared, quantile, scoreBetween } from './raster.ts';

export const COPY_THRESHOLD = 50;
/** Chroma spread (BT.601 Cb/Cr units) of a grey copy at/below which the score is 100, and of a colour card at/above which it is 0. */
export const CHROMA_COPY = 2;
export const CHROMA_GENUINE = 6;

export function chromaSpread(card: LocatedCard, frame?: { width: number; height: number }): { overall: number; portrait: number | null } {
  const small = downscaleShared(card.card, 4);
  const n = small.width * small.height;
  const visible = visibleGrid(card, frame, small.width, small.height);
  const cb = new Float32Array(n);
  const cr = new Float32Array(n);
  for (let i = 0, p = 0; i < n; i++, p += 3) {
    const r = small.data[p];
    const g = small.data[p + 1];
    const b = small.data[p + 2];
    cb[i] = -0.168736 * r - 0.331264 * g + 0.5 * b;
    cr[i] = 0.5 * r - 0.418688 * g - 0.081312 * b;
  }
  const hcb = new Histogram(-128, 128, 1024);
  const hcr = new Histogram(-128, 128, 1024);
  for (let i = 0; i < n; i++) {
    if (!visible[i]) continue;
    hcb.add(cb[i]);
    hcr.add(cr[i]);
  }
  const mcb = hcb.quantile(0.5);
  const mcr = hcr.quantile(0.5);
  const dev = new Float32Array(n);
  const hist = new Histogram(0, 128, 512);
  for (let i = 0; i < n; i++) {
    dev[i] = Math.hypot(cb[i] - mcb, cr[i] - mcr);
    if (visible[i]) hist.add(dev[i]);
  }
  const overall = hist.quantile(0.995);
  const box = LAYOUTS[card.kind].portrait;
  let portrait: number | null = null;
  if (box) {
    const b = toCanonicalPixels(box, small.width, small.height);
    const vals: number[] = [];
    for (let y = Math.floor(b.y0); y < Math.ceil(b.y1); y++) for (let x = Math.floor(b.x0); x < Math.ceil(b.x1); x++) vals.push(dev[y * small.width + x]);
    portrait = quantile(vals, 0.9);
  }
  return { overall, portrait };
}

export function photocopyReport(card: LocatedCard, frame?: { width: number; height: number }): DetectorReport {
  const { overall, portrait } = chromaSpread(card, frame);
  const score = scoreBetween(overall, CHROMA_GENUINE, CHROMA_COPY);
  return {
    name: 'photocopy',
    code: 9102,
    score,
    threshold: COPY_THRESHOLD,
    fired: score >= COPY_THRESHOLD,
    reason: `chroma spread p99.5 ${overall.toFixed(1)}${portrait === null ? '' : `, portrait p90 ${portrait.toFixed(1)}`} (grey copy ≤ ${CHROMA_COPY}, colour card ≥ ${CHROMA_GENUINE})`,
  };
}

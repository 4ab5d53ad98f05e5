/**
 * Quality (0–100, lower = blurrier; COS CI advises ≥ 50 as usable).
 *
 * Measure: the no-reference blur metric of Crété-Roffet et al. ("The Blur Effect", SPIE 2007) on the
 * card's text regions: re-blur the rectified card with a 9-tap box and see how much neighbour-to-neighbour
 * variation that removes. A sharp print loses most of it; an already blurred one loses little. The ratio
 * is independent of contrast and of how much text a field holds, and works on the canonical raster, so it
 * is normalised for the source's scale (a small photo up-sampled to 856 px reads as blurred, as it should:
 * the recogniser sees that same raster).
 *
 * Calibration (six synthetic cards, front and back, Gaussian blur σ in canonical px, this repo's PP-OCRv4
 * recogniser reading every single-line field):
 *   σ 0–2 → score 100, CER 5%;  σ 3 → ~75, CER 5%;  σ 3.5 → ~55, CER 10%;  σ 4 → ~40, CER 16%;
 *   σ 5 → ~15, CER 54%;  σ 6 → 0, CER 79%.
 * So 50 sits where recognition starts to lose characters, as the spec's "≥ 50 is usable" intends.
 * Sharpness is measured at half canonical size (see qualityReport) and mapped linearly 0.30 → 0, 0.70 → 100.
 */
import { LAYOUTS, toCanonicalPixels } from '../../domain/cardLayout.ts';
import type { DetectorReport, LocatedCard } from '../types.ts';
import { type Plane, downscaleShared, lumaPlane, scoreBetween } from './raster.ts';

const BLUR_TAPS = 9;
export const SHARPNESS_AT_0 = 0.3;
export const SHARPNESS_AT_100 = 0.7;
export const QUALITY_USABLE = 50;

/** Crété-Roffet sharpness (1 − blur) over the given row spans of a luma plane, 0..1. */
export function creteSharpness(p: Plane, boxes: Array<{ x0: number; y0: number; x1: number; y1: number }>): number {
  let sumFv = 0;
  let sumVv = 0;
  let sumFh = 0;
  let sumVh = 0;
  const w = p.width;
  const half = (BLUR_TAPS - 1) / 2;
  for (const b of boxes) {
    const x0 = Math.max(half + 1, Math.floor(b.x0));
    const x1 = Math.min(w - half - 1, Math.ceil(b.x1));
    const y0 = Math.max(half + 1, Math.floor(b.y0));
    const y1 = Math.min(p.height - half - 1, Math.ceil(b.y1));
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) {
        const i = y * w + x;
        // Vertical: compare with the pixel above, original and after a vertical 9-tap box blur.
        let bv = 0;
        let bvUp = 0;
        let bh = 0;
        let bhLeft = 0;
        for (let k = -half; k <= half; k++) {
          bv += p.data[i + k * w];
          bvUp += p.data[i + (k - 1) * w];
          bh += p.data[i + k];
          bhLeft += p.data[i + k - 1];
        }
        const dFv = Math.abs(p.data[i] - p.data[i - w]);
        const dBv = Math.abs(bv - bvUp) / BLUR_TAPS;
        const dFh = Math.abs(p.data[i] - p.data[i - 1]);
        const dBh = Math.abs(bh - bhLeft) / BLUR_TAPS;
        sumFv += dFv;
        sumVv += Math.max(0, dFv - dBv);
        sumFh += dFh;
        sumVh += Math.max(0, dFh - dBh);
      }
    }
  }
  if (sumFv <= 0 || sumFh <= 0) return 0;
  // Blur per direction is (F − V)/F; the card is as blurred as its blurrier direction (motion blur).
  const blur = Math.max((sumFv - sumVv) / sumFv, (sumFh - sumVh) / sumFh);
  return 1 - blur;
}

/** Canonical boxes holding printed values and labels: where legibility matters. */
export function textBoxes(card: LocatedCard) {
  const layout = LAYOUTS[card.kind];
  return [...Object.values(layout.labels), ...Object.values(layout.values)].map((r) => toCanonicalPixels(r!.box, card.card.width, card.card.height));
}

export function qualityReport(card: LocatedCard): DetectorReport & { quality: number } {
  // Measured at half the canonical size: the 9-tap re-blur then spans 18 canonical px, so the metric keeps
  // resolving blur up to σ ≈ 7 px instead of saturating near σ ≈ 3 (and it costs a quarter).
  const half = downscaleShared(card.card, 2);
  const boxes = textBoxes(card).map((b) => ({ x0: b.x0 / 2, y0: b.y0 / 2, x1: b.x1 / 2, y1: b.y1 / 2 }));
  const sharpness = creteSharpness(lumaPlane(half), boxes);
  const quality = scoreBetween(sharpness, SHARPNESS_AT_0, SHARPNESS_AT_100);
  return {
    name: 'quality',
    score: quality,
    threshold: QUALITY_USABLE,
    // Quality is a score, not a warning: "fired" marks a card below the usable threshold for --verbose.
    fired: quality < QUALITY_USABLE,
    reason: `text sharpness ${sharpness.toFixed(3)} (Crété-Roffet, 9-tap re-blur)`,
    quality,
  };
}

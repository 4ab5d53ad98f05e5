/**
 * DetectPsWarn → 9106: the card was edited — one field re-typed over a pasted patch — so that field's
 * print disagrees with the rest of the card. One printing pass (and one camera shot) gives every field the
 * same ink and the same noise and compression history; a forger's patch brings its own.
 *
 * Per printed region (labels and values, cardLayout.ts) of the rectified card we measure the paper's
 * noise residual (pixel minus its 3×3 mean, on paper pixels away from strokes) and, for values, the ink
 * of the stroke cores (darkness, red−blue and green−magenta balance). A value field is compared with the median of the
 * card's other regions — for noise all of them, for ink the other values — in units of their spread,
 * floored so that a very uniform card does not turn a tiny difference into a big one. The score is the
 * largest deviation; paper colour is deliberately not used (lighting gradients would make it fire).
 */
import { CANONICAL_WIDTH, LAYOUTS, toCanonicalPixels } from '../../domain/cardLayout.ts';
import type { CardKind, DetectorReport, LocatedCard, RasterImage } from '../types.ts';
import { Histogram, type Plane, boxBlur3, median, scoreBetween } from './raster.ts';
import type { CoveredGrid } from './occlusion.ts';
import { sourceScale } from './crops.ts';
import { applyHomography, invertHomography } from './warp.ts';

export const PS_THRESHOLD = 50;
/** Deviation (in floored spreads) at which the score is 0 and 100. */
export const DEVIATION_AT_0 = 0.8;
export const DEVIATION_AT_100 = 2.8;

export interface RegionStats {
  region: string;
  isValue: boolean;
  /** Median |pixel − 3×3 mean| over paper pixels away from strokes (8-bit levels). */
  noise: number;
  /** Mean luma and red−blue of the darkest 1.5% (stroke cores). */
  inkY: number;
  inkRB: number;
  /** Mean green − (red + blue)/2 of the stroke cores: the ink's other chroma axis. */
  inkGM: number;
  /** Independent paper samples behind `noise`: paper pixels, fewer where the raster upsampled the source. */
  samples: number;
}

/**
 * Smallest spread counted for each feature (its units), so a uniform card's tiny differences stay small.
 * Set on the synthetic sets. On the real samples (../shared/samples/real, low-resolution demo cards)
 * raising the ink floors alone did not help (6/12: 6 of 13 flagged at 80% synthetic recall; 8/16: 3 of 13
 * at 62%); the ink cues' resolution weight (inkWeight) and the noise cue's sampling weight did (0 of 13).
 */
const NOISE_FLOOR = 0.12;
/** Paper samples from which a region's noise deviation counts in full. */
const NOISE_SAMPLES = 4000;
const INK_RB_FLOOR = 5;
/**
 * Green against magenta, the ink's second chroma axis: a purple or olive ink keeps red ≈ blue and passes
 * the red−blue cue. Same floor as red−blue; on seed 95 it caught 2 more of 40 edits, raised no clean or
 * photo score above 28, and one more of 18 screen re-shoots (their moiré tints stroke cores) reached 50.
 */
const INK_GM_FLOOR = 5;
const INK_Y_FLOOR = 8;
/** Regions set in the card's Hei type (ink comparable); the number's bold monospace is darker by design. */
const HEI_VALUES = new Set(['Name', 'Sex', 'Nation', 'Birth', 'Address', 'Authority', 'ValidDate']);
/**
 * Fields long enough for their ink darkness to mean something: a lone thin glyph (性别 男, 民族 汉) reads
 * paler under any blur because its strokes never reach full ink, which is not a forgery.
 */
const MULTI_GLYPH = new Set(['Name', 'Birth', 'Address', 'Authority', 'ValidDate']);

/** Luma of a box of the card, with `pad` pixels of context on every side (clamped to the card). */
function lumaBox(img: RasterImage, x0: number, y0: number, x1: number, y1: number, pad: number): { plane: Plane; ox: number; oy: number } {
  const ox = Math.max(0, x0 - pad);
  const oy = Math.max(0, y0 - pad);
  const width = Math.min(img.width, x1 + pad) - ox;
  const height = Math.min(img.height, y1 + pad) - oy;
  const data = new Float32Array(width * height);
  const c = img.channels;
  for (let y = 0; y < height; y++) {
    let p = ((oy + y) * img.width + ox) * c;
    for (let x = 0; x < width; x++, p += c) data[y * width + x] = 0.299 * img.data[p] + 0.587 * img.data[p + 1] + 0.114 * img.data[p + 2];
  }
  return { plane: { data, width, height }, ox, oy };
}

function coveredFraction(g: CoveredGrid, b: { x0: number; y0: number; x1: number; y1: number }, cw: number, ch: number): number {
  const gx0 = Math.max(0, Math.floor((b.x0 / cw) * g.width));
  const gx1 = Math.min(g.width, Math.ceil((b.x1 / cw) * g.width));
  const gy0 = Math.max(0, Math.floor((b.y0 / ch) * g.height));
  const gy1 = Math.min(g.height, Math.ceil((b.y1 / ch) * g.height));
  let set = 0;
  let total = 0;
  for (let y = gy0; y < gy1; y++) {
    for (let x = gx0; x < gx1; x++) {
      set += g.mask[y * g.width + x];
      total++;
    }
  }
  return total ? set / total : 0;
}

export function regionStats(card: LocatedCard, frame?: { width: number; height: number }, covered?: CoveredGrid, raster: RasterImage = card.card, scale = 1): RegionStats[] {
  // Paper must lie beyond a stroke's blur and JPEG ringing, which span source pixels: on a card upscaled
  // from a low-resolution photo they reach further in canonical px (bold number strokes ring the most).
  const paperReach = 1 + Math.ceil(Math.max(0, 1 / Math.max(scale, 0.25) - 1 - 1e-6));
  const layout = LAYOUTS[card.kind];
  const img = raster;
  // The raster may be finer than canonical (the source's own resolution); geometry checks work in canonical px.
  const toCanon = CANONICAL_WIDTH / img.width;
  const regions = [
    ...Object.entries(layout.labels).map(([k, r]) => ({ name: `label ${k}`, box: r.box, isValue: false })),
    ...Object.entries(layout.values).map(([k, r]) => ({ name: k, box: r!.box, isValue: true })),
  ];
  const out: RegionStats[] = [];
  const toImage = frame ? invertHomography(card.homography) : null;
  const inFrame = (x: number, y: number) => {
    if (!toImage || !frame) return true;
    const p = applyHomography(toImage, { x: x * toCanon, y: y * toCanon });
    return p.x >= 0 && p.y >= 0 && p.x <= frame.width && p.y <= frame.height;
  };
  for (const r of regions) {
    const b = toCanonicalPixels(r.box, img.width, img.height);
    // A region the frame cut off holds repeated edge pixels, not print (that is 9101's business).
    if (!inFrame(b.x0, b.y0) || !inFrame(b.x1, b.y0) || !inFrame(b.x0, b.y1) || !inFrame(b.x1, b.y1)) continue;
    // A region under a finger or sticker (9105's business) shows the cover's colour, not the print's.
    if (covered && coveredFraction(covered, b, img.width, img.height) > 0.02) continue;
    const x0 = Math.ceil(b.x0) + 1;
    const x1 = Math.floor(b.x1) - 1;
    const y0 = Math.ceil(b.y0) + 1;
    const y1 = Math.floor(b.y1) - 1;
    if ((x1 - x0) * (y1 - y0) < 100) continue;
    // Only this region (plus context for the blurs) is converted: the card's other pixels are not needed.
    const { plane: luma, ox, oy } = lumaBox(img, x0, y0, x1, y1, 2 + paperReach);
    const smooth = boxBlur3(luma);
    // Paper far from any stroke: repeated 3×3 means, so a pixel 1 + paperReach steps from ink is excluded.
    let wide = boxBlur3(smooth);
    for (let k = 1; k < paperReach; k++) wide = boxBlur3(wide);
    const W = luma.width;
    const L = luma.data;
    // Index of card pixel (x0, y) in the region's planes; x steps by one from there.
    const rowAt = (y: number) => (y - oy) * W + (x0 - ox);
    const levels = new Histogram(0, 256, 256);
    for (let y = y0; y < y1; y++) for (let x = x0, i = rowAt(y); x < x1; x++, i++) levels.add(L[i]);
    const paperLevel = levels.quantile(0.6);
    const darkest = levels.quantile(0.005);
    // No ink at all (empty or covered region): nothing to compare.
    if (paperLevel - darkest < 40) continue;
    const inkCut = paperLevel - 0.5 * (paperLevel - darkest);
    const paperCut = paperLevel - 0.1 * (paperLevel - darkest);
    const inkLevels = new Histogram(0, 256, 256);
    const residuals = new Histogram(0, 16, 512);
    const S = smooth.data;
    const Wd = wide.data;
    for (let y = y0; y < y1; y++) {
      for (let x = x0, i = rowAt(y); x < x1; x++, i++) {
        const v = L[i];
        if (v < inkCut) inkLevels.add(v);
        else if (Wd[i] >= paperCut) residuals.add(Math.abs(v - S[i]));
      }
    }
    if (inkLevels.total < 20 || residuals.total < 50) continue;
    // Stroke cores: the darkest fifth of the ink, which thin and bold type alike reach.
    const coreCut = inkLevels.quantile(0.2);
    let inkY = 0;
    let inkRB = 0;
    let inkGM = 0;
    let ni = 0;
    for (let y = y0; y < y1; y++) {
      for (let x = x0, i = rowAt(y); x < x1; x++, i++) {
        const v = L[i];
        if (v <= coreCut) {
          const p = (y * img.width + x) * img.channels;
          inkY += v;
          inkRB += img.data[p] - img.data[p + 2];
          inkGM += img.data[p + 1] - (img.data[p] + img.data[p + 2]) / 2;
          ni++;
        }
      }
    }
    const samples = residuals.total * Math.min(1, scale / (img.width / CANONICAL_WIDTH)) ** 2;
    out.push({ region: r.name, isValue: r.isValue, noise: residuals.quantile(0.5), inkY: inkY / ni, inkRB: inkRB / ni, inkGM: inkGM / ni, samples });
  }
  return out;
}

function robustDeviation(value: number, others: number[], floor: number): { dev: number; median: number } {
  if (others.length === 0) return { dev: 0, median: value };
  const m = median(others);
  const spread = Math.max(floor, median(others.map((v) => Math.abs(v - m))) * 1.4826);
  return { dev: (value - m) / spread, median: m };
}

/**
 * How far the ink cues can be trusted at this source resolution (0..1). A value stroke is 0.3–0.4 mm, 3–4
 * canonical px; a card photographed at half that resolution draws it 1.5–2 source px wide, and such a
 * stroke's core never reaches full ink — how dark and how coloured it looks then depends on the font's
 * weight and size and on the resampling phase, which differ legitimately between fields (on the real
 * demo cards, all about 450 px wide, the ink cues alone flagged 9 of 13). Full weight from 0.9 source px
 * per canonical px, none below 0.6.
 */
export function inkWeight(sourceScale: number): number {
  return Math.min(1, Math.max(0, (sourceScale - INK_SCALE_0) / (INK_SCALE_1 - INK_SCALE_0)));
}
const INK_SCALE_0 = 0.55;
const INK_SCALE_1 = 0.8;

/**
 * Each value field's disagreement with the rest of the card, combining four cues as a root sum of
 * squares (a re-typed patch usually shifts several a little; a genuine field at most one):
 * - paper noise above the card's (a patch carries its own noise and JPEG history) — one-sided;
 * - ink red−blue and green−magenta balance unlike the other Hei-set values (a different ink);
 * - ink paleness against the other Hei-set values (a forger's near-black is rarely the printer's black) — one-sided.
 * The ink cues are scaled by `weight` (inkWeight of the source resolution).
 */
export function fieldDeviations(stats: RegionStats[], weight = 1, kind?: CardKind): Array<{ field: string; total: number; detail: string }> {
  const noiseOf = (s: RegionStats) => Math.log(s.noise + 0.5);
  const out: Array<{ field: string; total: number; detail: string }> = [];
  // Value fields the card's layout prints, to know how many ink references a field could have had.
  const printed = kind ? Object.keys(LAYOUTS[kind].values) : stats.filter((o) => o.isValue).map((o) => o.region);
  for (const s of stats) {
    if (!s.isValue) continue;
    const allOthers = stats.filter((o) => o !== s);
    // The number's bold monospace has purer stroke cores than Hei type: its ink is compared by noise only.
    const heiOthers = HEI_VALUES.has(s.region) ? stats.filter((o) => o !== s && o.isValue && HEI_VALUES.has(o.region)) : [];
    const paleRefs = heiOthers.filter((o) => MULTI_GLYPH.has(o.region));
    if (allOthers.length < 2) continue;
    const n = robustDeviation(noiseOf(s), allOthers.map(noiseOf), NOISE_FLOOR);
    let rb = { dev: 0, median: s.inkRB };
    let y = { dev: 0, median: s.inkY };
    // Against a single reference field an ink difference cannot say which of the two is odd. A back
    // prints only two value fields, so there one must do; where the layout offers more and a cover or the
    // frame hid all but one (a label over the address leaves 出生 — whose 年月日 are blue — against the
    // name alone: 3–4.5 spreads on genuine fronts, seed 91), the ink cue waits for a second reference.
    const need = (pool: Set<string>) => Math.min(2, printed.filter((f) => f !== s.region && pool.has(f)).length);
    let gm = { dev: 0, median: s.inkGM };
    if (heiOthers.length >= Math.max(1, need(HEI_VALUES))) {
      rb = robustDeviation(s.inkRB, heiOthers.map((o) => o.inkRB), INK_RB_FLOOR);
      gm = robustDeviation(s.inkGM, heiOthers.map((o) => o.inkGM), INK_GM_FLOOR);
    }
    if (paleRefs.length >= Math.max(1, need(MULTI_GLYPH))) y = robustDeviation(s.inkY, paleRefs.map((o) => o.inkY), INK_Y_FLOOR);
    // A small region's median noise is an uncertain estimate (a lone 男 on a low-resolution photo leaves
    // ~1000 independent paper samples, and a guilloche's texture differs from place to place): its
    // deviation counts in proportion to its standard error against a well-sampled field's.
    const dn = Math.max(0, n.dev) * Math.min(1, Math.sqrt(s.samples / NOISE_SAMPLES));
    const drb = Math.abs(rb.dev) * weight;
    const dgm = Math.abs(gm.dev) * weight;
    const dy = (MULTI_GLYPH.has(s.region) ? Math.max(0, y.dev) : 0) * weight;
    out.push({
      field: s.region,
      total: Math.hypot(dn, drb, dgm, dy),
      detail: `${s.region}: noise ${dn.toFixed(1)}, ink red−blue ${drb.toFixed(1)}, ink green−magenta ${dgm.toFixed(1)}, ink paleness ${dy.toFixed(1)} spreads`,
    });
  }
  return out;
}

export function doctoredReport(card: LocatedCard, image?: RasterImage, covered?: CoveredGrid): DetectorReport {
  // Measured on the canonical card: re-sampling at the source's finer resolution (up to 2×) was tried
  // and caught no more synthetic edits (seeds 21, 23) at three times the cost.
  const scale = sourceScale(card);
  const raster = card.card;
  const weight = inkWeight(scale);
  const devs = fieldDeviations(regionStats(card, image, covered, raster, scale), weight, card.kind);
  const worst = devs.reduce<{ field: string; total: number; detail: string } | null>((a, b) => (!a || b.total > a.total ? b : a), null);
  const score = worst ? scoreBetween(worst.total, DEVIATION_AT_0, DEVIATION_AT_100) : 0;
  const why = worst ? `${worst.detail} (source ${scale.toFixed(2)} px/canonical px, ink weight ${weight.toFixed(2)})` : 'too few printed regions to compare';
  return { name: 'doctored', code: 9106, score, threshold: PS_THRESHOLD, fired: score >= PS_THRESHOLD, reason: why };
}

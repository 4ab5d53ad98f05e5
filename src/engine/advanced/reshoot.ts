/**
 * ReshootWarn → 9103: the image is a photo of a screen showing the card. A display's pixel grid, sampled
 * again by the camera, leaves sharp periodic peaks (the grid itself, or the moiré it beats into) that a
 * printed card never has: print is either continuous (guilloche curves, text) or far finer than a phone
 * resolves.
 *
 * Measure: power spectra of a square patch cut from the decoded image (native pixels, where the grid
 * lives; rectifying would resample it) in the middle of the card, of luma and of the R−B difference
 * (subpixel stripes show most in colour). A peak is a bin that towers over its ring of neighbours three
 * bins away in all eight directions — the second largest of them, so that a straight edge's spectral
 * line (which passes through two of them) does not count as a peak.
 */
import type { DecodedImage, DetectorReport, LocatedCard, Point } from '../types.ts';
import { powerSpectra2d } from './fft.ts';
import { scoreBetween } from './raster.ts';

export const RESHOOT_THRESHOLD = 50;
/**
 * log10(peak / background): printed cards (synthetic seeds 7 and 11) reach at most 1.75, screens 1.95–3.75.
 * Score 0 at PEAK_PRINT, 100 at PEAK_SCREEN, so 50 (the warning) sits at 2.1, nearer the screens than the
 * prints because a false alarm costs a genuine customer.
 */
export const PEAK_PRINT = 1.6;
export const PEAK_SCREEN = 2.6;
const MAX_PATCH = 256;
const MIN_PATCH = 64;
/** Only frequencies above this (cycles/pixel) are searched: below it sit text rows and the guilloche. */
const MIN_FREQ = 0.08;
const RING = 3;

function centroid(q: Point[]): Point {
  return { x: (q[0].x + q[1].x + q[2].x + q[3].x) / 4, y: (q[0].y + q[1].y + q[2].y + q[3].y) / 4 };
}

/**
 * Patch and spectrum planes per patch size, reused across requests: allocating four fresh 512 KiB arrays
 * cost more than filling them. Only reshootReport uses them, synchronously, and every element is written
 * before it is read.
 */
const buffers = new Map<number, { luma: Float64Array; rb: Float64Array; spectra: [Float64Array, Float64Array] }>();

function buffersFor(n: number) {
  let b = buffers.get(n);
  if (!b) {
    const plane = () => new Float64Array(n * n);
    buffers.set(n, (b = { luma: plane(), rb: plane(), spectra: [plane(), plane()] }));
  }
  return b;
}

/** Largest power-of-two square patch inside the card around its centre, as luma and R−B planes. */
function cardPatch(decoded: DecodedImage, card: LocatedCard): { luma: Float64Array; rb: Float64Array; n: number } | null {
  const img = decoded.image;
  const c = centroid(card.quad);
  const q = card.quad;
  // Half the card's smaller side, so the patch stays on the card whatever its rotation.
  const side = Math.min(Math.hypot(q[1].x - q[0].x, q[1].y - q[0].y), Math.hypot(q[3].x - q[0].x, q[3].y - q[0].y));
  let n = MAX_PATCH;
  while (n > side * 0.7 && n > MIN_PATCH) n >>= 1;
  if (n > img.width || n > img.height) return null;
  const x0 = Math.round(Math.min(Math.max(0, c.x - n / 2), img.width - n));
  const y0 = Math.round(Math.min(Math.max(0, c.y - n / 2), img.height - n));
  const { luma, rb } = buffersFor(n);
  const ch = img.channels;
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      const p = ((y0 + y) * img.width + x0 + x) * ch;
      const r = img.data[p];
      const g = img.data[p + 1];
      const b = img.data[p + 2];
      luma[y * n + x] = 0.299 * r + 0.587 * g + 0.114 * b;
      rb[y * n + x] = r - b;
    }
  }
  return { luma, rb, n };
}

/** Strongest isolated peak above MIN_FREQ in power spectrum `P`, as log10(peak / second-largest ring neighbour). */
export function peakiness(P: Float64Array, n: number): { ratio: number; freq: number } {
  let best = 0;
  let bestFreq = 0;
  const minR = MIN_FREQ * n;
  // Half plane (the spectrum of a real patch is symmetric): v in [0, n/2], u in (−n/2, n/2].
  // Squared radii, the same tests as on the radius without a square root per bin: u² + v² is an exact
  // integer, (0.08 n)² is far from any integer, and (n/2)² is reached only on the axes (a power of two
  // is no Pythagorean hypotenuse), where the root is exact.
  const minR2 = minR * minR;
  const maxR2 = (n / 2) * (n / 2);
  // log10 is monotonic, so a bin can only beat `best` if its plain ratio beats the best plain ratio seen;
  // the logarithm (and the comparison the report is defined by) runs only for those few bins.
  let bestQ = 1;
  // Bin (v, u) of the periodic spectrum lives at P[(v mod n)·n + (u mod n)]: the wrapped column of each u
  // and of its ring neighbours u ± RING, tabulated once instead of two remainders per neighbour.
  const wrap = (i: number) => ((i % n) + n) % n;
  const colAt = new Int32Array(n);
  const colLeft = new Int32Array(n);
  const colRight = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    const u = k - n / 2 + 1;
    colAt[k] = wrap(u);
    colLeft[k] = wrap(u - RING);
    colRight[k] = wrap(u + RING);
  }
  const ring = new Float64Array(8);
  for (let v = 0; v <= n / 2; v++) {
    const row = wrap(v) * n;
    const up = wrap(v - RING) * n;
    const down = wrap(v + RING) * n;
    for (let k = 0; k < n; k++) {
      const u = k - n / 2 + 1;
      const r2 = u * u + v * v;
      if (r2 < minR2 || r2 > maxR2) continue;
      const p = P[row + colAt[k]];
      if (p <= 0) continue;
      // The second largest of the ring is at least the smaller of any two of its bins, so a bin whose ratio
      // over the smaller of the bins above and below it cannot beat the best is passed over unread.
      const above = P[up + colAt[k]];
      const below = P[down + colAt[k]];
      if (p / ((above < below ? above : below) + 1e-9) <= bestQ) continue;
      // Second largest of the eight ring neighbours: above, below, left, right and the four diagonals.
      ring[0] = above;
      ring[1] = below;
      ring[2] = P[row + colLeft[k]];
      ring[3] = P[row + colRight[k]];
      ring[4] = P[up + colLeft[k]];
      ring[5] = P[up + colRight[k]];
      ring[6] = P[down + colLeft[k]];
      ring[7] = P[down + colRight[k]];
      let first = 0;
      let second = 0;
      for (let i = 0; i < 8; i++) {
        const q = ring[i];
        if (q > first) {
          second = first;
          first = q;
        } else if (q > second) second = q;
      }
      const q = p / (second + 1e-9);
      if (q <= bestQ) continue;
      const ratio = Math.log10(q);
      if (ratio > best) {
        best = ratio;
        bestQ = q;
        bestFreq = Math.hypot(u, v) / n;
      }
    }
  }
  return { ratio: best, freq: bestFreq };
}

export function reshootReport(decoded: DecodedImage, card: LocatedCard): DetectorReport {
  const patch = cardPatch(decoded, card);
  if (!patch) return { name: 'reshoot', code: 9103, score: 0, threshold: RESHOOT_THRESHOLD, fired: false, reason: 'card too small to analyse' };
  const [pl, pc] = powerSpectra2d(patch.luma, patch.rb, patch.n, buffersFor(patch.n).spectra);
  const l = peakiness(pl, patch.n);
  const c = peakiness(pc, patch.n);
  const strongest = l.ratio >= c.ratio ? { ...l, plane: 'luma' } : { ...c, plane: 'R−B' };
  const score = scoreBetween(strongest.ratio, PEAK_PRINT, PEAK_SCREEN);
  return {
    name: 'reshoot',
    code: 9103,
    score,
    threshold: RESHOOT_THRESHOLD,
    fired: score >= RESHOOT_THRESHOLD,
    reason: `periodic peak ${strongest.ratio.toFixed(2)} (log10 over neighbours) at ${strongest.freq.toFixed(3)} cycles/px in ${strongest.plane}, ${patch.n}px patch`,
  };
}

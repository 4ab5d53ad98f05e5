/**
 * CropIdCard and CropPortrait (COS CI IDCardOCR `Config`): the rectified card and the holder's photo as
 * base64 JPEG.
 *
 * The card crop is re-sampled from the decoded image through the inverse of the located homography, at the
 * source's own resolution when that is finer than canonical (up to 1.5×), so small print stays as sharp as
 * the photo allows; never below the canonical 856×540. The portrait is the layout's photo box
 * (cardLayout.ts) through the located homography, each edge snapped to a straight photo border close to
 * it where the photo has one.
 */
import sharp from 'sharp';
import { CANONICAL_HEIGHT, CANONICAL_WIDTH, LAYOUTS, toCanonicalPixels } from '../../domain/cardLayout.ts';
import type { DecodedImage, LocatedCard, Point, RasterImage } from '../types.ts';
import type { PixelBox } from './raster.ts';
import { invertHomography, warpFromImage } from './warp.ts';

/** More than 1.5× canonical adds bytes and warp time, not legibility (1284 px across is 15 px/mm). */
const MAX_CROP_SCALE = 1.5;
/** JPEG quality: high enough that the 1.5 mm glyphs keep clean edges. */
const JPEG_QUALITY = 90;

function dist(a: Point, b: Point): number {
  return Math.hypot(a.x - b.x, a.y - b.y);
}

/** Pixels per canonical pixel the source offers for this card (mean of opposite edge lengths). */
export function sourceScale(card: LocatedCard): number {
  const [tl, tr, br, bl] = card.quad;
  const across = (dist(tl, tr) + dist(bl, br)) / 2 / CANONICAL_WIDTH;
  const down = (dist(tl, bl) + dist(tr, br)) / 2 / CANONICAL_HEIGHT;
  return Math.min(across, down);
}

/**
 * The upright card at the best resolution the source supports (≥ canonical). Reuses the located canonical
 * raster when the source is no finer than it.
 */
export function rectifiedCardForCrop(decoded: DecodedImage, card: LocatedCard): RasterImage {
  const scale = Math.min(MAX_CROP_SCALE, sourceScale(card));
  if (scale < 1.1) return card.card;
  const width = Math.round(CANONICAL_WIDTH * scale);
  const height = Math.round(CANONICAL_HEIGHT * scale);
  return warpFromImage(decoded.image, invertHomography(card.homography), width, height, CANONICAL_WIDTH, CANONICAL_HEIGHT);
}

/**
 * The canonical 856×540 card resampled from a finer crop (rectifiedCardForCrop) by libvips (Catmull-Rom,
 * its kernel widened to the reduction, so no aliasing), in its worker threads: started before the
 * detectors that do not look at the card, it is ready when they are done, and the photo is not warped a
 * second time on this thread (a canonical warp is ~9 ms of it; this, ~1 ms of waiting). Of the kernels
 * libvips offers it came nearest the direct warp on the bench photos (mean 0.7–1.0 grey levels apart).
 */
export async function canonicalFromCrop(fine: RasterImage): Promise<RasterImage> {
  const { data, info } = await sharp(Buffer.from(fine.data.buffer, fine.data.byteOffset, fine.data.byteLength), {
    raw: { width: fine.width, height: fine.height, channels: fine.channels },
  })
    .resize(CANONICAL_WIDTH, CANONICAL_HEIGHT, { fit: 'fill', kernel: 'cubic' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.width !== CANONICAL_WIDTH || info.height !== CANONICAL_HEIGHT || info.channels !== 3) {
    throw new Error(`Expected a ${CANONICAL_WIDTH}×${CANONICAL_HEIGHT} RGB card but libvips returned ${info.width}×${info.height}×${info.channels}`);
  }
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height, channels: 3 };
}

export async function encodeJpegBase64(img: RasterImage, box?: PixelBox): Promise<string> {
  let pipeline = sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength), {
    raw: { width: img.width, height: img.height, channels: img.channels },
  });
  if (box) {
    pipeline = pipeline.extract({ left: box.x0, top: box.y0, width: box.x1 - box.x0, height: box.y1 - box.y0 });
  }
  // 4:2:0 chroma: print legibility lives in luma, and it encodes faster and smaller than 4:4:4.
  const jpeg = await pipeline.jpeg({ quality: JPEG_QUALITY, chromaSubsampling: '4:2:0' }).toBuffer();
  return jpeg.toString('base64');
}

/** How far (fraction of the photo's own width/height) an edge may move from its layout position. */
const EDGE_SEARCH = 0.08;
/** A step of at least this many grey levels between neighbours counts as edge evidence on a line. */
const EDGE_STEP = 14;
/** Fraction of a candidate line that must show the step for it to be a photo's straight border. */
const EDGE_COVERAGE = 0.75;

/**
 * The photo's box in canonical pixels: the layout box, each edge snapped to a straight border nearby where
 * the photo has one. A border is a line along which nearly every pixel steps in brightness (a printed
 * photo's rectangle); a silhouette, hair or a collar crosses a line only in part, so a card whose photo
 * blends into the paper (as on real cards, whose photo background is pale) keeps the layout box.
 */
export function portraitBox(card: LocatedCard): PixelBox | null {
  const layout = LAYOUTS[card.kind].portrait;
  if (!layout) return null;
  const nominal = toCanonicalPixels(layout, card.card.width, card.card.height);
  const bw = nominal.x1 - nominal.x0;
  const bh = nominal.y1 - nominal.y0;
  const mx = bw * EDGE_SEARCH;
  const my = bh * EDGE_SEARCH;
  const img = card.card;
  const span = (a: number, b: number) => [Math.round(a + (b - a) * 0.1), Math.round(b - (b - a) * 0.1)] as const;
  const [ya, yb] = span(nominal.y0, nominal.y1);
  const [xa, xb] = span(nominal.x0, nominal.x1);
  const vertical = (x: number) => coverage(img, x, ya, yb, true);
  const horizontal = (y: number) => coverage(img, y, xa, xb, false);
  return {
    x0: Math.max(0, snap(vertical, nominal.x0, mx, img.width)),
    y0: Math.max(0, snap(horizontal, nominal.y0, my, img.height)),
    x1: Math.min(img.width, snap(vertical, nominal.x1, mx, img.width)),
    y1: Math.min(img.height, snap(horizontal, nominal.y1, my, img.height)),
  };
}

/**
 * Fraction of the line at `at` (a column if `vertical`, else a row) between `from` and `to` whose luma
 * steps by ≥ EDGE_STEP from the pixel before it. Luma is taken on the fly (as float32, like a luma
 * plane's) for the few lines the snap tests, instead of converting the whole card.
 */
function coverage(img: RasterImage, at: number, from: number, to: number, vertical: boolean): number {
  const { data, width, channels: c } = img;
  const luma = (k: number) => Math.fround(0.299 * data[k * c] + 0.587 * data[k * c + 1] + 0.114 * data[k * c + 2]);
  let hits = 0;
  let total = 0;
  for (let t = Math.max(0, from); t < Math.min(vertical ? img.height : width, to); t++) {
    const i = vertical ? t * width + at : at * width + t;
    const j = vertical ? i - 1 : i - width;
    if (Math.abs(luma(i) - luma(j)) >= EDGE_STEP) hits++;
    total++;
  }
  return total ? hits / total : 0;
}

/**
 * The line near `nominal` (± `margin`) with the best coverage, if it reaches EDGE_COVERAGE and stands
 * alone (a periodic texture — a screen's stripes, a guilloche — covers many lines and proves nothing);
 * else `nominal`.
 */
function snap(cover: (at: number) => number, nominal: number, margin: number, limit: number): number {
  let best = Math.round(nominal);
  let bestCover = 0;
  let strong = 0;
  let total = 0;
  for (let at = Math.max(1, Math.floor(nominal - margin)); at <= Math.min(limit - 1, Math.ceil(nominal + margin)); at++) {
    const c = cover(at);
    total++;
    if (c >= 0.5) strong++;
    if (c > bestCover) {
      bestCover = c;
      best = at;
    }
  }
  return bestCover >= EDGE_COVERAGE && strong <= Math.max(2, total * 0.15) ? best : Math.round(nominal);
}

/** The portrait as base64 JPEG, cut from the (possibly high-resolution) rectified card; null on a back face. */
export async function cropPortraitFrom(rectified: RasterImage, card: LocatedCard): Promise<{ jpeg: string; box: PixelBox } | null> {
  const box = portraitBox(card);
  if (!box || box.x1 - box.x0 < 8 || box.y1 - box.y0 < 8) return null;
  const s = rectified.width / card.card.width;
  const scaled: PixelBox = {
    x0: Math.round(box.x0 * s),
    y0: Math.round(box.y0 * s),
    x1: Math.min(rectified.width, Math.round(box.x1 * s)),
    y1: Math.min(rectified.height, Math.round(box.y1 * s)),
  };
  return { jpeg: await encodeJpegBase64(rectified, scaled), box };
}

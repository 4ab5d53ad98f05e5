/**
 * Perspective geometry for the advanced stage: invert the located card's homography (image → canonical) so
 * crops can be re-sampled straight from the decoded image at more than canonical resolution, and so the
 * border check can ask where every part of the card falls in the photo.
 *
 * Convention (shared with locate): canonical coordinates are continuous, the card spans [0, 856] × [0, 540];
 * pixel (u, v) of a raster covers [u, u+1) × [v, v+1), so its centre is (u + 0.5, v + 0.5).
 */
import { homographyFromQuads, rectQuad, rowInside } from '../../geometry/homography.ts';
import { bilinearRgb } from '../geometry.ts';
import type { Homography, Quad, RasterImage } from '../types.ts';

export { applyHomography, invertHomography } from '../../geometry/homography.ts';

/** Homography mapping the rectangle [0,w]×[0,h] onto `quad` (clockwise from top-left): canonical → image maps from corner quads. */
export function homographyFromRectToQuad(w: number, h: number, quad: Quad): Homography {
  return homographyFromQuads(rectQuad(0, 0, w, h), quad);
}

/**
 * Samples `src` through `canonicalToImage` onto a `width`×`height` raster covering the canonical card
 * [0, cw]×[0, ch] (so `width / cw` is the output's pixels per canonical pixel). Bilinear; points outside
 * the source take the nearest edge pixel (the border check judges those separately).
 */
export function warpFromImage(
  src: RasterImage,
  canonicalToImage: Homography,
  width: number,
  height: number,
  cw: number,
  ch: number,
): RasterImage {
  const out = new Uint8Array(width * height * 3);
  const sx = cw / width;
  const sy = ch / height;
  const h = canonicalToImage;
  const sw = src.width;
  const shh = src.height;
  const c = src.channels;
  const d = src.data;
  // Numerators and denominator are affine in u along a row: step them instead of re-evaluating.
  const dX = h[0] * sx;
  const dY = h[3] * sx;
  const dW = h[6] * sx;
  const rowStep = sw * c;
  let o = 0;
  for (let v = 0; v < height; v++) {
    const cy = (v + 0.5) * sy;
    const cx0 = 0.5 * sx;
    let X = h[0] * cx0 + h[1] * cy + h[2];
    let Y = h[3] * cx0 + h[4] * cy + h[5];
    let W = h[6] * cx0 + h[7] * cy + h[8];
    if (rowInside(X, Y, W, dX, dY, dW, width, sw, shh)) {
      // Every sample of the row and its right and lower neighbours lie in the source: no clamping.
      for (let u = 0; u < width; u++, X += dX, Y += dY, W += dW, o += 3) {
        const x = X / W - 0.5;
        const y = Y / W - 0.5;
        const x0 = x | 0;
        const y0 = y | 0;
        const fx = x - x0;
        const fy = y - y0;
        const p00 = (y0 * sw + x0) * c;
        const p10 = p00 + c;
        const p01 = p00 + rowStep;
        const p11 = p01 + c;
        bilinearRgb(d, p00, p10, p01, p11, fx, fy, out, o);
      }
      continue;
    }
    for (let u = 0; u < width; u++, X += dX, Y += dY, W += dW, o += 3) {
      let x = X / W - 0.5;
      let y = Y / W - 0.5;
      if (x < 0) x = 0;
      else if (x > sw - 1) x = sw - 1;
      if (y < 0) y = 0;
      else if (y > shh - 1) y = shh - 1;
      const x0 = x | 0;
      const y0 = y | 0;
      const fx = x - x0;
      const fy = y - y0;
      const p00 = (y0 * sw + x0) * c;
      const p10 = x0 + 1 < sw ? p00 + c : p00;
      const p01 = y0 + 1 < shh ? p00 + sw * c : p00;
      const p11 = x0 + 1 < sw ? p01 + c : p01;
      bilinearRgb(d, p00, p10, p01, p11, fx, fy, out, o);
    }
  }
  return { data: out, width, height, channels: 3 };
}


import { beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { makeIdentity } from '../../synth/identity.ts';
import { Rng } from '../../synth/random.ts';
import { renderCardFace } from '../../synth/renderCard.ts';
import type { LocatedCard, RasterImage } from '../types.ts';
import { qualityReport } from './quality.ts';

/** A canonical front, flattened, blurred by a Gaussian of `sigma` canonical px (0 = as printed). */
async function blurredFront(flat: Buffer, sigma: number): Promise<LocatedCard> {
  const data = sigma > 0 ? await sharp(flat, { raw: { width: 856, height: 540, channels: 3 } }).blur(sigma).raw().toBuffer() : flat;
  const card: RasterImage = { data: new Uint8Array(data), width: 856, height: 540, channels: 3 };
  return { kind: 'FRONT', card } as LocatedCard;
}

describe('quality score', () => {
  let flat: Buffer;
  beforeAll(async () => {
    const face = renderCardFace(makeIdentity(new Rng(3), { now: { year: 2026, month: 11, day: 25 } }), 'FRONT', { seed: 3 });
    flat = await sharp(Buffer.from(face.image.data), { raw: { width: 856, height: 540, channels: 4 } }).flatten({ background: '#808080' }).raw().toBuffer();
  });

  it('falls as blur grows, through the usable threshold where recognition starts to fail', async () => {
    const scores: number[] = [];
    for (const sigma of [0, 2, 3, 4, 5, 6]) scores.push(qualityReport(await blurredFront(flat, sigma)).quality);
    for (let i = 1; i < scores.length; i++) expect(scores[i]).toBeLessThanOrEqual(scores[i - 1]);
    // σ ≤ 3 px reads as well as print (calibrated against PP-OCRv4, see quality.ts); σ ≥ 5 px loses half the characters.
    expect(scores[0]).toBeGreaterThanOrEqual(90);
    expect(scores[2]).toBeGreaterThanOrEqual(50);
    expect(scores[4]).toBeLessThan(50);
    expect(scores[5]).toBeLessThan(20);
  });

  it('is about contrast-free sharpness: a dim, low-contrast print of the same card scores alike', async () => {
    const dim = Buffer.from(flat.map((v) => 60 + Math.round(v * 0.5)));
    const a = qualityReport(await blurredFront(flat, 0)).quality;
    const b = qualityReport(await blurredFront(dim, 0)).quality;
    expect(Math.abs(a - b)).toBeLessThanOrEqual(10);
  });
});

/** Crops compared with the generator's geometry (src/synth labels: card quad and portrait quad). */
import { beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { generateOne, parseNow } from '../../synth/generate.ts';
import { DEFAULT_CONFIG, type LocatedCard, type Quad, type RasterImage } from '../types.ts';
import { canonicalFromCrop, cropPortraitFrom, encodeJpegBase64, portraitBox, rectifiedCardForCrop, sourceScale } from './crops.ts';
import { computeAdvanced } from './index.ts';
import { inputFromLabel, type LabelledInput } from './generatedInput.ts';
import { applyHomography } from './warp.ts';

const boxOf = (q: Quad) => ({ x0: Math.min(...q.map((p) => p.x)), y0: Math.min(...q.map((p) => p.y)), x1: Math.max(...q.map((p) => p.x)), y1: Math.max(...q.map((p) => p.y)) });
function iou(a: { x0: number; y0: number; x1: number; y1: number }, b: typeof a): number {
  const ix = Math.max(0, Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0));
  const iy = Math.max(0, Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0));
  const inter = ix * iy;
  return inter / ((a.x1 - a.x0) * (a.y1 - a.y0) + (b.x1 - b.x0) * (b.y1 - b.y0) - inter);
}

// Seed-7 phone photos of fronts: image 8 shows the card ~540 px wide, image 22 ~1300 px wide.
const PHOTOS = [8, 22];

describe('crops', () => {
  const photos = new Map<number, LabelledInput>();
  beforeAll(async () => {
    for (const i of PHOTOS) {
      const g = await generateOne(7, i, 'photo', parseNow(undefined));
      photos.set(i, await inputFromLabel(g.bytes, g.label));
    }
  }, 30_000);

  it.each(PHOTOS)('cuts the portrait of photo %i tight around the generator’s photo box (IoU ≥ 0.9)', async (i) => {
    const { input, label, toDecoded } = photos.get(i)!;
    expect(input.target.kind).toBe('FRONT');
    const truth = boxOf(toDecoded(label.cards[0].portrait!).map((p) => applyHomography(input.target.homography, p)) as Quad);
    expect(iou(portraitBox(input.target)!, truth)).toBeGreaterThanOrEqual(0.9);
  });

  it.each(PHOTOS)('returns photo %i’s card upright at no less than canonical size, finer when the photo is', async (i) => {
    const { input } = photos.get(i)!;
    const rectified = rectifiedCardForCrop(input.decoded, input.target);
    const jpeg = Buffer.from(await encodeJpegBase64(rectified), 'base64');
    const meta = await sharp(jpeg).metadata();
    expect(meta.format).toBe('jpeg');
    expect(meta.width).toBeGreaterThanOrEqual(856);
    expect(meta.height! / meta.width!).toBeCloseTo(540 / 856, 2);
    if (sourceScale(input.target) > 1.2) expect(meta.width).toBeGreaterThan(1100);
    // Same picture as the canonical card the pipeline reads, once shrunk back (aligned and upright).
    const small = await sharp(jpeg).resize(856, 540, { fit: 'fill' }).removeAlpha().raw().toBuffer();
    let diff = 0;
    for (let k = 0; k < small.length; k++) diff += Math.abs(small[k] - input.target.card.data[k]);
    expect(diff / small.length).toBeLessThan(8);
  });

  it('resamples the finer crop into the canonical card the direct warp gives, within a grey level or two', async () => {
    const { input } = photos.get(22)!;
    expect(sourceScale(input.target)).toBeGreaterThan(1.2);
    const card = await canonicalFromCrop(rectifiedCardForCrop(input.decoded, input.target));
    expect([card.width, card.height, card.channels]).toEqual([856, 540, 3]);
    let diff = 0;
    for (let k = 0; k < card.data.length; k++) diff += Math.abs(card.data[k] - input.target.card.data[k]);
    expect(diff / card.data.length).toBeLessThan(2);
  });

  it('gives a card not made yet the canonical card from the crop, never warping the photo for it', async () => {
    const { input } = photos.get(22)!;
    const warped = input.target.card;
    let made: RasterImage | undefined;
    let looked = 0;
    // A locate-style card: made on first use unless provided first.
    const lazy: LocatedCard = {
      ...input.target,
      get card() {
        looked++;
        return (made ??= warped);
      },
      provideCard(make) {
        made ??= make();
      },
      hasCard: () => made !== undefined,
    };
    const config = { ...DEFAULT_CONFIG, CropIdCard: true, CropPortrait: true, Quality: true };
    const { advancedInfo } = await computeAdvanced({ ...input, cards: [lazy], target: lazy }, config, { timings: {}, verbose: false, now: new Date() });
    expect(made).toBeDefined();
    expect(made).not.toBe(warped);
    expect(looked).toBeGreaterThan(0);
    expect(advancedInfo.Quality).toBeGreaterThanOrEqual(50);
    expect(advancedInfo.IdCard).toBeDefined();
    expect(advancedInfo.Portrait).toBeDefined();
  });

  it('encodes the portrait as a JPEG of the box’s shape', async () => {
    const { input } = photos.get(22)!;
    const rectified = rectifiedCardForCrop(input.decoded, input.target);
    const p = (await cropPortraitFrom(rectified, input.target))!;
    const meta = await sharp(Buffer.from(p.jpeg, 'base64')).metadata();
    expect(meta.format).toBe('jpeg');
    expect(meta.width! / meta.height!).toBeCloseTo((p.box.x1 - p.box.x0) / (p.box.y1 - p.box.y0), 1);
  });

  it('has no portrait on a back', () => {
    const { input } = photos.get(8)!;
    expect(portraitBox({ ...input.target, kind: 'BACK' })).toBeNull();
  });
});

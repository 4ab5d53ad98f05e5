/**
 * The cover detector (9105) on covers the colour cues cannot see: a white label has the paper's own
 * chroma, so only its brightness and its sharp outline give it away — and glare, equally bright and
 * colourless, must not be mistaken for one.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { LAYOUTS, toCanonicalPixels } from '../../domain/cardLayout.ts';
import { generateOne, parseNow } from '../../synth/generate.ts';
import { makeIdentity } from '../../synth/identity.ts';
import { Rng } from '../../synth/random.ts';
import { renderCardFace } from '../../synth/renderCard.ts';
import type { RasterImage } from '../types.ts';
import { inputFromLabel } from './generatedInput.ts';
import { locatedCardFromQuad } from './labelledCard.ts';
import { analyseOcclusion, occlusionReport } from './occlusion.ts';

/** A clean front, flat and full-frame (856×540, the card's own canonical raster), as RGB. */
function cleanFront(): RasterImage {
  const id = makeIdentity(new Rng(12), { now: { year: 2026, month: 11, day: 25 } });
  const face = renderCardFace(id, 'FRONT', { seed: 12 });
  const n = face.image.width * face.image.height;
  const data = new Uint8Array(n * 3);
  // The face has transparent rounded corners: composite on a mid-grey table.
  for (let i = 0; i < n; i++) {
    const a = face.image.data[i * 4 + 3] / 255;
    for (let c = 0; c < 3; c++) data[i * 3 + c] = Math.round(face.image.data[i * 4 + c] * a + 110 * (1 - a));
  }
  return { data, width: face.image.width, height: face.image.height, channels: 3 };
}

function analyse(image: RasterImage) {
  const { width: w, height: h } = image;
  const card = locatedCardFromQuad(image, [{ x: 0, y: 0 }, { x: w, y: 0 }, { x: w, y: h }, { x: 0, y: h }], 'FRONT');
  return analyseOcclusion(card, image);
}

const cue = (a: ReturnType<typeof analyse>, name: string) => a.cues.find((c) => c.name === name)!;

/** The Address field's box in canonical px. */
const address = () => toCanonicalPixels(LAYOUTS.FRONT.values.Address!.box, 856, 540);

describe('occlusion: bright covers', () => {
  let card: RasterImage;
  beforeAll(() => {
    card = cleanFront();
  });

  it('reports nothing on the clean card', () => {
    const a = analyse(card);
    expect(cue(a, 'bright').score).toBe(0);
    expect(occlusionReport(a).fired).toBe(false);
  });

  it('raises 9105 for a white label printed with dark text over the address', () => {
    const img = { ...card, data: card.data.slice() };
    const b = address();
    const x0 = Math.round(b.x0 + 40);
    const y0 = Math.round(b.y0 + 10);
    // 120 × 60 px (12 × 6 mm) of white, with two dark 3 px strokes of "print" on it.
    for (let y = y0; y < y0 + 60; y++) {
      for (let x = x0; x < x0 + 120; x++) {
        const ink = (y >= y0 + 28 && y < y0 + 31 && x > x0 + 20 && x < x0 + 100) || (x >= x0 + 58 && x < x0 + 61 && y > y0 + 15 && y < y0 + 45);
        for (let c = 0; c < 3; c++) img.data[(y * img.width + x) * 3 + c] = ink ? 40 : 252;
      }
    }
    const a = analyse(img);
    expect(cue(a, 'bright').score).toBeGreaterThanOrEqual(50);
    expect(cue(a, 'bright').detail).toMatch(/outline jump/);
    const report = occlusionReport(a);
    expect(report.fired).toBe(true);
    expect(report.code).toBe(9105);
    // The covered field is handed to the edit detector as hidden, so it is not judged for 9106.
    const cells = a.covered.mask.reduce((s, v) => s + v, 0);
    expect(cells).toBeGreaterThan(0.5 * (120 / 4) * (60 / 4));
  });

  it('does not raise 9105 for glare over the same place: bright, but fading out instead of ending', () => {
    const img = { ...card, data: card.data.slice() };
    const b = address();
    const cx = b.x0 + 100;
    const cy = b.y0 + 40;
    const sigma = 60;
    for (let y = 0; y < img.height; y++) {
      for (let x = 0; x < img.width; x++) {
        const add = 70 * Math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * sigma * sigma));
        for (let c = 0; c < 3; c++) {
          const p = (y * img.width + x) * 3 + c;
          img.data[p] = Math.min(255, img.data[p] + add);
        }
      }
    }
    const a = analyse(img);
    // The glare is found as bright (so the outline test is what spares it), and dropped.
    expect(cue(a, 'bright').detail).toMatch(/\b[1-9]\d* with a soft outline/);
    expect(cue(a, 'bright').score).toBe(0);
    expect(occlusionReport(a).fired).toBe(false);
  });
});

describe('occlusion: generated white stickers', () => {
  // Seed 91 image 0 and seed 93 image 31: white labels (复印无效 over 民族, 已核验 over the validity) that
  // the colour cues scored 0 before the bright cue existed.
  it.each([
    [91, 0],
    [93, 31],
  ])('raises 9105 on seed %i image %i', async (seed, index) => {
    const g = await generateOne(seed, index, 'occluded', parseNow('2026-11-25'));
    const { input } = await inputFromLabel(g.bytes, g.label);
    const a = analyseOcclusion(input.target, input.decoded.image);
    expect(cue(a, 'skin').score).toBeLessThan(50);
    expect(cue(a, 'colour').score).toBeLessThan(50);
    expect(cue(a, 'bright').score).toBeGreaterThanOrEqual(50);
  }, 30_000);
});

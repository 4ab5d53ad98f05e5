import { describe, expect, it } from 'vitest';
import type { DecodedImage, LocatedCard, Quad } from '../types.ts';
import { borderCutReport } from './border.ts';
import { homographyFromRectToQuad, invertHomography } from './warp.ts';

/** A decoded frame of the given size holding a card at `quad` (only geometry matters to this detector). */
function cardIn(width: number, height: number, quad: Quad): { decoded: DecodedImage; card: LocatedCard } {
  const decoded: DecodedImage = { image: { data: new Uint8Array(width * height * 3), width, height, channels: 3 }, format: 'png', scaleToOriginal: 1 };
  const card = { kind: 'FRONT', quad, homography: invertHomography(homographyFromRectToQuad(856, 540, quad)) } as LocatedCard;
  return { decoded, card };
}
const rect = (x: number, y: number, w: number, h: number): Quad => [
  { x, y },
  { x: x + w, y },
  { x: x + w, y: y + h },
  { x, y: y + h },
];

describe('border cut warning 9101', () => {
  it('stays quiet for a card well inside the frame', () => {
    const { decoded, card } = cardIn(1200, 900, rect(100, 100, 856, 540));
    expect(borderCutReport(decoded, card)).toMatchObject({ code: 9101, score: 0, fired: false });
  });

  it('stays quiet for a scan cropped tight to the card, which loses nothing', () => {
    const { decoded, card } = cardIn(856, 540, rect(0, 0, 856, 540));
    expect(borderCutReport(decoded, card).fired).toBe(false);
  });

  it('fires when a tenth of the card lies beyond the right edge', () => {
    const { decoded, card } = cardIn(1000, 700, rect(230, 80, 856, 540));
    const r = borderCutReport(decoded, card);
    expect(r.fired).toBe(true);
    expect(r.score).toBe(100);
  });

  it("allows a text-fitted corner 2% of the card's width past the frame, but not an outline-confirmed one", () => {
    // A corner 18 px (2.1% of 856) beyond the right edge of a photo, nothing else out.
    const quad: Quad = [
      { x: 200, y: 120 },
      { x: 1018, y: 60 },
      { x: 1000, y: 600 },
      { x: 180, y: 640 },
    ];
    const located = cardIn(1000, 760, quad);
    expect(borderCutReport(located.decoded, { ...located.card, method: 'text' }).fired).toBe(false);
    expect(borderCutReport(located.decoded, { ...located.card, method: 'both' }).fired).toBe(true);
  });

  it('fires when only a corner is clipped, under perspective', () => {
    const quad: Quad = [
      { x: -20, y: 40 },
      { x: 700, y: 10 },
      { x: 760, y: 480 },
      { x: 30, y: 520 },
    ];
    const { decoded, card } = cardIn(1000, 700, quad);
    expect(borderCutReport(decoded, card).fired).toBe(true);
  });

  // A tight crop whose locator corners land 8 px past the frame: the card's rounded corners (r = 3.18 mm)
  // leave the frame's corners showing the white behind the card — or, cut into, show paper.
  const tight = (rounded: boolean) => {
    const { decoded, card } = cardIn(856, 540, rect(-8, -8, 872, 556));
    const { data, width, height } = decoded.image;
    const r = 31.8;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const dx = Math.max(0, r - Math.min(x, width - 1 - x));
        const dy = Math.max(0, r - Math.min(y, height - 1 - y));
        data.fill(rounded && Math.hypot(dx, dy) > r ? 255 : 190, (y * width + x) * 3, (y * width + x) * 3 + 3);
      }
    }
    return borderCutReport(decoded, card);
  };

  it('stays quiet for a tight crop whose corners land just past the frame when the rounded corners show', () => {
    expect(tight(true)).toMatchObject({ score: 0, fired: false });
  });

  it('fires for the same corners when the frame cuts the rounding off', () => {
    expect(tight(false).fired).toBe(true);
  });
});

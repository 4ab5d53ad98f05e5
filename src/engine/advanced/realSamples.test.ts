import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CardKind, Quad, WarnCode } from '../types.ts';
import { REAL_DIR, warningsOf } from './realSamples.ts';

/**
 * The 13 real sample images (specimen and demo cards: none doctored, photocopied or re-shot), each with
 * the corners the pipeline's locator found for it (original-image px, recorded by
 * `npx tsx src/engine/advanced/realSamples.ts --locate`), so these tests judge the detectors alone.
 * Expected: the two images whose frame cuts the card raise 9101; nothing else raises anything, except that
 * the steep-angle back whose publisher smudged the 签发机关 may raise 9105 (its missing-text cue sees a
 * required field with no legible ink, and whether it does depends on the located corners to a pixel).
 */
const SAMPLES: Array<[string, CardKind, Array<[number, number]>, WarnCode[]]> = [
  ['IDCardOCR_PC__IDCard_test.jpg', 'FRONT', [[65, 51], [373, 54], [371, 248], [63, 245]], []],
  ['IDCardOCR_PC__test2.jpg', 'FRONT', [[5, 2], [458, 5], [451, 286], [1, 283]], []],
  // Cropped into the card: square corners, the border is gone (the manifest's "card border cut off").
  ['IDCardOCR_PC__test3.jpg', 'FRONT', [[-10, -7], [515, -2], [512, 330], [-13, 325]], [9101]],
  // Tight crops with the card's rounded corners inside the frame: the corners land past it, nothing is lost.
  ['chineseocr__card.1e1eb76.png', 'FRONT', [[-4, 468], [-5, -3], [292, -3], [292, 468]], []],
  ['chineseocr__card.f63af03.png', 'FRONT', [[-16, -5], [450, 1], [447, 296], [-20, 290]], []],
  ['chineseocr__idcard-demo.jpeg', 'FRONT', [[567, 361], [0, 363], [1, 0], [579, 0]], []],
  ['idcard-ocr__idcard-test-back.png', 'FRONT', [[6, 3], [294, 5], [290, 188], [3, 185]], []],
  ['idcard-ocr__idcard-test-front.jpg', 'FRONT', [[135, 63], [653, 73], [646, 400], [129, 390]], []],
  ['idcardocr__idcard_mask2.jpg', 'FRONT', [[36, 114], [3732, 48], [3786, 2346], [96, 2388]], []],
  ['wuyoux__sfzbm_e.png', 'BACK', [[97, 154], [362, 152], [399, 239], [47, 246]], []],
  ['wuyoux__sfzbm_r.png', 'BACK', [[58, 55], [396, 53], [401, 300], [63, 302]], []],
  // Cut off at the right edge (the last id digit is outside the frame).
  ['wuyoux__sfzzm_e.png', 'FRONT', [[117, 106], [490, 66], [484, 233], [111, 273]], [9101]],
  ['wuyoux__sfzzm_r.png', 'FRONT', [[57, 63], [414, 61], [416, 286], [58, 289]], []],
];

const SMUDGED = 'wuyoux__sfzbm_e.png';
const haveReal = existsSync(path.join(REAL_DIR, 'labels.json'));

describe.skipIf(!haveReal)('risk warnings on the real sample cards', () => {
  it('raise no edit, photocopy or re-shoot warning on genuine cards, and 9101 only where the frame cuts into the card', async () => {
    const raised: Record<string, WarnCode[]> = {};
    const expected: Record<string, WarnCode[]> = {};
    for (const [file, kind, corners, codes] of SAMPLES) {
      const quad = corners.map(([x, y]) => ({ x, y })) as unknown as Quad;
      const { advancedInfo } = await warningsOf({ file, kind, quad });
      // 9100 (dates) and 9104 (temporary) are about the values, not the image: not judged here.
      raised[file] = (advancedInfo.WarnInfos ?? []).filter((c) => c !== 9100 && c !== 9104 && !(c === 9105 && file === SMUDGED));
      expected[file] = codes;
    }
    expect(raised).toEqual(expected);
  }, 60_000);
});

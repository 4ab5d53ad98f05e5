import { beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { buildIdNumber } from '../../domain/idNumber.ts';
import { makeIdentity } from '../../synth/identity.ts';
import { Rng } from '../../synth/random.ts';
import { renderCardFace } from '../../synth/renderCard.ts';
import { DEFAULT_CONFIG, type AdvancedInput, type IdCardConfig, type RasterImage } from '../types.ts';
import { computeAdvanced } from './index.ts';
import { locatedCardFromQuad } from './labelledCard.ts';

const now = new Date('2026-11-25T08:00:00Z');
const ctx = () => ({ timings: {} as Record<string, number>, verbose: false, now });
const withFlags = (...on: Array<keyof IdCardConfig>): IdCardConfig => ({ ...DEFAULT_CONFIG, ...Object.fromEntries(on.map((k) => [k, true])) });

/** A clean flat scan of a temporary card, 30 px margin of white scanner lid around it. */
async function temporaryScan(validDate: string): Promise<AdvancedInput> {
  const id = makeIdentity(new Rng(5), { now: { year: 2026, month: 11, day: 25 } });
  const face = renderCardFace({ ...id, validDate }, 'TEMPORARY', { seed: 5 });
  const { data, info } = await sharp({ create: { width: 916, height: 600, channels: 3, background: '#ffffff' } })
    .composite([{ input: Buffer.from(face.image.data), raw: { width: face.image.width, height: face.image.height, channels: 4 }, left: 30, top: 30 }])
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const image: RasterImage = { data: new Uint8Array(data), width: info.width, height: info.height, channels: 3 };
  const target = locatedCardFromQuad(image, [{ x: 30, y: 30 }, { x: 886, y: 30 }, { x: 886, y: 570 }, { x: 30, y: 570 }], 'TEMPORARY');
  const idNum = buildIdNumber('110101', { year: 1990, month: 6, day: 15 }, '123');
  return { decoded: { image, format: 'png', scaleToOriginal: 1 }, cards: [target], target, idInfo: { IdNum: idNum, ValidDate: validDate }, lines: [] };
}

describe('computeAdvanced', () => {
  let expired: AdvancedInput;
  beforeAll(async () => {
    expired = await temporaryScan('2026.01.01-2026.04.01');
  });

  it('returns nothing and runs no detector when every flag is off', async () => {
    const c = ctx();
    const { advancedInfo, reports } = await computeAdvanced(expired, DEFAULT_CONFIG, c);
    expect(advancedInfo).toEqual({});
    expect(reports).toEqual([]);
  });

  it('reports warnings only for switched-on flags, in ascending order', async () => {
    const only9104 = await computeAdvanced(expired, withFlags('TempIdWarn'), ctx());
    expect(only9104.advancedInfo.WarnInfos).toEqual([9104]);
    const both = await computeAdvanced(expired, withFlags('InvalidDateWarn', 'TempIdWarn'), ctx());
    expect(both.advancedInfo.WarnInfos).toEqual([9100, 9104]);
    expect(both.reports.map((r) => r.name).sort()).toEqual(['temporary', 'validity']);
  });

  it('omits WarnInfos when a switched-on detector finds nothing', async () => {
    const current = await temporaryScan('2026.10.01-2027.01.01');
    const { advancedInfo, reports } = await computeAdvanced(current, withFlags('InvalidDateWarn'), ctx());
    expect(advancedInfo.WarnInfos).toBeUndefined();
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ name: 'validity', fired: false });
  });

  it('gives scores and crops for the score and crop flags, and records its time', async () => {
    const c = ctx();
    const { advancedInfo } = await computeAdvanced(expired, withFlags('Quality', 'BorderCheckWarn', 'CropIdCard', 'CropPortrait'), c);
    expect(advancedInfo.Quality).toBeGreaterThanOrEqual(50);
    expect(advancedInfo.BorderCodeValue).toBeLessThan(50);
    const card = await sharp(Buffer.from(advancedInfo.IdCard!, 'base64')).metadata();
    expect([card.format, card.width, card.height]).toEqual(['jpeg', 856, 540]);
    const portrait = await sharp(Buffer.from(advancedInfo.Portrait!, 'base64')).metadata();
    expect(portrait.format).toBe('jpeg');
    expect(c.timings.advanced).toBeGreaterThan(0);
  });
});

/**
 * End-to-end recognition through the real models: the shared real samples (fields asserted exactly against
 * ../shared/samples/real/labels.json), the same cards turned 90°/180°/270°, generated cards, and the error
 * answers for images the pipeline cannot read.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateOne, generateSet, parseNow } from '../synth/generate.ts';
import { largeCardPhoto } from '../synth/largePhoto.ts';
import { LAYOUTS, toCanonicalPixels, type NormBox } from '../domain/cardLayout.ts';
import { applyHomography, invertHomography, rectToQuad } from './geometry.ts';
import { runPipeline } from './pipeline.ts';
import { createOcrModels } from './recognize.ts';
import { ID_FIELDS, type IdField, type OcrModels, type Quad } from './types.ts';

const REAL = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared/samples/real');
const haveReal = existsSync(path.join(REAL, 'labels.json'));

interface RealLabel {
  file: string;
  side: 'FRONT' | 'BACK';
  both_sides_in_image?: boolean;
  [field: string]: unknown;
}

/** Fields known to be misread: a red 样证 stamp over the address is read into it. */
const KNOWN_MISSES: Record<string, IdField[]> = {
  'IDCardOCR_PC__test2.jpg': ['Address'],
};

/** The labels keep Birth as printed (`2013年05月06日`); the API answers `2013/5/6`. */
function apiBirth(printed: string): string {
  const [y, m, d] = printed.match(/\d+/g)!.map(Number);
  return `${y}/${m}/${d}`;
}

/** `base` with the long side of every detection it runs recorded in `sides` (and another recogniser, if given). */
function recordingSides(base: OcrModels, sides: Array<number | undefined>, recognize: OcrModels['recognize'] = (image, quads, ctx, o) => base.recognize(image, quads, ctx, o)): OcrModels {
  return {
    detect: (image, ctx, o) => {
      sides.push(o?.maxSide);
      return base.detect(image, ctx, o);
    },
    recognize,
  };
}

let models: OcrModels & { release(): Promise<void> };
beforeAll(async () => {
  models = await createOcrModels({ intraOpNumThreads: 2 });
}, 60_000);
afterAll(async () => {
  await models?.release();
});

describe.skipIf(!haveReal)('real samples', () => {
  const labels: RealLabel[] = haveReal ? JSON.parse(readFileSync(path.join(REAL, 'labels.json'), 'utf8')) : [];

  it('reads every legible field of every sample except the known misses', async () => {
    let right = 0;
    let total = 0;
    const wrong: string[] = [];
    for (const l of labels) {
      const image = readFileSync(path.join(REAL, l.file));
      const r = await runPipeline({ image, cardSide: l.both_sides_in_image ? l.side : undefined }, models);
      expect(r.side, l.file).toBe(l.side);
      for (const f of ID_FIELDS) {
        const printed = l[f] as string | null;
        if (printed === null) continue;
        const want = f === 'Birth' ? apiBirth(printed) : printed;
        total++;
        if (r.idInfo[f] === want) right++;
        else wrong.push(`${l.file}:${l.side}:${f}`);
        if (!KNOWN_MISSES[l.file]?.includes(f)) expect(r.idInfo[f], `${l.file} ${l.side} ${f}`).toBe(want);
      }
    }
    // issue 4: every legible field right but at most two.
    expect(total - right, wrong.join(', ')).toBeLessThanOrEqual(2);
  }, 120_000);

  it.each([90, 180, 270])('reads a card turned %i°', async (angle) => {
    const bytes = await sharp(readFileSync(path.join(REAL, 'chineseocr__card.f63af03.png'))).rotate(angle).png().toBuffer();
    const r = await runPipeline({ image: bytes }, models);
    expect(r.side).toBe('FRONT');
    expect(r.idInfo).toMatchObject({ Name: '小静', Sex: '女', Nation: '汉', Birth: '1987/9/17', IdNum: '370782198709170246' });
  }, 30_000);

  it('reads the requested side when both sides are in one image', async () => {
    const image = readFileSync(path.join(REAL, 'idcard-ocr__idcard-test-back.png'));
    const back = await runPipeline({ image, cardSide: 'BACK' }, models);
    expect(back.side).toBe('BACK');
    expect(back.idInfo.Authority).toBe('上海市公安局');
    expect(back.idInfo.Name).toBeUndefined();
  }, 30_000);

  it('answers CardSideError when only the other side is in the image', async () => {
    const image = readFileSync(path.join(REAL, 'wuyoux__sfzbm_r.png'));
    await expect(runPipeline({ image, cardSide: 'FRONT' }, models)).rejects.toMatchObject({ code: 'FailedOperation.CardSideError' });
  }, 30_000);

  it('answers MultiCardError for two fronts when MultiCardDetect is on, and reads one when it is off', async () => {
    const card = readFileSync(path.join(REAL, 'chineseocr__card.f63af03.png'));
    const meta = await sharp(card).metadata();
    const w = meta.width!;
    const h = meta.height!;
    const two = await sharp({ create: { width: w * 2 + 40, height: h + 40, channels: 3, background: '#d8d8d8' } })
      .composite([{ input: card, left: 20, top: 20 }, { input: card, left: w + 20, top: 20 }])
      .png()
      .toBuffer();
    await expect(runPipeline({ image: two, config: { MultiCardDetect: true } }, models)).rejects.toMatchObject({ code: 'FailedOperation.MultiCardError' });
    const one = await runPipeline({ image: two, verbose: true }, models);
    expect(one.diagnostics?.cards).toHaveLength(2);
    expect(one.idInfo.IdNum).toBe('370782198709170246');
  }, 30_000);

  it('answers MultiCardError for a front and a back together when MultiCardDetect is on, and reads the asked side when it is off', async () => {
    const front = readFileSync(path.join(REAL, 'chineseocr__card.f63af03.png'));
    const back = readFileSync(path.join(REAL, 'wuyoux__sfzbm_r.png'));
    const [mf, mb] = await Promise.all([sharp(front).metadata(), sharp(back).metadata()]);
    const both = await sharp({ create: { width: mf.width! + mb.width! + 60, height: Math.max(mf.height!, mb.height!) + 40, channels: 3, background: '#d8d8d8' } })
      .composite([{ input: front, left: 20, top: 20 }, { input: back, left: mf.width! + 40, top: 20 }])
      .png()
      .toBuffer();
    await expect(runPipeline({ image: both, config: { MultiCardDetect: true } }, models)).rejects.toMatchObject({ code: 'FailedOperation.MultiCardError' });
    const asked = await runPipeline({ image: both, cardSide: 'FRONT' }, models);
    expect(asked.side).toBe('FRONT');
    expect(asked.idInfo.IdNum).toBe('370782198709170246');
  }, 30_000);
});

describe('bad images', () => {
  it.skipIf(!haveReal)('answers ImageBlur for a card blurred past reading', async () => {
    const image = await sharp(readFileSync(path.join(REAL, 'chineseocr__card.f63af03.png'))).blur(5).png().toBuffer();
    await expect(runPipeline({ image }, models)).rejects.toMatchObject({ code: 'FailedOperation.ImageBlur' });
  }, 30_000);

  it('answers ImageNoIdCard for a photo of no card', async () => {
    const noise = Buffer.alloc(400 * 300 * 3);
    for (let i = 0; i < noise.length; i++) noise[i] = (i * 2654435761) >>> 24;
    const image = await sharp(noise, { raw: { width: 400, height: 300, channels: 3 } }).jpeg().toBuffer();
    await expect(runPipeline({ image }, models)).rejects.toMatchObject({ code: 'FailedOperation.ImageNoIdCard' });
  }, 30_000);

  it('answers ImageDecodeFailed for bytes that are no image', async () => {
    await expect(runPipeline({ image: new TextEncoder().encode('not an image') }, models)).rejects.toMatchObject({ code: 'FailedOperation.ImageDecodeFailed' });
  });
});

/** The shared models, counting the lines read from the image itself (not from a rectified 856×540 card). */
function countingReads(): { counting: OcrModels; counts: { read: number; empty: number } } {
  const counts = { read: 0, empty: 0 };
  const counting: OcrModels = {
    detect: (image, ctx, o) => models.detect(image, ctx, o),
    turned: models.turned,
    recognize: async (image, quads, ctx, o) => {
      const readings = await models.recognize(image, quads, ctx, o);
      if (!(image.width === 856 && image.height === 540)) {
        counts.read += quads.length;
        counts.empty += readings.filter((r) => r.text.trim() === '').length;
      }
      return readings;
    },
  };
  return { counting, counts };
}

describe('generated cards', () => {
  it('reads a clean front, a clean back and a temporary card exactly', async () => {
    for await (const g of generateSet({ count: 3, seed: 11, cases: ['clean', 'clean', 'temporary'] })) {
      const card = g.label.cards[0];
      const r = await runPipeline({ image: g.bytes, cardSide: g.label.side, now: new Date(g.label.now) }, models);
      expect(r.side, g.file).toBe(card.kind);
      for (const f of ID_FIELDS) {
        const want = card.fields[f];
        if (want !== null) expect(r.idInfo[f], `${g.file} ${f}`).toBe(want);
      }
    }
  }, 90_000);

  it('does not count a printed form lying beside the card (labels but no card values) as a second card', async () => {
    // Seed 2026, image 15: a front on a desk, half over a form printing 姓名 性别 中华人民共和国… .
    const g = await generateOne(2026, 15, 'photo', parseNow('2026-11-25'));
    expect(g.label.cards).toHaveLength(1);
    const r = await runPipeline({ image: g.bytes, config: { MultiCardDetect: true }, now: new Date(g.label.now) }, models);
    expect(r.idInfo.IdNum).toBe(g.label.cards[0].fields.IdNum);
  }, 60_000);

  it('never reads a line of the card in one network input with lines of an upside-down card beside it, and sees that card with MultiCardDetect', async () => {
    // The recogniser packs short lines side by side, and an upside-down line next to the card's name wiped
    // the name out (a 12 MP bench photo, a page upside down beside the card). A front and, to its right, a
    // second front turned by 180°: its lines run parallel to the first card's and read as nothing.
    for await (const g of generateSet({ count: 1, seed: 11, cases: ['clean'] })) {
      const meta = await sharp(Buffer.from(g.bytes)).metadata();
      const w = meta.width!;
      const h = meta.height!;
      const turned = await sharp(Buffer.from(g.bytes)).rotate(180).png().toBuffer();
      const scene = await sharp({ create: { width: 2 * w + 120, height: h + 80, channels: 3, background: '#c8c4bc' } })
        .composite([{ input: Buffer.from(g.bytes), left: 40, top: 40 }, { input: turned, left: w + 80, top: 40 }])
        .jpeg({ quality: 92 })
        .toBuffer();
      const calls: Array<Array<'left' | 'right'>> = [];
      const recording: OcrModels = {
        detect: (image, ctx, o) => models.detect(image, ctx, o),
        recognize: (image, quads, ctx, o) => {
          // Whole-scene reads only (the rectified card is 856 × 540): which card each line lies on.
          const k = image.width / (2 * w + 120);
          if (!(image.width === 856 && image.height === 540)) calls.push(quads.map((q) => ((q[0].x + q[2].x) / 2 < k * (w + 60) ? 'left' : 'right')));
          return models.recognize(image, quads, ctx, o);
        },
      };
      const r = await runPipeline({ image: scene, cardSide: 'FRONT', now: new Date(g.label.now) }, recording);
      for (const f of ID_FIELDS) if (g.label.cards[0].fields[f] != null) expect(r.idInfo[f], f).toBe(g.label.cards[0].fields[f]);
      expect(calls.length).toBeGreaterThan(0);
      for (const c of calls) expect(new Set(c).size, c.join(' ')).toBe(1);
      // And the card upside down beside the first is a second card: MultiCardDetect must see it.
      await expect(runPipeline({ image: scene, config: { MultiCardDetect: true }, now: new Date(g.label.now) }, models)).rejects.toMatchObject({ code: 'FailedOperation.MultiCardError' });
    }
  }, 90_000);

  it('stops reading a page lying upside down beside the card once its lines read as nothing', async () => {
    // The speed benchmark's first 12 MP photo: a front on wood, a printed page upside down under its corner,
    // in the card's direction group. Its lines read along the card's rows come out empty; lines beside
    // those are not read for nothing (17 lines read in all, where 20 were).
    const photo = await largeCardPhoto(20261125, 0, { year: 2026, month: 11, day: 25 });
    const { counting, counts } = countingReads();
    const r = await runPipeline({ image: photo.bytes, now: new Date('2026-11-25T00:00:00Z') }, counting);
    for (const f of ID_FIELDS) if (photo.fields[f] != null) expect(r.idInfo[f], f).toBe(photo.fields[f]);
    expect(counts.read).toBeLessThanOrEqual(17);
    expect(counts.empty).toBeLessThanOrEqual(7);
  }, 90_000);

  it('with MultiCardDetect, asks a page lying the other way up which way it reads on one line, and samples it no further', async () => {
    // The speed benchmark's second 12 MP photo: a back on printed pages, one page turned against the card.
    // Its group's probe (three longest lines) read along the card's rows came out empty and was read again
    // turned, and then each of its clusters was sampled on further lines (18 lines read, 3 of them empty).
    // Its longest line alone now settles the way up, the probe's lines count as the page's sample, and page
    // text under the card's edge is sampled with its page, not read as the card's (8 read, 1 empty). And
    // that longest line, 中华人民共和国居民身份证法 (titles inside running text: a document's words), shows
    // nothing of a card, so the page is ruled out on it (5 read: the card's four lines and that one).
    const photo = await largeCardPhoto(20261125, 1, { year: 2026, month: 11, day: 25 });
    const { counting, counts } = countingReads();
    const r = await runPipeline({ image: photo.bytes, config: { MultiCardDetect: true }, now: new Date('2026-11-25T00:00:00Z') }, counting);
    for (const f of ID_FIELDS) if (photo.fields[f] != null) expect(r.idInfo[f], f).toBe(photo.fields[f]);
    expect(counts.read).toBeLessThanOrEqual(5);
    expect(counts.empty).toBe(0);
  }, 90_000);

  it('with MultiCardDetect, rules a page out on its longest line when that reads as nothing a card prints', async () => {
    // The speed benchmark's first 12 MP photo: a front on wood beside printed pages. Each cluster of page
    // text outside the card was sampled on its three longest lines (25 lines read in all); a longest line
    // read with confidence and showing no value, label, place word or digits is now enough (19).
    const photo = await largeCardPhoto(20261125, 0, { year: 2026, month: 11, day: 25 });
    const { counting, counts } = countingReads();
    const r = await runPipeline({ image: photo.bytes, config: { MultiCardDetect: true }, now: new Date('2026-11-25T00:00:00Z') }, counting);
    for (const f of ID_FIELDS) if (photo.fields[f] != null) expect(r.idInfo[f], f).toBe(photo.fields[f]);
    expect(counts.read).toBeLessThanOrEqual(19);
  }, 90_000);

  it('does not read boxes lying wholly in the emblem of a back', async () => {
    // Seed 20261125, image 0 (the speed benchmark's first clean card): a back whose emblem the detector
    // boxes as text (its star). Nothing there is a field, label or title.
    const g = await generateOne(20261125, 0, 'clean', parseNow('2026-11-25'));
    const card = g.label.cards[0];
    expect(card.kind).toBe('BACK');
    const toCard = invertHomography(rectToQuad(856, 540, card.quad)!);
    const [ex0, ey0, ex1, ey1] = LAYOUTS.BACK.emblem!;
    const inEmblem = (q: Quad, scale: number) =>
      q.map((p) => applyHomography(toCard, { x: p.x * scale, y: p.y * scale })).every((k) => k.x >= ex0 * 856 && k.x <= ex1 * 856 && k.y >= ey0 * 540 && k.y <= ey1 * 540);
    let detected = 0;
    let read = 0;
    const meta = await sharp(Buffer.from(g.bytes)).metadata();
    const recording: OcrModels = {
      detect: async (image, ctx, o) => {
        const boxes = await models.detect(image, ctx, o);
        if (image.width !== 856 || image.height !== 540) detected += boxes.filter((b) => inEmblem(b.quad, meta.width! / image.width)).length;
        return boxes;
      },
      recognize: (image, quads, ctx, o) => {
        if (image.width !== 856 || image.height !== 540) read += quads.filter((q) => inEmblem(q, meta.width! / image.width)).length;
        return models.recognize(image, quads, ctx, o);
      },
    };
    const r = await runPipeline({ image: g.bytes, now: new Date(g.label.now) }, recording);
    expect(r.idInfo.Authority).toBe(card.fields.Authority);
    expect(r.idInfo.ValidDate).toBe(card.fields.ValidDate);
    expect(detected).toBeGreaterThan(0);
    expect(read).toBe(0);
  }, 60_000);

  it('answers ImageNoIdCard for documents that print card labels but are no card', async () => {
    // Seed 20261125, image 2: two forms with 姓名, 有效期, 中华人民共和国居民… on a dark desk.
    const g = await generateOne(20261125, 2, 'no-card', parseNow('2026-11-25'));
    await expect(runPipeline({ image: g.bytes }, models)).rejects.toMatchObject({ code: 'FailedOperation.ImageNoIdCard' });
  }, 60_000);

  it('answers ImageNoIdCard, not OcrFailed, for papers where a label-like word or two is all that reads', async () => {
    // Seed 77, image 3: documents on a desk; one or two lines fit a card's label places, nothing else.
    const g = await generateOne(77, 3, 'no-card', parseNow('2026-11-25'));
    expect(g.label.cards).toHaveLength(0);
    await expect(runPipeline({ image: g.bytes }, models)).rejects.toMatchObject({ code: 'FailedOperation.ImageNoIdCard' });
  }, 60_000);

  it('reads a clean scan from a single 640 px detection (adaptive detection size)', async () => {
    const sides: Array<number | undefined> = [];
    const counting = recordingSides(models, sides);
    for await (const g of generateSet({ count: 1, seed: 11, cases: ['clean'] })) {
      const r = await runPipeline({ image: g.bytes, now: new Date(g.label.now) }, counting);
      expect(r.idInfo.IdNum).toBe(g.label.cards[0].fields.IdNum);
    }
    expect(sides).toEqual([640]);
  }, 60_000);

  /**
   * A clean scan laid small on a large grey page: ≈ 0.3 detector pixels per card pixel at 640 px, where
   * the lines read while locating used to be read again on the rectified card.
   */
  async function smallCardPhoto(): Promise<{ bytes: Buffer; fields: Record<string, string>; now: Date }> {
    for await (const g of generateSet({ count: 1, seed: 17, cases: ['clean'] })) {
      const card = await sharp(Buffer.from(g.bytes)).resize({ width: 1300 }).toBuffer();
      const bytes = await sharp({ create: { width: 2400, height: 1800, channels: 3, background: { r: 128, g: 132, b: 126 } } })
        .composite([{ input: card, left: 600, top: 500 }])
        .jpeg({ quality: 92 })
        .toBuffer();
      return { bytes, fields: g.label.cards[0].fields as Record<string, string>, now: new Date(g.label.now) };
    }
    throw new Error('no card generated');
  }

  it('reads a small card in a large photo from the lines read while locating when every field checks out', async () => {
    const photo = await smallCardPhoto();
    const sides: Array<number | undefined> = [];
    const counting = recordingSides(models, sides);
    const r = await runPipeline({ image: photo.bytes, now: photo.now, verbose: true }, counting);
    for (const f of ID_FIELDS) if (photo.fields[f] != null) expect(r.idInfo[f], f).toBe(photo.fields[f]);
    // No second detection on the rectified card.
    expect(sides).toEqual([640]);
    expect(r.diagnostics?.detectors.find((d) => d.name === 'locate.secondPass')?.fired).toBe(false);
  }, 60_000);

  /**
   * Recognition that reads the lines matching `which` from the photo with the same text but each character
   * only 60% sure (the lines' confidence kept); lines read on the rectified card (856 × 540) as they are.
   */
  function unsureOnPhoto(which: (text: string) => boolean): OcrModels['recognize'] {
    return async (image, quads, ctx, o) => {
      const readings = await models.recognize(image, quads, ctx, o);
      if (image.width === 856 && image.height === 540) return readings;
      return readings.map((r) => (which(r.text) ? { ...r, chars: r.chars.map((c) => ({ candidates: c.candidates.map((k, i) => (i === 0 ? { ...k, prob: 0.6 } : k)) })) } : r));
    };
  }

  it('reads the rectified card again when a field read while locating is not sure', async () => {
    const photo = await smallCardPhoto();
    const sides: Array<number | undefined> = [];
    const unsure = recordingSides(models, sides, unsureOnPhoto(() => true));
    const r = await runPipeline({ image: photo.bytes, now: photo.now }, unsure);
    for (const f of ID_FIELDS) if (photo.fields[f] != null) expect(r.idInfo[f], f).toBe(photo.fields[f]);
    expect(sides).toEqual([640, 856]);
  }, 60_000);

  it('reads only the row of a field in doubt again, not the whole rectified card', async () => {
    const photo = await smallCardPhoto();
    const sides: Array<number | undefined> = [];
    const nameUnsure = recordingSides(models, sides, unsureOnPhoto((text) => text.includes(photo.fields.Name)));
    const r = await runPipeline({ image: photo.bytes, now: photo.now, verbose: true }, nameUnsure);
    for (const f of ID_FIELDS) if (photo.fields[f] != null) expect(r.idInfo[f], f).toBe(photo.fields[f]);
    // The whole-image detection, then one detection of the name's row (far smaller than the card).
    expect(sides).toHaveLength(2);
    expect(sides[0]).toBe(640);
    expect(sides[1]).toBeLessThan(856);
    expect(r.diagnostics?.detectors.find((d) => d.name === 'locate.secondPass')?.fired).toBe(true);
  }, 60_000);

  it('reads an address whose first line the whole-image detection missed', async () => {
    // The held-out phone photo's detection at 960 px returned no box for 住址甘肃省临夏回族自治州, and the
    // lines read while locating were reused without it. Here the detector is made to miss that line.
    for await (const g of generateSet({ count: 1, seed: 11, cases: ['clean'] })) {
      const card = g.label.cards[0];
      expect(card.kind).toBe('FRONT');
      const toCard = invertHomography(rectToQuad(856, 540, card.quad)!);
      const first = toCanonicalPixels(LAYOUTS.FRONT.values.Address!.box);
      const rowEnd = first.y0 + (first.y1 - first.y0) / 3;
      const missing: OcrModels = {
        detect: async (image, ctx, o) => {
          const boxes = await models.detect(image, ctx, o);
          if (image.width === 856 && image.height === 540) return boxes; // the rectified card: seen right
          const scale = g.label.width / image.width;
          return boxes.filter((b) => {
            const c = b.quad.reduce((a, p) => ({ x: a.x + (p.x * scale) / 4, y: a.y + (p.y * scale) / 4 }), { x: 0, y: 0 });
            const k = applyHomography(toCard, c);
            return !(k.y > first.y0 && k.y < rowEnd);
          });
        },
        recognize: (image, quads, ctx, o) => models.recognize(image, quads, ctx, o),
      };
      const r = await runPipeline({ image: g.bytes, now: new Date(g.label.now) }, missing);
      expect(r.idInfo.Address).toBe(card.fields.Address);
    }
  }, 60_000);
});

describe('a card whose values are covered', () => {
  /** A back with a yellow note over its validity period and all but the first characters of its authority. */
  async function coveredBack() {
    const g = await generateOne(11, 2, 'clean', parseNow('2026-11-25'));
    const card = g.label.cards[0];
    expect(card.kind).toBe('BACK');
    const toImage = rectToQuad(856, 540, card.quad)!;
    const poly = (box: NormBox) => {
      const r = toCanonicalPixels(box);
      const q: Quad = [{ x: r.x0, y: r.y0 }, { x: r.x1, y: r.y0 }, { x: r.x1, y: r.y1 }, { x: r.x0, y: r.y1 }];
      return q.map((p) => applyHomography(toImage, p)).map((p) => `${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ');
    };
    const a = LAYOUTS.BACK.values.Authority!.box;
    const v = LAYOUTS.BACK.values.ValidDate!.box;
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${g.label.width}" height="${g.label.height}">`
      + `<polygon points="${poly([a[0] + 0.09, a[1] - 0.01, 0.97, a[3] + 0.01])}" fill="#f2d22e"/>`
      + `<polygon points="${poly([v[0] - 0.01, v[1] - 0.01, 0.97, v[3] + 0.01])}" fill="#f2d22e"/></svg>`;
    return sharp(g.bytes).composite([{ input: Buffer.from(svg) }]).png().toBuffer();
  }

  it('answers OcrFailed, not ImageNoIdCard, for a back whose frame is plain and values are covered', async () => {
    await expect(runPipeline({ image: await coveredBack(), now: new Date('2026-11-25') }, models)).rejects.toMatchObject({ code: 'FailedOperation.OcrFailed' });
  }, 60_000);

  it('sees a front with a back laid below it as two cards, not as one temporary card', async () => {
    // Generated multi-card photo (seed 9001 #262): the back's 签发机关/有效期限 sit where a temporary card
    // prints them, under the front's number.
    const g = await generateOne(9001, 262, 'multi', parseNow('2026-11-25'));
    expect(g.label.cards.map((c) => c.kind)).toEqual(['FRONT', 'BACK']);
    await expect(runPipeline({ image: g.bytes, config: { MultiCardDetect: true }, now: new Date('2026-11-25') }, models)).rejects.toMatchObject({ code: 'FailedOperation.MultiCardError' });
    const r = await runPipeline({ image: g.bytes, now: new Date('2026-11-25') }, models);
    expect(r.side).toBe('FRONT');
    expect(r.idInfo.IdNum).toBe(g.label.cards[0].fields.IdNum);
  }, 90_000);

  it('answers a back cut off below its titles as a card: OcrFailed, or 9101 with BorderCheckWarn', async () => {
    const g = await generateOne(11, 2, 'clean', parseNow('2026-11-25'));
    const card = g.label.cards[0];
    expect(card.kind).toBe('BACK');
    const toImage = rectToQuad(856, 540, card.quad)!;
    // The frame ends just above the 签发机关 row: only the emblem and the two title lines are in the picture.
    const top = toCanonicalPixels(LAYOUTS.BACK.labels['签发机关'].box).y0 - 12;
    const cutAt = Math.floor(Math.min(applyHomography(toImage, { x: 0, y: top }).y, applyHomography(toImage, { x: 856, y: top }).y));
    const image = await sharp(g.bytes).extract({ left: 0, top: 0, width: g.label.width, height: cutAt }).png().toBuffer();
    await expect(runPipeline({ image, now: new Date('2026-11-25') }, models)).rejects.toMatchObject({ code: 'FailedOperation.OcrFailed' });
    const r = await runPipeline({ image, config: { BorderCheckWarn: true }, now: new Date('2026-11-25') }, models);
    expect(r.side).toBe('BACK');
    expect(r.advancedInfo.WarnInfos).toContain(9101);
  }, 60_000);

  it('answers the occlusion warning for it when BorderCheckWarn is on', async () => {
    const r = await runPipeline({ image: await coveredBack(), config: { BorderCheckWarn: true }, now: new Date('2026-11-25') }, models);
    expect(r.side).toBe('BACK');
    expect(r.advancedInfo.WarnInfos).toContain(9105);
    expect(r.idInfo.ValidDate).toBeUndefined();
  }, 60_000);
});

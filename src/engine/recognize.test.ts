import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderTextLines, textLineExtents } from './fixtures/renderTextLines.ts';
import { createOcrModels, ctcGreedyDecode, loadLineRecognizer, recognizeLines } from './recognize.ts';
import type { OcrModels, RasterImage, StageContext } from './types.ts';

const ctx = (): StageContext => ({ timings: {}, verbose: false, now: new Date() });

describe('detect + recognise rendered lines (PP-OCRv4 through onnxruntime)', () => {
  let models: OcrModels & { release(): Promise<void> };
  beforeAll(async () => {
    models = await createOcrModels({ intraOpNumThreads: 1 });
  });
  afterAll(() => models.release());

  async function readAll(image: RasterImage, maxSide = 960): Promise<string[]> {
    const c = ctx();
    const boxes = await models.detect(image, c, { maxSide });
    const lines = await models.recognize(image, boxes.map((b) => b.quad), c);
    expect(c.timings.detect).toBeGreaterThan(0);
    expect(c.timings.recognize).toBeGreaterThan(0);
    return lines.map((l) => l.text);
  }

  const card = [
    { text: '欧阳娜娜', font: '34px NotoSansSC', x: 40, y: 60 },
    { text: '北京市海淀区中关村大街27号', font: '28px NotoSansSC', x: 40, y: 130 },
    { text: '44030419900307123X', font: '30px DejaVuSans', x: 40, y: 200 },
    { text: '男', font: '28px NotoSansSC', x: 40, y: 260 },
  ];

  it('reads Chinese, digits and a one-character line exactly, in reading order', async () => {
    expect(await readAll(renderTextLines(card, 640, 290), 640)).toEqual(card.map((l) => l.text));
  });

  it('tells which way up each line reads (the direction classifier)', async () => {
    const image = renderTextLines(card, 640, 290);
    const quads = (await models.detect(image, ctx(), { maxSide: 640 })).map((b) => b.quad);
    expect(quads).toHaveLength(card.length);
    // The same quads, their corners taken from the opposite end: the line read turned by 180°.
    const reversed = quads.map((q) => [q[2], q[3], q[0], q[1]] as typeof q);
    const c = ctx();
    const upright = await models.turned!(image, quads, c);
    const turned = await models.turned!(image, reversed, c);
    // Chinese lines and the number; a lone 男 is too short to tell reliably, so it is left out.
    for (const i of [0, 1, 2]) {
      expect(upright[i], card[i].text).toBeLessThan(0.1);
      expect(turned[i], card[i].text).toBeGreaterThan(0.9);
    }
    expect(c.timings.orient).toBeGreaterThan(0);
  });

  it('reads lines of a page turned by 7°', async () => {
    expect(await readAll(renderTextLines(card, 640, 290, 7), 640)).toEqual(card.map((l) => l.text));
  });

  it('maps boxes found on a downscaled, padded input back onto the text in input pixels', async () => {
    const lines = [
      { text: '公民身份号码', font: '60px NotoSansSC', x: 150, y: 300 },
      { text: '签发机关', font: '56px NotoSansSC', x: 900, y: 820 },
    ];
    // 1700×1300 at maxSide 640 → 640×489 of image padded to a 640×512 tensor: mapping through the
    // tensor's size instead of the image's would put the second line ~38 px too low.
    const img = renderTextLines(lines, 1700, 1300);
    const boxes = await models.detect(img, ctx(), { maxSide: 640 });
    expect(boxes).toHaveLength(2);
    textLineExtents(lines).forEach(([x0, y0, x1, y1], i) => {
      const xs = boxes[i].quad.map((p) => p.x);
      const ys = boxes[i].quad.map((p) => p.y);
      // The box encloses the ink with a margin of under half the text height on every side.
      const margin = (y1 - y0) / 2;
      for (const [found, ink, sign] of [[Math.min(...xs), x0, -1], [Math.max(...xs), x1, 1], [Math.min(...ys), y0, -1], [Math.max(...ys), y1, 1]]) {
        expect(sign * (found - ink)).toBeGreaterThan(-3);
        expect(sign * (found - ink)).toBeLessThan(margin);
      }
    });
  });

  it('turns a vertical line (text rotated 90° clockwise) upright before reading', async () => {
    const img = renderTextLines([{ text: '中华人民共和国', font: '30px NotoSansSC', x: 0, y: 0 }], 80, 300);
    // Render the line horizontally elsewhere and rotate the raster 90° clockwise by hand.
    const flat = renderTextLines([{ text: '中华人民共和国', font: '30px NotoSansSC', x: 20, y: 50 }], 300, 80);
    for (let y = 0; y < 300; y++) {
      for (let x = 0; x < 80; x++) {
        // Clockwise: destination (x, y) comes from source (y, H - 1 - x).
        const s = ((80 - 1 - x) * 300 + y) * 3;
        const d = (y * 80 + x) * 3;
        img.data[d] = flat.data[s];
        img.data[d + 1] = flat.data[s + 1];
        img.data[d + 2] = flat.data[s + 2];
      }
    }
    expect(await readAll(img)).toEqual(['中华人民共和国']);
  });

  it('reads many short lines packed side by side exactly, lone narrow digits included', async () => {
    const words = ['男', '女', '汉', '回', '壮', '土', '彝', '维吾尔', '柯尔克孜', '鄂伦春', '畲', '达斡尔', '姓名', '性别', '民族', '出生', '住址', '长期', '1', '3', '7', '12', '1990', '张三'];
    const specs = words.map((text, i) => ({ text, font: '26px NotoSansSC', x: 20 + (i % 6) * 150, y: 40 + Math.floor(i / 6) * 54 }));
    const img = renderTextLines(specs, 920, 250);
    const c = ctx();
    const boxes = await models.detect(img, c);
    expect(boxes).toHaveLength(words.length);
    const readings = await models.recognize(img, boxes.map((b) => b.quad), c);
    expect(readings.map((r) => r.text)).toEqual(words);
  });

  it('reads the same text with two intra-op threads as with one', async () => {
    const img = renderTextLines(card, 640, 290);
    const c = ctx();
    const quads = (await models.detect(img, c, { maxSide: 640 })).map((b) => b.quad);
    const twoThreads = await loadLineRecognizer({ intraOpNumThreads: 2 });
    const one = await models.recognize(img, quads, c);
    const two = await recognizeLines(img, quads, c, { recognizer: twoThreads });
    expect(two.map((r) => r.text)).toEqual(card.map((l) => l.text));
    expect(two.map((r) => r.text)).toEqual(one.map((r) => r.text));
    two.forEach((r, i) => expect(r.confidence).toBeCloseTo(one[i].confidence, 3));
    await twoThreads.session.release();
  });

  it("restricts the id-number charset to 0-9 and X, keeping three candidates per character", async () => {
    const img = renderTextLines([{ text: '11010519491231002X', font: '32px DejaVuSansMono', x: 20, y: 50 }], 480, 80);
    const c = ctx();
    const [box] = await models.detect(img, c);
    const [reading] = await models.recognize(img, [box.quad], c, { charset: 'id-number' });
    expect(reading.text).toBe('11010519491231002X');
    expect(reading.confidence).toBeGreaterThan(0.9);
    expect(reading.chars).toHaveLength(18);
    for (const ch of reading.chars) {
      expect(ch.candidates).toHaveLength(3);
      for (const cand of ch.candidates) expect('0123456789X').toContain(cand.char);
      expect(ch.candidates[0].prob).toBeGreaterThanOrEqual(ch.candidates[1].prob);
    }
  });

  it('returns no readings for no quads, and finds no text on a blank page', async () => {
    const blank = renderTextLines([], 320, 200);
    const c = ctx();
    expect(await models.detect(blank, c)).toEqual([]);
    expect(await models.recognize(blank, [], c)).toEqual([]);
  });
});

describe('ctcGreedyDecode', () => {
  const classes = ['', 'a', 'b', 'c'];
  const frames = (rows: number[][]) => Float32Array.from(rows.flat());

  it('collapses repeats, drops blanks, keeps a doubled letter split by a blank', () => {
    const probs = frames([
      [0.1, 0.8, 0.05, 0.05],
      [0.1, 0.9, 0.0, 0.0],
      [0.9, 0.1, 0.0, 0.0],
      [0.2, 0.7, 0.1, 0.0],
      [0.1, 0.0, 0.3, 0.6],
    ]);
    const r = ctcGreedyDecode(probs, 5, 4, classes);
    expect(r.text).toBe('aac');
    // The first 'a' takes its most confident frame (0.9); the candidates exclude the blank.
    expect(r.chars[0].candidates.map((c) => c.char)).toEqual(['a', 'b', 'c']);
    expect(r.chars[0].candidates[0].prob).toBeCloseTo(0.9, 6);
    expect(r.chars[2].candidates.slice(0, 2)).toEqual([{ char: 'c', prob: expect.closeTo(0.6, 6) }, { char: 'b', prob: expect.closeTo(0.3, 6) }]);
    expect(r.confidence).toBeCloseTo((0.9 + 0.7 + 0.6) / 3, 6);
  });

  it('renormalises over the allowed classes', () => {
    const probs = frames([[0.1, 0.6, 0.2, 0.1]]);
    const r = ctcGreedyDecode(probs, 1, 4, classes, Int32Array.from([0, 2, 3]));
    expect(r.text).toBe('b');
    expect(r.chars[0].candidates[0].prob).toBeCloseTo(0.2 / 0.4, 6);
  });

  it('decodes random softmax frames exactly as a full argmax over every class does', () => {
    const big = Array.from({ length: 40 }, (_, i) => String.fromCharCode(0x4e00 + i));
    const cls = ['', ...big];
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const T = 300;
    const C = cls.length;
    const probs = new Float32Array(T * C);
    for (let t = 0; t < T; t++) {
      // Peaked like the recogniser's frames: one class (often the blank) takes most of the mass.
      const peak = rand() < 0.6 ? 0 : Math.floor(rand() * C);
      let sum = 0;
      for (let c = 0; c < C; c++) sum += probs[t * C + c] = (c === peak ? 5 + 40 * rand() : rand() * rand());
      for (let c = 0; c < C; c++) probs[t * C + c] /= sum;
    }
    // Reference: best path by a full scan of each frame.
    let text = '';
    let prev = -1;
    for (let t = 0; t < T; t++) {
      let best = 0;
      for (let c = 1; c < C; c++) if (probs[t * C + c] > probs[t * C + best]) best = c;
      if (best !== prev && best !== 0) text += cls[best];
      prev = best;
    }
    expect(ctcGreedyDecode(probs, T, C, cls).text).toBe(text);
  });

  it('gives an empty reading with confidence 0 for all-blank frames', () => {
    expect(ctcGreedyDecode(frames([[1, 0, 0, 0]]), 1, 4, classes)).toEqual({ text: '', confidence: 0, chars: [] });
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateOne, generateSet, parseNow } from '../synth/generate.ts';
import { LAYOUTS } from '../domain/cardLayout.ts';
import { decodeImage } from './decode.ts';
import { clusterBoxes, findAnchors, locateCards, orientQuad } from './locate.ts';
import { createOcrModels } from './recognize.ts';
import type { OcrModels, Point, Quad, StageContext } from './types.ts';

const ctx = (): StageContext => ({ timings: {}, verbose: false, now: new Date('2026-11-25T00:00:00Z') });

describe('orientQuad', () => {
  const box: Quad = [{ x: 10, y: 10 }, { x: 110, y: 10 }, { x: 110, y: 40 }, { x: 10, y: 40 }];
  it('starts the quad at the line’s own top-left for each reading direction', () => {
    expect(orientQuad(box, 0)[0]).toMatchObject({ x: 10, y: 10 });
    const upsideDown = orientQuad(box, 180);
    expect(upsideDown[0].x).toBeCloseTo(110, 6);
    expect(upsideDown[0].y).toBeCloseTo(40, 6);
    const down = orientQuad([{ x: 10, y: 10 }, { x: 40, y: 10 }, { x: 40, y: 110 }, { x: 10, y: 110 }], 90);
    // Reading downwards, the top-left of the text is the box's top-right corner.
    expect(down[0].x).toBeCloseTo(40, 6);
    expect(down[0].y).toBeCloseTo(10, 6);
  });
});

describe('clusterBoxes', () => {
  /** A horizontal box from (x, y), `length` long and `thickness` high, as locate describes it. */
  const box = (x: number, y: number, length: number, thickness: number) => ({
    box: {
      box: { quad: [{ x, y }, { x: x + length, y }, { x: x + length, y: y + thickness }, { x, y: y + thickness }] as Quad, score: 1 },
      angle: 0,
      length,
      thickness,
    },
  });
  it('chains rows a line apart into one cluster and keeps a block far away apart', () => {
    const card = [box(0, 0, 300, 30), box(0, 50, 200, 30), box(120, 100, 400, 30)];
    const page = [box(1000, 0, 500, 20), box(1000, 30, 480, 20)];
    const clusters = clusterBoxes([...card, ...page]);
    expect(clusters.map((c) => c.length).sort()).toEqual([2, 3]);
    expect(clusters.find((c) => c.length === 3)).toEqual(expect.arrayContaining(card));
  });
  it('chains boxes side by side on one row (a label and its value)', () => {
    expect(clusterBoxes([box(0, 0, 60, 30), box(100, 0, 200, 30)])).toHaveLength(1);
    expect(clusterBoxes([box(0, 0, 60, 30), box(200, 0, 200, 30)])).toHaveLength(2);
  });
});

describe('findAnchors', () => {
  const line = (text: string) => ({
    text,
    confidence: 1,
    chars: [...text].map((c) => ({ candidates: [{ char: c, prob: 1 }] })),
    box: [{ x: 0, y: 0 }, { x: 50 * [...text].length, y: 0 }, { x: 50 * [...text].length, y: 50 }, { x: 0, y: 50 }] as Quad,
  });
  it('takes a back’s 居民身份证 as itself, not as a temporary card’s title with two characters lost', () => {
    expect(findAnchors(line('居民身份证'), 0).map((a) => a.label)).toEqual(['居民身份证']);
    expect(findAnchors(line('临时居民身份证'), 0).map((a) => a.label)).toEqual(['临时居民身份证']);
  });
});

let models: OcrModels & { release(): Promise<void> };
beforeAll(async () => {
  models = await createOcrModels({ intraOpNumThreads: 2 });
}, 60_000);
afterAll(async () => {
  await models?.release();
});

/** Largest corner distance between two quads, as a fraction of the card's width. */
function cornerError(got: Quad, want: Quad, scale: number): number {
  const width = Math.hypot(want[1].x - want[0].x, want[1].y - want[0].y);
  return Math.max(...got.map((p: Point, i) => Math.hypot(p.x * scale - want[i].x, p.y * scale - want[i].y))) / width;
}

describe('locateCards on generated images', () => {
  it('finds a turned card, its side and its corners (clockwise from its own top-left)', async () => {
    for await (const g of generateSet({ count: 2, seed: 21, cases: ['clean', 'rotated'] })) {
      const c = ctx();
      const decoded = await decodeImage(g.bytes, c);
      const cards = await locateCards(decoded, models, c);
      const want = g.label.cards[0];
      expect(cards.length, g.file).toBeGreaterThanOrEqual(1);
      expect(cards[0].kind, g.file).toBe(want.kind);
      expect(cornerError(cards[0].quad, want.quad, decoded.scaleToOriginal), g.file).toBeLessThan(0.04);
      expect(cards[0].card).toMatchObject({ width: 856, height: 540 });
      expect(cards[0].lines?.length, g.file).toBeGreaterThan(2);
      expect(c.timings.locate).toBeGreaterThan(0);
    }
  }, 90_000);

  it('leaves the clutter beside a card unread once the card is found, and finds the same card with the same readable lines', async () => {
    let readAll = 0;
    let readSome = 0;
    let compared = 0;
    let quads = 0;
    const counting: OcrModels = { ...models, recognize: (img, q, c, o) => ((quads += q.length), models.recognize(img, q, c, o)) };
    for await (const g of generateSet({ count: 5, seed: 5, cases: ['photo'] })) {
      const c = ctx();
      const decoded = await decodeImage(g.bytes, c);
      quads = 0;
      const all = await locateCards(decoded, counting, c, { detectSide: 960 });
      const nAll = quads;
      quads = 0;
      const some = await locateCards(decoded, counting, c, { detectSide: 960, sufficient: () => 'card' });
      // Only where reading everything finds the labelled card is there a card to compare.
      if (all[0]?.kind !== g.label.cards[0].kind) continue;
      compared += 1;
      readAll += nAll;
      readSome += quads;
      expect(some[0].kind, g.file).toBe(all[0].kind);
      expect(cornerError(some[0].quad, all[0].quad, 1), g.file).toBeLessThan(0.01);
      // Readable lines (a speck read as '' one way and '·' the other is not a line of the card), outside
      // the portrait and the emblem, where a card wanted alone leaves boxes unread (a collar edge read as 0).
      const layout = LAYOUTS[all[0].kind];
      const pictured = (box: Quad) =>
        [layout.portrait, layout.emblem].some((a) => a !== undefined && box.every((p) => p.x >= (a[0] - 0.02) * 856 && p.x <= (a[2] + 0.02) * 856 && p.y >= (a[1] - 0.02) * 540 && p.y <= (a[3] + 0.02) * 540));
      const texts = (lines: Array<{ text: string; box: Quad }> | undefined) => (lines ?? []).filter((l) => !pictured(l.box)).map((l) => l.text).filter((t) => /[\p{L}\p{N}]/u.test(t)).sort();
      expect(texts(some[0].lines), g.file).toEqual(texts(all[0].lines));
      expect(quads, g.file).toBeLessThanOrEqual(nAll);
    }
    expect(compared).toBeGreaterThanOrEqual(3);
    expect(readSome).toBeLessThan(readAll);
  }, 120_000);

  it('finds every card of a multi-card image', async () => {
    for await (const g of generateSet({ count: 1, seed: 4, cases: ['multi'] })) {
      const c = ctx();
      const cards = await locateCards(await decodeImage(g.bytes, c), models, c);
      expect(cards.map((k) => k.kind).sort(), g.file).toEqual(g.label.cards.map((k) => k.kind).sort());
    }
  }, 90_000);

  it('finds every card of multi-card images when every card is wanted, sampling the papers beside them', async () => {
    let quads = 0;
    let sampled = 0;
    let everything = 0;
    const counting: OcrModels = { ...models, recognize: (img, q, c, o) => ((quads += q.length), models.recognize(img, q, c, o)) };
    for await (const g of generateSet({ count: 6, seed: 4, cases: ['multi', 'photo'] })) {
      const c = ctx();
      const decoded = await decodeImage(g.bytes, c);
      quads = 0;
      const all = await locateCards(decoded, counting, c, { detectSide: 960, sufficient: () => 'all' });
      sampled += quads;
      quads = 0;
      await locateCards(decoded, counting, c, { detectSide: 960 });
      everything += quads;
      if (g.label.case === 'multi') expect(all.map((k) => k.kind).sort(), g.file).toEqual(g.label.cards.map((k) => k.kind).sort());
      else expect(all[0]?.kind, g.file).toBe(g.label.cards[0].kind);
    }
    expect(sampled).toBeLessThan(everything);
  }, 180_000);

  it('finds nothing in an image without a card', async () => {
    for await (const g of generateSet({ count: 1, seed: 2, cases: ['no-card'] })) {
      const c = ctx();
      expect(await locateCards(await decodeImage(g.bytes, c), models, c), g.file).toEqual([]);
    }
  }, 90_000);

  it('finds a small turned temporary card beside documents, title and labels read along its own rows', async () => {
    // Seed 55, image 34: the card turned ≈ 62° on papers turned the other way. Its one- and two-character
    // boxes (letter-spaced title and labels) used to be read at the papers' angle, and it was taken for a back.
    const g = await generateOne(55, 34, 'temporary', parseNow('2026-11-25'));
    const c = ctx();
    const decoded = await decodeImage(g.bytes, c);
    const cards = await locateCards(decoded, models, c, { detectSide: 640 });
    expect(cards.map((k) => k.kind)).toEqual(['TEMPORARY']);
    // Fitted from the label column alone (the number and the authority are not found at 640 px): within 8%.
    expect(cornerError(cards[0].quad, g.label.cards[0].quad, decoded.scaleToOriginal)).toBeLessThan(0.08);
  }, 90_000);
});

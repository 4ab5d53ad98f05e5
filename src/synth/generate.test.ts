import { beforeAll, describe, expect, it } from 'vitest';
import { BACK_LAYOUT, CANONICAL_HEIGHT, CANONICAL_WIDTH, FRONT_LAYOUT } from '../domain/cardLayout.ts';
import { generateSet, type GeneratedImage } from './generate.ts';
import { homographyFromQuads, rectQuad, warpOnto, type Canvas8 } from './geometry.ts';
import { SYNTH_CASES, type SynthCase } from './labels.ts';
import { decodeForCheck, EXPECTED_OUTCOME, verifyImage } from './verify.ts';

const NOW = '2026-11-25';

async function collect(seed: number, cases: readonly SynthCase[], count = cases.length, maxMegapixels = 2): Promise<GeneratedImage[]> {
  const out: GeneratedImage[] = [];
  for await (const g of generateSet({ count, seed, cases, now: NOW, maxMegapixels })) out.push(g);
  return out;
}

describe('a small generated set (one image of every case)', () => {
  let set: GeneratedImage[];
  beforeAll(async () => {
    set = await collect(20261125, SYNTH_CASES, SYNTH_CASES.length, 2);
  }, 120_000);

  it('labels every case with its expected warnings and error', () => {
    expect(set.map((g) => g.label.case)).toEqual([...SYNTH_CASES]);
    for (const { label } of set) {
      expect(label.expectedWarnings, label.case).toEqual(EXPECTED_OUTCOME[label.case].warnings);
      expect(label.expectedError, label.case).toBe(EXPECTED_OUTCOME[label.case].error);
      expect(label.now).toBe(NOW);
    }
  });

  it('agrees with its labels: decodable files of the labelled size, consistent fields, quads in the frame (partly out when cut), hidden fields null', async () => {
    const problems: string[] = [];
    for (const g of set) problems.push(...(await verifyImage(g.label, g.bytes)));
    expect(problems).toEqual([]);
  });

  it('has a checker that notices a wrong label (bad check character, a quad off the frame, a wrong size)', async () => {
    const g = set.find((x) => x.label.case === 'clean')!;
    const bad = structuredClone(g.label);
    const card = bad.cards[0];
    if (card.fields.IdNum) card.fields.IdNum = card.fields.IdNum.slice(0, 17) + (card.fields.IdNum[17] === '1' ? '2' : '1');
    else card.fields.ValidDate = '2019.02.30-2039.02.30';
    card.quad[1] = { x: bad.width + 50, y: card.quad[1].y };
    bad.width += 1;
    const problems = await verifyImage(bad, g.bytes);
    expect(problems.length).toBeGreaterThanOrEqual(3);
  });

  it('draws the card where the quad says: rectifying by the label quad finds ink in the value boxes and none in the empty margin', async () => {
    for (const g of set.filter((x) => ['clean', 'rotated', 'photo', 'temporary'].includes(x.label.case))) {
      const img = await decodeForCheck(g.bytes, g.label.format);
      const card = g.label.cards[0];
      const rgba: Canvas8 = { data: new Uint8Array(img.width * img.height * 4), width: img.width, height: img.height, channels: 4 };
      for (let i = 0, j = 0; j < img.data.length; i += 4, j += 3) {
        rgba.data[i] = img.data[j];
        rgba.data[i + 1] = img.data[j + 1];
        rgba.data[i + 2] = img.data[j + 2];
        rgba.data[i + 3] = 255;
      }
      const rect: Canvas8 = { data: new Uint8Array(CANONICAL_WIDTH * CANONICAL_HEIGHT * 3), width: CANONICAL_WIDTH, height: CANONICAL_HEIGHT, channels: 3 };
      warpOnto(rect, rgba, homographyFromQuads(card.quad, rectQuad(0, 0, CANONICAL_WIDTH, CANONICAL_HEIGHT)));
      const darkShare = (box: readonly number[]) => {
        let dark = 0;
        let n = 0;
        for (let y = Math.round(box[1] * CANONICAL_HEIGHT); y < box[3] * CANONICAL_HEIGHT; y++) {
          for (let x = Math.round(box[0] * CANONICAL_WIDTH); x < box[2] * CANONICAL_WIDTH; x++) {
            const i = (y * CANONICAL_WIDTH + x) * 3;
            if (rect.data[i] + rect.data[i + 1] + rect.data[i + 2] < 300) dark++;
            n++;
          }
        }
        return dark / n;
      };
      const valueBox = card.kind === 'BACK' ? BACK_LAYOUT.values.ValidDate!.box : FRONT_LAYOUT.values.IdNum!.box;
      if (card.kind !== 'TEMPORARY') expect(darkShare(valueBox), g.file).toBeGreaterThan(0.04);
      expect(darkShare([0.03, 0.955, 0.6, 0.985]), g.file).toBeLessThan(0.01);
    }
  });
});

describe('determinism', () => {
  it('gives the same bytes and labels for the same seed, and different ones for another seed', async () => {
    const cases = ['clean', 'photo', 'undecodable'] as const;
    const a = await collect(42, cases);
    const b = await collect(42, cases);
    const c = await collect(43, cases);
    for (let i = 0; i < cases.length; i++) {
      expect(Buffer.compare(Buffer.from(a[i].bytes), Buffer.from(b[i].bytes))).toBe(0);
      expect(a[i].label).toEqual(b[i].label);
      expect(Buffer.compare(Buffer.from(a[i].bytes), Buffer.from(c[i].bytes))).not.toBe(0);
    }
  }, 120_000);
});

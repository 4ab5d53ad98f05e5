/**
 * Every warning on generated positives and clean negatives (src/synth, seed 7): the card is located from
 * the label's quad, so these tests judge the detectors alone, not the locator.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { generateOne, parseNow } from '../../synth/generate.ts';
import type { SynthCase } from '../../synth/labels.ts';
import { CONFIG_KEYS, type IdCardConfig, type WarnCode } from '../types.ts';
import { inputFromLabel, type LabelledInput } from './generatedInput.ts';
import { computeAdvanced } from './index.ts';

const SEED = 7;
const ALL_FLAGS = Object.fromEntries(CONFIG_KEYS.map((k) => [k, k !== 'MultiCardDetect'])) as unknown as IdCardConfig;

async function generated(index: number, synthCase: SynthCase): Promise<LabelledInput> {
  const g = await generateOne(SEED, index, synthCase, parseNow(undefined));
  return inputFromLabel(g.bytes, g.label);
}

async function warningsOf(li: LabelledInput): Promise<WarnCode[]> {
  const ctx = { timings: {}, verbose: false, now: new Date(`${li.label.now}T12:00:00Z`) };
  const { advancedInfo } = await computeAdvanced(li.input, ALL_FLAGS, ctx);
  return advancedInfo.WarnInfos ?? [];
}

// (case, generator index, code expected). Indices are the first images of each case in the seed-7 set.
const POSITIVES: Array<[SynthCase, number, WarnCode]> = [
  ['photocopy', 2, 9102],
  ['reshoot', 3, 9103],
  ['doctored', 11, 9106],
  ['cut', 5, 9101],
  ['occluded', 6, 9105],
];
const NEGATIVES: Array<[SynthCase, number]> = [
  ['clean', 0],
  ['clean', 7],
  ['photo', 1],
  ['photo', 8],
];

describe('risk warnings on generated images', () => {
  const inputs = new Map<string, LabelledInput>();
  beforeAll(async () => {
    for (const [c, i] of [...POSITIVES.map(([c, i]) => [c, i] as const), ...NEGATIVES]) inputs.set(`${c}/${i}`, await generated(i, c));
  }, 60_000);

  it.each(POSITIVES)('raises the %s warning (image %i) as %i', async (c, i, code) => {
    const li = inputs.get(`${c}/${i}`)!;
    expect(li.label.expectedWarnings).toContain(code);
    expect(await warningsOf(li)).toContain(code);
  });

  it.each(NEGATIVES)('raises nothing on a genuine %s (image %i)', async (c, i) => {
    expect(await warningsOf(inputs.get(`${c}/${i}`)!)).toEqual([]);
  });
});

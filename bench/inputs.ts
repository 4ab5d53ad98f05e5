/**
 * Inputs for the speed benchmark: clean card scans and large phone photos. Taken from a synthetic set on disk
 * (`--set DIR`: its `clean` and `photo` cases, largest photos first) or generated in-process by the synth
 * library. Speed does not depend on the card's data, only on image size and content, so the labels are unused.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ymdFromDate, type YMD } from '../src/domain/dates.ts';
import { DEFAULT_NOW, generateOne } from '../src/synth/generate.ts';
import type { SynthLabels } from '../src/synth/labels.ts';
import { largeCardPhoto } from '../src/synth/largePhoto.ts';

export interface SpeedInput {
  name: string;
  bytes: Uint8Array;
  width: number;
  height: number;
  format: string;
}

export interface SpeedInputs {
  clean: SpeedInput[];
  photos: SpeedInput[];
  source: string;
  notes: string[];
}

/** A "large photo" is a phone photo of at least this many pixels (issue 4's speed target names 12 MP). */
export const LARGE_PHOTO_MIN_MP = 8;

function fromSet(dir: string, quick: boolean): SpeedInputs {
  const labels = JSON.parse(readFileSync(path.join(dir, 'labels.json'), 'utf8')) as SynthLabels;
  if (!Array.isArray(labels.images)) throw new Error(`${dir}/labels.json is not a synthetic set (no "images")`);
  const want = quick ? 2 : 4;
  const load = (img: SynthLabels['images'][number]): SpeedInput => ({
    name: img.file,
    bytes: readFileSync(path.join(dir, img.file)),
    width: img.width,
    height: img.height,
    format: img.format,
  });
  const clean = labels.images.filter((i) => i.case === 'clean' && !i.expectedError).slice(0, want).map(load);
  const photos = labels.images
    .filter((i) => i.case === 'photo' && !i.expectedError)
    .sort((a, b) => b.width * b.height - a.width * a.height)
    .slice(0, want);
  const notes: string[] = [];
  const small = photos.filter((p) => (p.width * p.height) / 1e6 < LARGE_PHOTO_MIN_MP);
  if (small.length) notes.push(`${small.length} of the set's largest photos are under ${LARGE_PHOTO_MIN_MP} MP; the large-photo row is not a 12 MP figure`);
  return { clean, photos: photos.map(load), source: `set ${dir} (seed ${labels.seed})`, notes };
}

const SPEED_SEED = 20261125;

/** A 12 MP phone photo of one card beside printed pages (the size issue 4's photo target names). */
async function largePhoto(index: number, now: YMD): Promise<SpeedInput> {
  const p = await largeCardPhoto(SPEED_SEED, index, now);
  return { name: `photo12mp-${index}.jpg`, bytes: p.bytes, width: p.width, height: p.height, format: 'jpeg' };
}

/** Clean scans straight from the generator's `clean` recipe; 12 MP photos composed as above. */
async function fromSynth(quick: boolean): Promise<SpeedInputs> {
  const want = quick ? 2 : 4;
  const now = { iso: DEFAULT_NOW, ymd: ymdFromDate(new Date(`${DEFAULT_NOW}T00:00:00Z`)) };
  const clean: SpeedInput[] = [];
  for (let i = 0; i < want; i++) {
    const g = await generateOne(SPEED_SEED, i, 'clean', now);
    clean.push({ name: g.file, bytes: g.bytes, width: g.label.width, height: g.label.height, format: g.label.format });
  }
  const photos: SpeedInput[] = [];
  for (let i = 0; i < want; i++) photos.push(await largePhoto(i, now.ymd));
  return { clean, photos, source: `generated in-process (synth, seed ${SPEED_SEED})`, notes: [] };
}

export async function loadSpeedInputs(opts: { set?: string; quick: boolean }): Promise<SpeedInputs> {
  if (opts.set) return fromSet(path.resolve(opts.set), opts.quick);
  try {
    return await fromSynth(opts.quick);
  } catch (e) {
    return { clean: [], photos: [], source: 'none', notes: [`no inputs: in-process generation failed (${(e as Error).message}); pass --set DIR from npm run synth`] };
  }
}

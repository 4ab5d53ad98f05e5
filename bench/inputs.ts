/**
 * Inputs for the speed benchmark: clean card scans and large phone photos. Taken from a synthetic set on disk
 * (`--set DIR`: its `clean` and `photo` cases, largest photos first) or generated in-process by the synth
 * library. Speed does not depend on the card's data, only on image size and content, so the labels are unused.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ymdFromDate, type YMD } from '../src/domain/dates.ts';
import { makeSurface } from '../src/synth/backgrounds.ts';
import { encodeImage } from '../src/synth/encode.ts';
import { DEFAULT_NOW, generateOne } from '../src/synth/generate.ts';
import { makeIdentity } from '../src/synth/identity.ts';
import type { SynthLabels } from '../src/synth/labels.ts';
import { Rng } from '../src/synth/random.ts';
import { renderCardFace } from '../src/synth/renderCard.ts';
import { capture, drawCard, drawShadow, placeObject } from '../src/synth/scene.ts';

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

/** 12 MP at 4:3, the size issue 4's photo target names (a common phone camera's default). */
const PHOTO_WIDTH = 4000;
const PHOTO_HEIGHT = 3000;
const SPEED_SEED = 20261125;

/**
 * A 12 MP phone photo of one card, built in-process from the synth library's own scene steps (surface,
 * camera placement, shadow, capture effects, JPEG): the generator's `photo` case draws its size at random
 * (0.5–12 MP), and the speed row needs the large end every time.
 */
async function largePhoto(index: number, now: YMD): Promise<SpeedInput> {
  const rng = new Rng(SPEED_SEED, 1000 + index);
  const id = makeIdentity(rng.fork(1), { now });
  const kind = index % 2 === 0 ? 'FRONT' : 'BACK';
  const img = await makeSurface(PHOTO_WIDTH, PHOTO_HEIGHT, rng, { surface: index % 2 === 0 ? 'wood' : 'desk', clutter: 2 });
  const H = placeObject(rng, PHOTO_WIDTH, PHOTO_HEIGHT, { fill: rng.float(0.6, 0.85), rotation: rng.normal(0, 0.08), tiltX: rng.normal(0, 0.15), tiltY: rng.normal(0, 0.12), focal: 3 });
  const card = renderCardFace(id, kind, { scale: 2, seed: rng.u32() });
  drawShadow(img, H, rng, 0.3);
  await drawCard(img, card, H);
  const shot = await capture(img, rng, { blur: 1.2, noise: 3, light: 0.85, glare: 0, cast: [1.02, 1, 0.97] });
  const bytes = await encodeImage(shot, 'jpeg', 85);
  return { name: `photo12mp-${index}.jpg`, bytes, width: shot.width, height: shot.height, format: 'jpeg' };
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

/**
 * A 12 MP phone photo of one card on a desk beside printed pages, from the synth library's own scene steps
 * (surface with clutter, camera placement, shadow, capture effects, JPEG). The generator's `photo` case draws
 * its size at random (0.5–12 MP); the speed benchmark needs the large end every time, and the card tests the
 * same scenes.
 */
import type { YMD } from '../domain/dates.ts';
import { makeSurface } from './backgrounds.ts';
import { encodeImage } from './encode.ts';
import { fieldsFor, makeIdentity } from './identity.ts';
import { Rng } from './random.ts';
import { renderCardFace } from './renderCard.ts';
import { capture, drawCard, drawShadow, placeObject } from './scene.ts';

/** 12 MP at 4:3, a common phone camera's default. */
export const LARGE_PHOTO_WIDTH = 4000;
export const LARGE_PHOTO_HEIGHT = 3000;

export interface LargePhoto {
  bytes: Uint8Array;
  width: number;
  height: number;
  kind: 'FRONT' | 'BACK';
  /** The card's printed fields, as the API answers them. */
  fields: ReturnType<typeof fieldsFor>;
}

/**
 * Photo `index` of the series `seed`: even indices a front on wood, odd ones a back on a desk, two pages
 * of clutter each.
 * @example
 *   const photo = await largeCardPhoto(20261125, 0, { year: 2026, month: 11, day: 25 });
 */
export async function largeCardPhoto(seed: number, index: number, now: YMD): Promise<LargePhoto> {
  const rng = new Rng(seed, 1000 + index);
  const id = makeIdentity(rng.fork(1), { now });
  const kind = index % 2 === 0 ? 'FRONT' : 'BACK';
  const img = await makeSurface(LARGE_PHOTO_WIDTH, LARGE_PHOTO_HEIGHT, rng, { surface: index % 2 === 0 ? 'wood' : 'desk', clutter: 2 });
  const H = placeObject(rng, LARGE_PHOTO_WIDTH, LARGE_PHOTO_HEIGHT, { fill: rng.float(0.6, 0.85), rotation: rng.normal(0, 0.08), tiltX: rng.normal(0, 0.15), tiltY: rng.normal(0, 0.12), focal: 3 });
  // Drawn at 4× canonical (3424 px across): the card fills up to 85% of the 4000-px frame, and a face drawn
  // smaller and magnified into it leaves its own pixel grid in the photo — a screen's signature, which the
  // re-shoot check rightly flagged (at 2× the bench's second photo scored a 2.21 periodic peak, at 4× 1.79).
  const card = renderCardFace(id, kind, { scale: 4, seed: rng.u32() });
  drawShadow(img, H, rng, 0.3);
  await drawCard(img, card, H);
  const shot = await capture(img, rng, { blur: 1.2, noise: 3, light: 0.85, glare: 0, cast: [1.02, 1, 0.97] });
  const bytes = await encodeImage(shot, 'jpeg', 85);
  return { bytes, width: shot.width, height: shot.height, kind, fields: fieldsFor(id, kind) };
}

/**
 * Advanced-stage inputs built from a generated synthetic image and its label (src/synth), with the card
 * located from the label's exact corner quad instead of by recognition. Tests and the calibration run
 * use it so that every detector can be judged on the attack it is meant for, independently of locate.
 */
import { decodeImage } from '../decode.ts';
import type { AdvancedInput, IdInfo, Quad } from '../types.ts';
import type { SynthLabel } from '../../synth/labels.ts';
import { locatedCardFromQuad } from './labelledCard.ts';

export interface LabelledInput {
  input: AdvancedInput;
  label: SynthLabel;
  /** Label quad → decoded-image pixels (decode may downscale a very large photo). */
  toDecoded: (q: Quad) => Quad;
}

export async function inputFromLabel(bytes: Uint8Array, label: SynthLabel): Promise<LabelledInput> {
  // The service's own decoder, so detectors see the same (possibly downscaled) raster they will in service.
  const decoded = await decodeImage(bytes, { timings: {}, verbose: false, now: new Date() });
  const toDecoded = (q: Quad) => q.map((p) => ({ x: p.x / decoded.scaleToOriginal, y: p.y / decoded.scaleToOriginal })) as Quad;
  const cards = label.cards.map((c) => locatedCardFromQuad(decoded.image, toDecoded(c.quad), c.kind));
  const first = label.cards[0];
  const idInfo = Object.fromEntries(Object.entries(first.fields).filter(([, v]) => v !== null)) as IdInfo;
  return { input: { decoded, cards, target: cards[0], idInfo, lines: [] }, label, toDecoded };
}

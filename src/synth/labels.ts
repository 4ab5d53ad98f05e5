/**
 * The labels a synthetic set carries (`DIR/labels.json`). Labels come from the data the generator chose,
 * never from our own OCR. The accuracy benchmark reads this, and the real-sample set is mapped onto it.
 */
import type { CardKind, IdInfo, Point, Quad, WarnCode } from '../engine/types.ts';
import type { ErrorCode } from '../errors/catalogue.ts';

export const SYNTH_CASES = [
  'clean', // flat scan, upright
  'photo', // phone photo: background, perspective, any rotation, lighting, blur, noise, JPEG, 0.5–12 MP
  'rotated', // 90/180/270 in-plane
  'photocopy', // 9102
  'reshoot', // 9103 (screen: moiré, subpixel grid)
  'doctored', // 9106 (re-typed patch)
  'cut', // 9101 (edge cut off by the frame)
  'occluded', // 9105 (finger, sticker inside the card)
  'temporary', // 9104
  'invalid-date', // 9100
  'multi', // two or more cards in one image
  'no-card', // FailedOperation.ImageNoIdCard
  'undecodable', // FailedOperation.ImageDecodeFailed
  'oversized', // FailedOperation.ImageSizeTooLarge
] as const;
export type SynthCase = (typeof SYNTH_CASES)[number];

export interface CardLabel {
  kind: CardKind;
  /** Corner quadrilateral in image pixels, clockwise from the card's own top-left. */
  quad: Quad;
  /** Portrait box in image pixels (front and temporary cards). */
  portrait?: Quad;
  /** Every field's true value in the API's format (Birth `YYYY/M/D`); `null` where covered or cut off. */
  fields: Record<keyof IdInfo, string | null>;
}

export interface SynthLabel {
  file: string;
  case: SynthCase;
  /** Side the request should ask for (`CardSide`); absent = auto. */
  side?: 'FRONT' | 'BACK';
  format: 'png' | 'jpeg' | 'bmp' | 'other';
  width: number;
  height: number;
  /** Cards in the image; the first is the one the request should read. */
  cards: CardLabel[];
  /** Warning codes expected when every warning flag is on. */
  expectedWarnings: WarnCode[];
  /** Expected error code (then `cards` may be empty). */
  expectedError?: ErrorCode;
  /** Reference date the label was made for (validity checks depend on it), ISO yyyy-mm-dd. */
  now: string;
}

export interface SynthLabels {
  seed: number;
  generatedBy: string;
  images: SynthLabel[];
}

export type { Point };

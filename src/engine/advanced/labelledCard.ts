/**
 * A LocatedCard built from a known corner quad (a synthetic label's, or any caller's), with the same
 * homography convention as locate: image px → canonical px, card spanning [0, 856] × [0, 540].
 * Lets the detectors be calibrated and tested on generated images without running recognition.
 */
import { CANONICAL_HEIGHT, CANONICAL_WIDTH } from '../../domain/cardLayout.ts';
import type { CardKind, LocatedCard, Quad, RasterImage } from '../types.ts';
import { homographyFromRectToQuad, invertHomography, warpFromImage } from './warp.ts';

export function locatedCardFromQuad(image: RasterImage, quad: Quad, kind: CardKind): LocatedCard {
  const canonicalToImage = homographyFromRectToQuad(CANONICAL_WIDTH, CANONICAL_HEIGHT, quad);
  return {
    kind,
    quad,
    homography: invertHomography(canonicalToImage),
    card: warpFromImage(image, canonicalToImage, CANONICAL_WIDTH, CANONICAL_HEIGHT, CANONICAL_WIDTH, CANONICAL_HEIGHT),
    score: 1,
    method: 'edges',
  };
}

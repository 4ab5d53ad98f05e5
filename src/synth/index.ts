/**
 * The synthetic-card generator's public surface, for tests and benchmarks that build sets in-process.
 * @example
 *   for await (const { file, bytes, label } of generateSet({ count: 14, seed: 1 })) { … }
 */
export { DEFAULT_NOW, generateOne, generateSet, renderCard, type GenerateOptions, type GeneratedImage } from './generate.ts';
export { makeIdentity, fieldsFor, type Identity } from './identity.ts';
export { Rng } from './random.ts';
export { renderCardFace, type RenderedCard, type RenderOptions } from './renderCard.ts';
export { verifyImage, verifySet, decodeForCheck, EXPECTED_OUTCOME } from './verify.ts';
export { SYNTH_CASES, type SynthCase, type SynthLabel, type SynthLabels, type CardLabel } from './labels.ts';

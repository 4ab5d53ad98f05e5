/**
 * The engine's public contract. The engine knows nothing of HTTP, XML or storage: it takes image bytes and
 * options and returns typed fields, advanced info and diagnostics, or throws a ServiceError whose code is
 * one of the spec's FailedOperation.* codes.
 *
 * Stages (one module each, same call shape `(input, ctx) => Promise<Output>`):
 *   decode → locate → detect → recognize → extract → validate → advanced
 */

export type CardSide = 'FRONT' | 'BACK';
/** What a located card turned out to be. A temporary card carries all items on one face. */
export type CardKind = 'FRONT' | 'BACK' | 'TEMPORARY';

/** The spec's Config keys, all boolean, all false by default. */
export const CONFIG_KEYS = [
  'CropIdCard',
  'CropPortrait',
  'CopyWarn',
  'BorderCheckWarn',
  'ReshootWarn',
  'DetectPsWarn',
  'TempIdWarn',
  'InvalidDateWarn',
  'Quality',
  'MultiCardDetect',
] as const;
export type ConfigKey = (typeof CONFIG_KEYS)[number];
export type IdCardConfig = Readonly<Record<ConfigKey, boolean>>;

export const DEFAULT_CONFIG: IdCardConfig = Object.freeze(
  Object.fromEntries(CONFIG_KEYS.map((k) => [k, false])) as Record<ConfigKey, boolean>,
);

export interface RecognizeRequest {
  /** Raw file bytes as uploaded (PNG, JPEG or BMP). */
  image: Uint8Array;
  cardSide?: CardSide;
  config?: Partial<IdCardConfig>;
  /** Clock for validity-period checks (tests inject it). */
  now?: Date;
  /** Collect per-stage diagnostics (detector scores, boxes) for the CLI's --verbose. */
  verbose?: boolean;
}

/** The eight fields, as the spec returns them. Absent = not on this side / not readable. */
export interface IdInfo {
  Name?: string;
  Sex?: string;
  Nation?: string;
  /** `YYYY/M/D`, no zero padding (the spec's sample `1987/1/1`). */
  Birth?: string;
  Address?: string;
  IdNum?: string;
  Authority?: string;
  /** As printed: `2015.03.07-2035.03.07` or `2016.05.27-长期`. */
  ValidDate?: string;
}
export const ID_FIELDS = ['Name', 'Sex', 'Nation', 'Birth', 'Address', 'IdNum', 'Authority', 'ValidDate'] as const;
export type IdField = (typeof ID_FIELDS)[number];

/** Warning codes as the COS CI doc writes them (9100–9106); rendered with a leading '-' as the SDKs see them. */
export type WarnCode = 9100 | 9101 | 9102 | 9103 | 9104 | 9105 | 9106;

export interface AdvancedInfo {
  /** Base64 JPEG of the rectified card (CropIdCard). */
  IdCard?: string;
  /** Base64 JPEG of the portrait (CropPortrait). */
  Portrait?: string;
  /** 0–100, lower = blurrier (Quality). */
  Quality?: number;
  /** 0–100 (BorderCheckWarn). */
  BorderCodeValue?: number;
  /** Codes raised by the switched-on detectors, in ascending order. */
  WarnInfos?: WarnCode[];
}

/** One detector's verdict, kept for --verbose so a false alarm can be understood. */
export interface DetectorReport {
  name: string;
  code?: WarnCode;
  score: number;
  threshold: number;
  fired: boolean;
  reason: string;
}

export interface RecognitionResult {
  side: CardKind;
  idInfo: IdInfo;
  advancedInfo: AdvancedInfo;
  /** Milliseconds per stage, plus `total`. */
  timings: Record<string, number>;
  /** Only with `verbose`. */
  diagnostics?: {
    cards: Array<{ kind: CardKind; quad: Quad; score: number }>;
    detectors: DetectorReport[];
    lines?: Array<{ text: string; confidence: number; box: Quad; field?: IdField }>;
  };
}

/** The engine as the server, the CLI and the benchmarks see it. Implemented in src/engine/index.ts. */
export interface IdCardRecognizer {
  recognize(req: RecognizeRequest): Promise<RecognitionResult>;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------------------
// Geometry (habit 3: record every resize/rotation/warp so any box maps back to the original image)

export interface Point {
  x: number;
  y: number;
}
/** Four corners, clockwise from the card's own top-left (top-left, top-right, bottom-right, bottom-left). */
export type Quad = [Point, Point, Point, Point];
/** Row-major 3×3 homography. */
export type Homography = [number, number, number, number, number, number, number, number, number];

/** A decoded image: tightly packed 8-bit RGB (3 channels) or RGBA (4). */
export interface RasterImage {
  data: Uint8Array;
  width: number;
  height: number;
  channels: 3 | 4;
}

/** Shared per-request context passed to every stage. */
export interface StageContext {
  /** Stages add their elapsed milliseconds here under their own name. */
  timings: Record<string, number>;
  verbose: boolean;
  now: Date;
}

/** One recognised text line. */
export interface TextLine {
  text: string;
  /** Mean character probability, 0..1. */
  confidence: number;
  /** Per-character candidates: best first, each with its probability (for validation/correction). */
  chars: Array<{ candidates: Array<{ char: string; prob: number }> }>;
  /** The line's box in canonical card coordinates (see src/domain/cardLayout.ts). */
  box: Quad;
}

// ---------------------------------------------------------------------------------------------------------
// Stage contracts (each stage is one module; see DEVELOPERS.md)

/** decode.ts: `decodeImage(bytes, ctx): Promise<DecodedImage>` — RGB, EXIF orientation applied. */
export interface DecodedImage {
  image: RasterImage;
  format: 'png' | 'jpeg' | 'bmp';
  /** Scale from the decoded raster back to the file's pixels (1 unless decode downscaled a huge photo). */
  scaleToOriginal: number;
}

/** detect.ts: `detectText(image, ctx, opts?): Promise<TextBox[]>` — boxes in the given image's pixels. */
export interface TextBox {
  quad: Quad;
  score: number;
}

/** recognize.ts: `recognizeLines(image, quads, ctx, opts?): Promise<LineReading[]>` — one reading per quad. */
export interface LineReading {
  text: string;
  confidence: number;
  chars: TextLine['chars'];
}

/** The OCR primitives the card pipeline needs, bundled so they can be passed around (and loaded once per worker). */
export interface OcrModels {
  detect(image: RasterImage, ctx: StageContext, opts?: { maxSide?: number; boxThresh?: number }): Promise<TextBox[]>;
  /** `charset: 'id-number'` masks the CTC classes to 0-9 and X (recognition-notes.md). */
  recognize(image: RasterImage, quads: Quad[], ctx: StageContext, opts?: { charset?: 'all' | 'id-number' }): Promise<LineReading[]>;
  /** Probability that each line, read along its quad, is upside down (PP-OCR's direction classifier). */
  turned?(image: RasterImage, quads: Quad[], ctx: StageContext): Promise<number[]>;
}

/** locate.ts: `locateCards(decoded, models, ctx): Promise<LocatedCard[]>` — every card found, most prominent first. */
export interface LocatedCard {
  kind: CardKind;
  /** Corners in the decoded image's pixels, clockwise from the card's own top-left (so orientation is settled). */
  quad: Quad;
  /** Maps decoded-image pixels → canonical card pixels (856×540). */
  homography: Homography;
  /** The rectified, upright card at canonical size. */
  card: RasterImage;
  /**
   * Where `card` is made on first use (locate's cards): makes it with `make` instead, if it was not made yet
   * (the advanced stage resamples its finer crop rather than warping the photo a second time).
   */
  provideCard?(make: () => RasterImage): void;
  /** Where `card` is made on first use: whether it has been (absent: it always has). */
  hasCard?(): boolean;
  /** 0..1 confidence that this is an ID card of `kind`. */
  score: number;
  /** How the quad was found: edges of the card outline, or anchor labels (text-first). */
  method: 'edges' | 'text' | 'both';
  /** Text lines already read while locating (canonical coordinates), reusable by extract. */
  lines?: TextLine[];
}

/** advanced/index.ts: `computeAdvanced(input, config, ctx): Promise<{ advancedInfo, reports }>` */
export interface AdvancedInput {
  decoded: DecodedImage;
  cards: LocatedCard[];
  target: LocatedCard;
  idInfo: IdInfo;
  lines: TextLine[];
}

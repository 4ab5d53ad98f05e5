/**
 * The canonical card: where every label, value and picture sits, in card coordinates.
 *
 * This one table is shared by the synthetic-card generator (which draws there) and by recognition (which
 * rectifies a photo to this frame and reads each field from its region), so the two can never drift.
 *
 * Geometry: the card is ID-1, 85.6 × 54 mm (ISO/IEC 7810). Canonical pixels are 10 px/mm → 856 × 540.
 * Regions are normalised boxes `[x0, y0, x1, y1]` in 0..1 of the card's width and height, measured off
 * real specimens (../shared/samples/real: the '金阳' 样证 front, the '小帮' back).
 */

export const CARD_WIDTH_MM = 85.6;
export const CARD_HEIGHT_MM = 54;
export const CANONICAL_WIDTH = 856;
export const CANONICAL_HEIGHT = 540;
export const CARD_ASPECT = CARD_WIDTH_MM / CARD_HEIGHT_MM;

export type NormBox = readonly [x0: number, y0: number, x1: number, y1: number];

export interface LayoutRegion {
  /** Printed label text (for label regions) or a description. */
  text?: string;
  box: NormBox;
  /** Nominal glyph height as a fraction of card height (rendering and line grouping). */
  glyph: number;
}

export interface FaceLayout {
  /** Labels printed on the card; recognition uses them as anchors to fit the homography. */
  labels: Record<string, LayoutRegion>;
  /** Value regions by field. Address spans several lines inside its box. */
  values: Partial<Record<'Name' | 'Sex' | 'Nation' | 'Birth' | 'Address' | 'IdNum' | 'Authority' | 'ValidDate', LayoutRegion>>;
  /** Non-text areas. */
  portrait?: NormBox;
  emblem?: NormBox;
  /** Address: max lines and characters per line before wrapping. */
  addressLines?: number;
  addressCharsPerLine?: number;
}

export const FRONT_LAYOUT: FaceLayout = {
  labels: {
    姓名: { text: '姓名', box: [0.07, 0.13, 0.17, 0.22], glyph: 0.05 },
    性别: { text: '性别', box: [0.07, 0.26, 0.17, 0.35], glyph: 0.05 },
    民族: { text: '民族', box: [0.31, 0.26, 0.41, 0.35], glyph: 0.05 },
    出生: { text: '出生', box: [0.07, 0.38, 0.17, 0.48], glyph: 0.05 },
    住址: { text: '住址', box: [0.07, 0.51, 0.17, 0.60], glyph: 0.05 },
    公民身份号码: { text: '公民身份号码', box: [0.07, 0.80, 0.33, 0.90], glyph: 0.05 },
  },
  values: {
    Name: { box: [0.18, 0.12, 0.60, 0.23], glyph: 0.065 },
    Sex: { box: [0.18, 0.25, 0.30, 0.36], glyph: 0.058 },
    Nation: { box: [0.41, 0.25, 0.61, 0.36], glyph: 0.058 },
    Birth: { box: [0.18, 0.37, 0.60, 0.49], glyph: 0.058 },
    Address: { box: [0.18, 0.50, 0.62, 0.77], glyph: 0.058 },
    IdNum: { box: [0.33, 0.79, 0.93, 0.91], glyph: 0.068 },
  },
  portrait: [0.62, 0.12, 0.95, 0.78],
  addressLines: 3,
  addressCharsPerLine: 11,
};

export const BACK_LAYOUT: FaceLayout = {
  labels: {
    中华人民共和国: { text: '中华人民共和国', box: [0.32, 0.10, 0.88, 0.22], glyph: 0.085 },
    居民身份证: { text: '居民身份证', box: [0.30, 0.27, 0.90, 0.42], glyph: 0.12 },
    签发机关: { text: '签发机关', box: [0.20, 0.66, 0.37, 0.75], glyph: 0.048 },
    有效期限: { text: '有效期限', box: [0.20, 0.79, 0.37, 0.88], glyph: 0.048 },
  },
  values: {
    Authority: { box: [0.38, 0.65, 0.96, 0.76], glyph: 0.055 },
    ValidDate: { box: [0.38, 0.78, 0.96, 0.89], glyph: 0.055 },
  },
  emblem: [0.06, 0.07, 0.22, 0.33],
};

/**
 * Temporary resident ID card (临时居民身份证): one face carries every item (domain.md). Same ID-1 frame,
 * title on top, the front's rows compressed, validity and authority at the bottom, photo on the right.
 */
export const TEMPORARY_LAYOUT: FaceLayout = {
  labels: {
    临时居民身份证: { text: '临时居民身份证', box: [0.25, 0.03, 0.75, 0.13], glyph: 0.07 },
    姓名: { text: '姓名', box: [0.05, 0.17, 0.14, 0.24], glyph: 0.042 },
    性别: { text: '性别', box: [0.05, 0.26, 0.14, 0.33], glyph: 0.042 },
    民族: { text: '民族', box: [0.30, 0.26, 0.39, 0.33], glyph: 0.042 },
    出生: { text: '出生', box: [0.05, 0.35, 0.14, 0.42], glyph: 0.042 },
    住址: { text: '住址', box: [0.05, 0.44, 0.14, 0.51], glyph: 0.042 },
    公民身份号码: { text: '公民身份号码', box: [0.05, 0.67, 0.27, 0.74], glyph: 0.042 },
    有效期限: { text: '有效期限', box: [0.05, 0.77, 0.20, 0.84], glyph: 0.042 },
    签发机关: { text: '签发机关', box: [0.05, 0.87, 0.20, 0.94], glyph: 0.042 },
  },
  values: {
    Name: { box: [0.15, 0.16, 0.62, 0.25], glyph: 0.05 },
    Sex: { box: [0.15, 0.25, 0.28, 0.34], glyph: 0.048 },
    Nation: { box: [0.39, 0.25, 0.62, 0.34], glyph: 0.048 },
    Birth: { box: [0.15, 0.34, 0.62, 0.43], glyph: 0.048 },
    Address: { box: [0.15, 0.43, 0.64, 0.65], glyph: 0.048 },
    IdNum: { box: [0.28, 0.66, 0.90, 0.75], glyph: 0.055 },
    ValidDate: { box: [0.21, 0.76, 0.90, 0.85], glyph: 0.046 },
    Authority: { box: [0.21, 0.86, 0.90, 0.95], glyph: 0.046 },
  },
  portrait: [0.66, 0.16, 0.94, 0.64],
  addressLines: 3,
  addressCharsPerLine: 13,
};

export const LAYOUTS = { FRONT: FRONT_LAYOUT, BACK: BACK_LAYOUT, TEMPORARY: TEMPORARY_LAYOUT } as const;

/** Normalised box → canonical pixel box. */
export function toCanonicalPixels(box: NormBox, width = CANONICAL_WIDTH, height = CANONICAL_HEIGHT) {
  return { x0: box[0] * width, y0: box[1] * height, x1: box[2] * width, y1: box[3] * height };
}

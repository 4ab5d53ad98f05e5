/**
 * The card pipeline: decode → locate → (detect + recognise on the rectified card when needed) → extract →
 * validate → advanced. Runs inside a pool worker; knows nothing of HTTP.
 *
 * Errors (spec "Error Codes"): no card → FailedOperation.ImageNoIdCard; only the other side than CardSide
 * asks for → FailedOperation.CardSideError; MultiCardDetect on and more than one card in the image (a front
 * and a back together included) → FailedOperation.MultiCardError (issue 5; the flag off: the requested side,
 * else the most prominent card, is read);
 * a card found but no field readable → FailedOperation.ImageBlur when the card is blurred, else
 * FailedOperation.OcrFailed where the card's printed frame is plain (FRAME_LABEL_LINES; with BorderCheckWarn
 * on and the border check explaining it, the answer with its warning instead), else
 * FailedOperation.ImageNoIdCard. Any unexpected failure on a bad image still answers one of these, never a 500.
 */
import { CANONICAL_HEIGHT, CANONICAL_WIDTH, LAYOUTS, toCanonicalPixels, type NormBox } from '../domain/cardLayout.ts';
import { isValidIdChecksum } from '../domain/idNumber.ts';
import { isKnownNation } from '../domain/nations.ts';
import { clearReading, isRealAuthority, rectifyAddress } from '../domain/placeNames.ts';
import { isServiceError, ServiceError } from '../errors/catalogue.ts';
import { computeAdvanced } from './advanced/index.ts';
import { creteSharpness, qualityReport } from './advanced/quality.ts';
import { cropRaster, downscaleRaster, lumaPlane } from './advanced/raster.ts';
import { decodeImage } from './decode.ts';
import { extractFields, sliceLine } from './extract.ts';
import { invertHomography, mapQuad } from './geometry.ts';
import { CARD_VALUE_TEXT, LOCATE_DETECT_SIDE, LOCATE_FIRST_SIDE, locateCards, type FoundCard, type Sufficiency } from './locate.ts';
import { DEFAULT_CONFIG, ID_FIELDS, type CardKind, type DecodedImage, type DetectorReport, type IdCardConfig, type IdField, type IdInfo, type LocatedCard, type OcrModels, type Quad, type RasterImage, type RecognitionResult, type RecognizeRequest, type StageContext, type TextLine } from './types.ts';
import { validateFields } from './validate.ts';

/**
 * Lines read while locating (recognised from the full-resolution image) are reused when the detector saw
 * the card at ≥ this many pixels per canonical pixel (text ≥ ~17 px high) and they sit level on the
 * rectified card; smaller or steeper, the boxes merge letter-spaced labels into values or cut lines, and
 * detecting again on the rectified card reads them right (real samples: 66 vs 63 of 69 fields).
 */
const REUSE_SCALE = 0.55;
/**
 * The same threshold for the first, 640-px detection. Scans with a margin put the card at ≈ 0.51 there, and
 * their lines (read from the full-resolution image; only the boxes come from the smaller detection) read as
 * well as at 960 px: synthetic set of 84 and real samples, no field lost against detecting at 960.
 */
const FIRST_REUSE_SCALE = 0.48;
/**
 * Lines read while locating a card seen smaller than that (a card in a 12 MP photo: ≈ 0.3–0.45) are still
 * used, saving a detection and a second reading of every value, when every field they give checks out
 * (fieldsInDoubt). Below this scale they are never trusted: the boxes are too coarse for a cut line to show.
 */
const TRUST_MIN_SCALE = 0.25;
/**
 * Every character of a trusted field must have been read at least this surely (a box cutting through a
 * character reads it unsure). Characters are recognised from the same photo pixels in both readings, so a
 * plain character is no surer in the second: at 0.8, a photo whose name read 周路 with 路 at 0.79 was read
 * twice to the same answer. At 0.7 against 0.8: dev seed 4242 140 images one field better (a re-shoot
 * whose second reading merged the 住址 label into the address), seeds 9001 and 2026 and the real samples
 * identical, detection + recognition p50 on re-shoots 264 → 185 ms.
 */
const TRUST_CHAR_PROB = 0.7;
/** An address row followed by another must reach this share of the address box's width (a cut row ends short). */
const TRUST_ROW_REACH = 0.8;
/**
 * A reading with at most this many fields in doubt has just those fields' regions read again on the
 * rectified card (mendLines) before the whole card is.
 */
const MEND_MAX_FIELDS = 2;

/**
 * A card whose values do not read like a card's (all covered by a hand or a sticker) is still a card when
 * this many separate lines of its printed labels sit where its layout puts them, at the right angle and
 * glyph height (locate.ts FoundCard.labelLines): a back's two titles and two labels, a front's label column.
 * A form printing the labels has them in running text or on one line (中华人民共和国居民身份证, 申请表 姓名
 * 性别…), not as three lines in a card's geometry, and stays ImageNoIdCard.
 * Such a card answers OcrFailed, its fields being unreadable (a 'card' without the frame and without a
 * value, ImageNoIdCard: a label-like word or two on other paper). With BorderCheckWarn on, when the border
 * check explains why (9105 covered, 9101 cut), it answers the fields it read, none perhaps, with that
 * warning instead: a KYC flow asks for the check to learn exactly this, and an error would hide it.
 */
const FRAME_LABEL_LINES = 3;
/**
 * A back cut or covered below its titles shows only 中华人民共和国 and 居民身份证, two lines of the card's own
 * sizes one above the other beside the emblem (fresh seed 9001: 2 of 20 cut backs answered ImageNoIdCard).
 */
const FRAME_LABEL_LINES_BACK = 2;
/** The border check's codes that explain unreadable values. */
const EXPLAINS_UNREADABLE = new Set<number>([9101, 9105]);
/**
 * Long side of the detection on the rectified 856×540 card: full size. At 640 px (≈ 45% less detection
 * time) the re-shot cards of a fresh set lost fields: letter-spaced labels merged into the value boxes
 * (住址 read as 佳·址 in front of an address), stray characters (seed 9001: re-shoot addresses 12/12 → 8/12).
 */
const RECTIFIED_DETECT_SIDE = CANONICAL_WIDTH;
/** Below this quality score (advanced/quality.ts, 0–100) an unreadable card is called blurred. */
const BLUR_QUALITY = 35;
/** No card and the whole scene this blurred (Crété-Roffet sharpness, 0..1) with this much contrast → ImageBlur. */
const BLUR_SCENE_SHARPNESS = 0.3;
const BLUR_SCENE_MIN_STD = 15;

/** Side the request asked for → which located kinds serve it (a temporary card carries both sides' items). */
function serves(kind: CardKind, side: 'FRONT' | 'BACK'): boolean {
  return kind === side || kind === 'TEMPORARY';
}

/**
 * Value-shaped text a card's lines read while locating should hold: part of the number, a printed birth
 * date, a validity date, a police authority (locate.ts CARD_VALUE_TEXT) or the sex. Labels alone also turn
 * up in other documents lying beside a card (forms printing 姓名 性别 民族…), which must neither be read nor
 * counted as a second card.
 */
const CARD_VALUE_SHAPE = new RegExp(`${CARD_VALUE_TEXT.source}|性别\\s*[男女]|^[男女]$`);

function showsCardValues(card: LocatedCard): boolean {
  return !card.lines || card.lines.length === 0 || card.lines.some((l) => CARD_VALUE_SHAPE.test(l.text));
}

function chooseCard<T extends LocatedCard>(located: T[], side: 'FRONT' | 'BACK' | undefined, config: IdCardConfig): T {
  if (located.length === 0) throw new ServiceError('FailedOperation.ImageNoIdCard');
  const withValues = located.filter(showsCardValues);
  const cards = withValues.length > 0 ? withValues : located;
  // Issue 5: with MultiCardDetect on, any second card is an error, whatever its side.
  if (config.MultiCardDetect && cards.length > 1) throw new ServiceError('FailedOperation.MultiCardError');
  if (!side) return cards[0];
  const match = cards.find((c) => serves(c.kind, side));
  if (!match) throw new ServiceError('FailedOperation.CardSideError');
  return match;
}

function edge(a: { x: number; y: number }, b: { x: number; y: number }): number {
  return Math.hypot(a.x - b.x, a.y - b.y);
}

/** Detector pixels per canonical pixel for this card in the whole-image detection at `side`. */
function detectionScale(card: LocatedCard, image: RasterImage, side: number): number {
  const widthPx = (edge(card.quad[0], card.quad[1]) + edge(card.quad[3], card.quad[2])) / 2;
  const down = Math.min(1, side / Math.max(image.width, image.height));
  return (widthPx * down) / CANONICAL_WIDTH;
}

/** Do the lines read while locating lie level on the card (the rectification is good where they are)? */
function linesLevel(lines: TextLine[]): boolean {
  return lines.every((l) => {
    const dx = (l.box[1].x + l.box[2].x - l.box[0].x - l.box[3].x) / 2;
    const dy = (l.box[1].y + l.box[2].y - l.box[0].y - l.box[3].y) / 2;
    return Math.abs(Math.atan2(dy, dx)) < (4 * Math.PI) / 180 || Math.hypot(dx, dy) < 40;
  });
}

/**
 * Do the lines read while locating cover the value rows of this face? A line must reach into each value:
 * past its start for the name, the number and the back's items; over half the row for the printed birth
 * date (it runs two thirds across) and for the address's first row, which every address fills (a
 * detection that missed that line, or cut it after a character or two, loses the province and the
 * prefecture without a trace: held-out phone photo, 住址甘肃省临夏回族自治州 found at 640 px, absent at 960 px;
 * a cut card, 出生1957 and 住 址 alone). Otherwise the card is detected again on the rectified image.
 */
function coversValues(kind: CardKind, lines: TextLine[]): boolean {
  const values = LAYOUTS[kind].values;
  const needed = (['Name', 'IdNum', 'Authority', 'ValidDate', 'Birth', 'Address'] as IdField[]).filter((f) => values[f]);
  return needed.every((f) => {
    const r = toCanonicalPixels(values[f]!.box);
    // The address's first row: its box divided into the face's address rows.
    const y1 = f === 'Address' ? r.y0 + (r.y1 - r.y0) / (LAYOUTS[kind].addressLines ?? 3) : r.y1;
    const reach = f === 'Address' || f === 'Birth' ? 0.5 * (r.x1 - r.x0) : 10;
    return lines.some((l) => {
      const cy = (l.box[0].y + l.box[2].y) / 2;
      const x1 = Math.max(l.box[1].x, l.box[2].x);
      return cy > r.y0 && cy < y1 && x1 > r.x0 + reach;
    });
  });
}

/**
 * Do fields read from small boxes leave no doubt? Every value of the face read, each character surely, no
 * rule broken or correction made (validate's issues), and each value whole: the number's check character,
 * the birth date and sex it implies, a known nation, an address starting with a real chain of place names
 * whose rows (all but the last) run to the end of the address box, an authority of real names throughout
 * (placeNames.ts isRealAuthority), a validity period that has started. What small boxes get wrong — a
 * letter-spaced label merged into a value, a line cut short, a character dropped — breaks one of these.
 * @returns the fields in doubt (none: the reading checks out)
 */
function fieldsInDoubt(kind: CardKind, read: { extracted: { fieldLines: Partial<Record<IdField, TextLine[]>> }; idInfo: IdInfo; issues: Array<{ field: IdField }> }, now: Date): IdField[] {
  const { idInfo, issues } = read;
  const fieldLines = read.extracted.fieldLines;
  const layout = LAYOUTS[kind];
  const fields = Object.keys(layout.values) as IdField[];
  const doubt = new Set<IdField>(issues.map((i) => i.field));
  for (const f of fields) {
    if (idInfo[f] === undefined) doubt.add(f);
    else if (!(fieldLines[f] ?? []).every((l) => l.chars.every((c) => (c.candidates[0]?.prob ?? 0) >= TRUST_CHAR_PROB))) doubt.add(f);
  }
  if (layout.values.IdNum && !(/^\d{17}[\dX]$/.test(idInfo.IdNum ?? '') && isValidIdChecksum(idInfo.IdNum!))) doubt.add('IdNum');
  if (layout.values.Name && !/^[\u4e00-\u9fff][\u4e00-\u9fff·]+$/.test(idInfo.Name ?? '')) doubt.add('Name');
  if (layout.values.Nation && !isKnownNation(idInfo.Nation ?? '')) doubt.add('Nation');
  if (layout.values.Address) {
    const box = toCanonicalPixels(layout.values.Address.box);
    const rows = fieldLines.Address ?? [];
    const reach = rows.slice(0, -1).every((l) => Math.max(...l.box.map((p) => p.x)) >= box.x0 + TRUST_ROW_REACH * (box.x1 - box.x0));
    if (!realAddress(idInfo.Address) || !reach) doubt.add('Address');
  }
  if (layout.values.Authority && !realAuthority(idInfo.Authority)) doubt.add('Authority');
  if (layout.values.ValidDate) {
    const m = /^(\d{4})\.(\d{2})\.(\d{2})-/.exec(idInfo.ValidDate ?? '');
    if (!m || Date.UTC(+m[1], +m[2] - 1, +m[3]) > now.getTime()) doubt.add('ValidDate');
  }
  return [...doubt];
}

type FieldReading = { lines: TextLine[]; extracted: Awaited<ReturnType<typeof extractFields>> } & Awaited<ReturnType<typeof validateFields>>;

const realAddress = (a: string | undefined) => a !== undefined && rectifyAddress(clearReading(a))?.place !== undefined;
const realAuthority = (a: string | undefined) => a !== undefined && isRealAuthority(a);

/**
 * The reading of the rectified card, but an address or authority that it gives as no real place and the
 * first reading (from the located lines) gives as real names is taken from the first: the warp resamples
 * the photo once more, and on a screen re-shoot it turned 三水区延安东路 into 上水区处安东路 (seed 9001).
 * Names real throughout are not read that way by chance (GB/T 2260's chains, placeNames.ts).
 */
function keepRealPlaces(kind: CardKind, first: FieldReading, second: FieldReading): FieldReading {
  const out: FieldReading = { ...second, idInfo: { ...second.idInfo }, extracted: { ...second.extracted, fieldLines: { ...second.extracted.fieldLines } }, issues: [...second.issues] };
  const take = (f: IdField) => {
    out.idInfo[f] = first.idInfo[f];
    out.extracted.fieldLines[f] = first.extracted.fieldLines[f];
    out.issues = [...out.issues.filter((i) => i.field !== f), ...first.issues.filter((i) => i.field === f)];
  };
  const values = LAYOUTS[kind].values;
  if (values.Address && realAddress(first.idInfo.Address) && !realAddress(second.idInfo.Address)) take('Address');
  if (values.Authority && realAuthority(first.idInfo.Authority) && !realAuthority(second.idInfo.Authority)) take('Authority');
  return out;
}

/** How far a value region is grown on the rectified card, as shares of its width and height. */
const VALUE_GROW_X = 0.03;
const VALUE_GROW_Y = 0.06;

/** A value region grown a little (canonical pixels): a rectification off by a few percent must not lose a line. */
function grownValueRect(region: { box: NormBox }) {
  const r = toCanonicalPixels(region.box);
  return { x0: r.x0 - VALUE_GROW_X * CANONICAL_WIDTH, y0: r.y0 - VALUE_GROW_Y * CANONICAL_HEIGHT, x1: r.x1 + VALUE_GROW_X * CANONICAL_WIDTH, y1: r.y1 + VALUE_GROW_Y * CANONICAL_HEIGHT };
}
type Rect = ReturnType<typeof grownValueRect>;

/** Share of the quad's bounding box lying in the rectangles. */
function shareIn(q: Quad, rects: Rect[]): number {
  const xs = q.map((p) => p.x);
  const ys = q.map((p) => p.y);
  const x0 = Math.min(...xs), x1 = Math.max(...xs), y0 = Math.min(...ys), y1 = Math.max(...ys);
  const a = Math.max(1, (x1 - x0) * (y1 - y0));
  return rects.reduce((s, r) => s + Math.max(0, Math.min(x1, r.x1) - Math.max(x0, r.x0)) * Math.max(0, Math.min(y1, r.y1) - Math.max(y0, r.y0)), 0) / a;
}

/** Detects and reads the value lines on the rectified card (canonical pixels). */
async function readRectified(card: LocatedCard, models: OcrModels, ctx: StageContext): Promise<TextLine[]> {
  const boxes = await models.detect(card.card, ctx, { maxSide: RECTIFIED_DETECT_SIDE });
  const valueRects = Object.values(LAYOUTS[card.kind].values).map((v) => grownValueRect(v!));
  // Only boxes with a fair share of their area in value regions: labels and titles need not be read again,
  // but a row read as one box (性别男民族汉) must be.
  const quads = boxes.filter((b) => shareIn(b.quad, valueRects) >= 0.15).map((b) => uprightQuad(b.quad));
  return readQuads(card.card, quads, models, ctx);
}

/** Reads upright quads of the rectified card as lines in canonical coordinates. */
async function readQuads(card: RasterImage, quads: Quad[], models: OcrModels, ctx: StageContext): Promise<TextLine[]> {
  const readings = await models.recognize(card, quads, ctx);
  return readings.map((r, i) => ({ text: r.text, confidence: r.confidence, chars: r.chars, box: quads[i].map((p) => ({ x: p.x + 0.5, y: p.y + 0.5 })) as Quad }));
}

/**
 * Reads again, on the rectified card, only the rows of the fields in doubt (MEND_MAX_FIELDS at most). Each
 * field's row — its value region with the labels printed on that row, so no character is cut — is cut out
 * with a margin (as readRectified grows regions; overlapping ones merged) and detected at full size; the
 * lines centred in the row replace the located lines centred there. A photo whose name alone read unsure
 * (周路, 路 at 0.56, where the card prints 周璐) costs a small detection and a few lines instead of the whole
 * card's.
 * @returns the lines to extract from, or undefined when there is nothing to mend this way
 */
async function mendLines(card: LocatedCard, located: TextLine[], doubt: IdField[], models: OcrModels, ctx: StageContext): Promise<TextLine[] | undefined> {
  const layout = LAYOUTS[card.kind];
  if (doubt.length === 0 || doubt.length > MEND_MAX_FIELDS || doubt.some((f) => !layout.values[f])) return undefined;
  const rows = doubt.map((f) => {
    const v = toCanonicalPixels(layout.values[f]!.box);
    const labelX0 = Object.values(layout.labels)
      .map((l) => toCanonicalPixels(l.box))
      .filter((l) => l.y0 < v.y1 && v.y0 < l.y1)
      .reduce((m, l) => Math.min(m, l.x0), v.x0);
    return { x0: labelX0 - 0.02 * CANONICAL_WIDTH, y0: v.y0, x1: v.x1 + VALUE_GROW_X * CANONICAL_WIDTH, y1: v.y1 };
  });
  const inRow = (q: Quad) => {
    const c = centre(q);
    return rows.some((r) => c.x >= r.x0 && c.x <= r.x1 && c.y >= r.y0 && c.y <= r.y1);
  };
  const crops: Rect[] = [];
  for (const r of rows) {
    const g = { x0: r.x0, y0: r.y0 - VALUE_GROW_Y * CANONICAL_HEIGHT, x1: r.x1, y1: r.y1 + VALUE_GROW_Y * CANONICAL_HEIGHT };
    const hit = crops.find((o) => g.x0 < o.x1 && o.x0 < g.x1 && g.y0 < o.y1 && o.y0 < g.y1);
    if (hit) Object.assign(hit, { x0: Math.min(hit.x0, g.x0), y0: Math.min(hit.y0, g.y0), x1: Math.max(hit.x1, g.x1), y1: Math.max(hit.y1, g.y1) });
    else crops.push(g);
  }
  const fresh: TextLine[] = [];
  for (const r of crops) {
    const crop = cropRaster(card.card, r.x0, r.y0, r.x1, r.y1);
    if (crop.width < 32 || crop.height < 32) return undefined;
    const dx = Math.max(0, Math.floor(r.x0));
    const dy = Math.max(0, Math.floor(r.y0));
    const boxes = await models.detect(crop, ctx, { maxSide: Math.max(crop.width, crop.height) });
    const quads = boxes.map((b) => uprightQuad(b.quad.map((p) => ({ x: p.x + dx, y: p.y + dy })) as Quad)).filter(inRow);
    if (quads.length === 0) return undefined;
    fresh.push(...(await readQuads(card.card, quads, models, ctx)));
  }
  return [...located.filter((l) => !inRow(l.box)), ...fresh];
}

function uprightQuad(q: Quad): Quad {
  const xs = q.map((p) => p.x);
  const ys = q.map((p) => p.y);
  // Keep the detector's rotated rectangle when it is tilted; order its corners from the top-left.
  const sorted = [...q].sort((a, b) => a.x + a.y - (b.x + b.y));
  const tl = sorted[0];
  const br = sorted[3];
  const rest = [sorted[1], sorted[2]].sort((a, b) => a.y - b.y - (a.x - b.x));
  const tr = rest[0].x > rest[1].x ? rest[0] : rest[1];
  const bl = tr === rest[0] ? rest[1] : rest[0];
  if (!Number.isFinite(Math.min(...xs) + Math.min(...ys))) return q;
  return [tl, tr, br, bl];
}

/**
 * Reads the number again with the classes masked to 0-9/X (recognition-notes.md: fewer confusions, same model).
 * `source` is the image the line's canonical box maps into through `toSource`.
 */
async function rereadIdNumber(lines: TextLine[], source: RasterImage, toSource: ((q: Quad) => Quad) | null, models: OcrModels, ctx: StageContext): Promise<TextLine[]> {
  const region = LAYOUTS.FRONT.values.IdNum!;
  const out: TextLine[] = [];
  for (const l of lines) out.push(l);
  const idx = lines.findIndex((l) => /[0-9]{8,}/.test(l.text.replace(/\s+/g, '')) && l.box[0].y > 0 && ((l.box[0].y + l.box[2].y) / 2) / CANONICAL_HEIGHT > region.box[1] - 0.2);
  if (idx < 0) return out;
  const l = lines[idx];
  const chars = [...l.text];
  const firstDigit = chars.findIndex((c) => /[0-9]/.test(c));
  // Drop a label read into the same box (公民身份号码…): the masked read must see digits only.
  const piece = firstDigit > 0 ? sliceLine(l, firstDigit, chars.length) : l;
  // A number already read whole, consistent and sure needs no second read.
  const read = piece.text.replace(/\s+/g, '');
  const sure = piece.chars.length === [...piece.text].length && piece.chars.every((c) => (c.candidates[0]?.prob ?? 0) >= 0.95);
  if (/^\d{17}[\dX]$/.test(read) && isValidIdChecksum(read) && sure) return out;
  // The label's wide letter-spacing makes the character-width split land inside it; the layout knows
  // where the number starts, so the masked read never sees the label's last character.
  const canon = clipLeft(piece.box, region.box[0] * CANONICAL_WIDTH - 6);
  const q = toSource ? toSource(canon) : canon;
  const srcQuad = q.map((p) => ({ x: p.x - 0.5, y: p.y - 0.5 })) as Quad;
  // A little margin so the first and last digits are whole even if the slice estimate is tight.
  const [r] = await models.recognize(source, [widen(srcQuad, 0.2)], ctx, { charset: 'id-number' });
  // Keep the masked read unless it lost the number's shape where the general read had it (a neighbouring
  // label stroke read as a digit, say).
  const before = piece.text.replace(/\s+/g, '');
  const shape = /^[0-9]{17}[0-9Xx]$/;
  if (r && r.text.length >= 15 && (shape.test(r.text) || !shape.test(before))) out[idx] = { text: r.text, confidence: r.confidence, chars: r.chars, box: canon };
  return out;
}

/** The part of a (left-to-right) canonical quad right of `x`. */
function clipLeft(q: Quad, x: number): Quad {
  const at = (a: Quad[number], b: Quad[number]) => {
    if (a.x >= x || b.x <= a.x) return a;
    const t = Math.min(1, (x - a.x) / (b.x - a.x));
    return { x: a.x + (b.x - a.x) * t, y: a.y + (b.y - a.y) * t };
  };
  return [at(q[0], q[1]), q[1], q[2], at(q[3], q[2])];
}

/** Grows a line quad along its length by `f` × its height at each end. */
function widen(q: Quad, f: number): Quad {
  const len = Math.hypot(q[1].x - q[0].x, q[1].y - q[0].y) || 1;
  const h = Math.hypot(q[3].x - q[0].x, q[3].y - q[0].y);
  const k = (f * h) / len;
  const dx = (q[1].x - q[0].x) * k;
  const dy = (q[1].y - q[0].y) * k;
  const ex = (q[2].x - q[3].x) * k;
  const ey = (q[2].y - q[3].y) * k;
  return [
    { x: q[0].x - dx, y: q[0].y - dy },
    { x: q[1].x + dx, y: q[1].y + dy },
    { x: q[2].x + ex, y: q[2].y + ey },
    { x: q[3].x - ex, y: q[3].y - ey },
  ];
}

function centre(q: Quad): { x: number; y: number } {
  return { x: (q[0].x + q[1].x + q[2].x + q[3].x) / 4, y: (q[0].y + q[1].y + q[2].y + q[3].y) / 4 };
}

function insideBox(p: { x: number; y: number }, q: Quad): boolean {
  const xs = q.map((v) => v.x);
  const ys = q.map((v) => v.y);
  return p.x >= Math.min(...xs) && p.x <= Math.max(...xs) && p.y >= Math.min(...ys) && p.y <= Math.max(...ys);
}

/**
 * No card found: was the picture simply too blurred to find one? Crété-Roffet sharpness (the Quality
 * detector's measure, advanced/quality.ts) over the whole image at ≈800 px, where there is content at all
 * (a blank frame is not "blurred"). Sharp photos without a card measured ≥ 0.68 on the synthetic set; a card
 * blurred to σ ≈ 8 px (no text found) 0.19.
 */
function sceneBlurred(image: RasterImage): boolean {
  const factor = Math.max(1, Math.round(Math.max(image.width, image.height) / 800));
  const p = lumaPlane(downscaleRaster(image, factor));
  let mean = 0;
  for (const v of p.data) mean += v;
  mean /= p.data.length || 1;
  let variance = 0;
  for (const v of p.data) variance += (v - mean) ** 2;
  const std = Math.sqrt(variance / (p.data.length || 1));
  return std > BLUR_SCENE_MIN_STD && creteSharpness(p, [{ x0: 0, y0: 0, x1: p.width, y1: p.height }]) < BLUR_SCENE_SHARPNESS;
}

/**
 * Labels alone can be found in other documents (a contract mentioning 姓名 and 有效期限, a form printing
 * 中华人民共和国…). A located card counts as an ID card when at least one of its values has the shape
 * the card prints: on a front a number, a birth date or a sex; on a back a validity period or a police
 * authority (Resident Identity Card Law art. 8: cards are issued by public security organs); or, its values
 * covered, when its printed frame is plain (FRAME_LABEL_LINES).
 */
function readsLikeIdCard(kind: CardKind, info: IdInfo): boolean {
  if (kind === 'BACK') return info.ValidDate !== undefined || /公安|派出所/.test(info.Authority ?? '');
  return /^\d{17}[\dX]$/.test(info.IdNum ?? '') || info.Birth !== undefined || info.Sex === '男' || info.Sex === '女';
}

function anyAdvancedFlag(config: IdCardConfig): boolean {
  return (Object.keys(config) as Array<keyof IdCardConfig>).some((k) => k !== 'MultiCardDetect' && config[k]);
}

interface CardReading {
  target: FoundCard;
  lines: TextLine[];
  extracted: Awaited<ReturnType<typeof extractFields>>;
  idInfo: Awaited<ReturnType<typeof validateFields>>['idInfo'];
  issues: Awaited<ReturnType<typeof validateFields>>['issues'];
  secondPass: boolean;
  /**
   * Set when no field reads like a card's value on a card whose frame is plain: the error to answer unless
   * the border check explains it (FRAME_LABEL_LINES).
   */
  unreadable?: ServiceError;
}

/** Is reading `a` better than `b`: one with values read like a card's first, then fewer empty fields. */
function betterReading(a: CardReading, b: CardReading): boolean {
  if (!a.unreadable !== !b.unreadable) return !a.unreadable;
  return missingFields(a) < missingFields(b);
}

/** Value fields of the card's face that came back empty. */
function missingFields(read: CardReading): number {
  return (Object.keys(LAYOUTS[read.target.kind].values) as IdField[]).filter((f) => read.idInfo[f] === undefined).length;
}

/**
 * Chooses the card, reads its value lines (reusing those read while locating when `side`'s detection saw
 * them large enough), extracts and validates the fields.
 * @throws ServiceError CardSideError / MultiCardError from the choice; ImageBlur when no field is read on a
 *   blurred card; ImageNoIdCard when none reads like a card's value and the card's frame is not plain (an
 *   unreadable card with its frame comes back with `unreadable` set instead).
 */
async function readCard(decoded: DecodedImage, cards: FoundCard[], side: number, req: RecognizeRequest, config: IdCardConfig, models: OcrModels, ctx: StageContext): Promise<CardReading> {
  const target = chooseCard(cards, req.cardSide, config);
  const toImage = invertHomography(target.homography);
  /** Reads the number again where it needs it, then extracts and validates: the fields these lines give. */
  const fieldsOf = async (read: TextLine[], rectified: boolean) => {
    const lines = target.kind === 'BACK' ? read : rectified ? await rereadIdNumber(read, target.card, null, models, ctx) : await rereadIdNumber(read, decoded.image, (q) => mapQuad(toImage, q), models, ctx);
    const extracted = await extractFields(target.kind, lines, ctx);
    return { lines, extracted, ...(await validateFields(target.kind, extracted.idInfo, extracted.fieldLines, ctx)) };
  };
  // Lines already read while locating are reused when they were read at a useful size and cover the value
  // rows, or, read smaller, when every field they give checks out (fieldsInDoubt; a field or two in doubt are read again alone,
  // mendLines); otherwise the card is
  // detected and read again on the rectified image.
  const located = target.lines ?? [];
  const scale = detectionScale(target, decoded.image, side);
  const level = linesLevel(located);
  let secondPass = false;
  let fields = coversValues(target.kind, located) && scale >= TRUST_MIN_SCALE ? await fieldsOf(located, false) : undefined;
  const reused = fields !== undefined && level && scale >= (side === LOCATE_FIRST_SIDE ? FIRST_REUSE_SCALE : REUSE_SCALE);
  const doubt = fields && !reused ? fieldsInDoubt(target.kind, fields, ctx.now) : [];
  let settled = fields !== undefined && (reused || doubt.length === 0);
  if (fields && !settled) {
    // Fields in doubt are first read again alone; if that settles them, the rest of the card is not.
    const mended = await mendLines(target, fields.lines, doubt, models, ctx);
    const again = mended ? await fieldsOf(mended, true) : undefined;
    if (again && fieldsInDoubt(target.kind, again, ctx.now).length === 0) {
      fields = again;
      secondPass = true;
      settled = true;
    }
  }
  if (!fields || !settled) {
    const reread = await readRectified(target, models, ctx);
    if (reread.length > 0) {
      const second = await fieldsOf(reread, true);
      fields = fields ? keepRealPlaces(target.kind, fields, second) : second;
      secondPass = true;
    } else fields ??= await fieldsOf(located, false);
  }
  const { lines, extracted, idInfo, issues } = fields;

  const framed = target.labelLines >= (target.kind === 'BACK' ? FRAME_LABEL_LINES_BACK : FRAME_LABEL_LINES);
  if (ID_FIELDS.every((f) => idInfo[f] === undefined)) {
    const quality = qualityReport(target);
    if (quality.quality < BLUR_QUALITY) throw new ServiceError('FailedOperation.ImageBlur');
    // Nothing read and no card's frame either: a label-like word or two on some document is no card.
    if (!framed) throw new ServiceError('FailedOperation.ImageNoIdCard');
    return { target, lines, extracted, idInfo, issues, secondPass, unreadable: new ServiceError('FailedOperation.OcrFailed') };
  }
  if (!readsLikeIdCard(target.kind, idInfo)) {
    if (!framed) throw new ServiceError('FailedOperation.ImageNoIdCard');
    return { target, lines, extracted, idInfo, issues, secondPass, unreadable: new ServiceError('FailedOperation.OcrFailed') };
  }
  return { target, lines, extracted, idInfo, issues, secondPass };
}

/**
 * Recognises one image.
 * @throws ServiceError with a FailedOperation.* code for every image it cannot answer.
 * @example
 *   const result = await runPipeline({ image: bytes, cardSide: 'FRONT' }, models);
 */
export async function runPipeline(req: RecognizeRequest, models: OcrModels): Promise<RecognitionResult> {
  const started = performance.now();
  const ctx: StageContext = { timings: {}, verbose: req.verbose ?? false, now: req.now ?? new Date() };
  const config: IdCardConfig = { ...DEFAULT_CONFIG, ...(req.config ?? {}) };
  try {
    const decoded = await decodeImage(req.image, ctx);
    // Adaptive detection size: a card filling the frame (scans, close photos) is found and read from a
    // detection at LOCATE_FIRST_SIDE at about half the cost. The image is detected again at
    // LOCATE_DETECT_SIDE (the size every image got before; uniformly smaller lost fields) when that finds no
    // card, and when the card read leaves a field of its face empty (below). A card too small at 640 px for
    // its lines to be reused is read again on the rectified card. (It used to be located again at 960 px
    // when large enough there: with place-name correction and the coverage check, reading the rectified card
    // instead measured 210/212 fields against 206/212 on 40 fresh photos, re-shot, rotated and temporary
    // cards (seed 31337), real samples unchanged at 68/69, and a 960-px detection less.)
    // A card of the side asked for is all the answer needs, unless MultiCardDetect must see every card:
    // locate then leaves the clutter around the card unread.
    const sufficient = (c: { kind: CardKind }): Sufficiency => (config.MultiCardDetect || (req.cardSide && !serves(c.kind, req.cardSide)) ? 'all' : 'card');
    let side = LOCATE_FIRST_SIDE;
    let cards = await locateCards(decoded, models, ctx, { detectSide: side, sufficient });
    if (cards.length === 0) {
      side = LOCATE_DETECT_SIDE;
      cards = await locateCards(decoded, models, ctx, { detectSide: side, sufficient });
    }
    if (cards.length === 0) throw new ServiceError(sceneBlurred(decoded.image) ? 'FailedOperation.ImageBlur' : 'FailedOperation.ImageNoIdCard');

    let read: CardReading | undefined;
    let firstError: unknown;
    try {
      read = await readCard(decoded, cards, side, req, config, models, ctx);
    } catch (e) {
      if (side !== LOCATE_FIRST_SIDE || !isServiceError(e) || e.code === 'FailedOperation.MultiCardError') throw e;
      firstError = e;
    }
    // A card read from the small detection that left a field of its face unread (or could not be read, or
    // was not the side asked for) is located again at the full size: in clutter the small detection can
    // take a few stray lines for a card, and a small card's labels can be missed there.
    if (side === LOCATE_FIRST_SIDE && (!read || missingFields(read) > 0)) {
      const again = await locateCards(decoded, models, ctx, { detectSide: LOCATE_DETECT_SIDE, sufficient });
      if (again.length > 0) {
        try {
          const second = await readCard(decoded, again, LOCATE_DETECT_SIDE, req, config, models, ctx);
          if (!read || betterReading(second, read)) {
            read = second;
            cards = again;
          }
        } catch (e) {
          if (!read) throw e;
        }
      }
    }
    if (!read) throw firstError;
    const { target, lines, extracted, idInfo, issues, secondPass, unreadable } = read;
    if (unreadable && !config.BorderCheckWarn) throw unreadable;

    let advancedInfo: RecognitionResult['advancedInfo'] = {};
    let reports: DetectorReport[] = [];
    if (anyAdvancedFlag(config)) {
      const adv = await computeAdvanced({ decoded, cards, target, idInfo, lines }, config, ctx);
      advancedInfo = adv.advancedInfo;
      reports = adv.reports;
    }
    if (unreadable && !(advancedInfo.WarnInfos ?? []).some((c) => EXPLAINS_UNREADABLE.has(c))) throw unreadable;

    ctx.timings.total = performance.now() - started;
    const result: RecognitionResult = { side: target.kind, idInfo, advancedInfo, timings: ctx.timings };
    if (ctx.verbose) {
      // A line's field: that of the value piece cut from it (pieces lie inside their line's box).
      const pieces = (Object.entries(extracted.fieldLines) as Array<[IdField, TextLine[]]>).flatMap(([f, ls]) => ls.map((l) => ({ f, c: centre(l.box) })));
      const fieldOf = new Map<TextLine, IdField>();
      for (const l of lines) {
        const hit = pieces.find((p) => insideBox(p.c, l.box));
        if (hit) fieldOf.set(l, hit.f);
      }
      result.diagnostics = {
        cards: cards.map((c) => ({ kind: c.kind, quad: c.quad, score: c.score })),
        detectors: [
          ...reports,
          ...issues.map((i) => ({ name: `validate.${i.field}`, score: 0, threshold: 0, fired: true, reason: i.problem })),
          { name: 'locate.secondPass', score: secondPass ? 1 : 0, threshold: 1, fired: secondPass, reason: `method=${target.method}` },
        ],
        lines: lines.map((l) => ({ text: l.text, confidence: l.confidence, box: l.box, field: fieldOf.get(l) })),
      };
    }
    return result;
  } catch (e) {
    if (isServiceError(e)) throw e;
    // A bad image must never surface as an internal error (issue 4): whatever broke, the fields were not read.
    throw new ServiceError('FailedOperation.OcrFailed', undefined, { cause: e });
  }
}

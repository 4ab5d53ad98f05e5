/**
 * The generator: one image per (seed, index), each built by its case's recipe, with the label computed from
 * the data and the geometry the recipe chose (never from recognition).
 */
import sharp from 'sharp';
import { CANONICAL_HEIGHT, CANONICAL_WIDTH, LAYOUTS } from '../domain/cardLayout.ts';
import { ymdFromDate, type YMD } from '../domain/dates.ts';
import type { CardKind, Homography, IdField, Point, RasterImage, WarnCode } from '../engine/types.ts';
import type { ErrorCode } from '../errors/catalogue.ts';
import { makeSurface, type Surface } from './backgrounds.ts';
import { encodeImage, encodeJpegWithOrientation, type OutputFormat } from './encode.ts';
import { applyHomography, multiplyHomography, mapQuad, rectQuad, type Canvas8 } from './geometry.ts';
import { fieldsFor, invalidValidity, makeIdentity, temporaryValidity, type Identity, type InvalidDateKind } from './identity.ts';
import type { CardLabel, SynthCase, SynthLabel } from './labels.ts';
import { SYNTH_CASES } from './labels.ts';
import { Rng } from './random.ts';
import { renderCardFace, type DoctorSpec, type InkBox, type RenderedCard } from './renderCard.ts';
import { capture, CARD_QUAD, drawCard, drawShadow, flatPlacement, placeObject, translateHomography, type CaptureEffects } from './scene.ts';
import { drawOccluder, type Occluder } from './occluders.ts';
import { screenShot } from './reshoot.ts';

export const DEFAULT_NOW = '2026-11-25';

export interface GenerateOptions {
  count: number;
  seed: number;
  /** Cases to draw from, round-robin (default: all). */
  cases?: readonly SynthCase[];
  /** Reference date for validity (ISO yyyy-mm-dd or Date). */
  now?: string | Date;
  /** Cap on photo size in megapixels (default 12); tests use a small one to stay fast. */
  maxMegapixels?: number;
}

export interface GeneratedImage {
  /** File name with extension, e.g. `000012-photo.jpg`. */
  file: string;
  bytes: Uint8Array;
  label: SynthLabel;
}

const EXT: Record<SynthLabel['format'], string> = { png: 'png', jpeg: 'jpg', bmp: 'bmp', other: 'gif' };

export function parseNow(now: string | Date | undefined): { iso: string; ymd: YMD } {
  const d = now instanceof Date ? now : new Date(`${now ?? DEFAULT_NOW}T00:00:00Z`);
  if (Number.isNaN(d.getTime())) throw new RangeError(`Expected now as yyyy-mm-dd but received ${String(now)}`);
  return { iso: d.toISOString().slice(0, 10), ymd: ymdFromDate(d) };
}

/** Generates `count` images, deterministic for `seed`; cases are dealt round-robin so every case appears. */
export async function* generateSet(opts: GenerateOptions): AsyncIterable<GeneratedImage> {
  const cases = opts.cases && opts.cases.length > 0 ? opts.cases : SYNTH_CASES;
  for (const c of cases) if (!SYNTH_CASES.includes(c)) throw new RangeError(`Expected a case among ${SYNTH_CASES.join(', ')} but received ${c}`);
  const now = parseNow(opts.now);
  for (let i = 0; i < opts.count; i++) {
    yield generateOne(opts.seed, i, cases[i % cases.length], now, { maxMegapixels: opts.maxMegapixels });
  }
}

/** One image: the (seed, index) pair fixes everything about it. */
export async function generateOne(seed: number, index: number, synthCase: SynthCase, now: { iso: string; ymd: YMD }, limits: Partial<Limits> = {}): Promise<GeneratedImage> {
  const rng = new Rng(seed, index + 1);
  const built = await RECIPES[synthCase](rng, now.ymd, { maxMegapixels: limits.maxMegapixels ?? 12 });
  const ext = built.ext ?? EXT[built.format];
  const file = `${String(index).padStart(6, '0')}-${synthCase}.${ext}`;
  const label: SynthLabel = {
    file,
    case: synthCase,
    ...(built.side ? { side: built.side } : {}),
    format: built.format,
    width: built.width,
    height: built.height,
    cards: built.cards,
    expectedWarnings: built.warnings,
    ...(built.error ? { expectedError: built.error } : {}),
    now: now.iso,
  };
  return { file, bytes: built.bytes, label };
}

interface Built {
  bytes: Uint8Array;
  /** File extension when the format alone does not say it (garbage bytes, text posing as an image). */
  ext?: string;
  format: SynthLabel['format'];
  width: number;
  height: number;
  side?: 'FRONT' | 'BACK';
  cards: CardLabel[];
  warnings: WarnCode[];
  error?: ErrorCode;
}

/** Caps that keep in-process sets (tests) small: they change the scenes, not the people on the cards. */
export interface Limits {
  /** Largest photo, in megapixels (default 12). */
  maxMegapixels: number;
}

type Recipe = (rng: Rng, now: YMD, limits: Limits) => Promise<Built>;

// ---------------------------------------------------------------------------------------------------------
// Shared steps

function sideOf(kind: CardKind): 'FRONT' | 'BACK' | undefined {
  return kind === 'TEMPORARY' ? undefined : kind;
}

/** Render scale for a card that will be about `px` wide in the image (oversample, never undersample much). */
function renderScaleFor(px: number): number {
  return px > 1000 ? 2 : 1;
}

function cardWidthPx(H: Homography): number {
  const q = mapQuad(H, CARD_QUAD);
  return Math.max(Math.hypot(q[1].x - q[0].x, q[1].y - q[0].y), Math.hypot(q[2].x - q[3].x, q[2].y - q[3].y));
}

function render(id: Identity, kind: CardKind, H: Homography, rng: Rng, doctor?: DoctorSpec): RenderedCard {
  return renderCardFace(id, kind, { scale: renderScaleFor(cardWidthPx(H)), seed: rng.u32(), doctor });
}

/**
 * Sample points over the core of a field's glyphs (the middle 60 % of the line height, every 5 px): a
 * value counts as hidden when any of them is covered or outside the frame; grazing the tops or bottoms of
 * the glyphs does not hide a character.
 */
function inkSamples(b: InkBox): Point[] {
  const pts: Point[] = [];
  const h = b.y1 - b.y0;
  const nx = Math.max(2, Math.ceil((b.x1 - b.x0) / 5));
  for (let i = 0; i <= nx; i++) for (const fy of [0.2, 0.5, 0.8]) pts.push({ x: b.x0 + ((b.x1 - b.x0) * i) / nx, y: b.y0 + h * fy });
  return pts;
}

function pointInPolygon(p: Point, poly: readonly Point[]): boolean {
  let inside = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const a = poly[i];
    const b = poly[j];
    if (a.y > p.y !== b.y > p.y && p.x < ((b.x - a.x) * (p.y - a.y)) / (b.y - a.y) + a.x) inside = !inside;
  }
  return inside;
}

/**
 * The label of one placed card. A field becomes null when the core of any of its glyphs lies outside the
 * frame (cut off) or under an occluder: a value with a missing character is not the value.
 */
function cardLabel(card: RenderedCard, id: Identity, H: Homography, frame: { width: number; height: number }, occluders: Occluder[] = [], overrides: Partial<Record<IdField, string>> = {}): CardLabel {
  const fields = { ...fieldsFor(id, card.kind), ...overrides };
  for (const [field, boxes] of Object.entries(card.ink) as Array<[IdField, InkBox[]]>) {
    if (fields[field] === null) continue;
    const hidden = boxes.some((b) =>
      inkSamples(b).some((p) => {
        const q = applyHomography(H, p);
        if (q.x < 0 || q.y < 0 || q.x > frame.width || q.y > frame.height) return true;
        return occluders.some((o) => pointInPolygon(p, o.polygon));
      }),
    );
    if (hidden) fields[field] = null;
  }
  const layout = LAYOUTS[card.kind];
  const label: CardLabel = { kind: card.kind, quad: round(mapQuad(H, CARD_QUAD)), fields };
  if (layout.portrait) {
    const [x0, y0, x1, y1] = layout.portrait;
    label.portrait = round(mapQuad(H, rectQuad(x0 * CANONICAL_WIDTH, y0 * CANONICAL_HEIGHT, x1 * CANONICAL_WIDTH, y1 * CANONICAL_HEIGHT)));
  }
  return label;
}

function round<T extends Point[]>(q: T): T {
  return q.map((p) => ({ x: Math.round(p.x * 100) / 100, y: Math.round(p.y * 100) / 100 })) as T;
}

function photoSize(rng: Rng, maxMegapixels = 12): { width: number; height: number } {
  const mp = Math.min(maxMegapixels, rng.chance(0.7) ? rng.logUniform(0.5, 4) : rng.logUniform(4, 12));
  const aspect = rng.weighted([[4 / 3, 5], [3 / 4, 2], [16 / 9, 2], [9 / 16, 0.5], [1, 1]] as const);
  const width = Math.round(Math.sqrt(mp * 1e6 * aspect));
  return { width, height: Math.round((mp * 1e6) / width) };
}

function surfaceFor(rng: Rng): Surface {
  return rng.weighted([['wood', 3], ['desk', 3], ['fabric', 2], ['stone', 1], ['paper', 1]] as const);
}

/** A camera's view of the card: mostly near-upright, sometimes any angle; modest tilt. */
function photoPlacement(rng: Rng, width: number, height: number, fill: number, fixedRotation?: number): Homography {
  const anyAngle = rng.chance(0.3);
  const rotation = fixedRotation ?? (anyAngle ? rng.float(-Math.PI, Math.PI) : rng.normal(0, 0.08));
  return placeObject(rng, width, height, {
    fill,
    rotation,
    tiltX: rng.normal(0, 0.22),
    tiltY: rng.normal(0, 0.18),
    focal: rng.float(1.5, 4),
  });
}

function photoEffects(rng: Rng, width: number, height: number, mild = false): CaptureEffects {
  const size = Math.sqrt(width * height) / 1000;
  return {
    blur: rng.chance(0.5) ? rng.float(0.3, 1.4) * size : 0,
    noise: rng.float(1.5, mild ? 4 : 8),
    light: rng.float(mild ? 0.8 : 0.6, 1),
    glare: rng.chance(mild ? 0.2 : 0.5) ? rng.float(20, 70) : 0,
    glareRadius: rng.float(0.05, 0.2),
    cast: [rng.float(0.93, 1.05), 1, rng.float(0.9, 1.06)],
    // Hand shake in some shots; kept short in mild recipes so the text stays legible.
    ...(rng.chance(mild ? 0.08 : 0.15) ? { motion: { length: rng.float(2, mild ? 4 : 7) * Math.max(1, size / 2), angle: rng.float(0, Math.PI) } } : {}),
  };
}

async function encodeChosen(img: Canvas8, rng: Rng, prefer?: OutputFormat, exif = false): Promise<{ bytes: Uint8Array; format: OutputFormat }> {
  const mp = (img.width * img.height) / 1e6;
  if (exif && prefer === undefined && rng.chance(0.15)) {
    // Phones store the sensor's pixels and an Orientation tag; labels are in the displayed orientation.
    return { bytes: await encodeJpegWithOrientation(img, rng.pick([6, 6, 3, 8] as const), rng.int(70, mp > 6 ? 88 : 95)), format: 'jpeg' };
  }
  let format: OutputFormat = prefer ?? (rng.weighted([['jpeg', 6], ['png', 2], ['bmp', 1]] as const) as OutputFormat);
  // Keep every normal image far under the 7 MB base64 limit: PNG and BMP only for small frames.
  if (format === 'bmp' && mp > 1.6) format = 'jpeg';
  if (format === 'png' && mp > 2.5) format = 'jpeg';
  const quality = rng.int(60, mp > 6 ? 88 : 95);
  let bytes = await encodeImage(img, format, quality);
  if (bytes.length > 4_800_000) {
    format = 'jpeg';
    bytes = await encodeImage(img, 'jpeg', 70);
  }
  return { bytes, format };
}

// ---------------------------------------------------------------------------------------------------------
// Recipes

async function scanOf(
  rng: Rng,
  cards: Array<{ id: Identity; kind: CardKind; doctor?: DoctorSpec; overrides?: Partial<Record<IdField, string>> }>,
  opts: { quarterTurns?: number; shadow?: number; platen?: 'white' | 'dark' } = {},
): Promise<{ img: Canvas8; labels: CardLabel[] }> {
  // A flatbed scan: card(s) upright at 200–370 dpi, small skew at most (quarter turns for `rotated`).
  const cw = Math.round(rng.float(700, 1250));
  const ch = Math.round((cw * CANONICAL_HEIGHT) / CANONICAL_WIDTH);
  const gap = Math.round(cw * rng.float(0.06, 0.2));
  const margin = Math.round(cw * rng.float(0.03, 0.25));
  const stackedVertically = rng.chance(0.6);
  const n = cards.length;
  const W0 = margin * 2 + (stackedVertically ? cw : n * cw + (n - 1) * gap);
  const H0 = margin * 2 + (stackedVertically ? n * ch + (n - 1) * gap : ch);
  const turns = opts.quarterTurns ?? 0;
  const W = turns % 2 === 1 ? H0 : W0;
  const H = turns % 2 === 1 ? W0 : H0;
  // Lid closed: white platen cover; lid open: the dark of the room.
  const platen = opts.platen ?? (rng.chance(0.2) ? 'dark' : 'white');
  const img = await makeSurface(W, H, rng, { surface: platen === 'dark' ? 'scannerDark' : 'scanner', clutter: 0 });
  const labels: CardLabel[] = [];
  for (let k = 0; k < n; k++) {
    const x = margin + (stackedVertically ? 0 : k * (cw + gap)) + rng.float(-3, 3);
    const y = margin + (stackedVertically ? k * (ch + gap) : 0) + rng.float(-3, 3);
    let Hc = flatPlacement(x, y, cw, turns, { width: W0, height: H0 });
    // Slight skew on the platen.
    const skew = rng.normal(0, 0.006);
    const c = applyHomography(Hc, { x: CANONICAL_WIDTH / 2, y: CANONICAL_HEIGHT / 2 });
    Hc = multiplyHomography(multiplyHomography(translateHomography(c.x, c.y), [Math.cos(skew), -Math.sin(skew), 0, Math.sin(skew), Math.cos(skew), 0, 0, 0, 1]), multiplyHomography(translateHomography(-c.x, -c.y), Hc));
    const { id, kind, doctor, overrides } = cards[k];
    const card = render(id, kind, Hc, rng, doctor);
    drawShadow(img, Hc, rng, opts.shadow ?? (platen === 'dark' ? 0 : 0.12));
    await drawCard(img, card, Hc);
    labels.push(cardLabel(card, id, Hc, { width: W, height: H }, [], overrides));
  }
  return { img: await capture(img, rng, { blur: rng.float(0, 0.6), noise: rng.float(0.5, 2.5), light: rng.float(0.92, 1), glare: 0 }), labels };
}

async function photoOf(
  rng: Rng,
  cards: Array<{ id: Identity; kind: CardKind; doctor?: DoctorSpec; overrides?: Partial<Record<IdField, string>> }>,
  opts: { mild?: boolean; cut?: boolean; occlude?: boolean; fill?: number; rotation?: number; maxMegapixels?: number } = {},
) {
  const { width, height } = photoSize(rng, opts.maxMegapixels);
  const img = await makeSurface(width, height, rng, { surface: surfaceFor(rng), clutter: rng.int(0, 4) });
  const labels: CardLabel[] = [];
  const n = cards.length;
  const occluders: Occluder[] = [];
  for (let k = 0; k < n; k++) {
    // Several cards: split the frame into cells along its long side.
    const horizontal = width >= height;
    const cellW = horizontal ? width / n : width;
    const cellH = horizontal ? height : height / n;
    // The spec recommends the card fill most of the frame; people mostly do, some shoot from afar.
    const fill = opts.fill ?? (opts.cut ? rng.float(0.8, 0.98) : n > 1 ? rng.float(0.75, 0.95) : rng.chance(0.8) ? rng.float(0.7, 0.95) : rng.float(0.4, 0.7));
    let Hc = n === 1 ? photoPlacement(rng, width, height, fill, opts.rotation) : placeObject(rng, cellW, cellH, { fill, rotation: rng.normal(0, 0.1), tiltX: rng.normal(0, 0.1), tiltY: rng.normal(0, 0.1), focal: 3 });
    if (n > 1) Hc = multiplyHomography(translateHomography(horizontal ? k * cellW : 0, horizontal ? 0 : k * cellH), Hc);
    if (opts.cut && k === 0) Hc = cutOff(rng, Hc, width, height);
    const { id, kind, doctor, overrides } = cards[k];
    const card = render(id, kind, Hc, rng, doctor);
    drawShadow(img, Hc, rng, rng.float(0.15, 0.4));
    await drawCard(img, card, Hc);
    const cardOcc: Occluder[] = [];
    if (opts.occlude && k === 0) {
      const occ = await drawOccluder(img, Hc, rng, card.ink);
      cardOcc.push(occ);
      occluders.push(occ);
    }
    labels.push(cardLabel(card, id, Hc, { width, height }, cardOcc, overrides));
  }
  const fx = photoEffects(rng, width, height, opts.mild);
  return { img: await capture(img, rng, fx), labels, width, height };
}

/** Moves the card so that 8–35 % of it leaves the frame over one or two edges. */
function cutOff(rng: Rng, H: Homography, width: number, height: number): Homography {
  const q = mapQuad(H, CARD_QUAD);
  const xs = q.map((p) => p.x);
  const ys = q.map((p) => p.y);
  const bw = Math.max(...xs) - Math.min(...xs);
  const bh = Math.max(...ys) - Math.min(...ys);
  const side = rng.int(0, 3);
  const frac = rng.float(0.08, 0.35);
  let dx = 0;
  let dy = 0;
  if (side === 0) dx = -Math.min(...xs) - frac * bw;
  if (side === 1) dx = width - Math.max(...xs) + frac * bw;
  if (side === 2) dy = -Math.min(...ys) - frac * bh;
  if (side === 3) dy = height - Math.max(...ys) + frac * bh;
  if (rng.chance(0.3)) {
    if (side < 2) dy = rng.chance(0.5) ? -Math.min(...ys) - 0.1 * bh : height - Math.max(...ys) + 0.1 * bh;
    else dx = rng.chance(0.5) ? -Math.min(...xs) - 0.1 * bw : width - Math.max(...xs) + 0.1 * bw;
  }
  return multiplyHomography(translateHomography(dx, dy), H);
}

function newPerson(rng: Rng, now: YMD): Identity {
  return makeIdentity(rng.fork(1), { now });
}

function frontOrBack(rng: Rng): CardKind {
  return rng.chance(0.6) ? 'FRONT' : 'BACK';
}

async function finishBuilt(img: Canvas8, rng: Rng, labels: CardLabel[], warnings: WarnCode[], prefer?: OutputFormat, error?: ErrorCode, photo = false): Promise<Built> {
  const { bytes, format } = await encodeChosen(img, rng, prefer, photo);
  return { bytes, format, width: img.width, height: img.height, side: labels[0] ? sideOf(labels[0].kind) : undefined, cards: labels, warnings, ...(error ? { error } : {}) };
}

const RECIPES: Record<SynthCase, Recipe> = {
  async clean(rng, now) {
    const id = newPerson(rng, now);
    const { img, labels } = await scanOf(rng, [{ id, kind: frontOrBack(rng) }]);
    return finishBuilt(img, rng, labels, []);
  },
  async photo(rng, now, limits) {
    const id = newPerson(rng, now);
    const { img, labels } = await photoOf(rng, [{ id, kind: frontOrBack(rng) }], { maxMegapixels: limits.maxMegapixels });
    return finishBuilt(img, rng, labels, [], undefined, undefined, true);
  },
  async rotated(rng, now, limits) {
    // A scan turned by quarter turns, or a photo taken with the phone sideways or upside down.
    const id = newPerson(rng, now);
    const turns = rng.int(1, 3);
    const cards = [{ id, kind: frontOrBack(rng) }];
    const { img, labels } = rng.chance(0.5) ? await scanOf(rng, cards, { quarterTurns: turns }) : await photoOf(rng, cards, { maxMegapixels: limits.maxMegapixels, mild: true, rotation: (turns * Math.PI) / 2 + rng.normal(0, 0.05) });
    return finishBuilt(img, rng, labels, []);
  },
  async photocopy(rng, now) {
    // Often both faces copied onto one page.
    const id = newPerson(rng, now);
    const cards = rng.chance(0.3) ? [{ id, kind: 'FRONT' as const }, { id, kind: 'BACK' as const }] : [{ id, kind: frontOrBack(rng) }];
    const { img, labels } = await scanOf(rng, cards, { shadow: rng.float(0.3, 0.6), platen: 'white' });
    photocopyLook(img, rng);
    return finishBuilt(img, rng, labels, [9102], rng.chance(0.5) ? 'jpeg' : undefined);
  },
  async reshoot(rng, now, limits) {
    const id = newPerson(rng, now);
    const kind = frontOrBack(rng);
    const { img, label } = await screenShot(rng, id, kind, (card, H, frame) => cardLabel(card, id, H, frame), limits.maxMegapixels);
    return finishBuilt(img, rng, [label], [9103], rng.chance(0.85) ? 'jpeg' : 'png');
  },
  async doctored(rng, now, limits) {
    const id = newPerson(rng, now);
    const kind = frontOrBack(rng);
    const other = newPerson(rng.fork(2), now);
    const field: IdField = kind === 'FRONT' ? rng.pick(['Name', 'Name', 'Address'] as const) : 'Authority';
    const text = rng.chance(0.5) ? (field === 'Name' ? id.name : field === 'Address' ? id.address : id.authority) : field === 'Name' ? other.name : field === 'Address' ? other.address : other.authority;
    const doctor: DoctorSpec = {
      field,
      text,
      sizeFactor: rng.chance(0.5) ? rng.float(0.88, 0.95) : rng.float(1.05, 1.12),
      color: `rgb(${rng.int(30, 70)},${rng.int(20, 50)},${rng.int(20, 60)})`,
      dx: rng.float(-4, 4),
      dy: rng.float(-3, 3),
      patchQuality: rng.int(35, 70),
      noise: rng.float(3, 8),
    };
    const cards = [{ id, kind, doctor, overrides: { [field]: text } }];
    const { img, labels } = rng.chance(0.5) ? await scanOf(rng, cards) : await photoOf(rng, cards, { maxMegapixels: limits.maxMegapixels, mild: true });
    return finishBuilt(img, rng, labels, [9106], rng.chance(0.5) ? 'png' : undefined);
  },
  async cut(rng, now, limits) {
    const id = newPerson(rng, now);
    const { img, labels } = await photoOf(rng, [{ id, kind: frontOrBack(rng) }], { maxMegapixels: limits.maxMegapixels, cut: true, mild: true });
    return finishBuilt(img, rng, labels, [9101]);
  },
  async occluded(rng, now, limits) {
    const id = newPerson(rng, now);
    const { img, labels } = await photoOf(rng, [{ id, kind: frontOrBack(rng) }], { maxMegapixels: limits.maxMegapixels, occlude: true, mild: true, fill: rng.float(0.6, 0.85) });
    return finishBuilt(img, rng, labels, [9105]);
  },
  async temporary(rng, now, limits) {
    const id = { ...newPerson(rng, now) };
    id.validDate = temporaryValidity(rng, now);
    const cards = [{ id, kind: 'TEMPORARY' as const }];
    const { img, labels } = rng.chance(0.5) ? await scanOf(rng, cards) : await photoOf(rng, cards, { maxMegapixels: limits.maxMegapixels, mild: true });
    return finishBuilt(img, rng, labels, [9104]);
  },
  async 'invalid-date'(rng, now, limits) {
    const id = { ...newPerson(rng, now) };
    const kind = rng.pick(['expired', 'impossible-date', 'wrong-span'] as const satisfies readonly InvalidDateKind[]);
    id.validDate = invalidValidity(rng, id.birth, now, kind);
    const cards = [{ id, kind: 'BACK' as const }];
    const { img, labels } = rng.chance(0.5) ? await scanOf(rng, cards) : await photoOf(rng, cards, { maxMegapixels: limits.maxMegapixels, mild: true });
    return finishBuilt(img, rng, labels, [9100]);
  },
  async multi(rng, now, limits) {
    const id = newPerson(rng, now);
    const second = rng.chance(0.6) ? { id, kind: 'BACK' as const } : { id: newPerson(rng.fork(3), now), kind: 'FRONT' as const };
    const cards = [{ id, kind: 'FRONT' as const }, second];
    if (rng.chance(0.2)) cards.push({ id: newPerson(rng.fork(4), now), kind: 'FRONT' as const });
    const { img, labels } = rng.chance(0.5) ? await scanOf(rng, cards) : await photoOf(rng, cards, { maxMegapixels: limits.maxMegapixels, mild: true });
    return finishBuilt(img, rng, labels, []);
  },
  async 'no-card'(rng, _now, limits) {
    const { width, height } = photoSize(rng, limits.maxMegapixels);
    const img = await makeSurface(width, height, rng, { surface: surfaceFor(rng), clutter: rng.int(1, 6), textHeavy: rng.chance(0.6) });
    const out = await capture(img, rng, photoEffects(rng, width, height));
    return finishBuilt(out, rng, [], [], undefined, 'FailedOperation.ImageNoIdCard');
  },
  async undecodable(rng, now) {
    const variant = rng.int(0, 4);
    const error: ErrorCode = 'FailedOperation.ImageDecodeFailed';
    if (variant === 0 || variant === 1) {
      // A real card image whose file stops early: PNG stream incomplete, or a JPEG with only its headers.
      const id = newPerson(rng, now);
      const { img } = await scanOf(rng, [{ id, kind: frontOrBack(rng) }]);
      const format: OutputFormat = variant === 0 ? 'png' : 'jpeg';
      const whole = await encodeImage(img, format, 85);
      const cut = variant === 0 ? Math.floor(whole.length * rng.float(0.2, 0.7)) : rng.int(200, 600);
      return { bytes: whole.slice(0, cut), format, width: img.width, height: img.height, cards: [], warnings: [], error };
    }
    if (variant === 2) {
      // A GIF: a format the service does not take.
      const { data, info } = await sharp({ create: { width: 320, height: 200, channels: 3, background: { r: rng.int(0, 255), g: 120, b: 200 } } }).gif().toBuffer({ resolveWithObject: true });
      return { bytes: new Uint8Array(data), format: 'other', width: info.width, height: info.height, cards: [], warnings: [], error };
    }
    if (variant === 3) {
      // Noise bytes with no format at all.
      return { bytes: rng.bytes(rng.int(1000, 60000)), format: 'other', ext: 'bin', width: 0, height: 0, cards: [], warnings: [], error };
    }
    // Text pretending to be an image.
    const text = new TextEncoder().encode('<html><body>404 Not Found</body></html>\n'.repeat(rng.int(1, 40)));
    return { bytes: text, format: 'other', ext: 'jpg', width: 0, height: 0, cards: [], warnings: [], error };
  },
  async oversized(rng, now) {
    // A real card photo saved in a wasteful format: uncompressed BMP, or PNG of a noisy frame (> 7 MB base64).
    const id = newPerson(rng, now);
    const bmp = rng.chance(0.6);
    const width = bmp ? rng.int(1800, 2600) : rng.int(2200, 2800);
    const height = Math.round(width * 0.75);
    const img = await makeSurface(width, height, rng, { surface: surfaceFor(rng), clutter: rng.int(0, 3) });
    const kind = frontOrBack(rng);
    const Hc = photoPlacement(rng, width, height, rng.float(0.55, 0.85));
    const card = render(id, kind, Hc, rng);
    await drawCard(img, card, Hc);
    const out = await capture(img, rng, { blur: 0, noise: bmp ? 3 : 14, light: 0.9, glare: 0 });
    const label = cardLabel(card, id, Hc, { width, height });
    const bytes = await encodeImage(out, bmp ? 'bmp' : 'png');
    return { bytes, format: bmp ? 'bmp' : 'png', width, height, side: sideOf(kind), cards: [label], warnings: [], error: 'FailedOperation.ImageSizeTooLarge' };
  },
};

/** Photocopier: greyscale, toner gain (contrast crush), toner specks and streaks. */
function photocopyLook(img: Canvas8, rng: Rng): void {
  // Toner gain: the pale security print mostly drops out, the card's tint turns light grey, text goes black.
  const lo = rng.float(15, 50);
  const hi = rng.float(215, 248);
  const gamma = rng.float(0.9, 1.6);
  const { data, width, height, channels } = img;
  const streakX = rng.chance(0.5) ? rng.int(0, width - 1) : -1;
  const lut = new Float32Array(256);
  for (let g = 0; g < 256; g++) lut[g] = 255 * Math.pow(Math.min(1, Math.max(0, (g - lo) / (hi - lo))), gamma);
  let s = rng.u32();
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * channels;
      let v = lut[Math.round(0.299 * data[i] + 0.587 * data[i + 1] + 0.114 * data[i + 2])];
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      if (s >>> 20 < 3) v *= 0.25; // toner speck
      if (streakX >= 0 && Math.abs(x - streakX) < 2) v *= 0.85;
      v += ((s >>> 8) & 15) - 7.5;
      const c = v < 0 ? 0 : v > 255 ? 255 : v;
      data[i] = c;
      data[i + 1] = c;
      data[i + 2] = c;
    }
  }
}

/**
 * Renders one card face as an image (RGBA, transparent corners) at canonical size × `scale`.
 * @example const img = await renderCard(makeIdentity(new Rng(1), { now }), 'FRONT');
 */
export async function renderCard(id: Identity, kind: CardKind, scale = 1): Promise<RasterImage> {
  return renderCardFace(id, kind, { scale }).image;
}


/**
 * extract: map recognised lines to fields by where they sit on the canonical card (src/domain/cardLayout.ts),
 * not by regexes over a text dump. Each line is split where a printed label was read into it (`姓名张三`,
 * `性别男民族汉`), every piece is assigned to the layout region it overlaps most, and multi-line fields
 * (the address, a wrapped name) are joined in reading order: rows top to bottom, left to right within a row.
 */
import { LAYOUTS, toCanonicalPixels, type FaceLayout, type NormBox } from '../domain/cardLayout.ts';
import type { CardKind, IdField, IdInfo, Point, Quad, StageContext, TextLine } from './types.ts';

/**
 * Printed labels as the recogniser tends to read them, including typos seen on demo cards (名族, 有限期限,
 * 公民生份证号) and the non-standard 公民身份证号码. Spaces are removed before matching.
 */
export const LABEL_PATTERNS: Record<string, RegExp> = {
  姓名: /^(姓名|娃名|姓各|性名)/,
  性别: /^(性别|姓别|性剔)/,
  民族: /[民名][族旅挨]/,
  出生: /^(出生|出主|岀生)/,
  住址: /^(住址|往址|住扯|佳址)/,
  公民身份号码: /^(公民身份证?号码?|公民生份证?号码?|公民身价号码|公民身份|身份号码|公民)/,
  中华人民共和国: /^中华人民共和国$/,
  居民身份证: /^居民身份证$/,
  临时居民身份证: /^(中华人民共和国)?临时居民身份证$/,
  签发机关: /^(签发机关|签发机|签友机关|鉴发机关|发机关)/,
  有效期限: /^(有效期限|有限期限|有效期|有效限|效期限)/,
};

/** Labels that may sit in the middle of a line (a second label on the same printed row). */
const MID_LINE_LABELS = new Set(['民族']);

export interface ExtractedFields {
  /** Field text as read (validate normalises and checks it). */
  idInfo: IdInfo;
  /** The pieces of lines each field came from, in reading order (validate uses their character candidates). */
  fieldLines: Partial<Record<IdField, TextLine[]>>;
}

// ---------------------------------------------------------------------------------------------------------
// Line pieces

/** Relative advance of a character: CJK full width, Latin/digits about half (OCR-B digits are narrow). */
function charWeight(c: string): number {
  if (/\s/.test(c)) return 0.35;
  if (/[\u2E80-\u9FFF\uF900-\uFAFF\uFF00-\uFFEF]/.test(c)) return 1;
  if (c === '·') return 0.5;
  return 0.55;
}

function lerp(a: Point, b: Point, t: number): Point {
  return { x: a.x + (b.x - a.x) * t, y: a.y + (b.y - a.y) * t };
}

/**
 * The piece of a line between code points [start, end): text, the matching per-character candidates and a
 * box estimated from the characters' relative widths along the line.
 */
export function sliceLine(line: TextLine, start: number, end: number): TextLine {
  const chars = [...line.text];
  if (start <= 0 && end >= chars.length) return line;
  const weights = chars.map(charWeight);
  const total = weights.reduce((a, b) => a + b, 0) || 1;
  const before = weights.slice(0, start).reduce((a, b) => a + b, 0) / total;
  const upto = weights.slice(0, end).reduce((a, b) => a + b, 0) / total;
  const [tl, tr, br, bl] = line.box;
  const box: Quad = [lerp(tl, tr, before), lerp(tl, tr, upto), lerp(bl, br, upto), lerp(bl, br, before)];
  const aligned = line.chars.length === chars.length;
  const pieceChars = aligned ? line.chars.slice(start, end) : [];
  const confidence = aligned && pieceChars.length > 0 ? pieceChars.reduce((a, c) => a + (c.candidates[0]?.prob ?? 0), 0) / pieceChars.length : line.confidence;
  return { text: chars.slice(start, end).join(''), confidence, chars: pieceChars, box };
}

/** Punctuation the recogniser makes of label strokes, specks and the colon-like gap after a label. */
const STRAY_LEADING = /^[^\p{L}\p{N}]$/u;

/**
 * Removes spaces from a line and stray marks from its start, keeping characters and candidates aligned.
 * (No field value starts with punctuation; a name's middle dot sits between two names.)
 */
function compactLine(line: TextLine): TextLine {
  const chars = [...line.text];
  let lead = 0;
  while (lead < chars.length && (/\s/.test(chars[lead]) || STRAY_LEADING.test(chars[lead]))) lead++;
  if (lead > 0) line = sliceLine(line, lead, chars.length);
  return dropSpaces(line);
}

/** Spaces, and colons and commas (never part of a printed value: specks and label gaps read as such). */
const DROPPED = /[\s:：,，、;；]/;

function dropSpaces(line: TextLine): TextLine {
  const chars = [...line.text];
  if (!chars.some((c) => DROPPED.test(c))) return line;
  const aligned = line.chars.length === chars.length;
  const keep = chars.map((c) => !DROPPED.test(c));
  // Keep the box: the spaces are inside it and the weights of what remains still spread over it.
  return {
    ...line,
    text: chars.filter((_, i) => keep[i]).join(''),
    chars: aligned ? line.chars.filter((_, i) => keep[i]) : line.chars,
  };
}

interface Rect {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

function boundsOf(q: Quad): Rect {
  const xs = q.map((p) => p.x);
  const ys = q.map((p) => p.y);
  return { x0: Math.min(...xs), y0: Math.min(...ys), x1: Math.max(...xs), y1: Math.max(...ys) };
}

function area(r: Rect): number {
  return Math.max(0, r.x1 - r.x0) * Math.max(0, r.y1 - r.y0);
}

function intersect(a: Rect, b: Rect): Rect {
  return { x0: Math.max(a.x0, b.x0), y0: Math.max(a.y0, b.y0), x1: Math.min(a.x1, b.x1), y1: Math.min(a.y1, b.y1) };
}

function regionRect(box: NormBox): Rect {
  return toCanonicalPixels(box);
}

interface Region {
  name: string;
  kind: 'label' | 'value';
  rect: Rect;
}

function regionsOf(layout: FaceLayout): Region[] {
  const out: Region[] = [];
  for (const [name, r] of Object.entries(layout.labels)) out.push({ name, kind: 'label', rect: regionRect(r.box) });
  for (const [name, r] of Object.entries(layout.values)) if (r) out.push({ name, kind: 'value', rect: regionRect(r.box) });
  return out;
}

/**
 * The region a piece belongs to: the one covering most of the piece's box; when none covers it, the nearest
 * one within half a line height (a slightly imprecise rectification must not lose a line).
 */
function bestRegion(piece: TextLine, regions: Region[]): Region | undefined {
  const b = boundsOf(piece.box);
  const a = area(b) || 1;
  let best: Region | undefined;
  let bestScore = 0;
  for (const r of regions) {
    const s = area(intersect(b, r.rect)) / a;
    if (s > bestScore) {
      bestScore = s;
      best = r;
    }
  }
  if (best && bestScore >= 0.25) return best;
  const cx = (b.x0 + b.x1) / 2;
  const cy = (b.y0 + b.y1) / 2;
  const tol = (b.y1 - b.y0) / 2;
  let nearest: Region | undefined;
  let nearestD = Infinity;
  for (const r of regions) {
    const dx = Math.max(r.rect.x0 - cx, 0, cx - r.rect.x1);
    const dy = Math.max(r.rect.y0 - cy, 0, cy - r.rect.y1);
    const d = Math.hypot(dx, dy);
    if (d < nearestD) {
      nearestD = d;
      nearest = r;
    }
  }
  return nearestD <= tol ? nearest : undefined;
}

/** Vertical overlap of a line with a label's printed row, as a fraction of the line's height. */
function rowOverlap(piece: TextLine, r: Rect): number {
  const b = boundsOf(piece.box);
  const h = b.y1 - b.y0 || 1;
  return Math.max(0, Math.min(b.y1, r.y1) - Math.max(b.y0, r.y0)) / h;
}

/** The field whose value follows each printed label. */
const LABEL_FIELD: Record<string, IdField> = {
  姓名: 'Name',
  性别: 'Sex',
  民族: 'Nation',
  出生: 'Birth',
  住址: 'Address',
  公民身份号码: 'IdNum',
  签发机关: 'Authority',
  有效期限: 'ValidDate',
};

/** A piece of a line and, where a label was read in front of it, the field that label announces. */
interface Piece {
  line: TextLine;
  field?: IdField;
}

/**
 * A label partly read into the start of a value (`姓张大民`: 名 lost in the label's wide letter-spacing;
 * `社址中山市…`: 住 misread). Only where the line starts in that label's column on its row, so an address
 * line starting in the value column keeps every character.
 */
function stripLabelFragment(l: TextLine, layout: FaceLayout): Piece {
  const b = boundsOf(l.box);
  const h = b.y1 - b.y0;
  for (const [name, region] of Object.entries(layout.labels)) {
    const r = regionRect(region.box);
    if (rowOverlap(l, r) < 0.5) continue;
    if (b.x0 > r.x1 - 0.25 * h || b.x0 < r.x0 - 2 * h) continue;
    const label = [...name];
    const chars = [...l.text];
    const field = LABEL_FIELD[name];
    if (label.length === 2) {
      // A misread first character followed by the second (`社址`), then any label characters left
      // (`住，址` after the comma-like speck is dropped).
      let cur = l;
      let removed = 0;
      if (chars.length > 2 && chars[1] === label[1]) {
        cur = compactLine(sliceLine(l, 2, chars.length));
        removed = 2;
      }
      while (removed < 2) {
        const c = [...cur.text];
        if (c.length > 1 && label.includes(c[0])) {
          cur = compactLine(sliceLine(cur, 1, c.length));
          removed++;
        } else break;
      }
      if (removed > 0) return { line: cur, field };
    } else {
      // Longer labels: drop the longest prefix made mostly of the label's characters.
      let k = 0;
      let hits = 0;
      for (let i = 0; i < Math.min(chars.length, label.length + 1); i++) {
        if (!label.includes(chars[i])) continue;
        hits++;
        if (hits >= Math.ceil((i + 1) * 0.6)) k = i + 1;
      }
      if (k > 0 && hits >= 2) return { line: sliceLine(l, k, chars.length), field };
    }
  }
  return { line: l };
}

/**
 * Splits a line into value pieces: a label read at its start is dropped (and tells which field follows),
 * a second label inside the line (性别 row: `男民族汉`) splits it, and pure labels disappear.
 */
function valuePieces(line: TextLine, layout: FaceLayout): Piece[] {
  let l = compactLine(line);
  if (l.text === '') return [];
  const labelNames = Object.keys(layout.labels);
  let field: IdField | undefined;
  // A label at the start of the line.
  for (const name of labelNames) {
    const re = LABEL_PATTERNS[name];
    if (!re || MID_LINE_LABELS.has(name)) continue;
    const m = re.exec(l.text);
    if (m && m.index === 0) {
      const n = [...m[0]].length;
      // Only where the line starts on that label's row: `公民` in an address is not a label.
      if (rowOverlap(l, regionRect(layout.labels[name].box)) < 0.3) continue;
      l = compactLine(sliceLine(l, n, [...l.text].length));
      field = LABEL_FIELD[name];
      break;
    }
  }
  if (l.text === '') return [];
  // A label inside the line: what precedes it belongs to the row's first field, what follows to its own.
  for (const name of labelNames) {
    if (!MID_LINE_LABELS.has(name)) continue;
    const re = LABEL_PATTERNS[name];
    const m = re.exec(l.text);
    if (!m) continue;
    if (rowOverlap(l, regionRect(layout.labels[name].box)) < 0.3) continue;
    const chars = [...l.text];
    const at = [...l.text.slice(0, m.index)].length;
    const n = [...m[0]].length;
    const pieces: Piece[] = [];
    if (at > 0) {
      const before = field ? { line: sliceLine(l, 0, at), field } : stripLabelFragment(sliceLine(l, 0, at), layout);
      pieces.push(before.field ? before : { line: before.line, field: 'Sex' });
    }
    if (at + n < chars.length) pieces.push({ line: compactLine(sliceLine(l, at + n, chars.length)), field: LABEL_FIELD[name] });
    return pieces.filter((p) => p.line.text !== '');
  }
  if (field) return [{ line: l, field }];
  const piece = stripLabelFragment(l, layout);
  return piece.line.text === '' ? [] : [piece];
}

/** Sorts pieces into reading order: rows (by vertical overlap) top to bottom, left to right in a row. */
export function readingOrder(pieces: TextLine[]): TextLine[] {
  const items = pieces.map((p) => ({ p, b: boundsOf(p.box) }));
  items.sort((a, b) => (a.b.y0 + a.b.y1) / 2 - (b.b.y0 + b.b.y1) / 2);
  const rows: Array<typeof items> = [];
  for (const it of items) {
    const row = rows[rows.length - 1];
    if (row) {
      const r = row[0].b;
      const overlap = Math.min(r.y1, it.b.y1) - Math.max(r.y0, it.b.y0);
      if (overlap > 0.5 * Math.min(r.y1 - r.y0, it.b.y1 - it.b.y0)) {
        row.push(it);
        continue;
      }
    }
    rows.push([it]);
  }
  return rows.flatMap((row) => row.sort((a, b) => a.b.x0 - b.b.x0).map((it) => it.p));
}

/** A label read alone (or nearly alone) in a label region: nothing to keep. */
function isLabelText(text: string, layout: FaceLayout): boolean {
  if (text.length <= 1) return true;
  for (const name of Object.keys(layout.labels)) {
    const re = LABEL_PATTERNS[name];
    if (re && re.test(text)) return true;
    if ([...text].filter((c) => name.includes(c)).length >= Math.ceil(text.length * 0.5)) return true;
  }
  return false;
}

/**
 * Assigns lines (canonical coordinates) to fields.
 * @example
 *   const { idInfo, fieldLines } = await extractFields('FRONT', lines, ctx);
 */
export async function extractFields(kind: CardKind, lines: TextLine[], ctx: StageContext): Promise<ExtractedFields> {
  const started = performance.now();
  try {
    return extractFieldsSync(kind, lines);
  } finally {
    ctx.timings.extract = (ctx.timings.extract ?? 0) + (performance.now() - started);
  }
}

export function assignPieces(kind: CardKind, lines: TextLine[]): Partial<Record<IdField, TextLine[]>> {
  const layout = LAYOUTS[kind];
  const regions = regionsOf(layout);
  const valueRegions = regions.filter((r) => r.kind === 'value');
  const byField: Partial<Record<IdField, TextLine[]>> = {};
  for (const line of lines) {
    for (const { line: piece, field: announced } of valuePieces(line, layout)) {
      if (announced && layout.values[announced]) {
        (byField[announced] ??= []).push(piece);
        continue;
      }
      let region = bestRegion(piece, regions);
      if (!region) continue;
      if (region.kind === 'label') {
        if (isLabelText(piece.text, layout)) continue;
        // Value text that spills into a label column (a loose rectification): take the best value region.
        region = bestRegion(piece, valueRegions);
        if (!region) continue;
      }
      const field = region.name as IdField;
      (byField[field] ??= []).push(piece);
    }
  }
  for (const f of Object.keys(byField) as IdField[]) byField[f] = readingOrder(byField[f]!);
  return byField;
}

export function extractFieldsSync(kind: CardKind, lines: TextLine[]): ExtractedFields {
  const fieldLines = assignPieces(kind, lines);
  const idInfo: IdInfo = {};
  for (const [field, pieces] of Object.entries(fieldLines) as Array<[IdField, TextLine[]]>) {
    const text = fieldText(field, pieces);
    if (text) idInfo[field] = text;
  }
  return { idInfo, fieldLines };
}

function fieldText(field: IdField, pieces: TextLine[]): string {
  const joined = pieces.map((p) => p.text).join('');
  switch (field) {
    case 'Sex': {
      const m = /[男女]/.exec(joined);
      return m ? m[0] : joined.replace(/\s/g, '');
    }
    case 'IdNum':
      // A label fragment left of the number (公民身份号码 read into the value box) is not part of it.
      return joined.replace(/\s/g, '').replace(/^[^0-9A-Za-z]+/, '');
    case 'Nation':
      return joined.replace(/[\s:：]/g, '');
    default:
      return joined.replace(/\s/g, '');
  }
}

/**
 * locate: find every card in the image, settle its side and orientation, and rectify it to the canonical
 * 856×540 frame (src/domain/cardLayout.ts).
 *
 * Text-first (recognition-notes.md): detect text lines on the whole image, settle the reading direction of
 * each group of parallel lines (any in-plane angle; 0° vs 180° by which reading the recogniser is surer of
 * and which finds printed labels), recognise them, find the printed labels (姓名 性别 … / 中华人民共和国
 * 居民身份证 签发机关 有效期限 / 临时居民身份证) and fit the map image → card from where they are to where
 * the layout puts them: similarity from one or two labels, affine from three, homography from four or more
 * spread over the card. A RANSAC-style search over label hypotheses separates several cards in one image.
 * Where the card outline is visible, edge-first refinement (edges.ts) snaps the corners to it.
 *
 * The lines read here are kept, mapped to canonical coordinates, so the pipeline need not read them again.
 */
import { CANONICAL_HEIGHT, CANONICAL_WIDTH, LAYOUTS, type FaceLayout, type NormBox } from '../domain/cardLayout.ts';
import { LABEL_PATTERNS, sliceLine } from './extract.ts';
import { findCardOutlines } from './edges.ts';
import { applyHomography, fitAffine, fitHomography, fitSimilarity, invertHomography, isConvexClockwise, mapQuad, rectToQuad, warpPerspective, type Correspondence } from './geometry.ts';
import { isValidIdChecksum } from '../domain/idNumber.ts';
import type { CardKind, DecodedImage, Homography, LocatedCard, OcrModels, Point, Quad, RasterImage, StageContext, TextBox, TextLine } from './types.ts';

/**
 * Long side of the whole-image detection input: ≈110 ms on this CPU, text of a card filling the frame ≥ 20 px.
 * (736 saves ≈40% of detection but lost 7 of 306 fields on the synthetic photo set.)
 */
export const LOCATE_DETECT_SIDE = 960;
/**
 * Long side of the first, cheaper whole-image detection (≈ half the cost of 960): enough for a card that
 * fills most of the frame, whose printed text is still ≥ 12 px high there; the pipeline goes up to
 * LOCATE_DETECT_SIDE when it finds no card or a small one.
 */
export const LOCATE_FIRST_SIDE = 640;
/** At most this many lines are read while locating (clutter must not cost seconds). */
const MAX_LINES_PER_GROUP = 40;
/** And at most this many in all. */
const MAX_LINES = 60;
/** Parallel lines: within this many degrees of the group's direction. */
const ANGLE_TOLERANCE_DEG = 12;
/** Lines read to settle the reading direction before the rest. */
const PROBE_LINES = 5;

const KINDS: CardKind[] = ['FRONT', 'BACK', 'TEMPORARY'];

// ---------------------------------------------------------------------------------------------------------
// Orientation: group boxes by direction, orient each quad along the reading direction

interface OrientedBox {
  box: TextBox;
  /** Long-axis angle in [0, 180) degrees. */
  angle: number;
  length: number;
  thickness: number;
}

function describeBox(box: TextBox): OrientedBox {
  const q = box.quad;
  const e1 = { x: q[1].x - q[0].x, y: q[1].y - q[0].y };
  const e2 = { x: q[3].x - q[0].x, y: q[3].y - q[0].y };
  const l1 = Math.hypot(e1.x, e1.y);
  const l2 = Math.hypot(e2.x, e2.y);
  const long = l1 >= l2 ? e1 : e2;
  let angle = (Math.atan2(long.y, long.x) * 180) / Math.PI;
  angle = ((angle % 180) + 180) % 180;
  return { box, angle, length: Math.max(l1, l2), thickness: Math.min(l1, l2) };
}

function angleDiff(a: number, b: number): number {
  const d = Math.abs(a - b) % 180;
  return Math.min(d, 180 - d);
}

/**
 * A box at least this many times as long as it is thick is a run of text whose long axis is its reading
 * direction. Shorter boxes (one or two letter-spaced characters: the labels 姓 名, the title 临 时 居 民 …)
 * are the detector's rectangle around a near-square blob, whose angle can be anything: on a turned card
 * they measured 20–60° off the card's rows.
 */
const DIRECTION_RATIO = 2.5;
/** A short box belongs with a text run whose centre line passes within this many of the run's heights. */
const NEIGHBOUR_HEIGHTS = 4;

/** Distance from `p` to the centre line (segment) of a box along its long axis. */
function distanceToAxis(p: Point, b: OrientedBox): number {
  const c = centreOf(b.box.quad);
  const t = (b.angle * Math.PI) / 180;
  const u = { x: Math.cos(t), y: Math.sin(t) };
  const dx = p.x - c.x;
  const dy = p.y - c.y;
  const along = Math.max(0, Math.abs(dx * u.x + dy * u.y) - b.length / 2);
  const across = Math.abs(-dx * u.y + dy * u.x);
  return Math.hypot(along, across);
}

function centreOf(q: Quad): Point {
  return { x: (q[0].x + q[1].x + q[2].x + q[3].x) / 4, y: (q[0].y + q[1].y + q[2].y + q[3].y) / 4 };
}

/**
 * Groups of parallel boxes, largest group (by total elongated length) first. Directions come from the text
 * runs (DIRECTION_RATIO); a short box joins the group of the nearest run around it, so the letter-spaced
 * labels and title of a turned card are read along the card's rows and not along those of a document beside
 * it (held-out temporary card: its title and labels read at the clutter's angle came out as noise, and the
 * card was taken for a back). Only where no run is near does a short box go by its own angle.
 */
function groupByDirection(boxes: OrientedBox[]): Array<{ angle: number; members: OrientedBox[] }> {
  const runs = boxes.filter((b) => b.length >= DIRECTION_RATIO * b.thickness);
  if (runs.length === 0) return groupByOwnAngle(boxes);
  const groups = groupByOwnAngle(runs);
  const groupOf = new Map<OrientedBox, number>();
  groups.forEach((g, i) => g.members.forEach((m) => groupOf.set(m, i)));
  const orphans: OrientedBox[] = [];
  for (const b of boxes) {
    if (b.length >= DIRECTION_RATIO * b.thickness) continue;
    const c = centreOf(b.box.quad);
    let best = -1;
    let bestD = Infinity;
    for (const r of runs) {
      const g = groupOf.get(r);
      if (g === undefined) continue;
      const d = distanceToAxis(c, r);
      if (d <= NEIGHBOUR_HEIGHTS * r.thickness && d < bestD) {
        bestD = d;
        best = g;
      }
    }
    if (best >= 0) groups[best].members.push(b);
    else orphans.push(b);
  }
  // Short boxes with no run near them (a card whose lines all came out short, clutter) keep their own angles.
  for (const og of orphans.length > 0 ? groupByOwnAngle(orphans) : []) {
    const elongated = og.members.some((b) => b.length >= 1.6 * b.thickness);
    const same = elongated ? groups.findIndex((g) => angleDiff(og.angle, g.angle) <= ANGLE_TOLERANCE_DEG) : 0;
    if (same >= 0) groups[same].members.push(...og.members);
    else groups.push(og);
  }
  return groups;
}

/** Groups of parallel boxes by each box's own angle, largest group (by total elongated length) first. */
function groupByOwnAngle(boxes: OrientedBox[]): Array<{ angle: number; members: OrientedBox[] }> {
  const groups: Array<{ angle: number; members: OrientedBox[] }> = [];
  let rest = boxes.slice();
  while (rest.length > 0 && groups.length < 3) {
    const elongated = rest.filter((b) => b.length >= 1.6 * b.thickness);
    if (elongated.length === 0) {
      if (groups.length === 0) groups.push({ angle: 0, members: rest });
      else groups[0].members.push(...rest);
      break;
    }
    // Dominant direction: the 1°-bin histogram of elongated boxes weighted by length, smoothed ±tolerance.
    const hist = new Array<number>(180).fill(0);
    for (const b of elongated) hist[Math.round(b.angle) % 180] += b.length;
    let bestBin = 0;
    let bestVal = -1;
    for (let i = 0; i < 180; i++) {
      let s = 0;
      for (let d = -ANGLE_TOLERANCE_DEG / 2; d <= ANGLE_TOLERANCE_DEG / 2; d++) s += hist[(i + d + 180) % 180];
      if (s > bestVal) {
        bestVal = s;
        bestBin = i;
      }
    }
    // Refine by the length-weighted circular mean (of doubled angles) of the boxes near the peak.
    let sx = 0;
    let sy = 0;
    for (const b of elongated) {
      if (angleDiff(b.angle, bestBin) > ANGLE_TOLERANCE_DEG) continue;
      const t = (2 * b.angle * Math.PI) / 180;
      sx += b.length * Math.cos(t);
      sy += b.length * Math.sin(t);
    }
    const angle = ((((Math.atan2(sy, sx) * 180) / Math.PI / 2) % 180) + 180) % 180;
    const members = rest.filter((b) => b.length < 1.6 * b.thickness || angleDiff(b.angle, angle) <= ANGLE_TOLERANCE_DEG);
    const memberElongated = members.filter((b) => b.length >= 1.6 * b.thickness).length;
    // A second card at another angle needs a few lines of its own; stray boxes are not a card.
    if (groups.length > 0 && memberElongated < 2 && members.length < 4) break;
    groups.push({ angle, members });
    rest = rest.filter((b) => !members.includes(b));
  }
  return groups;
}

/** The box's corners re-ordered so the top edge runs along `dirDeg` (the reading direction). */
export function orientQuad(q: Quad, dirDeg: number): Quad {
  const t = (dirDeg * Math.PI) / 180;
  const u = { x: Math.cos(t), y: Math.sin(t) };
  const v = { x: -u.y, y: u.x };
  const us = q.map((p) => p.x * u.x + p.y * u.y);
  const vs = q.map((p) => p.x * v.x + p.y * v.y);
  const u0 = Math.min(...us);
  const u1 = Math.max(...us);
  const v0 = Math.min(...vs);
  const v1 = Math.max(...vs);
  const at = (a: number, b: number): Point => ({ x: a * u.x + b * v.x, y: a * u.y + b * v.y });
  return [at(u0, v0), at(u1, v0), at(u1, v1), at(u0, v1)];
}

// ---------------------------------------------------------------------------------------------------------
// Anchors: printed labels found among the read lines

interface Anchor {
  label: string;
  /** Piece of the line holding the label, image coordinates (reading-oriented). */
  quad: Quad;
  weight: number;
  lineIndex: number;
  /** Where in the (space-free) line the label sits, in characters, and the line's length. */
  start: number;
  end: number;
  n: number;
}

const ALL_LABELS = [...new Set(KINDS.flatMap((k) => Object.keys(LAYOUTS[k].labels)))];

/** Longest common subsequence length (labels are short). */
function lcs(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  const dp = Array.from({ length: x.length + 1 }, () => new Array<number>(y.length + 1).fill(0));
  for (let i = 1; i <= x.length; i++) for (let j = 1; j <= y.length; j++) dp[i][j] = x[i - 1] === y[j - 1] ? dp[i - 1][j - 1] + 1 : Math.max(dp[i - 1][j], dp[i][j - 1]);
  return dp[x.length][y.length];
}

/** Labels printed in a line (image coordinates), with the piece of the line each occupies. */
export function findAnchors(line: TextLine, lineIndex: number): Anchor[] {
  const compact: TextLine = { ...line, text: line.text.replace(/\s+/g, ''), chars: line.chars.length === [...line.text].length ? line.chars.filter((_, i) => !/\s/.test([...line.text][i])) : line.chars };
  const text = compact.text;
  const n = [...text].length;
  if (n === 0) return [];
  const out: Anchor[] = [];
  const taken = new Array<boolean>(n).fill(false);
  const add = (label: string, start: number, end: number, weight: number) => {
    for (let i = start; i < end; i++) if (taken[i]) return;
    for (let i = start; i < end; i++) taken[i] = true;
    out.push({ label, quad: sliceLine(compact, start, end).box, weight: weight * line.confidence, lineIndex, start, end, n });
  };
  // Titles stand alone on a card (or one after the other): inside running text they are a document's words.
  const titles = ['临时居民身份证', '中华人民共和国', '居民身份证'];
  const rest = titles.reduce((t, x) => t.replace(x, ''), text);
  if (titles.some((x) => text.includes(x)) && !/^[\p{P}A-Za-z0-9]{0,2}$/u.test(rest)) {
    for (const x of titles) if (text.includes(x)) for (let i = 0; i < n; i++) taken[i] = true;
  }
  // Longest labels first so 临时居民身份证 wins over 居民身份证 and 公民身份号码 over nothing shorter; and
  // every exact reading before any approximate one, so a back's 居民身份证 is not taken for a 临时居民身份证
  // read with two characters lost (it was, on every back, and the back lost its largest label as evidence).
  const labels = ALL_LABELS.slice().sort((a, b) => b.length - a.length);
  const matched = new Set<string>();
  for (const label of labels) {
    const idx = text.indexOf(label);
    if (idx < 0) continue;
    const s = [...text.slice(0, idx)].length;
    add(label, s, s + [...label].length, 1);
    matched.add(label);
  }
  for (const label of labels) {
    if (matched.has(label)) continue;
    const re = LABEL_PATTERNS[label];
    const m = re ? re.exec(text) : null;
    if (m && (m.index === 0 || label === '民族')) {
      const s = [...text.slice(0, m.index)].length;
      add(label, s, s + [...m[0]].length, 0.8);
      matched.add(label);
    }
  }
  for (const label of labels) {
    if (matched.has(label)) continue;
    // Long labels read with a character or two wrong (中华人民共和国 → 中华人民共和同).
    const L = [...label].length;
    if (L >= 4 && n <= L + 2 && lcs(text, label) >= Math.ceil(L * 0.65)) add(label, 0, n, 0.7);
  }
  return out;
}

/**
 * Labels are printed letter-spaced (姓  名), so the detector often returns one box per character. A short
 * line and the next line along its reading direction on the same baseline, less than ~3 character heights
 * on, are joined (up to three pieces) so the label can be recognised as an anchor.
 */
function joinSplitLabels(lines: TextLine[]): Array<{ line: TextLine; index: number }> {
  const geo = lines.map((l) => {
    const q = l.box;
    const left = { x: (q[0].x + q[3].x) / 2, y: (q[0].y + q[3].y) / 2 };
    const right = { x: (q[1].x + q[2].x) / 2, y: (q[1].y + q[2].y) / 2 };
    const len = Math.hypot(right.x - left.x, right.y - left.y) || 1;
    const u = { x: (right.x - left.x) / len, y: (right.y - left.y) / len };
    const h = (Math.hypot(q[3].x - q[0].x, q[3].y - q[0].y) + Math.hypot(q[2].x - q[1].x, q[2].y - q[1].y)) / 2;
    return { left, right, u, h, n: [...l.text.replace(/\s+/g, '')].length };
  });
  const next = (i: number): number => {
    const a = geo[i];
    let best = -1;
    let bestGap = Infinity;
    for (let j = 0; j < lines.length; j++) {
      if (j === i) continue;
      const b = geo[j];
      if (b.h < 0.6 * a.h || b.h > 1.6 * a.h) continue;
      const dx = b.left.x - a.right.x;
      const dy = b.left.y - a.right.y;
      const along = dx * a.u.x + dy * a.u.y;
      const across = -dx * a.u.y + dy * a.u.x;
      if (along < -0.5 * a.h || along > 3.2 * a.h || Math.abs(across) > 0.45 * a.h) continue;
      if (along < bestGap) {
        bestGap = along;
        best = j;
      }
    }
    return best;
  };
  const out: Array<{ line: TextLine; index: number }> = [];
  for (let i = 0; i < lines.length; i++) {
    if (geo[i].n === 0 || geo[i].n > 2) continue;
    let cur = lines[i];
    let k = i;
    for (let step = 0; step < 2; step++) {
      const j = next(k);
      if (j < 0) break;
      const b = lines[j];
      cur = {
        text: cur.text.replace(/\s+/g, '') + b.text.replace(/\s+/g, ''),
        confidence: Math.min(cur.confidence, b.confidence),
        chars: [],
        box: [cur.box[0], b.box[1], b.box[2], cur.box[3]],
      };
      out.push({ line: cur, index: i });
      if (geo[j].n > 2) break;
      k = j;
    }
  }
  return out;
}

/** The printed birth date (`1990年3月7日`), an anchor of the front when labels are cut off or unreadable. */
function birthPiece(line: TextLine): { start: number; end: number } | null {
  const text = line.text.replace(/\s+/g, '');
  const m = /\d{4}年\d{1,2}月\d{1,2}日/.exec(text);
  if (!m) return null;
  const start = [...text.slice(0, m.index)].length;
  return { start, end: start + [...m[0]].length };
}

/** The 18-character number, a strong anchor of the front (and temporary card). */
function idNumberPiece(line: TextLine): { start: number; end: number; checksum: boolean } | null {
  const chars = [...line.text.replace(/\s+/g, '')];
  const text = chars.join('');
  // 17–19 characters: the number, give or take one lost or doubled digit (a bank card's 16 or 19 digits
  // in groups does not read as one run of 18 with an X or a valid check character).
  const m = /[0-9]{16,18}[0-9Xx]?$/.exec(text);
  if (!m || m[0].length < 17) return null;
  const start = [...text.slice(0, m.index)].length;
  return { start, end: chars.length, checksum: isValidIdChecksum(m[0].toUpperCase()) };
}

// ---------------------------------------------------------------------------------------------------------
// Fitting

function regionPoints(box: NormBox): { left: Point; center: Point; right: Point } {
  const x0 = box[0] * CANONICAL_WIDTH;
  const x1 = box[2] * CANONICAL_WIDTH;
  const yc = ((box[1] + box[3]) / 2) * CANONICAL_HEIGHT;
  return { left: { x: x0, y: yc }, center: { x: (x0 + x1) / 2, y: yc }, right: { x: x1, y: yc } };
}

function quadPoints(q: Quad): { left: Point; center: Point; right: Point } {
  const left = { x: (q[0].x + q[3].x) / 2, y: (q[0].y + q[3].y) / 2 };
  const right = { x: (q[1].x + q[2].x) / 2, y: (q[1].y + q[2].y) / 2 };
  return { left, center: { x: (left.x + right.x) / 2, y: (left.y + right.y) / 2 }, right };
}

type Role = 'left' | 'center' | 'right';

/**
 * Where a label (or a value of known extent) was seen. A line's ends are exact (the detector's box ends
 * where the ink does); where a label and a value were read as one line, only the end the label (or value)
 * shares with the line is exact, and its inner end is a guess from character widths (letter-spaced labels
 * make that guess poor), so it gets little weight.
 */
interface Evidence {
  /** Label name, or '#IdNum' / '#Birth' for those values. */
  key: string;
  points: Array<{ role: Role; from: Point; weight: number }>;
  /** The whole line's left and right mid-points (its reading direction). */
  dir: [Point, Point];
  /** The line's top and bottom mid-points (its height, which must match the printed glyphs' on the card). */
  across: [Point, Point];
  weight: number;
  lineIndex: number;
  /** For '#IdNum': the number has the right shape and check character. */
  checksum?: boolean;
}

function makeEvidence(key: string, line: Quad, piece: Quad, start: number, end: number, n: number, weight: number, lineIndex: number): Evidence {
  const lq = quadPoints(toContinuous(line));
  const pq = quadPoints(toContinuous(piece));
  const points: Evidence['points'] = [];
  if (start === 0 && end === n) {
    points.push({ role: 'left', from: lq.left, weight: 0.7 * weight }, { role: 'center', from: lq.center, weight }, { role: 'right', from: lq.right, weight: 0.7 * weight });
  } else if (start === 0) {
    points.push({ role: 'left', from: lq.left, weight }, { role: 'center', from: pq.center, weight: 0.2 * weight });
  } else if (end === n) {
    points.push({ role: 'right', from: lq.right, weight }, { role: 'center', from: pq.center, weight: 0.2 * weight });
  } else {
    points.push({ role: 'center', from: pq.center, weight: 0.4 * weight });
  }
  const q = toContinuous(line);
  const across: [Point, Point] = [
    { x: (q[0].x + q[1].x) / 2, y: (q[0].y + q[1].y) / 2 },
    { x: (q[3].x + q[2].x) / 2, y: (q[3].y + q[2].y) / 2 },
  ];
  return { key, points, dir: [lq.left, lq.right], across, weight, lineIndex };
}

/** Canonical points of a piece of evidence on a face: the label's (or value's) ink, left, centre, right. */
function canonicalOf(layout: FaceLayout, key: string): { left: Point; center: Point; right: Point } | null {
  if (key === '#IdNum') {
    const r = layout.values.IdNum;
    if (!r) return null;
    // The number is printed evenly spaced over ~95% of its box, from just inside its left edge.
    const x0 = r.box[0] * CANONICAL_WIDTH + 4;
    const w = (r.box[2] - r.box[0]) * CANONICAL_WIDTH - 6;
    const yc = ((r.box[1] + r.box[3]) / 2) * CANONICAL_HEIGHT;
    return { left: { x: x0, y: yc }, center: { x: x0 + w * 0.475, y: yc }, right: { x: x0 + w * 0.95, y: yc } };
  }
  if (key === '#Birth') {
    const r = layout.values.Birth;
    if (!r) return null;
    // `1990 年 3 月 7 日` is printed at fixed stops: the year from just inside the box, 日 ending about
    // two thirds across (measured on the specimens the layout comes from; the generator draws the same).
    const x0 = r.box[0] * CANONICAL_WIDTH + 4;
    const w = (r.box[2] - r.box[0]) * CANONICAL_WIDTH - 6;
    const px = r.glyph * CANONICAL_HEIGHT * 1.08;
    const x1 = x0 + (242 / 360) * w + px;
    const yc = ((r.box[1] + r.box[3]) / 2) * CANONICAL_HEIGHT;
    return { left: { x: x0, y: yc }, center: { x: (x0 + x1) / 2, y: yc }, right: { x: x1, y: yc } };
  }
  const l = layout.labels[key];
  return l ? regionPoints(l.box) : null;
}

/** Printed glyph height of a label or value on this face, canonical pixels. */
function glyphPx(layout: FaceLayout, key: string): number {
  const region = key === '#IdNum' ? layout.values.IdNum : key === '#Birth' ? layout.values.Birth : layout.labels[key];
  return (region?.glyph ?? 0.05) * CANONICAL_HEIGHT;
}

function correspondences(layout: FaceLayout, ev: Evidence[]): Correspondence[] {
  const cs: Correspondence[] = [];
  for (const e of ev) {
    const c = canonicalOf(layout, e.key);
    if (!c) continue;
    for (const p of e.points) cs.push({ from: p.from, to: c[p.role], weight: p.weight });
  }
  return cs;
}

const CARD_CORNERS: Quad = [
  { x: 0, y: 0 },
  { x: CANONICAL_WIDTH, y: 0 },
  { x: CANONICAL_WIDTH, y: CANONICAL_HEIGHT },
  { x: 0, y: CANONICAL_HEIGHT },
];

/** A map image → canonical is plausible when the card it implies is a convex, clockwise, not absurdly skewed quad. */
function plausible(h: Homography | null): h is Homography {
  if (!h || h.some((v) => !Number.isFinite(v))) return false;
  let inv: Homography;
  try {
    inv = invertHomography(h);
  } catch {
    return false;
  }
  const q = mapQuad(inv, CARD_CORNERS);
  if (q.some((p) => !Number.isFinite(p.x) || !Number.isFinite(p.y))) return false;
  if (!isConvexClockwise(q)) return false;
  const side = (a: Point, b: Point) => Math.hypot(a.x - b.x, a.y - b.y);
  const top = side(q[0], q[1]);
  const bottom = side(q[3], q[2]);
  const left = side(q[0], q[3]);
  const right = side(q[1], q[2]);
  // Perspective foreshortening of a card photographed at up to ~60°.
  return Math.max(top, bottom) / Math.min(top, bottom) < 3 && Math.max(left, right) / Math.min(left, right) < 3 && (top + bottom) / (left + right) > 0.6 && (top + bottom) / (left + right) < 4;
}

function rms(h: Homography, cs: Correspondence[]): number {
  let e = 0;
  let w = 0;
  for (const c of cs) {
    const p = applyHomography(h, c.from);
    e += (c.weight ?? 1) * ((p.x - c.to.x) ** 2 + (p.y - c.to.y) ** 2);
    w += c.weight ?? 1;
  }
  return Math.sqrt(e / (w || 1));
}

/**
 * The simplest model that explains the evidence: similarity, affine, homography. A richer model is taken
 * only when it fits clearly better: with evidence mostly in the label column, a homography fits the points
 * as well as a similarity but can swing the far corners of a flat scan by a tenth of the card.
 */
function fitModel(layout: FaceLayout, ev: Evidence[]): Homography | null {
  const cs = correspondences(layout, ev);
  const keys = new Set(ev.map((e) => e.key));
  const pts = ev.flatMap((e) => {
    const c = canonicalOf(layout, e.key);
    return c ? e.points.map((p) => c[p.role]) : [];
  });
  const spanX = Math.max(...pts.map((p) => p.x)) - Math.min(...pts.map((p) => p.x));
  const spanY = Math.max(...pts.map((p) => p.y)) - Math.min(...pts.map((p) => p.y));
  const clearlyBetter = (simple: number, rich: number) => simple > 1.25 * rich + 2;
  let model = fitSimilarity(cs);
  if (!plausible(model)) model = null;
  let err = model ? rms(model, cs) : Infinity;
  // An affine scales across the rows on its own, which evidence confined to the label column cannot settle:
  // there only the labels' inner ends say how wide the card is, guessed from character widths that the
  // letter-spacing makes poor (a small turned temporary card came out a quarter too wide).
  if (keys.size >= 3 && spanX > 0.25 * CANONICAL_WIDTH) {
    const a = fitAffine(cs);
    if (plausible(a)) {
      const ea = rms(a, cs);
      if (!model || clearlyBetter(err, ea)) {
        model = a;
        err = ea;
      }
    }
  }
  if (keys.size >= 4 && spanX > 0.25 * CANONICAL_WIDTH && spanY > 0.3 * CANONICAL_HEIGHT) {
    const h = fitHomography(cs);
    if (plausible(h)) {
      const eh = rms(h, cs);
      if (!model || clearlyBetter(err, eh)) model = h;
    }
  }
  return model;
}

interface CardHypothesis {
  kind: CardKind;
  h: Homography;
  evidence: Evidence[];
  score: number;
}

/** Evidence consistent with `h`: the best instance of each key within `tol` canonical pixels of its place. */
function inliers(layout: FaceLayout, h: Homography, ev: Evidence[], tol: number): Evidence[] {
  const best = new Map<string, { e: Evidence; err: number }>();
  for (const e of ev) {
    const c = canonicalOf(layout, e.key);
    if (!c) continue;
    let err = 0;
    let w = 0;
    for (const p of e.points) {
      const q = applyHomography(h, p.from);
      err += p.weight * Math.hypot(q.x - c[p.role].x, q.y - c[p.role].y);
      w += p.weight;
    }
    err /= w || 1;
    if (!(err <= tol)) continue;
    // The line must also run along the card's rows, left to right (a label on another card or on paper
    // nearby can sit in the right place by chance, but not at the right angle).
    const l = applyHomography(h, e.dir[0]);
    const r = applyHomography(h, e.dir[1]);
    if (Math.abs(Math.atan2(r.y - l.y, r.x - l.x)) > (25 * Math.PI) / 180) continue;
    // And be as tall as the printed glyphs there (a title of a document nearby is not a card's label).
    const t = applyHomography(h, e.across[0]);
    const b = applyHomography(h, e.across[1]);
    const ratio = Math.hypot(b.x - t.x, b.y - t.y) / glyphPx(layout, e.key);
    if (!(ratio > 0.5 && ratio < 3)) continue;
    const prev = best.get(e.key);
    if (!prev || err < prev.err) best.set(e.key, { e, err });
  }
  return [...best.values()].map((v) => v.e);
}

/** The back's titles. */
const BACK_TITLES = ['中华人民共和国', '居民身份证'];

/** Items the temporary card shares with a back, not with a front. */
const TEMPORARY_BACK_KEYS = ['签发机关', '有效期限'];

/** Cards of one kind: repeatedly the hypothesis explaining most evidence, its evidence removed. */
function searchCards(kind: CardKind, ev: Evidence[]): CardHypothesis[] {
  const layout = LAYOUTS[kind];
  let pool = ev.filter((e) => canonicalOf(layout, e.key));
  const found: CardHypothesis[] = [];
  while (pool.length > 0 && found.length < 4) {
    let best: { h: Homography; inl: Evidence[]; w: number } | null = null;
    const seeds: Evidence[][] = pool.map((e) => [e]);
    for (let i = 0; i < pool.length; i++) for (let j = i + 1; j < pool.length; j++) if (pool[i].key !== pool[j].key) seeds.push([pool[i], pool[j]]);
    for (const seed of seeds.slice(0, 400)) {
      const h = fitSimilarity(correspondences(layout, seed));
      if (!plausible(h)) continue;
      const inl = inliers(layout, h, pool, 0.09 * CANONICAL_WIDTH);
      const w = inl.reduce((a, e) => a + e.weight, 0);
      if (!best || w > best.w) best = { h, inl, w };
    }
    if (!best) break;
    // Refit on the inliers with the richest model they support, then take the inliers again, tighter.
    let h = fitModel(layout, best.inl) ?? best.h;
    let inl = inliers(layout, h, pool, 0.06 * CANONICAL_WIDTH);
    if (inl.length >= best.inl.length) h = fitModel(layout, inl) ?? h;
    else inl = best.inl;
    // Enough evidence for a card: two keys (labels, the number, the birth date); or one long label
    // (公民身份号码, 居民身份证…); or a number whose check character holds.
    const keys = new Set(inl.map((e) => e.key));
    const labels = [...keys].filter((k) => !k.startsWith('#'));
    const number = inl.find((e) => e.key === '#IdNum');
    const enough = keys.size >= 2 || labels.some((k) => [...k].length >= 4) || !!number?.checksum;
    if (!enough) break;
    // A temporary card shares the front's labels: it is told by its title, or (the red, letter-spaced title
    // is often not found at all in a small photo) by a back's label in the place only this face prints it,
    // below the number, fitted together with a front item.
    if (kind === 'TEMPORARY' && !keys.has('临时居民身份证') && !(TEMPORARY_BACK_KEYS.some((k) => keys.has(k)) && [...keys].some((k) => !TEMPORARY_BACK_KEYS.includes(k)))) break;
    const w = inl.reduce((a, e) => a + e.weight, 0);
    const total = Object.keys(layout.labels).length + (layout.values.IdNum ? 1 : 0);
    found.push({ kind, h, evidence: inl, score: Math.min(1, w / Math.min(3, total)) * (kind === 'TEMPORARY' ? 1.05 : 1) });
    pool = pool.filter((e) => !inl.includes(e));
  }
  return found;
}

function pointInQuad(p: Point, q: Quad): boolean {
  for (let i = 0; i < 4; i++) {
    const a = q[i];
    const b = q[(i + 1) % 4];
    if ((b.x - a.x) * (p.y - a.y) - (b.y - a.y) * (p.x - a.x) < 0) return false;
  }
  return true;
}

/** Canonical pixels of label misplacement tolerated when the outline replaces the text-first fit. */
const OUTLINE_AGREEMENT = 12;

async function refineByOutline<T extends CardHypothesis & { quad: Quad }>(image: RasterImage, c: T): Promise<T & { method: 'text' | 'both' }> {
  let outlines: Quad[] = [];
  try {
    outlines = await findCardOutlines(image, c.quad);
  } catch {
    outlines = []; // OpenCV unavailable: the text-first quad stands.
  }
  const cs = correspondences(LAYOUTS[c.kind], c.evidence);
  const textErr = rms(c.h, cs);
  let best: { h: Homography; quad: Quad; err: number } | null = null;
  for (const outline of outlines) {
    const toImage = rectToQuad(CANONICAL_WIDTH, CANONICAL_HEIGHT, outline);
    if (!toImage) continue;
    let h: Homography;
    try {
      h = invertHomography(toImage);
    } catch {
      continue;
    }
    if (!plausible(h)) continue;
    const err = rms(h, cs);
    if (!best || err < best.err) best = { h, quad: outline, err };
  }
  if (!best || best.err > Math.max(OUTLINE_AGREEMENT, 1.5 * textErr + 4)) return { ...c, method: 'text' };
  return { ...c, h: best.h, quad: best.quad, method: 'both' };
}

/**
 * Most prominent first: the largest card (area × fit score: a card found on little evidence counts for
 * less); cards within PROMINENCE_TIE of the first are taken in reading order (top row first, left to right
 * in a row), so two cards of one size read the way a person looks at them. Issue 5: with MultiCardDetect off
 * the request reads the most prominent card.
 */
function orderByProminence<T extends { quad: Quad; score: number }>(cards: T[]): void {
  const weight = (c: T) => quadArea(c.quad) * c.score;
  const largest = Math.max(...cards.map(weight));
  const span = (q: Quad) => ({ y0: Math.min(...q.map((p) => p.y)), y1: Math.max(...q.map((p) => p.y)), x: q.reduce((a, p) => a + p.x, 0) / 4, y: q.reduce((a, p) => a + p.y, 0) / 4 });
  cards.sort((a, b) => {
    const tie = (c: T) => weight(c) >= PROMINENCE_TIE * largest;
    if (tie(a) !== tie(b)) return tie(a) ? -1 : 1;
    if (!tie(a)) return weight(b) - weight(a);
    const sa = span(a.quad);
    const sb = span(b.quad);
    const overlap = Math.min(sa.y1, sb.y1) - Math.max(sa.y0, sb.y0);
    const sameRow = overlap > 0.5 * Math.min(sa.y1 - sa.y0, sb.y1 - sb.y0);
    return sameRow ? sa.x - sb.x : sa.y - sb.y;
  });
}

/** Cards at least this share of the largest one's size are "about as large": reading order decides. */
const PROMINENCE_TIE = 0.9;

function quadArea(q: Quad): number {
  return Math.abs((q[0].x - q[2].x) * (q[1].y - q[3].y) - (q[1].x - q[3].x) * (q[0].y - q[2].y)) / 2;
}

// ---------------------------------------------------------------------------------------------------------
// Stage

/** A located card with how much printed evidence placed it. */
export interface FoundCard extends LocatedCard {
  /**
   * Separate detected lines holding a printed label of its face where the layout puts it (at the right
   * angle and glyph height). Three or more is a card's printed frame, whatever its values show.
   */
  labelLines: number;
}

/** What the caller needs once a card is found: only the lines inside it ('card'), or every line ('all'). */
export type Sufficiency = 'card' | 'all';

export interface LocateOptions {
  /** Long side of the whole-image detection input. */
  detectSide?: number;
  /**
   * Asked of each card found while lines are left unread. 'card': that card is what the caller wants, so
   * the lines inside it are read and clutter outside it is not (unless it could hold a more prominent card).
   * 'all' (also the default, without this option): every line is read, as MultiCardDetect needs.
   */
  sufficient?: (card: { kind: CardKind; quad: Quad }) => Sufficiency;
}

/** A box not read yet, and the direction to read it in. */
interface Unread {
  box: OrientedBox;
  dir: number;
}

/** Unread boxes are read this many at a time while no card settles the question. */
const READ_CHUNK = 8;
/**
 * Text at least this share of a found card's value text height could belong to a card at least as large
 * (a more prominent one, or one the size of the found card): it is read even when the found card suffices.
 */
const PROMINENT_TEXT = 0.9;

/**
 * Once a card is settled and every card must still be seen (MultiCardDetect), the unread boxes outside the
 * cards found are grouped into clusters (boxes closer than CLUSTER_GAP of their text height chain together:
 * a card's rows, a printed page's paragraphs) and each cluster is sampled: its longest boxes, this share of
 * them and at least SAMPLE_MIN. A cluster is read whole only when its sample shows a card's value
 * (CARD_VALUE_TEXT): a second card's longest lines are its number or birth date, or its validity and
 * authority, while a page's seldom are.
 */
const SAMPLE_SHARE = 0.25;
/** The direction classifier's probability above which a line is read turned by 180° first (PaddleOCR's cls_thresh). */
const TURNED_SURE = 0.9;
const SAMPLE_MIN = 3;
const CLUSTER_GAP = 1.5;

/** Gap between two boxes, px: the distance between their long axes less their half thicknesses. */
function boxGap(a: OrientedBox, b: OrientedBox): number {
  const seg = (o: OrientedBox) => {
    const c = centreOf(o.box.quad);
    const t = (o.angle * Math.PI) / 180;
    const h = Math.max(0, o.length - o.thickness) / 2;
    return [{ x: c.x - Math.cos(t) * h, y: c.y - Math.sin(t) * h }, { x: c.x + Math.cos(t) * h, y: c.y + Math.sin(t) * h }] as const;
  };
  const [a0, a1] = seg(a);
  const [b0, b1] = seg(b);
  const d = Math.min(pointToSegment(a0, b0, b1), pointToSegment(a1, b0, b1), pointToSegment(b0, a0, a1), pointToSegment(b1, a0, a1));
  return Math.max(0, d - (a.thickness + b.thickness) / 2);
}

function pointToSegment(p: Point, a: Point, b: Point): number {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const len2 = dx * dx + dy * dy;
  const t = len2 > 0 ? Math.max(0, Math.min(1, ((p.x - a.x) * dx + (p.y - a.y) * dy) / len2)) : 0;
  return Math.hypot(p.x - a.x - t * dx, p.y - a.y - t * dy);
}

/** Boxes chained by gaps under CLUSTER_GAP × the larger text height (union-find over all pairs). */
export function clusterBoxes<T extends { box: OrientedBox }>(items: T[]): T[][] {
  const parent = items.map((_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i])));
  for (let i = 0; i < items.length; i++) {
    for (let j = i + 1; j < items.length; j++) {
      const a = items[i].box;
      const b = items[j].box;
      if (boxGap(a, b) <= CLUSTER_GAP * Math.max(a.thickness, b.thickness)) parent[find(i)] = find(j);
    }
  }
  const groups = new Map<number, T[]>();
  items.forEach((it, i) => {
    const r = find(i);
    groups.set(r, [...(groups.get(r) ?? []), it]);
  });
  return [...groups.values()];
}

/**
 * Value-shaped text a card's longest lines carry: part of the number, a printed birth date, a validity date,
 * a police authority. Labels alone do not count: papers lying beside a card print them too (forms, the
 * 居民身份证法), and a card shown by its labels alone is no second card (pipeline.ts showsCardValues).
 */
export const CARD_VALUE_TEXT = /\d{8,}|\d{4}\s*年|\d{4}[.\-]\d{1,2}[.\-]\d{1,2}|公安|派出所/;
/**
 * What a line of a card may show besides its values (CARD_VALUE_TEXT) and its labels and titles
 * (findAnchors: a label anywhere in the line, a title standing alone): the place words of an address (a
 * province, a street, a house number) and digits. A card's longest line (its number, its address, its
 * authority, its validity, or a title of a back) always shows one of them.
 */
const CARD_WORDS = /[省市县区旗盟州镇乡村路街巷弄号室栋楼组]|公安|\d{3}/;

function cardLike(line: TextLine, index = 0): boolean {
  return CARD_VALUE_TEXT.test(line.text) || CARD_WORDS.test(line.text) || findAnchors(line, index).length > 0;
}

/** Lines read with confidence (confidentlyUpright) of which none is cardLike: no card's longest line. */
function showsNothingOfACard(lines: TextLine[]): boolean {
  return confidentlyUpright(lines) && !lines.some((l) => cardLike(l));
}

/** Boxes at least this many times longer than high are sampled: every value line above is (≥ 4 characters). */
const SAMPLE_ELONGATION = 3;

/** A card is settled when its evidence leaves no doubt: three items, or a checked number and one more. */
function decisive(c: FittedCard): boolean {
  const keys = new Set(c.evidence.map((e) => e.key));
  return keys.size >= 3 || (keys.size >= 2 && c.evidence.some((e) => e.key === '#IdNum' && e.checksum));
}

/**
 * Is the box wholly inside the card's portrait or emblem (grown by PICTURE_MARGIN of the card)? Nothing
 * there is text the card's reading needs: a lone star of the emblem, a collar edge (a clean back read ★ and
 * I there, one padded network input). A line that runs into the area from the values keeps its outer end
 * outside and is read.
 */
function inPicture(card: FittedCard, b: OrientedBox): boolean {
  const layout = LAYOUTS[card.kind];
  const areas = [layout.portrait, layout.emblem].filter((a): a is NormBox => a !== undefined);
  const corners = mapQuad(card.h, b.box.quad);
  return areas.some(([x0, y0, x1, y1]) =>
    corners.every((p) => p.x / CANONICAL_WIDTH >= x0 - PICTURE_MARGIN && p.x / CANONICAL_WIDTH <= x1 + PICTURE_MARGIN && p.y / CANONICAL_HEIGHT >= y0 - PICTURE_MARGIN && p.y / CANONICAL_HEIGHT <= y1 + PICTURE_MARGIN),
  );
}
const PICTURE_MARGIN = 0.02;

/** The quad grown about its centre by `f` of its size (a fit a few percent off must not leave a line out). */
function growQuad(q: Quad, f: number): Quad {
  const c = { x: (q[0].x + q[1].x + q[2].x + q[3].x) / 4, y: (q[0].y + q[1].y + q[2].y + q[3].y) / 4 };
  return q.map((p) => ({ x: c.x + (p.x - c.x) * (1 + f), y: c.y + (p.y - c.y) * (1 + f) })) as Quad;
}

/** Parallel boxes: read along `forward` or the opposite way, as the probe decides. */
interface DirectionGroup {
  members: OrientedBox[];
  forward: number;
}

/**
 * Reads a group's longest lines along its upright guess, and turned by 180° where that reads no Chinese
 * with confidence: Chinese read upside down comes out with low confidence (digits like 0 1 8 do not, so
 * they alone do not decide).
 */
async function probeGroup(image: RasterImage, g: DirectionGroup, models: OcrModels, ctx: StageContext, probeLines = PROBE_LINES, headFirst = false, enough?: (head: TextLine[]) => boolean): Promise<{ lines: TextLine[]; dir: number; probe: OrientedBox[]; rest: OrientedBox[] }> {
  const byLength = g.members.slice().sort((a, b) => b.length - a.length);
  // Text runs tell the direction; a near-square box (the emblem's star, one letter-spaced character) reads
  // the same either way and, read first, escapes the card's picture-area check (inPicture).
  const runs = byLength.filter((b) => b.length >= DIRECTION_RATIO * b.thickness);
  const probe = (runs.length >= 2 ? runs : byLength).slice(0, probeLines);
  const rest = byLength.filter((b) => !probe.includes(b));
  if (headFirst) {
    const either = await readEitherWay(image, probe.map((box) => ({ box, dir: g.forward })), models, ctx, enough);
    // Probe lines left unread (`enough` after the head) stay with the group's other boxes.
    const read = either.lines.length;
    return { lines: either.lines, dir: either.turned ? g.forward + 180 : g.forward, probe: probe.slice(0, read), rest: [...probe.slice(read), ...rest] };
  }
  let dir = g.forward;
  let lines = await readOriented(image, probe, dir, models, ctx);
  if (!confidentlyUpright(lines)) {
    const reversed = await readOriented(image, probe, g.forward + 180, models, ctx);
    if (readingScore(reversed) > readingScore(lines)) {
      dir = g.forward + 180;
      lines = reversed;
    }
  }
  return { lines, dir, probe, rest };
}

/** The direction classifier (models.turned) is sure that `box`, read along `dir`, is upside down. */
async function surelyTurned(image: RasterImage, box: OrientedBox, dir: number, models: OcrModels, ctx: StageContext): Promise<boolean> {
  if (!models.turned) return false;
  const [p] = await models.turned(image, [orientQuad(box.box.quad, dir)], ctx);
  return p >= TURNED_SURE;
}

const bySize = (a: Unread, b: Unread) => b.box.length * b.box.thickness - a.box.length * a.box.thickness;

/**
 * Reads the groups' boxes and fits cards on them. Without `sufficient` every box is read. With it, boxes
 * are read largest first (a group is probed when it holds the largest box left), a few at a time, until a
 * decisive card the caller wants is found; then the boxes inside it are read (in its reading direction
 * where their group was not probed), and of the rest only those whose text is tall enough to belong to a
 * card at least as prominent (read, and the fit redone). A cluttered photo (papers beside the card) then costs the card's
 * lines, not the clutter's: measured on a 12 MP photo beside two printed pages, 60 lines → 20.
 * @returns the cards fitted on every line read; `lines` receives the lines
 */
async function readLines(image: RasterImage, lines: TextLine[], groups: DirectionGroup[], models: OcrModels, ctx: StageContext, sufficient?: LocateOptions['sufficient']): Promise<FittedCard[]> {
  if (!sufficient) {
    for (const g of groups) {
      const p = await probeGroup(image, g, models, ctx);
      lines.push(...p.lines, ...(p.rest.length > 0 ? await readOriented(image, p.rest, p.dir, models, ctx) : []));
    }
    return fitCards(lines);
  }
  /** Every box read, and whether it read as nothing along its direction (a page upside down, say). */
  const done: Array<{ box: OrientedBox; blank: boolean; text: string; line: TextLine }> = [];
  const noteBlank = (boxes: OrientedBox[], read: TextLine[]) => read.forEach((l, i) => done.push({ box: boxes[i], blank: l.text.trim() === '', text: l.text, line: l }));
  /**
   * Unread boxes whose nearest read neighbour (within clusterBoxes' reach: the same document) read as
   * nothing along the same direction: a page lying the other way up in this direction group, whose further
   * lines would read as nothing too (a 12 MP bench photo read 8 such lines beside the card).
   */
  const futile = (items: Unread[]): Set<Unread> => {
    const out = new Set<Unread>();
    if (!done.some((d) => d.blank)) return out;
    for (const u of items) {
      let nearest: (typeof done)[number] | undefined;
      let best = Infinity;
      for (const d of done) {
        const gap = boxGap(u.box, d.box);
        if (gap < best) {
          best = gap;
          nearest = d;
        }
      }
      if (nearest?.blank && best <= CLUSTER_GAP * Math.max(u.box.thickness, nearest.box.thickness)) out.add(u);
    }
    return out;
  };
  const read = async (items: Unread[], oneCard = false) => {
    if (items.length === 0) return;
    const got = await readBoxes(image, items, models, ctx, oneCard);
    noteBlank(items.map((u) => u.box), got);
    lines.push(...got);
  };
  const unprobed = groups.slice();
  let pending: Unread[] = [];
  const probeNext = async (index = 0) => {
    const [g] = unprobed.splice(index, 1);
    // With a card settled, another group is only sampled (sampleClusters): its direction from fewer lines,
    // asked of its longest line first (readEitherWay).
    const settled = cards?.some(decisive) ?? false;
    const p = await probeGroup(image, g, models, ctx, settled ? SAMPLE_MIN : PROBE_LINES, settled, settled ? showsNothingOfACard : undefined);
    noteBlank(p.probe, p.lines);
    lines.push(...p.lines);
    pending = [...pending, ...p.rest.map((box) => ({ box, dir: p.dir }))].sort(bySize);
  };
  // Whatever holds the largest unread box goes next: a group not probed yet, or the probed groups' boxes.
  const size = (b: OrientedBox) => b.length * b.thickness;
  const largestUnprobed = () => {
    let best = -1;
    unprobed.forEach((g, i) => {
      if (g.members.length > 0 && (best < 0 || Math.max(...g.members.map(size)) > Math.max(...unprobed[best].members.map(size)))) best = i;
    });
    return best;
  };
  /**
   * Every card must be seen and one is settled: the boxes inside the cards found are read, and of the rest
   * each cluster's sample (SAMPLE_SHARE), then the clusters whose sample shows card text. A 12 MP photo of a
   * card on printed pages then costs a few lines per page instead of all of them.
   */
  const sampleClusters = async (items: Unread[]) => {
    // The cards' own quads, not grown as for the cards' reading: every line of a card has its centre well
    // inside it (≥ 0.1 of its size from the edges), while text of a page under the card's edge only lies
    // in a grown margin; read as the card's, it cost a bench photo 5 lines, sampled with its page none.
    const areas = (cards ?? []).map((c) => c.quad);
    const inCard = (b: OrientedBox) => areas.some((a) => pointInQuad(centreOfQuad(b.box.quad), a));
    const pictured = (u: Unread) => (cards ?? []).some((c, i) => pointInQuad(centreOfQuad(u.box.box.quad), areas[i]) && inPicture(c, u.box));
    // Clusters take in the lines already read outside the cards (a group's probe): a cluster whose read lines
    // show a card value is read whole, and lines that read as text count towards its sample (a page turned
    // against the card had its three longest lines read by its group's probe, then three more sampled).
    const readOutside = done.filter((d) => !inCard(d.box));
    const clustered = clusterBoxes([...items.filter((u) => !inCard(u.box)).map((u) => ({ box: u.box, unread: u })), ...readOutside.map((d) => ({ box: d.box, read: d }))]);
    const clusters = clustered.map((c) => c.flatMap((m) => ('unread' in m ? [m.unread] : []))).filter((c) => c.length > 0);
    const alreadyRead = clustered.filter((c) => c.some((m) => 'unread' in m)).map((c) => c.flatMap((m) => ('read' in m ? [m.read] : [])));
    const samples = clusters.map((c, i) => {
      const seen = alreadyRead[i].filter((d) => !d.blank);
      if (seen.some((d) => CARD_VALUE_TEXT.test(d.text))) return c;
      // The cluster's longest line, already read (its group's probe) and showing nothing of a card, rules it out.
      const longestUnread = Math.max(0, ...c.map((u) => u.box.length));
      const longestRead = seen.reduce<(typeof seen)[number] | undefined>((a, d) => (!a || d.box.length > a.box.length ? d : a), undefined);
      if (longestRead && longestRead.box.length >= longestUnread && showsNothingOfACard([longestRead.line])) return [];
      const size = Math.max(SAMPLE_MIN, Math.ceil(SAMPLE_SHARE * (c.length + alreadyRead[i].length))) - seen.length;
      return c
        .filter((u) => u.box.length >= SAMPLE_ELONGATION * u.box.thickness)
        .sort((a, b) => b.box.length - a.box.length)
        .slice(0, Math.max(0, size));
    });
    for (const area of areas) await read(items.filter((u) => pointInQuad(centreOfQuad(u.box.box.quad), area) && !pictured(u)), true);
    // Each cluster's sample is read along its group's direction or turned by 180°, whichever reads better
    // (readEitherWay, asking its longest line first): a second card lying upside down beside the first
    // shares its direction group, and read the first card's way its lines read as nothing (a front beside a
    // front turned by 180° went unseen by MultiCardDetect).
    const rest: Unread[] = [];
    for (const [i, sample] of samples.entries()) {
      if (sample.length === 0) continue;
      // A sample whose neighbours already read as nothing this way (futile) is read turned first.
      const skip = futile(sample);
      const first = skip.size === sample.length ? sample.map((u) => ({ box: u.box, dir: u.dir + 180 })) : sample;
      const showsValue = (ls: TextLine[]) => ls.some((l) => CARD_VALUE_TEXT.test(l.text));
      // (Not kept for a card value alone: 出生1968年8月20日 upside down reads 日08896年年.)
      // A page's longest line read with confidence and showing nothing a card prints (cardLike) rules the
      // page out: a card's longest line is its number, address, authority or validity, each cardLike.
      const { lines: got, turned } = await readEitherWay(image, first, models, ctx, showsNothingOfACard);
      const chosen = turned ? first.map((u) => ({ box: u.box, dir: u.dir + 180 })) : first;
      lines.push(...got);
      if (!showsValue(got)) continue;
      const turn = chosen[0].dir - sample[0].dir;
      rest.push(...clusters[i].filter((u) => !sample.includes(u)).map((u) => ({ box: u.box, dir: u.dir + turn })));
    }
    if (rest.length > 0) await read(rest);
  };
  let cards: FittedCard[] | undefined;
  await probeNext(Math.max(0, largestUnprobed()));
  cards = fitCards(lines);
  while (true) {
    const wanted = cards.find((c) => decisive(c) && sufficient(c) === 'card');
    if (wanted) {
      const area = growQuad(wanted.quad, 0.06);
      const within = (b: OrientedBox) => pointInQuad(centreOfQuad(b.box.quad), area);
      // The card's rows run along its top edge.
      const cardDir = (Math.atan2(wanted.quad[1].y - wanted.quad[0].y, wanted.quad[1].x - wanted.quad[0].x) * 180) / Math.PI;
      const inside: Unread[] = pending.filter((u) => within(u.box));
      for (const g of unprobed) {
        inside.push(...g.members.filter(within).map((box) => ({ box, dir: cardDir })));
        g.members = g.members.filter((b) => !within(b));
      }
      const pictured = inside.filter((u) => inPicture(wanted, u.box));
      // The card's value text height: the upper quartile of the thickness of the lines read inside it (the
      // name, the address and the number are printed larger than the labels).
      const heights = lines
        .filter((l) => pointInQuad(centreOfQuad(l.box), area))
        .map((l) => Math.min(edgeLength(l.box[0], l.box[3]), edgeLength(l.box[1], l.box[2])))
        .sort((a, b) => a - b);
      const tallEnough = (b: OrientedBox) => b.thickness >= PROMINENT_TEXT * (heights[Math.floor(heights.length * 0.75)] ?? 0);
      // Tall boxes beside ones that read as nothing (futile) are left: they would read as nothing too.
      const outside = pending.filter((u) => !within(u.box));
      const skip = futile(outside);
      const tall = outside.filter((u) => tallEnough(u.box) && !skip.has(u)).slice(0, READ_CHUNK);
      pending = pending.filter((u) => !inside.includes(u) && !tall.includes(u) && !skip.has(u));
      // The card's lines and the rest are read apart: no line of the card shares an input with clutter
      // (readOriented), even where a page touches the card.
      if (inside.length > 0 || tall.length > 0) {
        await read(inside.filter((u) => !pictured.includes(u)), true);
        await read(tall);
      }
      else {
        const tallGroup = unprobed.findIndex((g) => g.members.some(tallEnough));
        if (tallGroup < 0) return cards;
        await probeNext(tallGroup);
      }
    } else {
      const g = largestUnprobed();
      if (g >= 0 && (pending.length === 0 || Math.max(...unprobed[g].members.map(size)) > size(pending[0].box))) await probeNext(g);
      else if (pending.length > 0 && cards.some(decisive)) await sampleClusters(pending.splice(0));
      else if (pending.length > 0) {
        // Futile boxes (beside ones that read as nothing) only when nothing else is left: the card is found
        // sooner without them, and MultiCardDetect's sampling reads them both ways up once a card is found.
        const skip = futile(pending);
        const useful = pending.filter((u) => !skip.has(u));
        const chunk = (useful.length > 0 ? useful : pending).slice(0, READ_CHUNK);
        pending = pending.filter((u) => !chunk.includes(u));
        await read(chunk);
      }
      else return cards;
    }
    cards = fitCards(lines);
  }
}

function centreOfQuad(q: Quad): Point {
  return { x: (q[0].x + q[1].x + q[2].x + q[3].x) / 4, y: (q[0].y + q[1].y + q[2].y + q[3].y) / 4 };
}

function edgeLength(a: Point, b: Point): number {
  return Math.hypot(a.x - b.x, a.y - b.y);
}

/**
 * Reads the given boxes along `dir` (degrees), returning lines in image coordinates, in the boxes' order.
 *
 * One recognition call per cluster of boxes (clusterBoxes: one document each): the recogniser packs short
 * lines side by side into one input (recognize.ts), and its global mixing lets one line disturb another.
 * Upright lines beside each other read as they do alone, but an upside-down line of a page lying beside
 * the card wiped out the card's name packed next to it (bench photo: 姓名吕福海 read as nothing, alone
 * it reads right at 0.99), and the card was detected and read again.
 */
async function readOriented(image: RasterImage, boxes: OrientedBox[], dir: number, models: OcrModels, ctx: StageContext): Promise<TextLine[]> {
  return readBoxes(image, boxes.map((box) => ({ box, dir })), models, ctx);
}

/**
 * Reads each box along its own direction (degrees): readOriented for boxes of several direction groups.
 * `oneCard`: the boxes all lie on one card found, read in its direction, so they may share inputs freely
 * (clusterBoxes splits a card's row where its values sit far apart: 性别男 and 民族汉 would each be padded
 * to a full input).
 */
async function readBoxes(image: RasterImage, items: Unread[], models: OcrModels, ctx: StageContext, oneCard = false): Promise<TextLine[]> {
  const quads = items.map((u) => orientQuad(u.box.box.quad, u.dir));
  const lines: TextLine[] = new Array(items.length);
  const indexed = items.map((u, i) => ({ box: u.box, i }));
  for (const cluster of oneCard ? [indexed] : clusterBoxes(indexed)) {
    const readings = await models.recognize(image, cluster.map((c) => quads[c.i]), ctx);
    readings.forEach((r, k) => {
      const i = cluster[k].i;
      lines[i] = { text: r.text, confidence: r.confidence, chars: r.chars, box: quads[i] };
    });
  }
  return lines;
}

/**
 * Reads boxes along their directions or all turned by 180°, whichever reads better. The way up is asked of
 * the longest box (the first) alone first: where it reads Chinese with confidence one way or the other, the
 * rest is read that way only (a page lying upside down beside the card had each sample read twice). The
 * way the direction classifier (models.turned) is sure of is tried first, so a page lying the other way up
 * costs one reading of its longest line, not two; and where `enough` says the head read that way settles
 * the question, the rest is not read. Where the head reads confidently neither way (digits, a
 * smudge), every box is read both ways unless the upright reading is confident, and the reading with the
 * better readingScore kept.
 */
async function readEitherWay(image: RasterImage, items: Unread[], models: OcrModels, ctx: StageContext, enough?: (head: TextLine[]) => boolean): Promise<{ lines: TextLine[]; turned: boolean }> {
  const way = (turn: boolean, us: Unread[]) => (turn ? us.map((u) => ({ box: u.box, dir: u.dir + 180 })) : us);
  const read = (us: Unread[]) => readBoxes(image, us, models, ctx);
  const head = items.slice(0, 1);
  const rest = items.slice(1);
  const headFirstTurned = head.length > 0 && (await surelyTurned(image, head[0].box, head[0].dir, models, ctx));
  const heads = new Map<boolean, TextLine[]>();
  for (const turn of [headFirstTurned, !headFirstTurned]) {
    const got = await read(way(turn, head));
    heads.set(turn, got);
    if (confidentlyUpright(got)) return { lines: enough?.(got) ? got : [...got, ...(await read(way(turn, rest)))], turned: turn };
  }
  const upright = [...heads.get(false)!, ...(await read(rest))];
  if (confidentlyUpright(upright)) return { lines: upright, turned: false };
  const turned = [...heads.get(true)!, ...(await read(way(true, rest)))];
  return readingScore(turned) > readingScore(upright) ? { lines: turned, turned: true } : { lines: upright, turned: false };
}

/** Some line of three or more Chinese characters read with confidence: the direction is right. */
function confidentlyUpright(lines: TextLine[]): boolean {
  return lines.some((l) => (l.text.match(/[\u4e00-\u9fff]/g)?.length ?? 0) >= 3 && l.confidence >= 0.85) || lines.reduce((n, l, i) => n + findAnchors(l, i).length, 0) >= 2;
}

function readingScore(lines: TextLine[]): number {
  let anchors = 0;
  let conf = 0;
  lines.forEach((l, i) => {
    anchors += findAnchors(l, i).length;
    conf += l.confidence * Math.min(1, [...l.text].length / 4);
    if (idNumberPiece(l)) anchors += 1;
  });
  return anchors * 2 + conf;
}

/** A card found from the lines read so far, with the map and evidence that found it. */
type FittedCard = CardHypothesis & { quad: Quad };

/** The cards the lines give evidence of, one per place, most prominent first. */
function fitCards(lines: TextLine[]): FittedCard[] {
  // Evidence for the fits: printed labels (also where their wide letter-spacing split them into boxes of
  // one character each), and the 18-digit number line.
  const evidence: Evidence[] = [];
  const seen = new Set<string>();
  for (const { line, index } of [...lines.map((line, index) => ({ line, index })), ...joinSplitLabels(lines)]) {
    for (const a of findAnchors(line, index)) {
      const key = `${a.label}@${Math.round(a.quad[0].x)},${Math.round(a.quad[0].y)}`;
      if (seen.has(key)) continue;
      seen.add(key);
      evidence.push(makeEvidence(a.label, line.box, a.quad, a.start, a.end, a.n, a.weight, index));
    }
  }
  lines.forEach((l, i) => {
    const compact = { ...l, text: l.text.replace(/\s+/g, ''), chars: [] };
    const n = [...compact.text].length;
    const bp = birthPiece(l);
    if (bp) evidence.push(makeEvidence('#Birth', l.box, sliceLine(compact, bp.start, bp.end).box, bp.start, bp.end, n, 0.6, i));
    const idp = idNumberPiece(l);
    if (idp) evidence.push({ ...makeEvidence('#IdNum', l.box, sliceLine(compact, idp.start, idp.end).box, idp.start, idp.end, n, idp.checksum ? 1 : 0.6, i), checksum: idp.checksum });
  });

  const found = KINDS.flatMap((k) => searchCards(k, evidence));
  // A temporary card told only by a back's label in its place is no such card when that label belongs to a
  // back found by its titles (a front with a back laid below it: fresh seed 9001 answered the pair as one
  // temporary card, hiding the second card from MultiCardDetect).
  const titledBackLines = new Set(found.filter((c) => c.kind === 'BACK' && c.evidence.some((e) => BACK_TITLES.includes(e.key))).flatMap((c) => c.evidence.map((e) => e.lineIndex)));
  const hyps = found
    .filter((c) => !(c.kind === 'TEMPORARY' && !c.evidence.some((e) => e.key === '临时居民身份证') && c.evidence.some((e) => TEMPORARY_BACK_KEYS.includes(e.key) && titledBackLines.has(e.lineIndex))))
    .sort((a, b) => b.score - a.score || b.evidence.length - a.evidence.length);
  const accepted: FittedCard[] = [];
  for (const hyp of hyps) {
    const quad = mapQuad(invertHomography(hyp.h), CARD_CORNERS);
    const center = applyHomography(invertHomography(hyp.h), { x: CANONICAL_WIDTH / 2, y: CANONICAL_HEIGHT / 2 });
    // One card per place: a front and a temporary card (which shares the front's labels) cannot overlap.
    if (accepted.some((c) => pointInQuad(center, c.quad) || pointInQuad(applyHomography(invertHomography(c.h), { x: CANONICAL_WIDTH / 2, y: CANONICAL_HEIGHT / 2 }), quad))) continue;
    accepted.push({ ...hyp, quad });
  }
  orderByProminence(accepted);
  return accepted;
}

/** Pixel-centre coordinates (detector, recogniser) → continuous coordinates (homographies, warps). */
const toContinuous = (q: Quad): Quad => q.map((p) => ({ x: p.x + 0.5, y: p.y + 0.5 })) as Quad;

/**
 * Finds the cards in a decoded image.
 * @returns every card found, most prominent first; empty when none.
 * @example
 *   const cards = await locateCards(decoded, models, ctx);
 */
export async function locateCards(decoded: DecodedImage, models: OcrModels, ctx: StageContext, opts: LocateOptions = {}): Promise<FoundCard[]> {
  const started = performance.now();
  const image = decoded.image;
  const detectStarted = ctx.timings.detect ?? 0;
  const recognizeStarted = ctx.timings.recognize ?? 0;
  try {
    const boxes = (await models.detect(image, ctx, { maxSide: opts.detectSide ?? LOCATE_DETECT_SIDE })).map(describeBox).filter((b) => b.thickness >= 4 && b.length >= 6);
    if (boxes.length === 0) return [];
    // Each direction's boxes, largest first (the labels and values of a card beat scattered clutter),
    // within the reading budget.
    const groups: DirectionGroup[] = [];
    let taken = 0;
    for (const group of groupByDirection(boxes)) {
      const budget = Math.min(MAX_LINES_PER_GROUP, MAX_LINES - taken);
      if (budget <= 0) break;
      const members = group.members.sort((a, b) => b.length * b.thickness - a.length * a.thickness).slice(0, budget);
      taken += members.length;
      groups.push({ members, forward: group.angle > 135 ? group.angle - 180 : group.angle }); // (-45°, 135°]: the upright guess
    }
    const lines: TextLine[] = [];
    const accepted = await readLines(image, lines, groups, models, ctx, opts.sufficient);

    // Edge-first refinement: where the card's outline is clearly visible near the text-first quad, its
    // corners are tighter; kept only if the printed labels still land where the layout puts them.
    const refined = [];
    for (const c of accepted) refined.push(await refineByOutline(image, c));

    return refined.map((c) => {
      const toImage = invertHomography(c.h);
      const cardLines: TextLine[] = [];
      for (const l of lines) {
        const box = mapQuad(c.h, toContinuous(l.box));
        const cx = (box[0].x + box[2].x) / 2;
        const cy = (box[0].y + box[2].y) / 2;
        if (cx < -10 || cy < -10 || cx > CANONICAL_WIDTH + 10 || cy > CANONICAL_HEIGHT + 10) continue;
        cardLines.push({ ...l, box });
      }
      // The rectified card is warped on first use only: when the lines read here are reused and no
      // warning flag is on, nothing looks at it (the warp was ≈ 10% of a clean card's time).
      let card: RasterImage | undefined;
      return {
        kind: c.kind,
        quad: c.quad,
        homography: c.h,
        get card(): RasterImage {
          card ??= warpPerspective(image, toImage, CANONICAL_WIDTH, CANONICAL_HEIGHT);
          return card;
        },
        provideCard(make: () => RasterImage): void {
          card ??= make();
        },
        hasCard: () => card !== undefined,
        score: Math.min(1, c.score),
        method: c.method,
        lines: cardLines,
        labelLines: new Set(c.evidence.filter((e) => !e.key.startsWith('#')).map((e) => e.lineIndex)).size,
      };
    });
  } finally {
    // locate's own time excludes the detection and recognition it asked for (those stages keep their own).
    const inner = (ctx.timings.detect ?? 0) - detectStarted + ((ctx.timings.recognize ?? 0) - recognizeStarted);
    ctx.timings.locate = (ctx.timings.locate ?? 0) + (performance.now() - started - inner);
  }
}

/**
 * Draws a card face at the canonical geometry of src/domain/cardLayout.ts (856 × 540 at scale 1), so every
 * label and value sits exactly where recognition will look for it. Fonts come from npm packages: Noto Sans SC
 * (a Hei face, as the card's labels and values are) and DejaVu Sans Mono for the number (the card prints it
 * in a wide monospaced OCR-B-like face).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { createCanvas, GlobalFonts, Image, type Canvas, type SKRSContext2D } from '@napi-rs/canvas';
import { CANONICAL_HEIGHT, CANONICAL_WIDTH, LAYOUTS, type FaceLayout, type NormBox } from '../domain/cardLayout.ts';
import type { CardKind, IdField, RasterImage } from '../engine/types.ts';
import type { Identity } from './identity.ts';
import { drawPortrait } from './portrait.ts';
import { Rng } from './random.ts';

const require = createRequire(import.meta.url);

/** A package's folder (the font packages export no entry point, so require.resolve cannot name a file in them). */
function packageDir(name: string): string {
  for (const base of require.resolve.paths(name) ?? []) {
    const dir = path.join(base, name);
    if (existsSync(dir)) return dir;
  }
  throw new Error(`Expected the npm package ${name} to be installed but it was not found`);
}

let fontsReady = false;
/** Registers the faces once per process under stable family names. */
export function registerFonts(): void {
  if (fontsReady) return;
  const sc = path.join(packageDir('@embedpdf/fonts-sc'), 'fonts');
  const dejavu = path.join(packageDir('dejavu-fonts-ttf'), 'ttf');
  const faces: Array<[string, string]> = [
    [path.join(sc, 'NotoSansHans-Regular.otf'), 'SynthHei'],
    [path.join(sc, 'NotoSansHans-Medium.otf'), 'SynthHeiMedium'],
    [path.join(sc, 'NotoSansHans-Bold.otf'), 'SynthHeiBold'],
    [path.join(sc, 'NotoSansHans-Light.otf'), 'SynthHeiLight'],
    [path.join(dejavu, 'DejaVuSansMono.ttf'), 'SynthMono'],
    [path.join(dejavu, 'DejaVuSansMono-Bold.ttf'), 'SynthMonoBold'],
  ];
  for (const [file, family] of faces) {
    if (!GlobalFonts.registerFromPath(file, family)) throw new Error(`Expected to register font ${path.basename(file)} but registration failed`);
  }
  fontsReady = true;
}

/** A box in canonical card pixels (scale 1), where a field's ink actually is. */
export interface InkBox {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** A field re-typed over a pasted patch (case `doctored`, warning 9106). */
export interface DoctorSpec {
  field: IdField;
  /** The text printed on the patch (may differ from the identity's value). */
  text: string;
  /** Font size factor (e.g. 0.92 or 1.08), colour and offset of the forger's text. */
  sizeFactor: number;
  color: string;
  dx: number;
  dy: number;
  /** JPEG quality the patch went through before pasting (its different compression history). */
  patchQuality: number;
  /** Noise amplitude added to the patch. */
  noise: number;
}

export interface RenderOptions {
  /** Pixels per canonical pixel: 1 → 856 × 540, 2 → 1712 × 1080. */
  scale?: number;
  /** Seed for this card's small variations (portrait, ink tint, print offset). */
  seed?: number;
  doctor?: DoctorSpec;
}

export interface RenderedCard {
  kind: CardKind;
  /** RGBA, straight alpha: transparent outside the rounded corners. */
  image: RasterImage;
  scale: number;
  /** Where each field's ink is, in canonical pixels; the address has one box per line. */
  ink: Partial<Record<IdField, InkBox[]>>;
}

const LABEL_BLUE = '#3f7fae';
/** ISO/IEC 7810 ID-1 corner radius 3.18 mm at 10 px/mm. */
const CORNER_RADIUS = 31.8;

function roundRect(ctx: SKRSContext2D, x: number, y: number, w: number, h: number, r: number) {
  ctx.beginPath();
  ctx.moveTo(x + r, y);
  ctx.arcTo(x + w, y, x + w, y + h, r);
  ctx.arcTo(x + w, y + h, x, y + h, r);
  ctx.arcTo(x, y + h, x, y, r);
  ctx.arcTo(x, y, x + w, y, r);
  ctx.closePath();
}

const backgroundCache = new Map<string, Canvas>();

/** The printed security background, identical on every card of a kind (so drawn once and cached). */
function cardBackground(kind: CardKind, scale: number): Canvas {
  const key = `${kind}@${scale}`;
  const hit = backgroundCache.get(key);
  if (hit) return hit;
  const W = CANONICAL_WIDTH * scale;
  const H = CANONICAL_HEIGHT * scale;
  const c = createCanvas(W, H);
  const ctx = c.getContext('2d');
  ctx.scale(scale, scale);
  const rng = new Rng(kind === 'FRONT' ? 11 : kind === 'BACK' ? 12 : 13);
  roundRect(ctx, 0, 0, CANONICAL_WIDTH, CANONICAL_HEIGHT, CORNER_RADIUS);
  ctx.clip();
  const base = ctx.createLinearGradient(0, 0, CANONICAL_WIDTH, CANONICAL_HEIGHT);
  if (kind === 'TEMPORARY') {
    base.addColorStop(0, '#f4f1e4');
    base.addColorStop(1, '#eef0e6');
  } else {
    base.addColorStop(0, '#e9f0f5');
    base.addColorStop(0.5, '#f3f1f3');
    base.addColorStop(1, '#e6eef4');
  }
  ctx.fillStyle = base;
  ctx.fillRect(0, 0, CANONICAL_WIDTH, CANONICAL_HEIGHT);
  // Pale pink glow in the middle, as on the real front and back.
  const glow = ctx.createRadialGradient(430, 290, 20, 430, 290, 420);
  glow.addColorStop(0, kind === 'TEMPORARY' ? 'rgba(230,215,170,0.35)' : 'rgba(236,205,222,0.55)');
  glow.addColorStop(1, 'rgba(236,205,222,0)');
  ctx.fillStyle = glow;
  ctx.fillRect(0, 0, CANONICAL_WIDTH, CANONICAL_HEIGHT);
  // Guilloche: families of interfering sine waves make the fine moiré-free mesh of the security print.
  const families = [
    { color: 'rgba(120,160,200,0.28)', count: 46, amp: 14, wave: 190, drift: 0.9 },
    { color: 'rgba(120,160,200,0.22)', count: 46, amp: 12, wave: 150, drift: -1.1 },
    { color: 'rgba(210,150,180,0.22)', count: 30, amp: 20, wave: 240, drift: 0.5 },
  ];
  ctx.lineWidth = 0.7;
  for (const f of families) {
    ctx.strokeStyle = kind === 'TEMPORARY' ? f.color.replace('120,160,200', '170,170,120') : f.color;
    for (let k = 0; k < f.count; k++) {
      const y0 = (k / f.count) * (CANONICAL_HEIGHT + 60) - 30;
      const phase = k * f.drift;
      ctx.beginPath();
      for (let x = -10; x <= CANONICAL_WIDTH + 10; x += 6) {
        const y = y0 + f.amp * Math.sin((2 * Math.PI * x) / f.wave + phase) + 0.5 * f.amp * Math.sin((2 * Math.PI * x) / (f.wave * 0.37) + phase * 2.3);
        if (x === -10) ctx.moveTo(x, y);
        else ctx.lineTo(x, y);
      }
      ctx.stroke();
    }
  }
  // Rosettes: epicycloid-like loops.
  const rosettes = kind === 'BACK' ? [[430, 300, 150]] : [[300, 330, 120], [640, 250, 110]];
  ctx.strokeStyle = kind === 'TEMPORARY' ? 'rgba(190,170,120,0.25)' : 'rgba(200,140,175,0.22)';
  ctx.lineWidth = 0.6;
  for (const [cx, cy, r] of rosettes) {
    for (let ring = 0; ring < 6; ring++) {
      ctx.beginPath();
      const rr = r * (0.45 + ring * 0.11);
      for (let t = 0; t <= 360; t += 2) {
        const a = (t * Math.PI) / 180;
        const rad = rr + 9 * Math.sin(a * 18 + ring);
        const x = cx + rad * Math.cos(a);
        const y = cy + rad * Math.sin(a) * 0.8;
        if (t === 0) ctx.moveTo(x, y);
        else ctx.lineTo(x, y);
      }
      ctx.stroke();
    }
  }
  if (kind === 'BACK') {
    drawGreatWall(ctx);
    drawEmblem(ctx, LAYOUTS.BACK.emblem!);
  }
  // Speckle of printing.
  for (let i = 0; i < 1500; i++) {
    ctx.fillStyle = `rgba(${rng.int(120, 200)},${rng.int(140, 200)},${rng.int(170, 220)},0.25)`;
    ctx.fillRect(rng.float(0, CANONICAL_WIDTH), rng.float(0, CANONICAL_HEIGHT), 1, 1);
  }
  backgroundCache.set(key, c);
  return c;
}

/** A faint wall-on-ridges drawing across the back's middle (the real back shows the Great Wall). */
function drawGreatWall(ctx: SKRSContext2D) {
  ctx.save();
  ctx.strokeStyle = 'rgba(150,160,170,0.35)';
  ctx.fillStyle = 'rgba(190,195,205,0.18)';
  ctx.lineWidth = 1.2;
  ctx.beginPath();
  ctx.moveTo(120, 420);
  for (let x = 120; x <= 820; x += 10) ctx.lineTo(x, 400 - 60 * Math.sin((x - 120) / 140) - 25 * Math.sin(x / 37));
  ctx.lineTo(820, 470);
  ctx.lineTo(120, 470);
  ctx.closePath();
  ctx.fill();
  ctx.stroke();
  // Watchtowers along the ridge.
  for (const x of [260, 420, 600, 740]) {
    const y = 400 - 60 * Math.sin((x - 120) / 140) - 25 * Math.sin(x / 37);
    ctx.strokeRect(x - 12, y - 30, 24, 30);
    ctx.strokeRect(x - 15, y - 36, 30, 6);
  }
  ctx.restore();
}

/** A red emblem-like roundel: rim, gate and five stars (not the national emblem itself). */
function drawEmblem(ctx: SKRSContext2D, box: NormBox) {
  const x0 = box[0] * CANONICAL_WIDTH;
  const y0 = box[1] * CANONICAL_HEIGHT;
  const w = (box[2] - box[0]) * CANONICAL_WIDTH;
  const h = (box[3] - box[1]) * CANONICAL_HEIGHT;
  const cx = x0 + w / 2;
  const cy = y0 + h / 2;
  const r = Math.min(w, h) / 2;
  ctx.save();
  // Gear-like rim of wheat ears.
  ctx.fillStyle = '#d81e1e';
  ctx.beginPath();
  for (let t = 0; t < 64; t++) {
    const a = (t / 64) * 2 * Math.PI;
    const rr = t % 2 === 0 ? r : r * 0.93;
    ctx.lineTo(cx + rr * Math.cos(a), cy + rr * Math.sin(a));
  }
  ctx.closePath();
  ctx.fill();
  ctx.fillStyle = '#f2c230';
  ctx.beginPath();
  ctx.arc(cx, cy, r * 0.8, 0, 2 * Math.PI);
  ctx.fill();
  ctx.fillStyle = '#e0261f';
  ctx.beginPath();
  ctx.arc(cx, cy, r * 0.72, 0, 2 * Math.PI);
  ctx.fill();
  const star = (sx: number, sy: number, sr: number, rot: number) => {
    ctx.beginPath();
    for (let i = 0; i < 10; i++) {
      const a = rot + (i * Math.PI) / 5 - Math.PI / 2;
      const rr = i % 2 === 0 ? sr : sr * 0.4;
      ctx.lineTo(sx + rr * Math.cos(a), sy + rr * Math.sin(a));
    }
    ctx.closePath();
    ctx.fill();
  };
  ctx.fillStyle = '#f7d34a';
  star(cx, cy - r * 0.32, r * 0.2, 0);
  for (let i = 0; i < 4; i++) {
    const a = -Math.PI / 2 + (i - 1.5) * 0.5;
    star(cx + r * 0.42 * Math.cos(a) * 1.2, cy - r * 0.32 + r * 0.42 * (Math.sin(a) + 1) * 0.6, r * 0.07, a);
  }
  // Gate: steps and roof.
  ctx.fillRect(cx - r * 0.38, cy + r * 0.2, r * 0.76, r * 0.08);
  ctx.fillRect(cx - r * 0.3, cy + r * 0.05, r * 0.6, r * 0.12);
  ctx.fillRect(cx - r * 0.45, cy + r * 0.32, r * 0.9, r * 0.1);
  ctx.restore();
}

function fontFor(family: string, px: number) {
  return `${px.toFixed(2)}px ${family}`;
}

/** Draws a label's characters spread evenly over its box, as the card does (姓  名). */
function drawLabel(ctx: SKRSContext2D, text: string, box: NormBox, glyph: number, color: string, family = 'SynthHeiMedium') {
  const x0 = box[0] * CANONICAL_WIDTH;
  const x1 = box[2] * CANONICAL_WIDTH;
  const cy = ((box[1] + box[3]) / 2) * CANONICAL_HEIGHT;
  const px = glyph * CANONICAL_HEIGHT * 1.08;
  ctx.font = fontFor(family, px);
  ctx.fillStyle = color;
  ctx.textBaseline = 'middle';
  const chars = [...text];
  if (chars.length === 1) {
    ctx.fillText(text, x0, cy);
    return;
  }
  const widths = chars.map((c) => ctx.measureText(c).width);
  const total = widths.reduce((a, b) => a + b, 0);
  const gap = Math.max(0, (x1 - x0 - total) / (chars.length - 1));
  let x = x0;
  chars.forEach((c, i) => {
    ctx.fillText(c, x, cy);
    x += widths[i] + gap;
  });
}

interface TextStyle {
  family: string;
  px: number;
  color: string;
}

/** Fills `text` left-aligned at (x, cy), shrinking horizontally when it would overrun `maxWidth`. */
function fillFitted(ctx: SKRSContext2D, text: string, x: number, cy: number, maxWidth: number, style: TextStyle, narrow = 1): InkBox {
  ctx.font = fontFor(style.family, style.px);
  ctx.fillStyle = style.color;
  ctx.textBaseline = 'middle';
  const m = ctx.measureText(text);
  const w = m.width;
  const squeeze = Math.min(narrow, w * narrow > maxWidth ? maxWidth / w : 1);
  if (squeeze < 1) {
    ctx.save();
    ctx.translate(x, cy);
    ctx.scale(squeeze, 1);
    ctx.fillText(text, 0, 0);
    ctx.restore();
  } else {
    ctx.fillText(text, x, cy);
  }
  return { x0: x - m.actualBoundingBoxLeft * squeeze, y0: cy - m.actualBoundingBoxAscent, x1: x + m.actualBoundingBoxRight * squeeze, y1: cy + m.actualBoundingBoxDescent };
}

/** Splits the address into lines that fit the box width (the card wraps by width, ~11 CJK characters). */
export function wrapAddress(ctx: SKRSContext2D, text: string, maxWidth: number, maxLines: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const ch of text) {
    if (line && ctx.measureText(line + ch).width > maxWidth) {
      lines.push(line);
      line = '';
      if (lines.length === maxLines) break;
    }
    line += ch;
  }
  if (line && lines.length < maxLines) lines.push(line);
  return lines;
}

function boxPx(box: NormBox) {
  return { x0: box[0] * CANONICAL_WIDTH, y0: box[1] * CANONICAL_HEIGHT, x1: box[2] * CANONICAL_WIDTH, y1: box[3] * CANONICAL_HEIGHT };
}

/** Draws one field's value; returns where the ink went. */
function drawValue(ctx: SKRSContext2D, layout: FaceLayout, field: IdField, text: string, style: { color: string; sizeFactor: number; dx: number; dy: number; labelColor: string }): InkBox[] {
  const region = layout.values[field];
  if (!region) return [];
  const b = boxPx(region.box);
  const px = region.glyph * CANONICAL_HEIGHT * 1.08 * style.sizeFactor;
  const x = b.x0 + 4 + style.dx;
  const cy = (b.y0 + b.y1) / 2 + style.dy;
  const width = b.x1 - b.x0 - 6;
  switch (field) {
    case 'IdNum': {
      // Monospaced digits spread over ~95% of the box: the number is printed wide and evenly spaced.
      ctx.font = fontFor('SynthMonoBold', px);
      ctx.fillStyle = style.color;
      ctx.textBaseline = 'middle';
      const step = (width * 0.96) / text.length;
      const cw = ctx.measureText('0').width;
      [...text].forEach((c, i) => ctx.fillText(c, x + i * step + (step - cw) / 2, cy));
      return [{ x0: x, y0: cy - px * 0.45, x1: x + (text.length - 1) * step + (step + cw) / 2, y1: cy + px * 0.45 }];
    }
    case 'Birth': {
      // Printed `1990 年 3 月 7 日`: numerals in the value ink, 年月日 in the label colour at fixed stops.
      const m = /^(\d{4})\/(\d{1,2})\/(\d{1,2})$/.exec(text);
      if (!m) return [fillFitted(ctx, text, x, cy, width, { family: 'SynthHei', px, color: style.color })];
      const unit = width / 360;
      ctx.textBaseline = 'middle';
      const put = (s: string, at: number, color: string, family: string, right = false) => {
        ctx.font = fontFor(family, px);
        ctx.fillStyle = color;
        const w = ctx.measureText(s).width;
        ctx.fillText(s, right ? at - w : at, cy);
        return right ? at : at + w;
      };
      put(m[1], x, style.color, 'SynthHei');
      put('年', x + 86 * unit, style.labelColor, 'SynthHeiMedium');
      put(m[2], x + 158 * unit, style.color, 'SynthHei', true);
      put('月', x + 164 * unit, style.labelColor, 'SynthHeiMedium');
      put(m[3], x + 236 * unit, style.color, 'SynthHei', true);
      const end = put('日', x + 242 * unit, style.labelColor, 'SynthHeiMedium');
      return [{ x0: x, y0: cy - px * 0.46, x1: end, y1: cy + px * 0.46 }];
    }
    case 'Address': {
      // Wraps by width like the card; a long address is set narrower rather than losing its end.
      ctx.font = fontFor('SynthHei', px);
      const maxLines = layout.addressLines ?? 3;
      let squeeze = 1;
      let lines = wrapAddress(ctx, text, width, maxLines);
      while (lines.join('') !== text && squeeze > 0.6) {
        squeeze -= 0.05;
        lines = wrapAddress(ctx, text, width / squeeze, maxLines);
      }
      const lineH = (b.y1 - b.y0) / maxLines;
      return lines.map((line, i) => fillFitted(ctx, line, x, b.y0 + lineH * (i + 0.5) + style.dy, width, { family: 'SynthHei', px, color: style.color }, squeeze));
    }
    default:
      return [fillFitted(ctx, text, x, cy, width, { family: field === 'Name' ? 'SynthHeiMedium' : 'SynthHei', px, color: style.color })];
  }
}

/** The printed text of a field (Birth in the API's format is turned into the card's form by drawValue). */
export function printedValues(id: Identity, kind: CardKind): Partial<Record<IdField, string>> {
  const birth = `${id.birth.year}/${id.birth.month}/${id.birth.day}`;
  if (kind === 'BACK') return { Authority: id.authority, ValidDate: id.validDate };
  const front = { Name: id.name, Sex: id.sex, Nation: id.nation, Birth: birth, Address: id.address, IdNum: id.idNum };
  return kind === 'TEMPORARY' ? { ...front, Authority: id.authority, ValidDate: id.validDate } : front;
}

/**
 * Renders one face of `id`'s card. The result is RGBA at 856·scale × 540·scale with transparent corners.
 * @example const { image } = await renderCardFace(identity, 'FRONT', { scale: 2, seed: 7 });
 */
export function renderCardFace(id: Identity, kind: CardKind, opts: RenderOptions = {}): RenderedCard {
  registerFonts();
  const scale = opts.scale ?? 1;
  if (!(scale > 0 && scale <= 4)) throw new RangeError(`Expected scale in (0, 4] but received ${scale}`);
  const rng = new Rng(opts.seed ?? 1, 3);
  const W = Math.round(CANONICAL_WIDTH * scale);
  const H = Math.round(CANONICAL_HEIGHT * scale);
  const canvas = createCanvas(W, H);
  const ctx = canvas.getContext('2d');
  ctx.drawImage(cardBackground(kind, scale), 0, 0);
  ctx.scale(scale, scale);
  roundRect(ctx, 0, 0, CANONICAL_WIDTH, CANONICAL_HEIGHT, CORNER_RADIUS);
  ctx.clip();
  const layout = LAYOUTS[kind];
  // Print registration varies a little from card to card.
  const ox = rng.float(-2, 2);
  const oy = rng.float(-2, 2);
  ctx.translate(ox, oy);
  const labelColor = kind === 'BACK' ? '#1e1e1e' : LABEL_BLUE;
  for (const [key, region] of Object.entries(layout.labels)) {
    const title = key === '中华人民共和国' || key === '居民身份证' || key === '临时居民身份证';
    const color = title ? (kind === 'TEMPORARY' ? '#b0282a' : '#1a1a1a') : labelColor;
    drawLabel(ctx, region.text ?? key, region.box, region.glyph, color, title ? 'SynthHeiBold' : 'SynthHeiMedium');
  }
  if (layout.portrait) drawPortrait(ctx, layout.portrait, rng, id.sex);
  const values = printedValues(id, kind);
  const ink: Partial<Record<IdField, InkBox[]>> = {};
  const inkColor = `rgb(${rng.int(10, 30)},${rng.int(10, 30)},${rng.int(10, 30)})`;
  for (const [field, text] of Object.entries(values) as Array<[IdField, string]>) {
    if (opts.doctor?.field === field) continue;
    ink[field] = drawValue(ctx, layout, field, text, { color: inkColor, sizeFactor: 1, dx: 0, dy: 0, labelColor }).map((b) => offset(b, ox, oy));
  }
  if (opts.doctor) {
    ctx.translate(-ox, -oy);
    // The forger's patch ignores the card's print registration: one more tell.
    ink[opts.doctor.field] = doctorField(canvas, ctx, kind, layout, opts.doctor, scale, rng, labelColor);
  }
  // Wear: cards are carried for years — a yellowed or faded tint and a few hairline scratches in the laminate.
  ctx.setTransform(scale, 0, 0, scale, 0, 0);
  const tint = rng.float(0, 0.12);
  if (tint > 0.02) {
    ctx.fillStyle = rng.chance(0.6) ? `rgba(235,215,160,${tint})` : `rgba(255,255,255,${tint})`;
    ctx.fillRect(0, 0, CANONICAL_WIDTH, CANONICAL_HEIGHT);
  }
  ctx.lineWidth = 0.6;
  for (let k = rng.int(0, 6); k > 0; k--) {
    ctx.strokeStyle = `rgba(255,255,255,${rng.float(0.2, 0.5)})`;
    ctx.beginPath();
    const sx = rng.float(0, CANONICAL_WIDTH);
    const sy = rng.float(0, CANONICAL_HEIGHT);
    const a = rng.float(0, Math.PI);
    const len = rng.float(20, 160);
    ctx.moveTo(sx, sy);
    ctx.quadraticCurveTo(sx + (len / 2) * Math.cos(a) + rng.float(-8, 8), sy + (len / 2) * Math.sin(a) + rng.float(-8, 8), sx + len * Math.cos(a), sy + len * Math.sin(a));
    ctx.stroke();
  }
  // The card's edge: a faint darker rim, as the laminate's edge shows in scans and photos.
  roundRect(ctx, 0.75, 0.75, CANONICAL_WIDTH - 1.5, CANONICAL_HEIGHT - 1.5, CORNER_RADIUS - 0.75);
  ctx.strokeStyle = 'rgba(90,100,110,0.35)';
  ctx.lineWidth = 1.5;
  ctx.stroke();
  const { data } = ctx.getImageData(0, 0, W, H);
  return { kind, image: { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: W, height: H, channels: 4 }, scale, ink };
}

function offset(b: InkBox, dx: number, dy: number): InkBox {
  return { x0: b.x0 + dx, y0: b.y0 + dy, x1: b.x1 + dx, y1: b.y1 + dy };
}

/**
 * A forger's patch: the field's area is covered with clean background, re-typed in a slightly different
 * size, ink and position, and carries its own JPEG history and noise (what ELA-style checks look for).
 */
function doctorField(canvas: Canvas, ctx: SKRSContext2D, kind: CardKind, layout: FaceLayout, spec: DoctorSpec, scale: number, rng: Rng, labelColor: string): InkBox[] {
  const region = layout.values[spec.field]!;
  const b = boxPx(region.box);
  const pad = 3;
  const px0 = Math.max(0, Math.floor((b.x0 - pad) * scale));
  const py0 = Math.max(0, Math.floor((b.y0 - pad) * scale));
  const pw = Math.min(canvas.width - px0, Math.ceil((b.x1 - b.x0 + 2 * pad) * scale));
  const ph = Math.min(canvas.height - py0, Math.ceil((b.y1 - b.y0 + 2 * pad) * scale));
  const patch = createCanvas(pw, ph);
  const pctx = patch.getContext('2d');
  pctx.drawImage(cardBackground(kind, scale), px0, py0, pw, ph, 0, 0, pw, ph);
  pctx.scale(scale, scale);
  pctx.translate(-px0 / scale, -py0 / scale);
  const ink = drawValue(pctx, layout, spec.field, spec.text, { color: spec.color, sizeFactor: spec.sizeFactor, dx: spec.dx, dy: spec.dy, labelColor });
  // Noise and a JPEG round trip give the patch statistics of its own.
  const img = pctx.getImageData(0, 0, pw, ph);
  for (let i = 0; i < img.data.length; i += 4) {
    const n = rng.normal(0, spec.noise);
    img.data[i] = clamp(img.data[i] + n);
    img.data[i + 1] = clamp(img.data[i + 1] + n);
    img.data[i + 2] = clamp(img.data[i + 2] + n);
  }
  pctx.putImageData(img, 0, 0);
  const jpeg = patch.encodeSync('jpeg', spec.patchQuality);
  const pasted = new Image();
  pasted.src = jpeg;
  ctx.save();
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.drawImage(pasted, px0, py0);
  ctx.restore();
  return ink;
}

function clamp(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

export { CORNER_RADIUS };

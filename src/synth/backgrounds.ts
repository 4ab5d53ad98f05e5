/**
 * Procedural surfaces a card is photographed on: wood, desk laminate, fabric, paper, clutter (pens, sheets
 * of printed text, a keyboard). Drawn small on a canvas (these are low-frequency scenes) and enlarged with
 * sharp, which keeps a 12 MP scene cheap.
 */
import { createCanvas, type SKRSContext2D } from '@napi-rs/canvas';
import sharp from 'sharp';
import { registerFonts } from './renderCard.ts';
import type { Canvas8 } from './geometry.ts';
import type { Rng } from './random.ts';

export type Surface = 'wood' | 'desk' | 'fabric' | 'paper' | 'scanner' | 'scannerDark' | 'stone';

const FILLER_TEXT = [
  '中华人民共和国居民身份证法', '发票联 开票日期 金额合计', '银行卡 储蓄卡 持卡人签名', '会议纪要 第三季度工作安排', '快递单 收件人 联系电话',
  '营业执照 统一社会信用代码', '租赁合同 甲方 乙方 租金', '学生证 学院 专业 班级', '收据 今收到 人民币', '体检报告 血常规 正常',
  '申请表 姓名 性别 联系方式', '驾驶证 准驾车型 有效期', '购物小票 商品名称 数量 单价', '通知 各部门 请于本周五前', '病历 主诉 现病史 诊断',
];

function woodSurface(ctx: SKRSContext2D, w: number, h: number, rng: Rng) {
  const base = rng.pick([[150, 100, 60], [120, 80, 50], [180, 135, 90], [95, 60, 35], [200, 160, 115]]);
  ctx.fillStyle = `rgb(${base.join(',')})`;
  ctx.fillRect(0, 0, w, h);
  const vertical = rng.chance(0.5);
  const len = vertical ? h : w;
  const across = vertical ? w : h;
  // Grain: many long, gently wavy strokes of varying darkness; plank seams every so often.
  for (let k = 0; k < across * 0.8; k++) {
    const pos = rng.float(0, across);
    const dark = rng.float(0.6, 1.15);
    ctx.strokeStyle = `rgba(${Math.round(base[0] * dark)},${Math.round(base[1] * dark)},${Math.round(base[2] * dark)},${rng.float(0.2, 0.6)})`;
    ctx.lineWidth = rng.float(0.5, 2.5);
    ctx.beginPath();
    const amp = rng.float(1, 6);
    const wave = rng.float(80, 400);
    const ph = rng.float(0, 6.28);
    for (let t = 0; t <= len; t += 8) {
      const off = pos + amp * Math.sin(t / wave * 6.28 + ph);
      if (vertical) ctx.lineTo(off, t);
      else ctx.lineTo(t, off);
    }
    ctx.stroke();
  }
  const plank = rng.float(across / 6, across / 2.5);
  ctx.strokeStyle = 'rgba(40,25,15,0.55)';
  ctx.lineWidth = 2;
  for (let p = rng.float(0, plank); p < across; p += plank) {
    ctx.beginPath();
    if (vertical) {
      ctx.moveTo(p, 0);
      ctx.lineTo(p, h);
    } else {
      ctx.moveTo(0, p);
      ctx.lineTo(w, p);
    }
    ctx.stroke();
  }
}

function deskSurface(ctx: SKRSContext2D, w: number, h: number, rng: Rng) {
  const tone = rng.pick([[235, 235, 230], [60, 60, 64], [200, 200, 205], [30, 32, 36], [215, 205, 185], [170, 185, 195]]);
  const g = ctx.createLinearGradient(0, 0, w, h);
  g.addColorStop(0, `rgb(${tone.map((c) => Math.min(255, c + 12)).join(',')})`);
  g.addColorStop(1, `rgb(${tone.map((c) => Math.max(0, c - 12)).join(',')})`);
  ctx.fillStyle = g;
  ctx.fillRect(0, 0, w, h);
  for (let i = 0; i < (w * h) / 30; i++) {
    const d = rng.int(-18, 18);
    ctx.fillStyle = `rgba(${tone.map((c) => Math.max(0, Math.min(255, c + d))).join(',')},0.6)`;
    ctx.fillRect(rng.float(0, w), rng.float(0, h), 1.2, 1.2);
  }
}

function fabricSurface(ctx: SKRSContext2D, w: number, h: number, rng: Rng) {
  const tone = rng.pick([[70, 90, 140], [150, 40, 50], [90, 110, 80], [200, 190, 170], [50, 50, 55], [180, 120, 150]]);
  ctx.fillStyle = `rgb(${tone.join(',')})`;
  ctx.fillRect(0, 0, w, h);
  // Weave: fine warp and weft threads.
  const pitch = rng.float(2, 4);
  ctx.lineWidth = pitch * 0.45;
  for (let x = 0; x < w; x += pitch) {
    ctx.strokeStyle = `rgba(255,255,255,${rng.float(0.03, 0.1)})`;
    ctx.beginPath();
    ctx.moveTo(x, 0);
    ctx.lineTo(x, h);
    ctx.stroke();
  }
  for (let y = 0; y < h; y += pitch) {
    ctx.strokeStyle = `rgba(0,0,0,${rng.float(0.04, 0.12)})`;
    ctx.beginPath();
    ctx.moveTo(0, y);
    ctx.lineTo(w, y);
    ctx.stroke();
  }
  // Folds: soft shadows.
  for (let k = 0; k < 4; k++) {
    const g = ctx.createLinearGradient(rng.float(0, w), 0, rng.float(0, w), h);
    g.addColorStop(0, 'rgba(0,0,0,0)');
    g.addColorStop(0.5, `rgba(0,0,0,${rng.float(0.05, 0.2)})`);
    g.addColorStop(1, 'rgba(0,0,0,0)');
    ctx.fillStyle = g;
    ctx.fillRect(0, 0, w, h);
  }
}

function stoneSurface(ctx: SKRSContext2D, w: number, h: number, rng: Rng) {
  const tone = rng.pick([[220, 218, 212], [180, 176, 170], [120, 118, 115], [235, 230, 225]]);
  ctx.fillStyle = `rgb(${tone.join(',')})`;
  ctx.fillRect(0, 0, w, h);
  for (let i = 0; i < 60; i++) {
    const r = rng.float(10, 80);
    const x = rng.float(0, w);
    const y = rng.float(0, h);
    const g = ctx.createRadialGradient(x, y, 0, x, y, r);
    const d = rng.int(-25, 25);
    g.addColorStop(0, `rgba(${tone.map((c) => Math.max(0, Math.min(255, c + d))).join(',')},0.5)`);
    g.addColorStop(1, 'rgba(0,0,0,0)');
    ctx.fillStyle = g;
    ctx.fillRect(x - r, y - r, 2 * r, 2 * r);
  }
  ctx.strokeStyle = 'rgba(90,90,90,0.25)';
  for (let i = 0; i < 8; i++) {
    ctx.lineWidth = rng.float(0.5, 1.5);
    ctx.beginPath();
    let x = rng.float(0, w);
    let y = rng.float(0, h);
    ctx.moveTo(x, y);
    for (let k = 0; k < 12; k++) ctx.lineTo((x += rng.float(-30, 30)), (y += rng.float(-30, 30)));
    ctx.stroke();
  }
}

function paperSurface(ctx: SKRSContext2D, w: number, h: number, rng: Rng, white: number) {
  ctx.fillStyle = `rgb(${white},${white},${white - rng.int(0, 6)})`;
  ctx.fillRect(0, 0, w, h);
  for (let i = 0; i < (w * h) / 60; i++) {
    ctx.fillStyle = `rgba(${rng.int(150, 230)},${rng.int(150, 230)},${rng.int(150, 230)},0.15)`;
    ctx.fillRect(rng.float(0, w), rng.float(0, h), 1, 1);
  }
}

/** A sheet of printed text, a pen, a phone or a keyboard corner: things that lie on desks next to cards. */
export function drawClutter(ctx: SKRSContext2D, w: number, h: number, rng: Rng, count: number, textHeavy = false) {
  registerFonts();
  for (let n = 0; n < count; n++) {
    const kind = textHeavy ? rng.pick(['sheet', 'sheet', 'card', 'pen']) : rng.pick(['sheet', 'pen', 'phone', 'keyboard', 'blob', 'card', 'coin']);
    ctx.save();
    ctx.translate(rng.float(0, w), rng.float(0, h));
    ctx.rotate(rng.float(-Math.PI, Math.PI));
    const s = Math.min(w, h);
    switch (kind) {
      case 'sheet': {
        const sw = s * rng.float(0.35, 0.7);
        const sh = sw * 1.41;
        ctx.shadowColor = 'rgba(0,0,0,0.3)';
        ctx.shadowBlur = 8;
        ctx.fillStyle = `rgb(${rng.int(235, 252)},${rng.int(235, 252)},${rng.int(228, 250)})`;
        ctx.fillRect(-sw / 2, -sh / 2, sw, sh);
        ctx.shadowBlur = 0;
        ctx.fillStyle = 'rgba(30,30,30,0.85)';
        const px = Math.max(6, sw / 22);
        ctx.font = `${px}px SynthHei`;
        for (let y = -sh / 2 + px * 2; y < sh / 2 - px; y += px * 1.7) {
          ctx.fillText(rng.pick(FILLER_TEXT) + rng.pick(FILLER_TEXT).slice(0, rng.int(0, 10)), -sw / 2 + px, y, sw - 2 * px);
        }
        break;
      }
      case 'pen': {
        const L = s * rng.float(0.25, 0.5);
        ctx.fillStyle = rng.pick(['#1a237e', '#222', '#b71c1c', '#eee', '#555']);
        ctx.fillRect(-L / 2, -s * 0.012, L, s * 0.024);
        ctx.fillStyle = '#999';
        ctx.fillRect(L / 2, -s * 0.008, s * 0.04, s * 0.016);
        break;
      }
      case 'phone': {
        const pw = s * rng.float(0.2, 0.3);
        ctx.fillStyle = '#111';
        ctx.beginPath();
        ctx.roundRect(-pw / 2, -pw, pw, pw * 2, pw * 0.12);
        ctx.fill();
        ctx.fillStyle = rng.pick(['#1b2a3a', '#2a2a2a', '#3a4f6a']);
        ctx.fillRect(-pw * 0.44, -pw * 0.9, pw * 0.88, pw * 1.8);
        break;
      }
      case 'keyboard': {
        const kw = s * 0.6;
        ctx.fillStyle = '#2b2b2b';
        ctx.fillRect(-kw / 2, -kw / 6, kw, kw / 3);
        ctx.fillStyle = '#444';
        for (let r = 0; r < 4; r++) for (let c = 0; c < 14; c++) ctx.fillRect(-kw / 2 + 4 + c * (kw / 14), -kw / 6 + 4 + r * (kw / 12.5), kw / 14 - 4, kw / 12.5 - 4);
        break;
      }
      case 'card': {
        // A bank or membership card: card-shaped but not an ID card.
        const cw = s * rng.float(0.2, 0.35);
        const g = ctx.createLinearGradient(-cw / 2, 0, cw / 2, 0);
        g.addColorStop(0, rng.pick(['#0d47a1', '#b71c1c', '#1b5e20', '#212121', '#f9a825']));
        g.addColorStop(1, rng.pick(['#42a5f5', '#e57373', '#66bb6a', '#616161', '#fff176']));
        ctx.fillStyle = g;
        ctx.beginPath();
        ctx.roundRect(-cw / 2, -cw * 0.315, cw, cw * 0.63, cw * 0.04);
        ctx.fill();
        ctx.fillStyle = 'rgba(255,255,255,0.9)';
        ctx.font = `${cw / 14}px SynthMono`;
        ctx.fillText(`6222 ${rng.int(1000, 9999)} ${rng.int(1000, 9999)} ${rng.int(1000, 9999)}`, -cw * 0.42, cw * 0.12);
        ctx.fillStyle = '#d4af37';
        ctx.fillRect(-cw * 0.38, -cw * 0.15, cw * 0.12, cw * 0.09);
        break;
      }
      case 'coin': {
        const r = s * rng.float(0.02, 0.04);
        const g = ctx.createRadialGradient(-r / 3, -r / 3, 0, 0, 0, r);
        g.addColorStop(0, '#f5e6a8');
        g.addColorStop(1, '#a08030');
        ctx.fillStyle = g;
        ctx.beginPath();
        ctx.arc(0, 0, r, 0, 2 * Math.PI);
        ctx.fill();
        break;
      }
      default: {
        ctx.fillStyle = `rgba(${rng.int(0, 255)},${rng.int(0, 255)},${rng.int(0, 255)},${rng.float(0.2, 0.7)})`;
        ctx.beginPath();
        ctx.ellipse(0, 0, s * rng.float(0.03, 0.15), s * rng.float(0.03, 0.15), 0, 0, 2 * Math.PI);
        ctx.fill();
      }
    }
    ctx.restore();
  }
}

export interface SurfaceOptions {
  surface: Surface;
  /** Number of clutter objects. */
  clutter: number;
  textHeavy?: boolean;
}

/** A scene background of `width` × `height`, RGB. */
export async function makeSurface(width: number, height: number, rng: Rng, opts: SurfaceOptions): Promise<Canvas8> {
  // Low-frequency content: draw at most ~900 px on the long side, then enlarge.
  const k = Math.min(1, 900 / Math.max(width, height));
  const w = Math.max(8, Math.round(width * k));
  const h = Math.max(8, Math.round(height * k));
  const c = createCanvas(w, h);
  const ctx = c.getContext('2d');
  switch (opts.surface) {
    case 'wood':
      woodSurface(ctx, w, h, rng);
      break;
    case 'desk':
      deskSurface(ctx, w, h, rng);
      break;
    case 'fabric':
      fabricSurface(ctx, w, h, rng);
      break;
    case 'stone':
      stoneSurface(ctx, w, h, rng);
      break;
    case 'paper':
      paperSurface(ctx, w, h, rng, rng.int(238, 250));
      break;
    case 'scanner':
      paperSurface(ctx, w, h, rng, 252);
      break;
    case 'scannerDark': {
      const g = ctx.createLinearGradient(0, 0, w, h);
      g.addColorStop(0, `rgb(${rng.int(10, 30)},${rng.int(10, 30)},${rng.int(10, 30)})`);
      g.addColorStop(1, `rgb(${rng.int(25, 55)},${rng.int(25, 55)},${rng.int(25, 55)})`);
      ctx.fillStyle = g;
      ctx.fillRect(0, 0, w, h);
      break;
    }
  }
  drawClutter(ctx, w, h, rng, opts.clutter, opts.textHeavy);
  const raw = ctx.getImageData(0, 0, w, h).data;
  const { data } = await sharp(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength), { raw: { width: w, height: h, channels: 4 } })
    .removeAlpha()
    .resize(width, height, { fit: 'fill', kernel: 'linear' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width, height, channels: 3 };
}

/**
 * A made-up head-and-shoulders figure for the portrait area: gradients and curves only, no real face.
 * It only has to look like a card photo from arm's length (skin, hair, clothes, a backdrop-free cut-out).
 */
import type { SKRSContext2D } from '@napi-rs/canvas';
import { CANONICAL_HEIGHT, CANONICAL_WIDTH, type NormBox } from '../domain/cardLayout.ts';
import type { Rng } from './random.ts';

const SKIN = [[241, 212, 190], [232, 196, 168], [222, 184, 152], [205, 160, 125], [180, 135, 100], [150, 108, 80]] as const;
const HAIR = ['#151210', '#1e1915', '#2a211b', '#3a2c22', '#4a3a2e', '#8a8580'];
const CLOTHES = ['#1d2b4a', '#2c2c2c', '#f0f0f0', '#3b5c8a', '#7a1e2a', '#2f5d3a', '#5a5a66', '#d8cfc0', '#1565c0'];

function rgb(c: readonly number[], k = 1) {
  return `rgb(${Math.round(c[0] * k)},${Math.round(c[1] * k)},${Math.round(c[2] * k)})`;
}

export function drawPortrait(ctx: SKRSContext2D, box: NormBox, rng: Rng, sex: '男' | '女') {
  const x0 = box[0] * CANONICAL_WIDTH;
  const y0 = box[1] * CANONICAL_HEIGHT;
  const w = (box[2] - box[0]) * CANONICAL_WIDTH;
  const h = (box[3] - box[1]) * CANONICAL_HEIGHT;
  const skin = rng.weighted(SKIN.map((c, i) => [c, [3, 4, 4, 2, 1, 0.5][i]] as const));
  const hair = rng.chance(0.08) ? HAIR[5] : rng.pick(HAIR.slice(0, 5));
  const cloth = rng.pick(CLOTHES);
  const cx = x0 + w * (0.5 + rng.float(-0.03, 0.03));
  const headCy = y0 + h * rng.float(0.34, 0.4);
  const headRx = w * rng.float(0.19, 0.23);
  const headRy = headRx * rng.float(1.22, 1.36);
  const longHair = sex === '女' ? rng.chance(0.75) : rng.chance(0.02);
  ctx.save();
  ctx.beginPath();
  ctx.rect(x0, y0, w, h);
  ctx.clip();
  // The photo's pale backdrop, faded into the card print (the card has no photo frame).
  const halo = ctx.createRadialGradient(cx, headCy + h * 0.1, w * 0.1, cx, headCy + h * 0.1, w * 0.62);
  halo.addColorStop(0, 'rgba(250,250,252,0.55)');
  halo.addColorStop(1, 'rgba(250,250,252,0)');
  ctx.fillStyle = halo;
  ctx.fillRect(x0, y0, w, h);
  // Long hair falls behind the shoulders.
  if (longHair) {
    ctx.fillStyle = hair;
    ctx.beginPath();
    ctx.ellipse(cx, headCy + headRy * 0.55, headRx * 1.35, headRy * 1.45, 0, 0, 2 * Math.PI);
    ctx.fill();
  }
  // Shoulders and torso.
  const shoulderY = headCy + headRy * 1.25;
  const torso = ctx.createLinearGradient(x0, 0, x0 + w, 0);
  torso.addColorStop(0, shade(cloth, 0.7));
  torso.addColorStop(0.5, cloth);
  torso.addColorStop(1, shade(cloth, 0.65));
  ctx.fillStyle = torso;
  ctx.beginPath();
  ctx.moveTo(x0 + w * 0.02, y0 + h + 2);
  ctx.bezierCurveTo(x0 + w * 0.04, shoulderY + h * 0.05, cx - headRx * 1.6, shoulderY - h * 0.02, cx - headRx * 0.5, shoulderY - h * 0.03);
  ctx.lineTo(cx + headRx * 0.5, shoulderY - h * 0.03);
  ctx.bezierCurveTo(cx + headRx * 1.6, shoulderY - h * 0.02, x0 + w * 0.96, shoulderY + h * 0.05, x0 + w * 0.98, y0 + h + 2);
  ctx.closePath();
  ctx.fill();
  // Neck with a shadow under the chin.
  const neck = ctx.createLinearGradient(0, headCy + headRy * 0.6, 0, shoulderY + 4);
  neck.addColorStop(0, rgb(skin, 0.72));
  neck.addColorStop(1, rgb(skin, 0.92));
  ctx.fillStyle = neck;
  ctx.beginPath();
  ctx.moveTo(cx - headRx * 0.45, headCy + headRy * 0.6);
  ctx.lineTo(cx + headRx * 0.45, headCy + headRy * 0.6);
  ctx.lineTo(cx + headRx * 0.55, shoulderY);
  ctx.quadraticCurveTo(cx, shoulderY + headRy * 0.25, cx - headRx * 0.55, shoulderY);
  ctx.closePath();
  ctx.fill();
  // Collar: a V or round neckline.
  if (cloth !== '#f0f0f0' && rng.chance(0.5)) {
    ctx.fillStyle = '#f4f4f4';
    ctx.beginPath();
    ctx.moveTo(cx - headRx * 0.7, shoulderY - h * 0.02);
    ctx.lineTo(cx, shoulderY + headRy * 0.45);
    ctx.lineTo(cx + headRx * 0.7, shoulderY - h * 0.02);
    ctx.lineTo(cx + headRx * 0.45, shoulderY + headRy * 0.05);
    ctx.lineTo(cx, shoulderY + headRy * 0.3);
    ctx.lineTo(cx - headRx * 0.45, shoulderY + headRy * 0.05);
    ctx.closePath();
    ctx.fill();
  }
  // Ears.
  ctx.fillStyle = rgb(skin, 0.9);
  for (const s of [-1, 1]) {
    ctx.beginPath();
    ctx.ellipse(cx + s * headRx * 0.98, headCy + headRy * 0.05, headRx * 0.14, headRy * 0.18, 0, 0, 2 * Math.PI);
    ctx.fill();
  }
  // Face: lit from the front, darker towards the edge.
  const face = ctx.createRadialGradient(cx - headRx * 0.15, headCy - headRy * 0.1, headRx * 0.1, cx, headCy, headRy * 1.05);
  face.addColorStop(0, rgb(skin, 1.03));
  face.addColorStop(0.7, rgb(skin, 0.95));
  face.addColorStop(1, rgb(skin, 0.8));
  ctx.fillStyle = face;
  ctx.beginPath();
  ctx.ellipse(cx, headCy, headRx, headRy, 0, 0, 2 * Math.PI);
  ctx.fill();
  // Hair on top: a cap of the head's upper part, with a parting or fringe; a soft sheen on the crown.
  const sheen = ctx.createLinearGradient(cx - headRx, headCy - headRy, cx + headRx, headCy);
  sheen.addColorStop(0, hair);
  sheen.addColorStop(0.4, shade(hair, 1.6));
  sheen.addColorStop(1, hair);
  ctx.fillStyle = sheen;
  ctx.beginPath();
  const fringe = rng.float(0.25, 0.5);
  ctx.ellipse(cx, headCy - headRy * 0.12, headRx * 1.08, headRy * 0.98, 0, Math.PI * 0.97, Math.PI * 2.03);
  ctx.quadraticCurveTo(cx + headRx * 0.5, headCy - headRy * fringe, cx + rng.float(-0.3, 0.3) * headRx, headCy - headRy * (fringe + 0.25));
  ctx.quadraticCurveTo(cx - headRx * 0.6, headCy - headRy * fringe, cx - headRx * 1.05, headCy - headRy * 0.05);
  ctx.closePath();
  ctx.fill();
  // Eyes, brows, nose, mouth.
  const eyeY = headCy + headRy * 0.02;
  for (const s of [-1, 1]) {
    const ex = cx + s * headRx * 0.38;
    ctx.fillStyle = '#fbfbfb';
    ctx.beginPath();
    ctx.ellipse(ex, eyeY, headRx * 0.16, headRy * 0.05, 0, 0, 2 * Math.PI);
    ctx.fill();
    ctx.fillStyle = '#231a15';
    ctx.beginPath();
    ctx.arc(ex, eyeY, headRy * 0.045, 0, 2 * Math.PI);
    ctx.fill();
    ctx.strokeStyle = hair;
    ctx.lineWidth = headRy * 0.035;
    ctx.beginPath();
    ctx.moveTo(ex - headRx * 0.2, eyeY - headRy * 0.13);
    ctx.quadraticCurveTo(ex, eyeY - headRy * 0.18, ex + headRx * 0.2, eyeY - headRy * 0.12);
    ctx.stroke();
  }
  ctx.strokeStyle = rgb(skin, 0.72);
  ctx.lineWidth = headRx * 0.05;
  ctx.beginPath();
  ctx.moveTo(cx, eyeY + headRy * 0.08);
  ctx.quadraticCurveTo(cx + headRx * 0.12, eyeY + headRy * 0.3, cx - headRx * 0.05, eyeY + headRy * 0.33);
  ctx.stroke();
  ctx.strokeStyle = sex === '女' ? '#b04a55' : '#9a5a50';
  ctx.lineWidth = headRy * 0.04;
  ctx.beginPath();
  const mouthY = eyeY + headRy * 0.5;
  ctx.moveTo(cx - headRx * 0.25, mouthY);
  ctx.quadraticCurveTo(cx, mouthY + headRy * rng.float(0.02, 0.08), cx + headRx * 0.25, mouthY);
  ctx.stroke();
  ctx.restore();
}

function shade(hex: string, k: number): string {
  const n = parseInt(hex.slice(1), 16);
  return rgb([(n >> 16) & 255, (n >> 8) & 255, n & 255], k);
}

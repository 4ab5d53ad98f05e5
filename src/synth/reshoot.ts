/**
 * Screen re-shoots (warning 9103): the card is shown on a monitor or phone screen and photographed. What
 * gives it away is what we draw: the RGB sub-pixel stripes, moiré between the pixel grid and the camera's
 * sensor (the fine stripes alias when warped down; explicit interference bands add the large-scale
 * pattern), a dark bezel, the screen's glow and reflections.
 */
import { CANONICAL_HEIGHT, CANONICAL_WIDTH } from '../domain/cardLayout.ts';
import type { CardKind, Homography } from '../engine/types.ts';
import { makeSurface } from './backgrounds.ts';
import { multiplyHomography, warpOnto, type Canvas8 } from './geometry.ts';
import type { Identity } from './identity.ts';
import type { CardLabel } from './labels.ts';
import type { Rng } from './random.ts';
import { renderCardFace, type RenderedCard } from './renderCard.ts';
import { capture, placeObject, scaleHomography, sourceFor, translateHomography } from './scene.ts';

export async function screenShot(
  rng: Rng,
  id: Identity,
  kind: CardKind,
  labeler: (card: RenderedCard, H: Homography, frame: { width: number; height: number }) => CardLabel,
  maxMegapixels = 12,
): Promise<{ img: Canvas8; label: CardLabel }> {
  // The screen as its own raster: bezel, then the content area showing the card flat.
  const cw = Math.round(rng.float(650, 1000));
  const chh = Math.round((cw * CANONICAL_HEIGHT) / CANONICAL_WIDTH);
  const SW = Math.round(cw * rng.float(1.1, 1.5));
  const SH = Math.max(Math.round(chh * 1.12), Math.round(SW * rng.float(0.56, 0.75)));
  const bezel = Math.round(SW * rng.float(0.02, 0.05));
  const RW = SW + 2 * bezel;
  const RH = SH + 2 * bezel;
  const screen: Canvas8 = { data: new Uint8Array(RW * RH * 4), width: RW, height: RH, channels: 4 };
  const dark = rng.chance(0.5);
  const bg = dark ? rng.int(15, 45) : rng.int(225, 250);
  const bez = rng.int(8, 40);
  for (let y = 0; y < RH; y++) {
    for (let x = 0; x < RW; x++) {
      const i = (y * RW + x) * 4;
      const inContent = x >= bezel && y >= bezel && x < bezel + SW && y < bezel + SH;
      const v = inContent ? bg : bez;
      screen.data[i] = v;
      screen.data[i + 1] = v;
      screen.data[i + 2] = inContent ? Math.min(255, v + 4) : v;
      screen.data[i + 3] = 255;
    }
  }
  const ox = bezel + rng.float(0, SW - cw);
  const oy = bezel + rng.float(0, SH - chh);
  const Hcs = multiplyHomography(translateHomography(ox, oy), scaleHomography(cw / CANONICAL_WIDTH));
  const card = renderCardFace(id, kind, { scale: 1, seed: rng.u32() });
  const { src, H: Hsrc } = await sourceFor(card.image, Hcs);
  warpOnto(screen, src, Hsrc);
  subpixelAndMoire(screen, bezel, SW, SH, rng);

  // The photo of the screen: perspective, a little rotation, a room-ish background.
  const mp = Math.min(maxMegapixels, rng.logUniform(0.8, 6));
  // Monitors are photographed in landscape, mostly.
  const aspect = rng.weighted([[4 / 3, 3], [16 / 9, 2], [3 / 4, 0.5]] as const);
  const width = Math.round(Math.sqrt(mp * 1e6 * aspect));
  const height = Math.round((mp * 1e6) / width);
  const img = await makeSurface(width, height, rng, { surface: rng.pick(['desk', 'wood', 'fabric'] as const), clutter: rng.int(0, 2) });
  const Hsi = placeObject(rng, width, height, {
    fill: rng.float(0.8, 1.0),
    rotation: rng.normal(0, 0.06),
    tiltX: rng.normal(0, 0.15),
    tiltY: rng.normal(0, 0.15),
    focal: rng.float(1.5, 3),
    objectWidth: RW,
    objectHeight: RH,
  });
  const s2 = await sourceFor(screen, Hsi, RW, RH);
  warpOnto(img, s2.src, s2.H);
  const Hcard = multiplyHomography(Hsi, Hcs);
  const label = labeler(card, Hcard, { width, height });
  const out = await capture(img, rng, {
    blur: rng.chance(0.5) ? rng.float(0.3, 0.9) : 0,
    noise: rng.float(2, 6),
    light: rng.float(0.75, 1),
    glare: rng.chance(0.6) ? rng.float(25, 60) : 0,
    glareRadius: rng.float(0.1, 0.3),
    cast: [rng.float(0.9, 1), rng.float(0.97, 1.03), rng.float(1, 1.12)],
  });
  return { img: out, label };
}

/** RGB stripe sub-pixels, dark row gaps and curved interference bands over the content area. */
function subpixelAndMoire(s: Canvas8, bezel: number, SW: number, SH: number, rng: Rng): void {
  // Moiré between two grids shows as broad, curved, rainbow-tinted bands: each channel's band is shifted by
  // a third of a period (the sub-pixels sit at different offsets against the sensor's Bayer pattern).
  const m = rng.float(0.1, 0.24);
  const period = rng.float(18, 70);
  const theta = rng.float(0, Math.PI);
  const ct = Math.cos(theta) / period;
  const st = Math.sin(theta) / period;
  const curve = rng.float(-1.5, 1.5) / (SW * period);
  const gain = rng.float(1.25, 1.4);
  const sub = [
    [1, 0.5, 0.5],
    [0.5, 1, 0.5],
    [0.5, 0.5, 1],
  ];
  const third = (2 * Math.PI) / 3;
  for (let y = bezel; y < bezel + SH; y++) {
    const rowGap = y % 3 === 2 ? 0.82 : 1;
    for (let x = bezel; x < bezel + SW; x++) {
      const i = (y * s.width + x) * 4;
      const phase = 2 * Math.PI * (x * ct + y * st + (x - bezel) * (y - bezel) * curve);
      const k = sub[x % 3];
      for (let c = 0; c < 3; c++) {
        const band = 1 - m * (0.5 + 0.5 * Math.cos(phase + c * third));
        const v = s.data[i + c] * k[c] * rowGap * band * gain;
        s.data[i + c] = v > 255 ? 255 : v;
      }
    }
  }
}

/**
 * Checks that a generated image and its label agree: the file decodes (or must not), has the labelled size
 * and stays under or over the 7 MB base64 limit as its case says; card fields agree with each other (GB
 * 11643 check character, birth and sex in the number, validity rules); quads are clockwise and inside the
 * frame (partly outside for `cut`); covered and cut-off fields are null.
 *
 *   npx tsx src/synth/verify.ts DIR      # checks DIR/labels.json against the files
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import sharp from 'sharp';
import { parseDotted } from '../domain/dates.ts';
import { isValidIdChecksum, parseIdNumber } from '../domain/idNumber.ts';
import { validityProblem } from '../domain/validity.ts';
import type { Quad } from '../engine/types.ts';
import { quadArea, type Canvas8 } from './geometry.ts';
import type { SynthCase, SynthLabel, SynthLabels } from './labels.ts';

const require = createRequire(import.meta.url);
const bmp = require('bmp-js') as { decode(b: Buffer): { width: number; height: number; data: Buffer } };

export const EXPECTED_OUTCOME: Record<SynthCase, { warnings: number[]; error?: string }> = {
  clean: { warnings: [] },
  photo: { warnings: [] },
  rotated: { warnings: [] },
  photocopy: { warnings: [9102] },
  reshoot: { warnings: [9103] },
  doctored: { warnings: [9106] },
  cut: { warnings: [9101] },
  occluded: { warnings: [9105] },
  temporary: { warnings: [9104] },
  'invalid-date': { warnings: [9100] },
  multi: { warnings: [] },
  'no-card': { warnings: [], error: 'FailedOperation.ImageNoIdCard' },
  undecodable: { warnings: [], error: 'FailedOperation.ImageDecodeFailed' },
  oversized: { warnings: [], error: 'FailedOperation.ImageSizeTooLarge' },
};

/** Decodes PNG/JPEG with sharp (EXIF orientation applied: labels are in displayed orientation) and BMP with bmp-js, to RGB. */
export async function decodeForCheck(bytes: Uint8Array, format: SynthLabel['format']): Promise<Canvas8> {
  if (format === 'bmp') {
    const d = bmp.decode(Buffer.from(bytes));
    const rgb = new Uint8Array(d.width * d.height * 3);
    // bmp-js yields ABGR.
    for (let i = 0, j = 0; i < d.data.length; i += 4, j += 3) {
      rgb[j] = d.data[i + 3];
      rgb[j + 1] = d.data[i + 2];
      rgb[j + 2] = d.data[i + 1];
    }
    return { data: rgb, width: d.width, height: d.height, channels: 3 };
  }
  const { data, info } = await sharp(bytes).rotate().removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height, channels: 3 };
}

function inside(q: Quad, w: number, h: number): boolean {
  return q.every((p) => p.x >= 0 && p.y >= 0 && p.x <= w && p.y <= h);
}

function ymd(s: string) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  return m ? { year: +m[1], month: +m[2], day: +m[3] } : parseDotted(s.replaceAll('-', '.'));
}

/** Problems with one image, as human-readable strings (empty when consistent). */
export async function verifyImage(label: SynthLabel, bytes: Uint8Array): Promise<string[]> {
  const problems: string[] = [];
  const say = (msg: string) => problems.push(`${label.file}: ${msg}`);
  const expected = EXPECTED_OUTCOME[label.case];
  if (JSON.stringify(label.expectedWarnings) !== JSON.stringify(expected.warnings)) say(`warnings ${label.expectedWarnings} for case ${label.case}`);
  if (label.expectedError !== expected.error) say(`error ${label.expectedError} for case ${label.case}`);
  const b64 = Math.ceil(bytes.length / 3) * 4;
  if (label.case === 'undecodable') {
    // A GIF decodes fine but is not a format the service takes (PNG, JPEG, BMP only).
    const gif = bytes[0] === 0x47 && bytes[1] === 0x49 && bytes[2] === 0x46;
    if (!gif && label.format !== 'bmp') {
      const decoded = await sharp(bytes).raw().toBuffer().then(() => true, () => false);
      if (decoded) say('undecodable file decodes');
    }
    return problems;
  }
  let img: Canvas8;
  try {
    img = await decodeForCheck(bytes, label.format);
  } catch (err) {
    say(`does not decode (${err instanceof Error ? err.message : String(err)})`);
    return problems;
  }
  if (img.width !== label.width || img.height !== label.height) say(`decoded ${img.width}×${img.height}, labelled ${label.width}×${label.height}`);
  if (label.case === 'oversized' ? b64 <= 7 * 1024 * 1024 : b64 >= 7_000_000) say(`base64 size ${b64} wrong for case ${label.case}`);
  const now = ymd(label.now);
  if (!now) say(`bad now ${label.now}`);
  if (label.expectedError && label.case !== 'oversized' && label.cards.length > 0) say('error case with cards');
  if (!label.expectedError && label.cards.length === 0) say('no cards');
  if (label.case === 'multi' && label.cards.length < 2) say('multi with fewer than 2 cards');
  for (const [i, card] of label.cards.entries()) {
    const f = card.fields;
    if (quadArea(card.quad) <= 0) say(`card ${i} quad not clockwise`);
    const within = inside(card.quad, label.width, label.height);
    if (label.case === 'cut' && i === 0 ? within : !within) say(`card ${i} quad ${within ? 'inside' : 'outside'} the frame`);
    if (card.kind !== 'BACK' && !card.portrait) say(`card ${i} has no portrait box`);
    if (card.kind === 'BACK' && (f.Name ?? f.Sex ?? f.Nation ?? f.Birth ?? f.Address ?? f.IdNum) !== null) say(`back card ${i} carries front fields`);
    if (card.kind === 'FRONT' && (f.Authority ?? f.ValidDate) !== null) say(`front card ${i} carries back fields`);
    if (f.IdNum) {
      if (!isValidIdChecksum(f.IdNum)) say(`card ${i} IdNum check character wrong`);
      const parts = parseIdNumber(f.IdNum);
      if (parts && f.Birth && f.Birth !== `${parts.birth.year}/${parts.birth.month}/${parts.birth.day}`) say(`card ${i} Birth disagrees with IdNum`);
      if (parts && f.Sex && f.Sex !== parts.sex) say(`card ${i} Sex disagrees with IdNum`);
    }
    if (f.ValidDate && now) {
      const birth = f.IdNum ? parseIdNumber(f.IdNum)?.birth : undefined;
      const problem = validityProblem(f.ValidDate, now, birth, card.kind === 'TEMPORARY');
      if (label.case === 'invalid-date' && i === 0 ? problem === null : problem !== null) say(`card ${i} ValidDate ${problem ?? 'valid'} for case ${label.case}`);
    }
    if (i === 0 && (label.case === 'cut' || label.case === 'occluded')) {
      const onFace = card.kind === 'BACK' ? 2 : card.kind === 'FRONT' ? 6 : 8;
      const shown = Object.values(f).filter((v) => v !== null).length;
      if (label.case === 'occluded' && shown >= onFace) say('occluded card with every field visible');
    }
  }
  return problems;
}

/** Verifies a whole set directory; returns every problem found. */
export async function verifySet(dir: string): Promise<{ images: number; problems: string[] }> {
  const labels = JSON.parse(await readFile(path.join(dir, 'labels.json'), 'utf8')) as SynthLabels;
  const problems: string[] = [];
  for (const label of labels.images) problems.push(...(await verifyImage(label, new Uint8Array(await readFile(path.join(dir, label.file))))));
  return { images: labels.images.length, problems };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = process.argv[2];
  if (!dir) {
    console.error('usage: npx tsx src/synth/verify.ts DIR');
    process.exitCode = 2;
  } else {
    const { images, problems } = await verifySet(dir);
    for (const p of problems) console.log(p);
    console.log(`${images} images, ${problems.length} problems`);
    if (problems.length > 0) process.exitCode = 1;
  }
}

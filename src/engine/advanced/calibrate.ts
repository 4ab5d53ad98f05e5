/**
 * Calibration run: every detector on a synthetic set (`npm run synth -- --out DIR …`), using the labels'
 * corner quads as the located cards (no recognition needed), and per-code recall / false-alarm figures.
 *
 *   npx tsx src/engine/advanced/calibrate.ts DIR [--verbose]
 *
 * A code counts as expected on an image when labels.json lists it in `expectedWarnings`; "false alarm"
 * is a code raised on an image that does not expect it. Portrait crops are scored by IoU against the
 * label's portrait quad mapped into canonical coordinates.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { SynthLabels } from '../../synth/labels.ts';
import type { IdCardConfig, WarnCode } from '../types.ts';
import { CONFIG_KEYS } from '../types.ts';
import { portraitBox } from './crops.ts';
import { computeAdvanced } from './index.ts';
import { inputFromLabel } from './generatedInput.ts';
import { applyHomography } from './warp.ts';

const CODES: WarnCode[] = [9100, 9101, 9102, 9103, 9104, 9105, 9106];

async function main() {
  const dir = process.argv[2];
  const verbose = process.argv.includes('--verbose');
  if (!dir) throw new Error('Expected a synthetic set directory but received none');
  const labels = JSON.parse(await readFile(path.join(dir, 'labels.json'), 'utf8')) as SynthLabels;
  const all = Object.fromEntries(CONFIG_KEYS.map((k) => [k, k !== 'MultiCardDetect'])) as unknown as IdCardConfig;
  // per case, per code: [fired, total]
  const table = new Map<string, Map<WarnCode, [number, number]>>();
  const ious: number[] = [];
  const times: number[] = [];
  const perDetector = new Map<string, number[]>();
  const scores = new Map<string, Array<{ name: string; score: number }>>();
  for (const label of labels.images) {
    if (label.cards.length === 0 || label.expectedError) continue;
    const { input, toDecoded } = await inputFromLabel(new Uint8Array(await readFile(path.join(dir, label.file))), label);
    const first = label.cards[0];
    const target = input.target;
    const ctx = { timings: {} as Record<string, number>, verbose: true, now: new Date(`${label.now}T12:00:00Z`) };
    const { advancedInfo, reports } = await computeAdvanced(input, all, ctx);
    times.push(ctx.timings.advanced);
    for (const [k, v] of Object.entries(ctx.timings)) if (k.startsWith('advanced.')) perDetector.set(k, [...(perDetector.get(k) ?? []), v]);
    const got = new Set(advancedInfo.WarnInfos ?? []);
    const row = table.get(label.case) ?? new Map();
    table.set(label.case, row);
    for (const code of CODES) {
      const cell = row.get(code) ?? [0, 0];
      cell[0] += got.has(code) ? 1 : 0;
      cell[1] += 1;
      row.set(code, cell);
    }
    const s = scores.get(label.case) ?? [];
    for (const r of reports) s.push({ name: r.name, score: r.score });
    scores.set(label.case, s);
    if (first.portrait) {
      const truth = toDecoded(first.portrait).map((p) => applyHomography(target.homography, p));
      const t = { x0: Math.min(...truth.map((p) => p.x)), y0: Math.min(...truth.map((p) => p.y)), x1: Math.max(...truth.map((p) => p.x)), y1: Math.max(...truth.map((p) => p.y)) };
      const b = portraitBox(target)!;
      const ix = Math.max(0, Math.min(t.x1, b.x1) - Math.max(t.x0, b.x0));
      const iy = Math.max(0, Math.min(t.y1, b.y1) - Math.max(t.y0, b.y0));
      const inter = ix * iy;
      const iou = inter / ((t.x1 - t.x0) * (t.y1 - t.y0) + (b.x1 - b.x0) * (b.y1 - b.y0) - inter);
      ious.push(iou);
      if (iou < 0.95) console.log(`${label.file} portrait IoU ${iou.toFixed(3)}: truth ${[t.x0, t.y0, t.x1, t.y1].map((v) => v.toFixed(0))} got ${[b.x0, b.y0, b.x1, b.y1]}`);
    }
    const unexpected = [...got].filter((c) => !label.expectedWarnings.includes(c));
    const missed = label.expectedWarnings.filter((c) => !got.has(c));
    if (verbose || unexpected.length || missed.length) {
      console.log(`${label.file} [${label.case}] expected ${label.expectedWarnings.join(',') || '-'} got ${[...got].join(',') || '-'}`);
      if (verbose || unexpected.length || missed.length) for (const r of reports) if (r.code && (unexpected.includes(r.code) || missed.includes(r.code) || verbose)) console.log(`   ${r.name} ${r.score}/${r.threshold}: ${r.reason}`);
    }
  }
  console.log('\ncase          n   ' + CODES.join('  '));
  for (const [c, row] of table) {
    const n = row.get(9100)![1];
    console.log(`${c.padEnd(13)} ${String(n).padStart(3)}  ` + CODES.map((code) => `${String(row.get(code)![0]).padStart(4)}`).join(' '));
  }
  for (const [c, s] of scores) {
    const by = new Map<string, number[]>();
    for (const { name, score } of s) by.set(name, [...(by.get(name) ?? []), score]);
    console.log(c.padEnd(13), [...by].map(([n, v]) => `${n}:${v.sort((a, b) => a - b).join('/')}`).join('  '));
  }
  if (ious.length) console.log(`portrait IoU: min ${Math.min(...ious).toFixed(3)} mean ${(ious.reduce((a, b) => a + b, 0) / ious.length).toFixed(3)} (n=${ious.length})`);
  times.sort((a, b) => a - b);
  for (const [k, v] of perDetector) console.log(`  ${k}: median ${v.sort((a, b) => a - b)[Math.floor(v.length / 2)].toFixed(1)} ms`);
  console.log(`advanced stage, all flags: median ${times[Math.floor(times.length / 2)].toFixed(1)} ms, p90 ${times[Math.floor(times.length * 0.9)].toFixed(1)} ms`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();

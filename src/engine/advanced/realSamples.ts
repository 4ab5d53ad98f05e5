/**
 * The risk warnings on the real sample images (../shared/samples/real: specimen and demo cards, none
 * doctored, photocopied or re-shot), to count false alarms where synthetic calibration cannot see them.
 *
 *   npx tsx src/engine/advanced/realSamples.ts [--locate] [--verbose]
 *
 * `--locate` runs the whole pipeline (OCR included) once per image and stores the located quads in
 * /tmp/idcard-real-quads.json; without it the stored quads are reused, so the detectors can be re-run in
 * seconds. Prints each image's raised codes and, with --verbose, every detector's score and reason.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeImage } from '../decode.ts';
import type { CardKind, IdCardConfig, Quad, WarnCode } from '../types.ts';
import { CONFIG_KEYS } from '../types.ts';
import { computeAdvanced } from './index.ts';
import { locatedCardFromQuad } from './labelledCard.ts';

export const REAL_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../shared/samples/real');
const CACHE = '/tmp/idcard-real-quads-original.json';

export interface LocatedSample {
  file: string;
  kind: CardKind;
  /** In the original image's pixels (decode may downscale, and its limit may change). */
  quad: Quad;
}

async function locateAll(): Promise<LocatedSample[]> {
  const { createOcrModels } = await import('../recognize.ts');
  const { runPipeline } = await import('../pipeline.ts');
  const models = await createOcrModels();
  const files = (await import('node:fs')).readdirSync(REAL_DIR).filter((f) => /\.(png|jpe?g)$/i.test(f)).sort();
  const out: LocatedSample[] = [];
  for (const file of files) {
    try {
      const bytes = new Uint8Array(await readFile(path.join(REAL_DIR, file)));
      const r = await runPipeline({ image: bytes, verbose: true, config: { BorderCheckWarn: true } }, models);
      // The pipeline reports decoded-image px: back to the original's with the same decoder's scale.
      const { scaleToOriginal } = await decodeImage(bytes, { timings: {}, verbose: false, now: new Date() });
      // The pipeline's target is the card whose kind it answered with (the first of that kind).
      const card = r.diagnostics!.cards.find((c) => c.kind === r.side) ?? r.diagnostics!.cards[0];
      out.push({ file, kind: card.kind, quad: card.quad.map((p) => ({ x: p.x * scaleToOriginal, y: p.y * scaleToOriginal })) as Quad });
    } catch (e) {
      console.log(`${file}: ${(e as Error).message}`);
    }
  }
  await models.release();
  return out;
}

const ALL: IdCardConfig = Object.fromEntries(CONFIG_KEYS.map((k) => [k, k !== 'MultiCardDetect'])) as unknown as IdCardConfig;

/** Every detector on one located sample; `now` inside most samples' validity so 9100 means something. */
export async function warningsOf(sample: LocatedSample, config: IdCardConfig = ALL) {
  const decoded = await decodeImage(new Uint8Array(await readFile(path.join(REAL_DIR, sample.file))), { timings: {}, verbose: false, now: new Date() });
  const quad = sample.quad.map((p) => ({ x: p.x / decoded.scaleToOriginal, y: p.y / decoded.scaleToOriginal })) as Quad;
  const target = locatedCardFromQuad(decoded.image, quad, sample.kind);
  const ctx = { timings: {} as Record<string, number>, verbose: false, now: new Date('2026-01-01T00:00:00Z') };
  return computeAdvanced({ decoded, cards: [target], target, idInfo: {}, lines: [] }, config, ctx);
}

async function main() {
  const verbose = process.argv.includes('--verbose');
  let samples: LocatedSample[];
  if (process.argv.includes('--locate') || !existsSync(CACHE)) {
    samples = await locateAll();
    await writeFile(CACHE, JSON.stringify(samples, null, 1));
  } else samples = JSON.parse(await readFile(CACHE, 'utf8')) as LocatedSample[];
  const counts = new Map<WarnCode, number>();
  for (const s of samples) {
    const { advancedInfo, reports } = await warningsOf(s);
    const w = advancedInfo.WarnInfos ?? [];
    for (const c of w) counts.set(c, (counts.get(c) ?? 0) + 1);
    console.log(`${s.file} [${s.kind}] ${w.join(',') || '-'}`);
    if (verbose) for (const r of reports) if (r.code && r.code !== 9100 && r.code !== 9104) console.log(`   ${r.code} ${r.name} ${r.score}/${r.threshold}: ${r.reason}`);
  }
  console.log(`\n${samples.length} images; raised: ${[...counts].sort((a, b) => a[0] - b[0]).map(([c, n]) => `${c}×${n}`).join(' ') || 'none'}`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();

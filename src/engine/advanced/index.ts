/**
 * The advanced stage: everything in COS CI IDCardOCR's `Config` besides the fields — crops, the quality
 * score and the risk warnings (9100–9106). Each detector is its own module returning a DetectorReport
 * (score, threshold, why), so `--verbose` shows why a warning was or was not raised.
 *
 * Only switched-on flags run (each flag defaults to false and costs nothing when off), and `WarnInfos`
 * holds only codes of detectors that fired and whose flag is on, in ascending order (the spec's order).
 * MultiCardDetect belongs to the card pipeline (it turns into FailedOperation.MultiCardError there).
 */
import type { AdvancedInfo, AdvancedInput, DetectorReport, IdCardConfig, RasterImage, StageContext, WarnCode } from '../types.ts';
import { borderCutReport } from './border.ts';
import { photocopyReport } from './copy.ts';
import { canonicalFromCrop, cropPortraitFrom, encodeJpegBase64, rectifiedCardForCrop } from './crops.ts';
import { type OcclusionAnalysis, analyseOcclusion, occlusionReport } from './occlusion.ts';
import { doctoredReport } from './ps.ts';
import { qualityReport } from './quality.ts';
import { reshootReport } from './reshoot.ts';
import { temporaryCardReport } from './temporary.ts';
import { validityReport } from './validity.ts';

export async function computeAdvanced(
  input: AdvancedInput,
  config: IdCardConfig,
  ctx: StageContext,
): Promise<{ advancedInfo: AdvancedInfo; reports: DetectorReport[] }> {
  const started = performance.now();
  const { decoded, target } = input;
  const advancedInfo: AdvancedInfo = {};
  const reports: DetectorReport[] = [];
  const warnings = new Set<WarnCode>();
  const record = (r: DetectorReport) => {
    reports.push(r);
    if (r.fired && r.code !== undefined) warnings.add(r.code);
  };
  // Per-detector time, kept only for --verbose so a slow detector can be found without a profiler.
  const timed = async <T>(name: string, run: () => T | Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const out = await run();
    if (ctx.verbose) ctx.timings[`advanced.${name}`] = performance.now() - t0;
    return out;
  };

  // The occlusion analysis serves 9105 and tells the edit detector which fields a cover hides: run once.
  let occlusionRun: OcclusionAnalysis | undefined;
  const occlusion = async () => (occlusionRun ??= await timed('occlusion', () => analyseOcclusion(target, decoded.image)));

  // The resampling and the JPEG encodes run in libvips' worker threads, overlapping the detectors (plain
  // JavaScript on this thread) instead of adding to them; the encodes are collected at the end.
  let idCardJob: Promise<string> | undefined;
  let rectified: RasterImage | undefined;
  /** The canonical card resampled from the finer crop in libvips' threads, while the first detectors run. */
  let canonicalJob: Promise<RasterImage | undefined> | undefined;
  if (config.CropIdCard || config.CropPortrait) {
    rectified = await timed('rectify', () => rectifiedCardForCrop(decoded, target));
    // A locate card not made yet (its lines were reused): made from the crop rather than a second warp of
    // the photo. Should libvips fail, the card is warped as usual when first looked at.
    if (target.provideCard && target.hasCard?.() === false) canonicalJob = canonicalFromCrop(rectified).catch(() => undefined);
  }
  // Detectors that do not look at the rectified card run first, while the canonical card is made.
  const cut = config.BorderCheckWarn ? await timed('border', () => borderCutReport(decoded, target)) : undefined;
  const reshoot = config.ReshootWarn ? await timed('reshoot', () => reshootReport(decoded, target)) : undefined;
  if (canonicalJob) {
    const job = canonicalJob;
    const canonical = await timed('canonical', () => job);
    if (canonical) target.provideCard!(() => canonical);
  }
  // The encodes start once the resampling is done, so that it has libvips' threads to itself.
  if (config.CropIdCard && rectified) idCardJob = settledLater(encodeJpegBase64(rectified));
  let portraitJob: Promise<{ jpeg: string } | null> | undefined;
  if (config.CropPortrait && rectified) portraitJob = settledLater(cropPortraitFrom(rectified, target));
  if (config.Quality) {
    const q = await timed('quality', () => qualityReport(target));
    reports.push({ name: q.name, score: q.score, threshold: q.threshold, fired: q.fired, reason: q.reason });
    advancedInfo.Quality = q.quality;
  }
  if (cut) {
    const covered = occlusionReport(await occlusion());
    record(cut);
    record(covered);
    // One BorderCodeValue for both halves of the check: the stronger risk (≥ 50 warns, COS CI's advice).
    advancedInfo.BorderCodeValue = Math.max(cut.score, covered.score);
  }
  if (config.CopyWarn) record(await timed('photocopy', () => photocopyReport(target, decoded.image)));
  if (reshoot) record(reshoot);
  if (config.DetectPsWarn) {
    const { covered } = await occlusion();
    record(await timed('doctored', () => doctoredReport(target, decoded.image, covered)));
  }
  if (config.TempIdWarn) record(temporaryCardReport(target));
  if (config.InvalidDateWarn) record(validityReport(input.idInfo, target, ctx.now));

  // Waiting time only (the encodes ran alongside the detectors).
  const crops: AdvancedInfo = {};
  if (idCardJob) {
    const job = idCardJob;
    crops.IdCard = await timed('cropIdCard', () => job);
  }
  if (portraitJob) {
    const job = portraitJob;
    const portrait = await timed('cropPortrait', () => job);
    if (portrait) crops.Portrait = portrait.jpeg;
  }
  // Only switched-on detectors ran, so every code here belongs to a flag that is on.
  if (warnings.size > 0) advancedInfo.WarnInfos = [...warnings].sort((a, b) => a - b);
  // Crops first: the JSON answer keeps the spec's key order (IdCard, Portrait, Quality, …).
  const ordered: AdvancedInfo = { ...crops, ...advancedInfo };
  ctx.timings.advanced = (ctx.timings.advanced ?? 0) + (performance.now() - started);
  return { advancedInfo: ordered, reports };
}

/**
 * The promise itself, marked as handled: a crop that fails while the detectors run must not count as an
 * unhandled rejection; it still rejects where it is awaited.
 */
function settledLater<T>(job: Promise<T>): Promise<T> {
  job.catch(() => undefined);
  return job;
}

/**
 * Benchmark sets: a synthetic set (`DIR/labels.json` of type SynthLabels, written by `npm run synth`) or the
 * shared real specimens (`../shared/samples/real/labels.json`, format in its MANIFEST.md). Both are mapped onto
 * one `BenchCase` list so scoring never needs to know where a label came from.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ID_FIELDS, type CardSide, type IdCardConfig, type IdField, type Quad, type WarnCode } from '../src/engine/types.ts';
import { ERROR_CATALOGUE, type ErrorCode } from '../src/errors/catalogue.ts';
import type { SynthLabels } from '../src/synth/labels.ts';

export interface BenchCase {
  /** Unique within the set: the file name, plus `#SIDE` when one file carries two label entries. */
  id: string;
  /** Absolute path of the image. */
  file: string;
  /** Synthetic case name (`clean`, `photo`, …) or `real`. */
  case: string;
  /** `CardSide` to send with the request; absent = let the engine decide. */
  side?: CardSide;
  /** Only the fields to score: fields whose true value is known (null / illegible / not on this side are left out). */
  expected: Partial<Record<IdField, string>>;
  /** Warning codes expected with every warning flag on; `null` when the set does not label warnings. */
  expectedWarnings: WarnCode[] | null;
  /** Expected error code, if recognition should fail. */
  expectedError?: ErrorCode;
  /** Clock for validity checks (synthetic labels were made for a reference date). */
  now?: Date;
  /** Corners of the card the request should read, in image pixels, when the set knows them. */
  quad?: Quad;
  /** Config flags this case needs on top of the run's config (e.g. MultiCardDetect off to read one of several cards). */
  config?: Partial<IdCardConfig>;
}

export interface BenchSet {
  kind: 'synth' | 'real';
  dir: string;
  cases: BenchCase[];
  /** Free text saying where the labels came from (seed, generator). */
  provenance: string;
}

/** `1992年9月15日` / `2013年05月06日` (as printed) → `1992/9/15` / `2013/5/6` (the API's Birth format). */
export function printedBirthToApi(printed: string): string | null {
  const m = /^\s*(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日\s*$/.exec(printed);
  return m ? `${Number(m[1])}/${Number(m[2])}/${Number(m[3])}` : null;
}

function isErrorCode(s: unknown): s is ErrorCode {
  return typeof s === 'string' && Object.hasOwn(ERROR_CATALOGUE, s);
}

function uniqueIds<T extends { file: string; side?: string }>(entries: T[]): string[] {
  const counts = new Map<string, number>();
  for (const e of entries) counts.set(e.file, (counts.get(e.file) ?? 0) + 1);
  return entries.map((e) => ((counts.get(e.file) ?? 0) > 1 ? `${e.file}#${e.side ?? '?'}` : e.file));
}

/** The case name of the extra run that checks MultiCardDetect on a multi-card image. */
export const MULTI_DETECT_CASE = 'multi+MultiCardDetect';

/**
 * Several cards in the MultiCardDetect sense of issue 5: more than one card in the image, a front and a back
 * together included (the engine answers FailedOperation.MultiCardError for any of them with the flag on).
 */
export function isMultiCard(kinds: readonly string[]): boolean {
  return kinds.length > 1;
}

/**
 * The card whose fields the answer must carry: with MultiCardDetect off, issue 5 asks for the card of the
 * requested side, or the most prominent one — the largest in the image, the first in reading order among
 * cards of about its size (the generator lists cards in the order it placed them, which says nothing about
 * which one a reader would take).
 */
export function answeringCard<C extends { kind: string; quad: ReadonlyArray<{ x: number; y: number }> }>(cards: readonly C[], side?: string): C | undefined {
  const serving = cards.filter((c) => !side || c.kind === side || c.kind === 'TEMPORARY');
  const pool = serving.length > 0 ? serving : cards;
  const area = (q: C['quad']) => Math.abs(q.reduce((s, p, i) => s + p.x * q[(i + 1) % q.length].y - q[(i + 1) % q.length].x * p.y, 0)) / 2;
  const largest = Math.max(...pool.map((c) => area(c.quad)));
  // Cards of about the same size: the first in reading order (rows top to bottom — cards overlapping by half
  // their height share a row — then left to right).
  const span = (c: C) => ({ y0: Math.min(...c.quad.map((p) => p.y)), y1: Math.max(...c.quad.map((p) => p.y)), x: c.quad.reduce((a, p) => a + p.x, 0) / c.quad.length });
  return pool
    .filter((c) => area(c.quad) >= 0.9 * largest)
    .sort((a, b) => {
      const sa = span(a);
      const sb = span(b);
      const sameRow = Math.min(sa.y1, sb.y1) - Math.max(sa.y0, sb.y0) > 0.5 * Math.min(sa.y1 - sa.y0, sb.y1 - sb.y0);
      return sameRow ? sa.x - sb.x : sa.y0 - sb.y0;
    })[0];
}

/**
 * Map a parsed SynthLabels document onto bench cases. An image with several cards (and no expected
 * error) is two cases, because MultiCardDetect changes the answer (issue 5): with the flag off the request
 * reads the most prominent card (answeringCard), and its fields are scored; with it on the answer must be FailedOperation.MultiCardError.
 */
export function casesFromSynthLabels(labels: SynthLabels, dir: string): BenchCase[] {
  const ids = uniqueIds(labels.images);
  return labels.images.flatMap((img, i) => {
    const card = answeringCard(img.cards, img.side);
    const expected: Partial<Record<IdField, string>> = {};
    if (card && !img.expectedError) {
      for (const f of ID_FIELDS) {
        const v = card.fields[f];
        if (typeof v === 'string') expected[f] = v;
      }
    }
    if (img.expectedError !== undefined && !isErrorCode(img.expectedError)) {
      throw new Error(`labels.json: image ${i} expects error '${String(img.expectedError)}', which is not in the error catalogue`);
    }
    const base: BenchCase = {
      id: ids[i],
      file: path.resolve(dir, img.file),
      case: img.case,
      side: img.side,
      expected,
      expectedWarnings: [...(img.expectedWarnings ?? [])].sort((a, b) => a - b),
      expectedError: img.expectedError,
      now: img.now ? new Date(`${img.now}T12:00:00Z`) : undefined,
      quad: card?.quad,
    };
    if (!isMultiCard(img.cards.map((k) => k.kind)) || img.expectedError) return [base];
    return [
      { ...base, config: { MultiCardDetect: false } },
      { ...base, id: `${ids[i]}#MultiCardDetect`, case: MULTI_DETECT_CASE, expected: {}, expectedWarnings: null, expectedError: 'FailedOperation.MultiCardError', config: { MultiCardDetect: true } },
    ];
  });
}

/** One entry of ../shared/samples/real/labels.json (MANIFEST.md). */
export interface RealLabel {
  file: string;
  side: CardSide;
  both_sides_in_image?: boolean;
  illegible?: string[];
  [field: string]: unknown;
}

/**
 * Map the real-sample labels. Birth is stored as printed and is normalised to the API form; null fields
 * (illegible, or not on that side) are not scored. Both sides in one image → two cases, each asking for its
 * side with CardSide; a single-sided image is sent without CardSide, so side detection is measured too.
 * Warnings are not labelled for these specimens.
 */
export function casesFromRealLabels(entries: RealLabel[], dir: string): BenchCase[] {
  const ids = uniqueIds(entries);
  return entries.map((e, i) => {
    const expected: Partial<Record<IdField, string>> = {};
    for (const f of ID_FIELDS) {
      const v = e[f];
      if (typeof v !== 'string' || (e.illegible ?? []).includes(f)) continue;
      if (f === 'Birth') {
        const api = printedBirthToApi(v);
        if (api === null) throw new Error(`real labels: entry ${i} has a Birth that is not in the printed form YYYY年M月D日`);
        expected.Birth = api;
      } else {
        expected[f] = v;
      }
    }
    return {
      id: ids[i],
      file: path.resolve(dir, e.file),
      case: 'real',
      side: e.both_sides_in_image ? e.side : undefined,
      expected,
      expectedWarnings: null,
    };
  });
}

/** Load a set directory: SynthLabels (has `images`) or the real-sample array. */
export function loadBenchSet(dir: string): BenchSet {
  const abs = path.resolve(dir);
  const labelsPath = path.join(abs, 'labels.json');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(labelsPath, 'utf8'));
  } catch (e) {
    throw new Error(`cannot read ${labelsPath}: ${(e as Error).message}`);
  }
  if (Array.isArray(raw)) {
    return { kind: 'real', dir: abs, cases: casesFromRealLabels(raw as RealLabel[], abs), provenance: 'real specimens (MANIFEST.md)' };
  }
  if (raw && typeof raw === 'object' && Array.isArray((raw as SynthLabels).images)) {
    const labels = raw as SynthLabels;
    return {
      kind: 'synth',
      dir: abs,
      cases: casesFromSynthLabels(labels, abs),
      provenance: `synthetic, seed ${labels.seed}, ${labels.generatedBy}`,
    };
  }
  throw new Error(`${labelsPath}: neither a SynthLabels object (with "images") nor a real-sample array`);
}

/**
 * `--cases a,b` (case names or ids) and `--limit N`. The limit takes cases round-robin across case names, so a
 * short run still sees every kind of image instead of only the first case in the file.
 */
export function selectCases(cases: BenchCase[], opts: { limit?: number; cases?: string[] }): BenchCase[] {
  let out = cases;
  if (opts.cases && opts.cases.length > 0) {
    const wanted = new Set(opts.cases);
    // `multi` also selects its `multi+MultiCardDetect` run.
    out = out.filter((c) => wanted.has(c.case) || wanted.has(c.case.split('+')[0]) || wanted.has(c.id));
  }
  if (opts.limit === undefined || opts.limit >= out.length) return out;
  const byCase = new Map<string, BenchCase[]>();
  for (const c of out) byCase.set(c.case, [...(byCase.get(c.case) ?? []), c]);
  const queues = [...byCase.values()];
  const picked: BenchCase[] = [];
  for (let round = 0; picked.length < opts.limit; round++) {
    for (const q of queues) if (round < q.length && picked.length < opts.limit) picked.push(q[round]);
  }
  return picked;
}

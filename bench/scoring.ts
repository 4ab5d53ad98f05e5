/**
 * Pure scoring for the accuracy benchmark: no models, no files. Given what each image should give (BenchCase)
 * and what recognition gave (Outcome), build the report: per-field exact match, per-case card accuracy,
 * per-warning precision/recall, error-code correctness, worst misreads and latency.
 *
 * Exact match is the only measure of a field: a bank's KYC flow compares strings, so "nearly right" is wrong.
 * Edit distance is used only to rank misreads for a reader, never to score.
 */
import { ID_FIELDS, type CardKind, type IdField, type IdInfo, type WarnCode } from '../src/engine/types.ts';
import { editDistance } from '../src/engine/validate.ts';
import type { BenchCase } from './sets.ts';
import { finiteOrNull, summarize } from './stats.ts';

export const WARN_CODES: readonly WarnCode[] = [9100, 9101, 9102, 9103, 9104, 9105, 9106];

/** Cases on which no warning should fire (issue 5: false alarms ≤ 3% on clean scans and clean phone photos). */
export const CLEAN_CASES: ReadonlySet<string> = new Set(['clean', 'photo']);

/** What one recognition call gave. */
export interface Outcome {
  id: string;
  case: string;
  /** Wall-clock milliseconds of the recognize() call. */
  ms: number;
  /** Fields returned; null when the call threw. */
  got: IdInfo | null;
  side?: CardKind;
  /** Warning codes returned (empty when none, or when the call threw). */
  warnings: WarnCode[];
  /** Error code when the call failed: a catalogued ServiceError code, `Crash` for anything else thrown, `NoAnswer` when HTTP gave none. */
  error?: string;
  /** For Crash/NoAnswer only: the exception's name and message (engine messages never carry field values). */
  crash?: string;
  /** Per-stage milliseconds reported by the engine. */
  timings?: Record<string, number>;
}

export interface Misread {
  id: string;
  case: string;
  field: IdField;
  expected: string;
  /** `null` when the field was missing from the answer (or the call failed). */
  got: string | null;
  /** Levenshtein distance over code points divided by the expected length; 1 for a missing field. */
  severity: number;
}

export interface Rate {
  scored: number;
  right: number;
  accuracy: number | null;
}

export interface WarningScore {
  tp: number;
  fp: number;
  fn: number;
  precision: number | null;
  recall: number | null;
  /** Images of the clean cases (clean, photo) on which this code fired: false alarms / images. */
  cleanFalseAlarms: number;
  cleanImages: number;
  cleanFalseAlarmRate: number | null;
}

export interface LatencyScore {
  n: number;
  mean: number | null;
  p50: number | null;
  p95: number | null;
  max: number | null;
}

export interface AccuracyReport {
  schema: 'idcard-ocr/bench-accuracy@1';
  createdAt: string;
  git: { commit: string | null; dirty: boolean | null };
  machine: { cpus: string; cores: number; node: string; platform: string };
  set: { dir: string; kind: 'synth' | 'real'; provenance: string; images: number };
  /** How the recognizer was driven (config flags, engine entry point) and whether it could be loaded at all. */
  engine: { entry: string; loaded: boolean; loadMs: number | null; loadError?: string; config: Record<string, boolean> };
  fields: Record<IdField, Rate>;
  fieldsOverall: Rate;
  fieldsByCase: Record<string, Record<IdField, Rate>>;
  cards: { overall: Rate; byCase: Record<string, Rate> };
  /** Null when the set carries no warning labels. */
  warnings: Record<string, WarningScore> | null;
  errors: {
    /** Images that should fail with a given code: how many failed with exactly that code. */
    expected: Rate;
    /** Images that should succeed: how many did not throw. */
    unexpected: { images: number; failed: number };
    /** `expected → got` counts (`ok` = no error). */
    confusion: Record<string, number>;
  };
  latency: { overall: LatencyScore; byCase: Record<string, LatencyScore>; stages: Record<string, LatencyScore> };
  misreads: { total: number; worst: Misread[] };
  outcomes: Outcome[];
}

/** Levenshtein distance over code points, the one validation uses (re-exported for the report's ranking). */
export { editDistance };

/** A field is right only when the returned string equals the truth exactly; a missing field is wrong. */
export function fieldMatches(expected: string, got: string | undefined | null): boolean {
  return typeof got === 'string' && got === expected;
}

export function rate(right: number, scored: number): Rate {
  return { scored, right, accuracy: scored > 0 ? right / scored : null };
}

function emptyRates(): Record<IdField, { scored: number; right: number }> {
  return Object.fromEntries(ID_FIELDS.map((f) => [f, { scored: 0, right: 0 }])) as Record<IdField, { scored: number; right: number }>;
}

function toRates(acc: Record<IdField, { scored: number; right: number }>): Record<IdField, Rate> {
  return Object.fromEntries(ID_FIELDS.map((f) => [f, rate(acc[f].right, acc[f].scored)])) as Record<IdField, Rate>;
}

/**
 * Precision and recall of one warning code over the images whose warnings are labelled and that should not
 * fail. An image whose call threw counts as "nothing fired" (its expected warnings are missed).
 */
export function scoreWarning(code: WarnCode, pairs: Array<{ case: string; expected: readonly WarnCode[]; got: readonly WarnCode[] }>): WarningScore {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let cleanFalseAlarms = 0;
  let cleanImages = 0;
  for (const p of pairs) {
    const want = p.expected.includes(code);
    const fired = p.got.includes(code);
    if (want && fired) tp++;
    else if (!want && fired) fp++;
    else if (want && !fired) fn++;
    if (CLEAN_CASES.has(p.case)) {
      cleanImages++;
      if (fired && !want) cleanFalseAlarms++;
    }
  }
  return {
    tp,
    fp,
    fn,
    precision: tp + fp > 0 ? tp / (tp + fp) : null,
    recall: tp + fn > 0 ? tp / (tp + fn) : null,
    cleanFalseAlarms,
    cleanImages,
    cleanFalseAlarmRate: cleanImages > 0 ? cleanFalseAlarms / cleanImages : null,
  };
}

export function latencyScore(samples: number[]): LatencyScore {
  const s = summarize(samples);
  return { n: s.n, mean: finiteOrNull(s.mean), p50: finiteOrNull(s.p50), p95: finiteOrNull(s.p95), max: finiteOrNull(s.max) };
}

export type ReportContext = Pick<AccuracyReport, 'createdAt' | 'git' | 'machine' | 'set' | 'engine'>;

/** Build the report from labelled cases and their outcomes (matched by id). */
export function buildAccuracyReport(cases: BenchCase[], outcomes: Outcome[], ctx: ReportContext, worstN = 15): AccuracyReport {
  const byId = new Map(outcomes.map((o) => [o.id, o]));
  const fieldAcc = emptyRates();
  const fieldAccByCase = new Map<string, Record<IdField, { scored: number; right: number }>>();
  const cardsByCase = new Map<string, { scored: number; right: number }>();
  const misreads: Misread[] = [];
  const warnPairs: Array<{ case: string; expected: readonly WarnCode[]; got: readonly WarnCode[] }> = [];
  const confusion: Record<string, number> = {};
  let expectedErrImages = 0;
  let expectedErrRight = 0;
  let okImages = 0;
  let okFailed = 0;

  for (const c of cases) {
    const o = byId.get(c.id);
    if (!o) throw new Error(`no outcome for case ${c.id}`);
    const key = `${c.expectedError ?? 'ok'} → ${o.error ?? 'ok'}`;
    confusion[key] = (confusion[key] ?? 0) + 1;

    if (c.expectedError) {
      expectedErrImages++;
      if (o.error === c.expectedError) expectedErrRight++;
      continue;
    }
    okImages++;
    if (o.error) okFailed++;
    if (c.expectedWarnings) warnPairs.push({ case: c.case, expected: c.expectedWarnings, got: o.error ? [] : o.warnings });

    const fields = Object.entries(c.expected) as Array<[IdField, string]>;
    if (fields.length === 0) continue;
    const perCase = fieldAccByCase.get(c.case) ?? emptyRates();
    fieldAccByCase.set(c.case, perCase);
    let allRight = true;
    for (const [f, want] of fields) {
      const got = o.got?.[f];
      const ok = fieldMatches(want, got);
      fieldAcc[f].scored++;
      perCase[f].scored++;
      if (ok) {
        fieldAcc[f].right++;
        perCase[f].right++;
      } else {
        allRight = false;
        const g = typeof got === 'string' ? got : null;
        misreads.push({
          id: c.id,
          case: c.case,
          field: f,
          expected: want,
          got: g,
          severity: g === null ? 1 : editDistance(want, g) / Math.max(1, [...want].length),
        });
      }
    }
    const card = cardsByCase.get(c.case) ?? { scored: 0, right: 0 };
    card.scored++;
    if (allRight) card.right++;
    cardsByCase.set(c.case, card);
  }

  const labelled = cases.some((c) => c.expectedWarnings !== null);
  const warnings = labelled ? Object.fromEntries(WARN_CODES.map((code) => [String(code), scoreWarning(code, warnPairs)])) : null;

  const latencyByCase = new Map<string, number[]>();
  const stageSamples = new Map<string, number[]>();
  for (const o of outcomes) {
    // A call that never ran (no engine) has no latency; it must not pass for a fast one.
    if (Number.isFinite(o.ms)) latencyByCase.set(o.case, [...(latencyByCase.get(o.case) ?? []), o.ms]);
    for (const [stage, t] of Object.entries(o.timings ?? {})) {
      if (Number.isFinite(t)) stageSamples.set(stage, [...(stageSamples.get(stage) ?? []), t]);
    }
  }

  const totalFields = ID_FIELDS.reduce((s, f) => ({ scored: s.scored + fieldAcc[f].scored, right: s.right + fieldAcc[f].right }), { scored: 0, right: 0 });
  const totalCards = [...cardsByCase.values()].reduce((s, r) => ({ scored: s.scored + r.scored, right: s.right + r.right }), { scored: 0, right: 0 });
  misreads.sort((a, b) => b.severity - a.severity || a.id.localeCompare(b.id) || a.field.localeCompare(b.field));

  return {
    schema: 'idcard-ocr/bench-accuracy@1',
    ...ctx,
    fields: toRates(fieldAcc),
    fieldsOverall: rate(totalFields.right, totalFields.scored),
    fieldsByCase: Object.fromEntries([...fieldAccByCase].map(([k, v]) => [k, toRates(v)])),
    cards: {
      overall: rate(totalCards.right, totalCards.scored),
      byCase: Object.fromEntries([...cardsByCase].map(([k, v]) => [k, rate(v.right, v.scored)])),
    },
    warnings,
    errors: {
      expected: rate(expectedErrRight, expectedErrImages),
      unexpected: { images: okImages, failed: okFailed },
      confusion,
    },
    latency: {
      overall: latencyScore(outcomes.map((o) => o.ms).filter(Number.isFinite)),
      byCase: Object.fromEntries([...latencyByCase].map(([k, v]) => [k, latencyScore(v)])),
      stages: Object.fromEntries([...stageSamples].map(([k, v]) => [k, latencyScore(v)])),
    },
    misreads: { total: misreads.length, worst: misreads.slice(0, worstN) },
    outcomes,
  };
}

/** One line of a comparison: the same measure in the old and the new report. */
export interface Delta {
  measure: string;
  old: number | null;
  new: number | null;
  /** new − old (fractions for rates, milliseconds for latency); null when either is missing. */
  delta: number | null;
  unit: 'rate' | 'ms';
}

function d(measure: string, o: number | null | undefined, n: number | null | undefined, unit: Delta['unit']): Delta {
  const old = o ?? null;
  const nw = n ?? null;
  return { measure, old, new: nw, delta: old !== null && nw !== null ? nw - old : null, unit };
}

/** Deltas between two reports (`--compare OLD.json`), over the measures both may carry. */
export function compareReports(oldR: AccuracyReport, newR: AccuracyReport): Delta[] {
  const out: Delta[] = [];
  for (const f of ID_FIELDS) out.push(d(`field ${f}`, oldR.fields[f]?.accuracy, newR.fields[f]?.accuracy, 'rate'));
  out.push(d('fields overall', oldR.fieldsOverall?.accuracy, newR.fieldsOverall?.accuracy, 'rate'));
  const caseNames = [...new Set([...Object.keys(oldR.cards.byCase), ...Object.keys(newR.cards.byCase)])].sort();
  for (const c of caseNames) out.push(d(`cards ${c}`, oldR.cards.byCase[c]?.accuracy, newR.cards.byCase[c]?.accuracy, 'rate'));
  out.push(d('cards overall', oldR.cards.overall.accuracy, newR.cards.overall.accuracy, 'rate'));
  for (const code of WARN_CODES) {
    const o = oldR.warnings?.[String(code)];
    const n = newR.warnings?.[String(code)];
    out.push(d(`warn ${code} precision`, o?.precision, n?.precision, 'rate'));
    out.push(d(`warn ${code} recall`, o?.recall, n?.recall, 'rate'));
  }
  out.push(d('expected errors right', oldR.errors.expected.accuracy, newR.errors.expected.accuracy, 'rate'));
  out.push(d('latency p50', oldR.latency.overall.p50, newR.latency.overall.p50, 'ms'));
  out.push(d('latency p95', oldR.latency.overall.p95, newR.latency.overall.p95, 'ms'));
  return out;
}

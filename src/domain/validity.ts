/**
 * Validity periods (Resident Identity Card Law, art. 5): by age at issue, under 16 → 5 years, 16–25 → 10,
 * 26–45 → 20, 46 and over → 长期 (long-term). Printed `YYYY.MM.DD-YYYY.MM.DD` with the end on the same
 * month and day as the start, or `YYYY.MM.DD-长期`. Temporary cards are valid 3 months.
 */
import { compareYMD, isRealDate, parseDotted, yearsBetween, type YMD } from './dates.ts';

export const LONG_TERM = '长期';

/** Years of validity for a holder of `ageAtIssue`; `null` means 长期. */
export function validityYearsForAge(ageAtIssue: number): number | null {
  if (ageAtIssue < 16) return 5;
  if (ageAtIssue <= 25) return 10;
  if (ageAtIssue <= 45) return 20;
  return null;
}

export interface ParsedValidity {
  start: YMD;
  end: YMD | 'LONG_TERM';
}

export function parseValidDate(s: string): ParsedValidity | null {
  const m = /^(\d{4}\.\d{2}\.\d{2})-(\d{4}\.\d{2}\.\d{2}|长期)$/.exec(s);
  if (!m) return null;
  const start = parseDotted(m[1]);
  if (!start) return null;
  if (m[2] === LONG_TERM) return { start, end: 'LONG_TERM' };
  const end = parseDotted(m[2]);
  return end ? { start, end } : null;
}

export type ValidityProblem = 'unparseable' | 'impossible-date' | 'expired' | 'not-yet-valid' | 'wrong-span' | 'span-for-age';

/**
 * Why a printed validity period is invalid (warning 9100), or null when it is fine.
 * `birth` (from the number) enables the age rule; without it only the span shape (5/10/20 years, 长期) is checked.
 */
export function validityProblem(validDate: string, now: YMD, birth?: YMD, temporary = false): ValidityProblem | null {
  const p = parseValidDate(validDate);
  if (!p) return 'unparseable';
  if (!isRealDate(p.start) || (p.end !== 'LONG_TERM' && !isRealDate(p.end))) return 'impossible-date';
  if (compareYMD(p.start, now) > 0) return 'not-yet-valid';
  if (p.end !== 'LONG_TERM' && compareYMD(p.end, now) < 0) return 'expired';
  if (temporary) {
    if (p.end === 'LONG_TERM') return 'wrong-span';
    const months = (p.end.year - p.start.year) * 12 + (p.end.month - p.start.month);
    return months === 3 && p.end.day === p.start.day ? null : 'wrong-span';
  }
  let spanYears: number | null = null;
  if (p.end !== 'LONG_TERM') {
    if (p.end.month !== p.start.month || p.end.day !== p.start.day) return 'wrong-span';
    spanYears = p.end.year - p.start.year;
    if (![5, 10, 20].includes(spanYears)) return 'wrong-span';
  }
  if (birth && isRealDate(birth)) {
    const expected = validityYearsForAge(yearsBetween(birth, p.start));
    if (expected !== spanYears) return 'span-for-age';
  }
  return null;
}

/** Calendar helpers shared by generation and validation (Gregorian; GB 11643 birth dates, validity periods). */

export interface YMD {
  year: number;
  month: number;
  day: number;
}

export function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

export function daysInMonth(y: number, m: number): number {
  return [31, isLeapYear(y) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1] ?? 0;
}

export function isRealDate(d: YMD): boolean {
  return Number.isInteger(d.year) && d.year >= 1800 && d.year <= 2200 && d.month >= 1 && d.month <= 12 && d.day >= 1 && d.day <= daysInMonth(d.year, d.month);
}

export function compareYMD(a: YMD, b: YMD): number {
  return a.year - b.year || a.month - b.month || a.day - b.day;
}

export function ymdFromDate(d: Date): YMD {
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/** Whole years from `from` to `to` (age on `to` of someone born on `from`). */
export function yearsBetween(from: YMD, to: YMD): number {
  let years = to.year - from.year;
  if (to.month < from.month || (to.month === from.month && to.day < from.day)) years--;
  return years;
}

/** The API's Birth format: `YYYY/M/D`, no zero padding (spec sample `1987/1/1`). */
export function formatApiBirth(d: YMD): string {
  return `${d.year}/${d.month}/${d.day}`;
}

/** The card's validity format: `YYYY.MM.DD` zero-padded. */
export function formatDotted(d: YMD): string {
  return `${d.year}.${String(d.month).padStart(2, '0')}.${String(d.day).padStart(2, '0')}`;
}

export function parseDotted(s: string): YMD | null {
  const m = /^(\d{4})\.(\d{2})\.(\d{2})$/.exec(s);
  return m ? { year: +m[1], month: +m[2], day: +m[3] } : null;
}

/**
 * Citizen identity number, GB 11643-1999: 6-digit region code (GB/T 2260, as of when the number was
 * assigned), 8-digit birth date YYYYMMDD, 3-digit sequence (odd = male, even = female), and a check
 * character computed by ISO 7064 MOD 11-2.
 */

/** GB 11643 weights: 2^(17-i) mod 11 for positions 0..16. */
const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const;
/** Sum mod 11 → check character. */
const CHECK_CHARS = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'] as const;

/** The check character for the first 17 digits, or null when they are not 17 digits. */
export function idCheckChar(first17: string): string | null {
  if (!/^\d{17}$/.test(first17)) return null;
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += (first17.charCodeAt(i) - 48) * WEIGHTS[i];
  return CHECK_CHARS[sum % 11];
}

/** True when the 18-character number has the right shape and check character (X upper case). */
export function isValidIdChecksum(id: string): boolean {
  return /^\d{17}[\dX]$/.test(id) && idCheckChar(id.slice(0, 17)) === id[17];
}

export interface IdNumberParts {
  region: string;
  birth: { year: number; month: number; day: number };
  sequence: string;
  sex: '男' | '女';
  check: string;
}

/** Splits an 18-character number into its parts (no validation beyond shape). */
export function parseIdNumber(id: string): IdNumberParts | null {
  if (!/^\d{17}[\dX]$/.test(id)) return null;
  return {
    region: id.slice(0, 6),
    birth: { year: +id.slice(6, 10), month: +id.slice(10, 12), day: +id.slice(12, 14) },
    sequence: id.slice(14, 17),
    sex: (id.charCodeAt(16) - 48) % 2 === 1 ? '男' : '女',
    check: id[17],
  };
}

/** Builds a valid number from its parts; `sequence` is 3 digits whose last digit's parity gives the sex. */
export function buildIdNumber(region: string, birth: { year: number; month: number; day: number }, sequence: string): string {
  const first17 = `${region}${String(birth.year).padStart(4, '0')}${String(birth.month).padStart(2, '0')}${String(birth.day).padStart(2, '0')}${sequence}`;
  const check = idCheckChar(first17);
  if (check === null) throw new TypeError(`Expected region of 6 digits and sequence of 3 digits but received ${region.length} and ${sequence.length} characters`);
  return first17 + check;
}

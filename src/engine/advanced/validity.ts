/**
 * InvalidDateWarn → 9100: the printed validity period is expired, not yet valid, an impossible date, or a
 * span the Resident Identity Card Law (art. 5) does not give a holder of that age (src/domain/validity.ts).
 * The holder's birth date comes from the number (GB 11643 positions 7–14), which the checksum protects
 * better than the printed 出生 line.
 */
import { ymdFromDate } from '../../domain/dates.ts';
import { parseIdNumber, isValidIdChecksum } from '../../domain/idNumber.ts';
import { validityProblem } from '../../domain/validity.ts';
import type { DetectorReport, IdInfo, LocatedCard } from '../types.ts';

export function validityReport(idInfo: IdInfo, target: LocatedCard, now: Date): DetectorReport {
  const base = { name: 'validity', code: 9100 as const, threshold: 1 };
  if (!idInfo.ValidDate) return { ...base, score: 0, fired: false, reason: 'no validity period read on this side' };
  // A number that fails its checksum was misread; its birth date must not condemn the period.
  const parts = idInfo.IdNum && isValidIdChecksum(idInfo.IdNum) ? parseIdNumber(idInfo.IdNum) : null;
  const problem = validityProblem(idInfo.ValidDate, ymdFromDate(now), parts?.birth, target.kind === 'TEMPORARY');
  // 'unparseable' means the reading failed, not that the card is invalid: saying 9100 then would be a guess.
  if (problem === null || problem === 'unparseable') {
    return { ...base, score: 0, fired: false, reason: problem ?? 'period consistent and current' };
  }
  return { ...base, score: 1, fired: true, reason: problem };
}

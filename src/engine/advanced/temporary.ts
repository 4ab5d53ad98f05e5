/**
 * TempIdWarn → 9104: the located card is a temporary resident ID card (临时居民身份证, domain.md). The
 * locator decides the kind from the title and layout, so this detector only reports its verdict.
 */
import type { DetectorReport, LocatedCard } from '../types.ts';

export function temporaryCardReport(target: LocatedCard): DetectorReport {
  const fired = target.kind === 'TEMPORARY';
  return {
    name: 'temporary',
    code: 9104,
    score: fired ? Math.round(target.score * 100) : 0,
    threshold: 50,
    fired,
    reason: fired ? 'card located as a temporary ID card' : `card located as ${target.kind}`,
  };
}

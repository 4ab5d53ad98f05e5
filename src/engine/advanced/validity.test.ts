import { describe, expect, it } from 'vitest';
import { buildIdNumber } from '../../domain/idNumber.ts';
import type { LocatedCard } from '../types.ts';
import { validityReport } from './validity.ts';

const card = (kind: LocatedCard['kind']) => ({ kind }) as LocatedCard;
const now = new Date('2026-11-25T08:00:00Z');
// Born 1990-06-15: 24 at a 2014 issue (10 years), 36 at a 2026 issue (20 years).
const idNum = buildIdNumber('110101', { year: 1990, month: 6, day: 15 }, '123');

describe('validity warning 9100', () => {
  it.each([
    ['a current 20-year period for a holder of 30 at issue', '2020.03.07-2040.03.07', false],
    ['an expired period', '2006.03.07-2016.03.07', true],
    ['a period that starts in the future', '2027.01.01-2047.01.01', true],
    ['an impossible end date', '2016.02.30-2036.02.30', true],
    ['a span no rule gives', '2020.03.07-2032.03.07', true],
    ['a 10-year span for a holder who was 30 at issue', '2020.03.07-2030.03.07', true],
  ])('judges %s', (_what, validDate, fired) => {
    const r = validityReport({ ValidDate: validDate, IdNum: idNum }, card('BACK'), now);
    expect(r.code).toBe(9100);
    expect(r.fired).toBe(fired);
  });

  it('says nothing on a front, which prints no period', () => {
    expect(validityReport({ IdNum: idNum }, card('FRONT'), now).fired).toBe(false);
  });

  it('does not condemn a period by the birth date of a misread number (bad checksum)', () => {
    const misread = idNum.slice(0, 17) + (idNum[17] === '0' ? '1' : '0');
    // 10 years suits the misread number's holder only if the age rule ran; with it ignored the span shape is fine.
    expect(validityReport({ ValidDate: '2020.03.07-2030.03.07', IdNum: misread }, card('BACK'), now).fired).toBe(false);
  });

  it('does not guess on an unreadable period', () => {
    expect(validityReport({ ValidDate: '2O2O.O3.O7-2O4O', IdNum: idNum }, card('BACK'), now).fired).toBe(false);
  });

  it('holds a temporary card to its 3-month span', () => {
    expect(validityReport({ ValidDate: '2026.10.01-2027.01.01', IdNum: idNum }, card('TEMPORARY'), now).fired).toBe(false);
    expect(validityReport({ ValidDate: '2026.10.01-2036.10.01', IdNum: idNum }, card('TEMPORARY'), now).fired).toBe(true);
  });
});

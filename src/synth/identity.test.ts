import { describe, expect, it } from 'vitest';
import { parseIdNumber, isValidIdChecksum } from '../domain/idNumber.ts';
import { NATION_NAMES } from '../domain/nations.ts';
import { isKnownRegionCode, regionByCode } from '../domain/regions.ts';
import { validityProblem } from '../domain/validity.ts';
import { fieldsFor, invalidValidity, makeIdentity, temporaryValidity } from './identity.ts';
import { Rng } from './random.ts';

const now = { year: 2026, month: 11, day: 25 };
const people = Array.from({ length: 400 }, (_, i) => makeIdentity(new Rng(99, i), { now }));

describe('made-up identities', () => {
  it('carry ID numbers with a correct GB 11643 check character, their birth date and a sex matching the sequence parity', () => {
    for (const p of people) {
      expect(isValidIdChecksum(p.idNum)).toBe(true);
      const parts = parseIdNumber(p.idNum)!;
      expect(parts.birth).toEqual(p.birth);
      expect(parts.sex).toBe(p.sex);
      expect(fieldsFor(p, 'FRONT').Birth).toBe(`${p.birth.year}/${p.birth.month}/${p.birth.day}`);
    }
  });

  it('live in the county their number names, and are issued by that county’s police', () => {
    for (const p of people) {
      const code = p.idNum.slice(0, 6);
      expect(isKnownRegionCode(code)).toBe(true);
      const region = regionByCode(code)!;
      expect(p.address.startsWith(region.province)).toBe(true);
      expect(p.address).toContain(region.county);
      expect(p.authority).toMatch(/公安局(.+分局)?$/);
      expect([...p.address].length).toBeLessThanOrEqual(32);
    }
  });

  it('hold unexpired cards whose validity span follows the age at issue', () => {
    for (const p of people) expect(validityProblem(p.validDate, now, p.birth)).toBeNull();
  });

  it('belong to the 56 groups, with some minority names using the middle dot', () => {
    for (const p of people) expect(NATION_NAMES.has(p.nation)).toBe(true);
    const dotted = people.filter((p) => p.name.includes('·')).length / people.length;
    expect(dotted).toBeGreaterThan(0.04);
    expect(dotted).toBeLessThan(0.18);
    const han = people.filter((p) => p.nation === '汉').length / people.length;
    expect(han).toBeGreaterThan(0.7);
  });

  it('give temporary cards three months and invalid periods that the validity rules reject', () => {
    const rng = new Rng(5);
    for (let i = 0; i < 50; i++) {
      expect(validityProblem(temporaryValidity(rng, now), now, undefined, true)).toBeNull();
      for (const kind of ['expired', 'impossible-date', 'wrong-span'] as const) {
        const p = people[i];
        expect(validityProblem(invalidValidity(rng, p.birth, now, kind), now, p.birth)).not.toBeNull();
      }
    }
  });

  it('are the same for the same seed and differ between seeds', () => {
    expect(makeIdentity(new Rng(7, 3), { now })).toEqual(makeIdentity(new Rng(7, 3), { now }));
    expect(makeIdentity(new Rng(7, 3), { now }).idNum).not.toBe(makeIdentity(new Rng(8, 3), { now }).idNum);
  });
});

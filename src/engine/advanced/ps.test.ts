/**
 * The edit detector's comparison of value fields (fieldDeviations), on hand-made region statistics, so
 * each rule is seen alone: which references a field's ink is judged against, and on which axes.
 */
import { describe, expect, it } from 'vitest';
import { DEVIATION_AT_0, DEVIATION_AT_100, PS_THRESHOLD, type RegionStats, fieldDeviations } from './ps.ts';
import { scoreBetween } from './raster.ts';

/** A well-sampled region printed in the card's usual ink; `ink` overrides its stroke-core statistics. */
function region(name: string, ink: Partial<Pick<RegionStats, 'inkY' | 'inkRB' | 'inkGM'>> = {}, isValue = true): RegionStats {
  return { region: name, isValue, noise: 1, inkY: 40, inkRB: 0, inkGM: 0, samples: 10_000, ...ink };
}
const labels = ['label 姓名', 'label 性别', 'label 出生', 'label 住址'].map((n) => region(n, {}, false));
const scoreOf = (stats: RegionStats[], field: string, kind?: 'FRONT' | 'BACK') => {
  const d = fieldDeviations(stats, 1, kind).find((x) => x.field === field)!;
  return scoreBetween(d.total, DEVIATION_AT_0, DEVIATION_AT_100);
};

describe('fieldDeviations', () => {
  it('flags a field whose ink leans green or purple while its red−blue matches the rest', () => {
    const stats = [...labels, region('Name', { inkGM: -20 }), region('Birth'), region('Address'), region('Sex'), region('IdNum')];
    expect(scoreOf(stats, 'Name', 'FRONT')).toBeGreaterThanOrEqual(PS_THRESHOLD);
    expect(fieldDeviations(stats, 1, 'FRONT').find((x) => x.field === 'Name')!.detail).toMatch(/green−magenta 4\.0/);
    // The same card with that ink's chroma back to the others' raises nothing.
    const genuine = stats.map((s) => (s.region === 'Name' ? region('Name') : s));
    expect(scoreOf(genuine, 'Name', 'FRONT')).toBe(0);
  });

  it('does not judge a front field\'s ink against a single reference when a cover hid the others', () => {
    // Address hidden (a label over it): Birth's paler cores face the name alone.
    const stats = [...labels, region('Name'), region('Birth', { inkY: 80 }), region('Sex'), region('IdNum')];
    expect(scoreOf(stats, 'Birth', 'FRONT')).toBe(0);
    // With the address back as a second reference, the same paleness counts.
    expect(scoreOf([...stats, region('Address')], 'Birth', 'FRONT')).toBeGreaterThanOrEqual(PS_THRESHOLD);
  });

  it('judges a back\'s authority against its validity alone: a back prints no other value', () => {
    const stats = [region('label 签发机关', {}, false), region('label 有效期限', {}, false), region('Authority', { inkY: 80 }), region('ValidDate')];
    expect(scoreOf(stats, 'Authority', 'BACK')).toBeGreaterThanOrEqual(PS_THRESHOLD);
  });
});

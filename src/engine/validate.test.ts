import { describe, expect, it } from 'vitest';
import { buildIdNumber, isValidIdChecksum } from '../domain/idNumber.ts';
import type { Quad, StageContext, TextLine } from './types.ts';
import { correctIdNumber, normalizeName, normalizeValidDate, parsePrintedBirth, readingOf, reconcileBirth, reconcileNation, reconcileSex, validateFields } from './validate.ts';

const BOX: Quad = [{ x: 0, y: 0 }, { x: 1, y: 0 }, { x: 1, y: 1 }, { x: 0, y: 1 }];

/** A line whose characters are all read with `prob`, except `doubt`: index → alternatives (best first). */
function line(text: string, prob = 0.99, doubt: Record<number, Array<[string, number]>> = {}): TextLine {
  const chars = [...text].map((c, i) => ({
    candidates: doubt[i] ? doubt[i].map(([char, p]) => ({ char, prob: p })) : [{ char: c, prob }],
  }));
  return { text, confidence: prob, chars, box: BOX };
}

const NOW = new Date('2026-01-01T00:00:00Z');
const VALID = buildIdNumber('110101', { year: 1990, month: 3, day: 7 }, '123'); // sequence odd → male

describe('correctIdNumber (GB 11643 check character guides ambiguous digits)', () => {
  it('keeps a clearly read valid number', () => {
    expect(correctIdNumber(line(VALID), NOW)).toEqual({ value: VALID, valid: true, corrected: false });
  });

  it('keeps a clearly printed number whose check character is wrong (specimen cards)', () => {
    const bad = VALID.slice(0, 17) + (VALID[17] === '1' ? '2' : '1');
    const r = correctIdNumber(line(bad), NOW);
    expect(r).toEqual({ value: bad, valid: false, corrected: false });
  });

  it.each([
    ['1 read as 7', '7', '1'],
    ['0 read as 8', '8', '0'],
  ])('fixes a doubtful digit (%s) when the alternative makes it consistent', (_name, wrong, right) => {
    // Find a position whose true digit is `right`, and misread it as `wrong` with low confidence.
    const id = buildIdNumber('110101', { year: 1990, month: 1, day: 10 }, '123');
    const pos = [...id].findIndex((c, i) => c === right && i >= 6);
    const misread = id.slice(0, pos) + wrong + id.slice(pos + 1);
    const r = correctIdNumber(line(misread, 0.99, { [pos]: [[wrong, 0.55], [right, 0.4]] }), NOW);
    expect(r.value).toBe(id);
    expect(r.corrected).toBe(true);
  });

  it('maps letter look-alikes (O, D, B, K) read by the general model into digits/X', () => {
    let id = '';
    for (let s = 0; s < 1000 && !id.endsWith('X'); s++) id = buildIdNumber('110101', { year: 1990, month: 3, day: 7 }, String(s).padStart(3, '0'));
    expect(id.endsWith('X')).toBe(true);
    const letters = id.replace(/0/g, 'O').replace(/X$/, 'K');
    expect(correctIdNumber(line(letters), NOW).value).toBe(id);
  });

  it('does not change a clear digit even when that would fix the checksum', () => {
    const bad = VALID.slice(0, 10) + ((+VALID[10] + 1) % 10) + VALID.slice(11);
    expect(isValidIdChecksum(bad)).toBe(false);
    expect(correctIdNumber(line(bad, 0.99), NOW)).toMatchObject({ value: bad, corrected: false });
  });

  it('restores a doubled digit collapsed by CTC when exactly one restoration is consistent', () => {
    const id = buildIdNumber('110101', { year: 1988, month: 11, day: 22 }, '135');
    // Drop one of the two 8s of 1988.
    const collapsed = id.slice(0, 8) + id.slice(9);
    const r = correctIdNumber(line(collapsed), NOW);
    if (r.value) expect(r.value).toBe(id);
    expect(r.value === undefined || r.corrected).toBe(true);
  });

  it('answers no number when too few digits were read', () => {
    expect(correctIdNumber(line('1234561818050578'), NOW).value).toBeUndefined();
  });

  it('ignores spaces between digit groups', () => {
    expect(correctIdNumber(line(`${VALID.slice(0, 6)} ${VALID.slice(6, 14)} ${VALID.slice(14)}`), NOW).value).toBe(VALID);
  });
});

describe('parsePrintedBirth / reconcileBirth', () => {
  it.each([
    ['1990年3月7日', '1990/3/7'],
    ['1990 年 3 月 7 日', '1990/3/7'],
    ['2013年05月06日', '2013/5/6'],
    ['1986 10 20', '1986/10/20'],
    ['1978年10月27', '1978/10/27'],
  ])('%s → %s', (printed, api) => {
    expect(reconcileBirth(line(printed), undefined).value).toBe(api);
  });

  it('rejects an impossible date and falls back to the number', () => {
    expect(parsePrintedBirth('2015年2月30日')).toEqual({ year: 2015, month: 2, day: 30 });
    expect(reconcileBirth(line('2015年2月30日'), VALID)).toEqual({ value: '1990/3/7', derived: true });
  });

  it('accepts 29 February only in leap years', () => {
    expect(reconcileBirth(line('2000年2月29日'), undefined).value).toBe('2000/2/29');
    expect(reconcileBirth(line('1900年2月29日'), undefined).value).toBeUndefined();
  });

  it('keeps a clearly printed date that disagrees with the number (demo cards do)', () => {
    expect(reconcileBirth(line('2013年5月6日'), VALID)).toEqual({ value: '2013/5/6', derived: false });
  });

  it('lets the number settle a doubtful digit', () => {
    const l = line('1990年3月1日', 0.99, { 7: [['1', 0.5], ['7', 0.45]] });
    expect(reconcileBirth(l, VALID)).toEqual({ value: '1990/3/7', derived: true });
  });
});

describe('reconcileSex', () => {
  it.each([
    ['男', undefined, '男'],
    ['女', VALID, '女'], // printed wins over the number
  ])('%s', (text, id, want) => expect(reconcileSex(line(text), id)).toBe(want));

  it('uses the alternatives, then the number parity, for an unreadable character', () => {
    expect(reconcileSex(line('另', 0.4, { 0: [['另', 0.4], ['男', 0.3]] }), undefined)).toBe('男');
    expect(reconcileSex(line('口', 0.3), VALID)).toBe('男');
  });
});

describe('reconcileNation', () => {
  it.each([
    ['汉', '汉'],
    ['维吾尔', '维吾尔'],
    ['肯尼亚', '肯尼亚'], // not one of the 56: returned as printed
    ['汉族', '汉'],
  ])('%s → %s', (text, want) => expect(reconcileNation(line(text))).toBe(want));

  it('snaps one doubtful character when the recogniser offered the known name', () => {
    expect(reconcileNation(line('汊', 0.6, { 0: [['汊', 0.6], ['汉', 0.3]] }))).toBe('汉');
    expect(reconcileNation(line('汊', 0.6, { 0: [['汊', 0.6], ['汶', 0.3]] }))).toBe('汊');
  });
});

describe('normalizeValidDate', () => {
  it.each([
    ['2008.02.14-2018.02.14', '2008.02.14-2018.02.14'],
    ['2008.02.14—2018.02.14', '2008.02.14-2018.02.14'],
    ['2008.02.14－2018.02.14', '2008.02.14-2018.02.14'],
    ['2008 .02.14 - 2018.02.14', '2008.02.14-2018.02.14'],
    ['2016.05.27-长期', '2016.05.27-长期'],
    ['2016.05.27一长期', '2016.05.27-长期'],
    ['20160527长期', '2016.05.27-长期'],
  ])('%s → %s', (text, want) => expect(normalizeValidDate(text)).toBe(want));

  it('gives nothing for a half-read period', () => expect(normalizeValidDate('2008.02.14-2018')).toBeUndefined());
});

describe('normalizeName', () => {
  it('keeps the middle dot of minority names whatever dot the recogniser chose', () => {
    expect(normalizeName('阿依古丽•艾买提')).toBe('阿依古丽·艾买提');
    expect(normalizeName('阿依古丽 . 艾买提')).toBe('阿依古丽·艾买提');
    expect(normalizeName('张 三')).toBe('张三');
  });
});

describe('validateFields', () => {
  const ctx = (): StageContext => ({ timings: {}, verbose: false, now: NOW });

  it('returns consistent front fields and records its time', async () => {
    const c = ctx();
    const r = await validateFields('FRONT', { Name: '张三', Sex: '男', Nation: '汉', Birth: '1990年3月7日', Address: '北京市 东城区', IdNum: VALID }, { IdNum: [line(VALID)] }, c);
    expect(r.idInfo).toEqual({ Name: '张三', Sex: '男', Nation: '汉', Birth: '1990/3/7', Address: '北京市东城区', IdNum: VALID });
    expect(r.issues).toEqual([]);
    expect(c.timings.validate).toBeGreaterThanOrEqual(0);
  });

  it('reports a wrong check character without hiding the printed number', async () => {
    const bad = '430512198908131367';
    const r = await validateFields('FRONT', { IdNum: bad }, { IdNum: [line(bad)] }, ctx());
    expect(r.idInfo.IdNum).toBe(bad);
    expect(r.issues).toContainEqual({ field: 'IdNum', problem: 'checksum' });
  });

  it('keeps only back fields on a back', async () => {
    const r = await validateFields('BACK', { Authority: '上海市公安局', ValidDate: '2008.02.14-2018.02.14', Name: 'x' }, {}, ctx());
    expect(r.idInfo).toEqual({ Authority: '上海市公安局', ValidDate: '2008.02.14-2018.02.14' });
  });
});

describe('place names in Address and Authority (EnableRecognitionRectify)', () => {
  const ctx = (): StageContext => ({ timings: {}, verbose: false, now: NOW });
  const ZHUOZHOU = buildIdNumber('130681', { year: 1990, month: 3, day: 7 }, '123');

  it('restores dropped characters across the address’s lines and reports the correction without its value', async () => {
    const lines = [line('河北省保定市水县水'), line('镇东街12号')];
    const r = await validateFields('FRONT', { Address: '河北省保定市水县水镇东街12号' }, { Address: lines }, ctx());
    expect(r.idInfo.Address).toBe('河北省保定市涞水县涞水镇东街12号');
    expect(r.issues).toEqual([{ field: 'Address', problem: 'place-corrected' }]);
  });

  it('leaves a real chain alone and reports nothing', async () => {
    const r = await validateFields('FRONT', { Address: '北京市朝阳区建国路88号' }, { Address: [line('北京市朝阳区建国路88号')] }, ctx());
    expect(r.idInfo.Address).toBe('北京市朝阳区建国路88号');
    expect(r.issues).toEqual([]);
  });

  it('uses the number’s region to choose between equally close counties', async () => {
    const address = '河北省保定市州市百尺竿镇小河村96号';
    const withNumber = await validateFields('FRONT', { Address: address, IdNum: ZHUOZHOU }, { Address: [line(address)], IdNum: [line(ZHUOZHOU)] }, ctx());
    expect(withNumber.idInfo.Address).toBe('河北省保定市涿州市百尺竿镇小河村96号');
    const without = await validateFields('FRONT', { Address: address }, { Address: [line(address)] }, ctx());
    expect(without.idInfo.Address).toBe(address);
  });

  it('corrects the authority of a temporary card with the front’s county as the hint', async () => {
    const number = buildIdNumber('431224', { year: 1990, month: 3, day: 7 }, '123'); // 溆浦县
    const r = await validateFields(
      'TEMPORARY',
      { Address: '湖南省怀化市激浦县两丫坪镇前进村162号', IdNum: number, Authority: '激浦县公安局' },
      { Address: [line('湖南省怀化市激浦县两丫坪镇前进村162号', 0.99, { 6: [['激', 0.78], ['淑', 0.21]] })], IdNum: [line(number)], Authority: [line('激浦县公安局')] },
      ctx(),
    );
    expect(r.idInfo.Address).toBe('湖南省怀化市溆浦县两丫坪镇前进村162号');
    expect(r.idInfo.Authority).toBe('溆浦县公安局');
    expect(r.issues).toEqual(expect.arrayContaining([{ field: 'Address', problem: 'place-corrected' }, { field: 'Authority', problem: 'place-corrected' }]));
  });

  it('leaves an ambiguous authority on a back alone (no hint there)', async () => {
    const r = await validateFields('BACK', { Authority: '激浦县公安局' }, { Authority: [line('激浦县公安局')] }, ctx());
    expect(r.idInfo.Authority).toBe('激浦县公安局');
  });

  it('readingOf keeps the recogniser’s alternatives aligned after dropping spaces, and refuses lines that do not spell the text', () => {
    const l = line('来 水县', 0.99, { 0: [['来', 0.6], ['涞', 0.3]] });
    const r = readingOf([l], '来水县');
    expect(r?.map((c) => c.char).join('')).toBe('来水县');
    expect(r?.[0]).toEqual({ char: '来', prob: 0.6, alternatives: [{ char: '涞', prob: 0.3 }] });
    expect(readingOf([l], '别的字')).toBeUndefined();
  });
});

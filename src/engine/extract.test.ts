import { describe, expect, it } from 'vitest';
import { CANONICAL_HEIGHT, CANONICAL_WIDTH } from '../domain/cardLayout.ts';
import { extractFields, sliceLine } from './extract.ts';
import type { StageContext, TextLine } from './types.ts';

/** A line read with confidence 0.99 at a normalised box [x0, y0, x1, y1] of the canonical card. */
function at(text: string, x0: number, y0: number, x1: number, y1: number): TextLine {
  const X0 = x0 * CANONICAL_WIDTH;
  const X1 = x1 * CANONICAL_WIDTH;
  const Y0 = y0 * CANONICAL_HEIGHT;
  const Y1 = y1 * CANONICAL_HEIGHT;
  return {
    text,
    confidence: 0.99,
    chars: [...text].map((c) => ({ candidates: [{ char: c, prob: 0.99 }] })),
    box: [{ x: X0, y: Y0 }, { x: X1, y: Y0 }, { x: X1, y: Y1 }, { x: X0, y: Y1 }],
  };
}

const ctx = (): StageContext => ({ timings: {}, verbose: false, now: new Date('2026-01-01T00:00:00Z') });

describe('extractFields on a front', () => {
  it('reads separate label and value boxes by position', async () => {
    const lines = [
      at('姓名', 0.08, 0.14, 0.16, 0.21),
      at('张三', 0.19, 0.13, 0.3, 0.22),
      at('性别', 0.08, 0.27, 0.16, 0.34),
      at('男', 0.19, 0.27, 0.23, 0.34),
      at('民族', 0.32, 0.27, 0.4, 0.34),
      at('汉', 0.42, 0.27, 0.46, 0.34),
      at('出生', 0.08, 0.39, 0.16, 0.47),
      at('1990年3月7日', 0.19, 0.39, 0.45, 0.47),
      at('住址', 0.08, 0.52, 0.16, 0.59),
      at('北京市东城区东华门街道', 0.19, 0.52, 0.6, 0.59),
      at('南池子大街1号', 0.19, 0.6, 0.45, 0.67),
      at('公民身份号码', 0.08, 0.81, 0.32, 0.89),
      at('110101199003071235', 0.35, 0.81, 0.9, 0.89),
    ];
    const r = await extractFields('FRONT', lines, ctx());
    expect(r.idInfo).toEqual({
      Name: '张三',
      Sex: '男',
      Nation: '汉',
      Birth: '1990年3月7日',
      Address: '北京市东城区东华门街道南池子大街1号',
      IdNum: '110101199003071235',
    });
  });

  it('strips labels read into their values and splits the 性别/民族 row', async () => {
    const lines = [
      at('姓名 阿依古丽·艾买提', 0.08, 0.14, 0.55, 0.21),
      at('性别女 民族维吾尔', 0.08, 0.27, 0.55, 0.34),
      at('出生1985年12月1日', 0.08, 0.39, 0.45, 0.47),
      at('住址新疆乌鲁木齐市天山区', 0.08, 0.52, 0.6, 0.59),
      at('解放南路1号', 0.19, 0.6, 0.4, 0.67),
      at('公民身份号码650102198512010024', 0.08, 0.81, 0.9, 0.89),
    ];
    const r = await extractFields('FRONT', lines, ctx());
    expect(r.idInfo).toMatchObject({
      Name: '阿依古丽·艾买提',
      Sex: '女',
      Nation: '维吾尔',
      Birth: '1985年12月1日',
      Address: '新疆乌鲁木齐市天山区解放南路1号',
      IdNum: '650102198512010024',
    });
  });

  it('joins address lines top to bottom even when a tilted read lists them out of order', async () => {
    const lines = [
      at('南池子大街1号', 0.19, 0.6, 0.45, 0.67),
      at('住址', 0.08, 0.52, 0.16, 0.59),
      at('3单元', 0.19, 0.68, 0.3, 0.75),
      at('北京市东城区东华门街道', 0.19, 0.52, 0.6, 0.59),
    ];
    const r = await extractFields('FRONT', lines, ctx());
    expect(r.idInfo.Address).toBe('北京市东城区东华门街道南池子大街1号3单元');
  });

  it('keeps the first character of an address line starting in the value column', async () => {
    const r = await extractFields('FRONT', [at('住址', 0.08, 0.52, 0.16, 0.59), at('止园路8号', 0.175, 0.52, 0.4, 0.59)], ctx());
    expect(r.idInfo.Address).toBe('止园路8号');
  });

  it('keeps an address line starting with 民族 (民族路) whole', async () => {
    const r = await extractFields('FRONT', [at('住址', 0.08, 0.52, 0.16, 0.59), at('民族路8号', 0.19, 0.6, 0.4, 0.67)], ctx());
    expect(r.idInfo.Address).toBe('民族路8号');
  });

  it('ignores text outside every region (portrait, background)', async () => {
    const r = await extractFields('FRONT', [at('样证', 0.7, 0.3, 0.8, 0.4)], ctx());
    expect(r.idInfo).toEqual({});
  });

  it('drops a misread label alone in the label column', async () => {
    const r = await extractFields('FRONT', [at('娃各', 0.08, 0.14, 0.16, 0.21), at('李四', 0.19, 0.13, 0.3, 0.22)], ctx());
    expect(r.idInfo).toEqual({ Name: '李四' });
  });
});

describe('extractFields on a back', () => {
  it('reads authority and validity, with or without labels merged', async () => {
    const lines = [
      at('中华人民共和国', 0.33, 0.11, 0.87, 0.21),
      at('居民身份证', 0.31, 0.28, 0.89, 0.41),
      at('签发机关上海市公安局', 0.21, 0.67, 0.7, 0.74),
      at('有限期限', 0.21, 0.8, 0.36, 0.87),
      at('2008.02.14-2018.02.14', 0.39, 0.8, 0.8, 0.87),
    ];
    const r = await extractFields('BACK', lines, ctx());
    expect(r.idInfo).toEqual({ Authority: '上海市公安局', ValidDate: '2008.02.14-2018.02.14' });
  });
});

describe('sliceLine', () => {
  it('keeps characters and candidates aligned and narrows the box', () => {
    const l = at('姓名张三', 0, 0, 0.4, 0.1);
    const s = sliceLine(l, 2, 4);
    expect(s.text).toBe('张三');
    expect(s.chars.map((c) => c.candidates[0].char).join('')).toBe('张三');
    expect(s.box[0].x).toBeCloseTo(0.2 * CANONICAL_WIDTH, 5);
  });
});

describe('label fragments read into values', () => {
  it.each([
    ['社址中山市东区', '中山市东区'], // 住 misread
    ['住，址湖南省邵阳市', '湖南省邵阳市'], // a speck between the label's characters
    ['佳：址河北省保定市', '河北省保定市'],
    ['·址贵州省黔南', '贵州省黔南'],
    ['址江西省吉安市', '江西省吉安市'], // 住 cut off at the card's edge
  ])('%s → %s', async (read, want) => {
    const r = await extractFields('FRONT', [at(read, 0.075, 0.52, 0.6, 0.59)], ctx());
    expect(r.idInfo.Address).toBe(want);
  });

  it('drops a single character of a letter-spaced label (姓 read, 名 lost)', async () => {
    const r = await extractFields('FRONT', [at('姓张大民', 0.075, 0.14, 0.35, 0.21)], ctx());
    expect(r.idInfo.Name).toBe('张大民');
  });
});

describe('the number row', () => {
  it('strips a misread 公民身份号码 but not the first digit', async () => {
    const r = await extractFields('FRONT', [at('公报身份号码210403199706217668', 0.075, 0.81, 0.9, 0.89)], ctx());
    expect(r.idInfo.IdNum).toBe('210403199706217668');
  });
});

import { describe, expect, it } from 'vitest';
import { clearReading, isRealAuthority, rectifyAddress, rectifyAuthority, townshipsOf, type CharReading } from './placeNames.ts';

/** A reading whose characters are all clear except `doubt`: index → [best, prob, ...alternatives]. */
function reading(text: string, doubt: Record<number, { prob: number; alternatives?: Array<[string, number]> }> = {}): CharReading[] {
  return [...text].map((char, i) => ({
    char,
    prob: doubt[i]?.prob ?? 0.99,
    alternatives: (doubt[i]?.alternatives ?? []).map(([c, prob]) => ({ char: c, prob })),
  }));
}

const corrected = (text: string) => {
  const r = rectifyAddress(clearReading(text));
  return r && r.changed.length > 0 ? r.text : text;
};

describe('rectifyAddress: misread place names are restored from the GB/T 2260 chain and the county’s townships', () => {
  it.each([
    ['a rare character dropped twice (county and township)', '河北省保定市水县水镇东街12号', '河北省保定市涞水县涞水镇东街12号'],
    ['a rare character dropped from a county', '河北省保定市源县银坊镇', '河北省保定市涞源县银坊镇'],
    ['a rare character read confidently as a common one', '浙江省丽水市景宁鑫族自治县鹤溪街道人民路5号', '浙江省丽水市景宁畲族自治县鹤溪街道人民路5号'],
    ['the first character of an autonomous county dropped', '辽宁省鞍山市岩满族自治县雅河乡小河村3号', '辽宁省鞍山市岫岩满族自治县雅河乡小河村3号'],
    ['濉 read as 潍', '安徽省淮北市潍溪县濉溪镇人民路5号', '安徽省淮北市濉溪县濉溪镇人民路5号'],
    ['a township character outside the dictionary dropped', '湖北省宜昌市当阳市溪镇小河村8号', '湖北省宜昌市当阳市淯溪镇小河村8号'],
  ])('%s', (_why, read, want) => {
    expect(corrected(read)).toBe(want);
  });

  it('records which levels it changed and the county it settled on', () => {
    const r = rectifyAddress(clearReading('河北省保定市水县水镇东街12号'));
    expect(r?.changed).toEqual(['county', 'township']);
    expect(r?.place).toEqual({ province: '河北省', city: '保定市', county: '涞水县' });
  });

  it.each([
    ['a real chain and township', '河北省保定市涞水县涞水镇东街12号'],
    ['a municipality without a prefecture', '北京市朝阳区建国路88号'],
    ['a district and a street office', '天津市和平区顺城街道天心小区5栋111号'],
    ['a county renamed a district (old cards keep 县)', '北京市密云县鼓楼大街1号'],
    ['a prefecture renamed since (襄樊 → 襄阳): a clear common character is what is printed', '湖北省襄樊市襄城区檀溪路1号'],
    ['a road named …道 that is not a street office', '天津市和平区青年道5号'],
    ['a road sharing a street office’s stem', '北京市海淀区西北旺东路100号中关村科技园'],
    ['no province (the demo card’s 中山市东区)', '中山市东区中山五路南弘业大厦1606'],
    ['a prefecture followed by a non-county', '福建省龙岩市东城东宝路336号'],
    ['a prefecture left out', '河北省涞水县涞水镇'],
    ['a foreign-looking address', '华盛顿特区宜宾法尼亚大道1600号白宫'],
    ['garbage', 'kdjf8923jkdjf'],
    ['an empty reading', ''],
  ])('leaves %s alone', (_why, text) => {
    expect(corrected(text)).toBe(text);
  });

  it('does not guess between two equally close counties (州市: 涿州市 or 定州市)', () => {
    expect(corrected('河北省保定市州市百尺竿镇小河村96号')).toBe('河北省保定市州市百尺竿镇小河村96号');
  });

  it('lets the number’s region settle two equally close counties, never a farther one', () => {
    const read = clearReading('河北省保定市州市百尺竿镇小河村96号');
    expect(rectifyAddress(read, { province: '河北省', city: '保定市', county: '涿州市' })?.text).toBe('河北省保定市涿州市百尺竿镇小河村96号');
    // A hint matching nothing near leaves the reading as it is.
    expect(rectifyAddress(read, { province: '河北省', city: '保定市', county: '竞秀区' })).toBeUndefined();
  });

  it('changes a clearly read common character only where the recogniser itself offered the replacement', () => {
    const text = '湖北省襄樊市襄城区檀溪路1号';
    expect(rectifyAddress(reading(text))?.changed ?? []).toEqual([]);
    expect(rectifyAddress(reading(text, { 4: { prob: 0.95, alternatives: [['阳', 0.04]] } }))?.text).toBe('湖北省襄阳市襄城区檀溪路1号');
  });

  it('never replaces a clearly read township name with another one (townships are merged and renamed)', () => {
    // 涞水县 has 九龙镇; 九虎镇 is one clear character away.
    expect(townshipsOf('河北省|保定市|涞水县')).toContain('九龙镇');
    expect(corrected('河北省保定市涞水县九虎镇东街1号')).toBe('河北省保定市涞水县九虎镇东街1号');
  });

  it('strips the county name some tables put in front of a township', () => {
    expect(townshipsOf('湖北省|宜昌市|当阳市')).toContain('淯溪镇');
  });
});

describe('rectifyAuthority: the place a public security organ is named after', () => {
  it.each([
    ['景宁窗族自治县公安局', '景宁畲族自治县公安局'],
    ['岩满族自治县公安局', '岫岩满族自治县公安局'],
    ['关沙雅县公安局', '沙雅县公安局'], // the label 签发机关's last character, split off by its letter-spacing
    ['机关应县公安局', '应县公安局'],
  ])('%s → %s', (read, want) => {
    expect(rectifyAuthority(clearReading(read))?.text).toBe(want);
  });

  it.each([
    ['a county bureau', '溆浦县公安局'],
    ['a municipality’s bureau', '上海市公安局'],
    ['a branch of a city bureau', '北京市公安局通州分局'],
    ['a district branch named …公安分局', '天河区公安分局'],
    ['a prefecture renamed since', '襄樊市公安局'],
    ['no 公安局 read', '北京市公安届通州分局'],
    ['a two-character county (too short to correct)', '水县公安局'],
  ])('leaves %s alone', (_why, text) => {
    expect(rectifyAuthority(clearReading(text))).toBeUndefined();
  });

  it('needs a hint where several counties are equally close (激浦县: 溆浦, 合浦, 漳浦, 霞浦, 洛浦)', () => {
    expect(rectifyAuthority(clearReading('激浦县公安局'))).toBeUndefined();
    expect(rectifyAuthority(clearReading('激浦县公安局'), [{ province: '湖南省', city: '怀化市', county: '溆浦县' }])?.text).toBe('溆浦县公安局');
  });
});

describe('isRealAuthority: an authority made of real names throughout', () => {
  it.each([
    ['瑞金市公安局', true],
    ['应县公安局', true],
    ['北京市公安局', true],
    ['南京市公安局溧水分局', true],
    ['北京市公安局朝阳分局', true],
    ['重庆市公安局渝北区分局', true],
    ['上海市公安局浦东分局', true],
    ['南京市公安局水分局', false], // 溧 dropped: 水 is no district of 南京
    ['南京市公安局朝阳分局', false], // 朝阳 is Beijing's
    ['孟县公安局', false],
    ['怀来具公女局', false],
    ['霍城县派出所', false],
  ])('%s → %s', (text, real) => {
    expect(isRealAuthority(text)).toBe(real);
  });
});

describe('rectifyAddress: stray marks before the province', () => {
  it.each([
    ['佳北山东省滨州市阳信县流坡坞镇北沟村6组121号', '山东省滨州市阳信县流坡坞镇北沟村6组121号'],
    ['1北京市朝阳区建国路88号', '北京市朝阳区建国路88号'],
  ])('%s → %s', (read, want) => {
    expect(rectifyAddress(clearReading(read))).toMatchObject({ text: want, changed: ['stray'] });
  });

  it('keeps three leading characters (more than a stray mark) and a chain that is only misread', () => {
    expect(corrected('中国人北京市朝阳区建国路88号')).toBe('中国人北京市朝阳区建国路88号');
  });
});

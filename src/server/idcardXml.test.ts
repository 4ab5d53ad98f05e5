import { describe, expect, it } from 'vitest';
import type { RecognitionResult } from '../engine/types.ts';
import { renderIdCardXml } from './idcardXml.ts';

const base: RecognitionResult = {
  side: 'TEMPORARY',
  idInfo: { Name: '李四', Sex: '女', Nation: '汉', Birth: '1987/1/1', Address: 'A&B<C>', IdNum: '440524198701010014', Authority: '某公安局', ValidDate: '2020.01.01-2021.01.01' },
  advancedInfo: { IdCard: 'AAA', Portrait: 'BBB', Quality: 49.6, BorderCodeValue: 71.2, WarnInfos: [9106, 9104, 9104, 9100] },
  timings: {},
};

describe('renderIdCardXml', () => {
  it('writes the spec element order, escapes text, and a temporary card carries both sides', () => {
    const xml = renderIdCardXml(base, { CropIdCard: true, CropPortrait: true, Quality: true, BorderCheckWarn: true, TempIdWarn: true, DetectPsWarn: true, InvalidDateWarn: true });
    expect(xml).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n<Response><IdInfo><Name>李四</Name><Sex>女</Sex><Nation>汉</Nation><Birth>1987/1/1</Birth>' +
        '<Address>A&amp;B&lt;C&gt;</Address><IdNum>440524198701010014</IdNum><Authority>某公安局</Authority><ValidDate>2020.01.01-2021.01.01</ValidDate></IdInfo>' +
        '<AdvancedInfo><IdCard>AAA</IdCard><Portrait>BBB</Portrait><Quality>50</Quality><BorderCodeValue>71</BorderCodeValue>' +
        '<WarnInfos>-9100</WarnInfos><WarnInfos>-9104</WarnInfos><WarnInfos>-9106</WarnInfos></AdvancedInfo></Response>',
    );
  });

  it('holds only what the switched-on flags ask for, and omits fields the engine left out', () => {
    const xml = renderIdCardXml({ ...base, side: 'FRONT', idInfo: { Name: '李四' } }, { Quality: true });
    expect(xml).toBe('<?xml version="1.0" encoding="UTF-8"?>\n<Response><IdInfo><Name>李四</Name></IdInfo><AdvancedInfo><Quality>50</Quality></AdvancedInfo></Response>');
    expect(renderIdCardXml(base, { Quality: false })).not.toContain('AdvancedInfo');
  });
});

import { describe, expect, it } from 'vitest';
import { parseIdCardAnswer } from './httpClient.ts';

describe('reading IDCardOCR answers as the COS SDK does', () => {
  it('takes fields and every repeated WarnInfos element, dropping the leading minus', () => {
    const body =
      '<?xml version="1.0" encoding="UTF-8"?><Response><IdInfo><Name>李雷</Name><IdNum>11010119900307001X</IdNum></IdInfo>' +
      '<AdvancedInfo><Quality>88</Quality><WarnInfos>-9103</WarnInfos><WarnInfos>-9102</WarnInfos></AdvancedInfo></Response>';
    expect(parseIdCardAnswer(200, body)).toEqual({ idInfo: { Name: '李雷', IdNum: '11010119900307001X' }, warnings: [9102, 9103] });
  });

  it('keeps values as strings (a number-looking IdNum must not lose its leading zeros or X)', () => {
    const a = parseIdCardAnswer(200, '<Response><IdInfo><IdNum>010101199003070015</IdNum><Birth>1990/3/7</Birth></IdInfo><AdvancedInfo><WarnInfos>-9104</WarnInfos></AdvancedInfo></Response>');
    expect(a.idInfo).toEqual({ IdNum: '010101199003070015', Birth: '1990/3/7' });
    expect(a.warnings).toEqual([9104]);
  });

  it('treats an empty AdvancedInfo as no warnings', () => {
    expect(parseIdCardAnswer(200, '<Response><IdInfo><Sex>女</Sex></IdInfo><AdvancedInfo/></Response>')).toEqual({ idInfo: { Sex: '女' }, warnings: [] });
  });

  it('reads the error code of a COS error body, and says HTTP status when there is none', () => {
    const err = '<Error><Code>FailedOperation.ImageNoIdCard</Code><Message>No ID card was found in the image.</Message><Resource>/a.jpg</Resource><RequestId>x</RequestId><TraceId>x</TraceId></Error>';
    expect(parseIdCardAnswer(400, err)).toEqual({ warnings: [], error: 'FailedOperation.ImageNoIdCard' });
    expect(parseIdCardAnswer(502, '')).toEqual({ warnings: [], error: 'HTTP 502' });
  });
});

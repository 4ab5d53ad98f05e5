/**
 * The ci-process=IDCardOCR route through the official COS SDK, with a recognizer double that records what
 * it was asked and answers a fixed result or throws: routing, validation, XML shape and error mapping.
 * (Real recognition end to end is tested with the engine.)
 */
import COS from 'cos-nodejs-sdk-v5';
import sharp from 'sharp';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ServiceError } from '../errors/catalogue.ts';
import type { RecognitionResult } from '../engine/types.ts';
import { MAX_IMAGE_BYTES } from './idcardRequest.ts';
import { ADMIN, errorCode, rawRequest, startTestServer, unixNow, type TestServer } from './testing.ts';

const B = { Bucket: 'ocr-1250000000', Region: 'ap-guangzhou' };
const KEY = 'idcards/张三 front+(1).png';
const OCR_ONLY = { secretId: 'AKIDOCRONLY00000000000000000000000000', secretKey: 'OcrOnlySecretKey000000000000000000', actions: ['IDCardOCR' as const] };

const FRONT: RecognitionResult = {
  side: 'FRONT',
  idInfo: { Name: '张三', Sex: '男', Nation: '汉', Birth: '1990/1/1', Address: '广东省深圳市南山区<科技园>&1号', IdNum: '11010119900101123X', Authority: 'should not appear', ValidDate: 'should not appear' },
  advancedInfo: { IdCard: '/9j/AAA=', Portrait: '/9j/BBB=', Quality: 88, BorderCodeValue: 10, WarnInfos: [9103, 9102, 9106] },
  timings: { total: 1 },
};
const BACK: RecognitionResult = {
  side: 'BACK',
  idInfo: { Name: 'should not appear', Authority: '深圳市公安局南山分局', ValidDate: '2016.05.27-长期' },
  advancedInfo: {},
  timings: { total: 1 },
};

let server: TestServer;
let cos: COS;
let png: Buffer;

function ocr(method: 'GET' | 'PUT', query: Record<string, string>, body?: Buffer, client = cos) {
  return client.request({ ...B, Method: method, Key: KEY, Query: { 'ci-process': 'IDCardOCR', ...query }, ...(body ? { Body: body } : {}) }) as Promise<{
    Response: { IdInfo: Record<string, string>; AdvancedInfo?: Record<string, string | string[]> };
    statusCode: number;
    headers: Record<string, string>;
  }>;
}
async function failure(p: Promise<unknown>): Promise<{ code?: string; statusCode?: number }> {
  try {
    await p;
  } catch (e) {
    return e as { code?: string; statusCode?: number };
  }
  throw new Error('expected failure');
}

beforeAll(async () => {
  server = await startTestServer({ credentials: [ADMIN, OCR_ONLY] });
  cos = new COS({ SecretId: ADMIN.secretId, SecretKey: ADMIN.secretKey, Protocol: 'http:', Domain: `127.0.0.1:${server.port}/{Bucket}` });
  png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#888' } }).png().toBuffer();
  await cos.putBucket(B);
  await cos.putObject({ ...B, Key: KEY, Body: png });
});
afterAll(async () => server.close());
beforeEach(() => {
  server.recognizer.calls = [];
  server.recognizer.error = undefined;
  server.recognizer.result = FRONT;
});

describe('GET /<key>?ci-process=IDCardOCR', () => {
  it('recognises the stored object and answers the spec XML the SDK decodes', async () => {
    const config = { CropIdCard: true, CropPortrait: true, Quality: true, BorderCheckWarn: true, CopyWarn: true, ReshootWarn: true };
    const r = await ocr('GET', { CardSide: 'FRONT', Config: JSON.stringify(config) });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/^application\/xml/);
    expect(r.Response.IdInfo).toEqual({ Name: '张三', Sex: '男', Nation: '汉', Birth: '1990/1/1', Address: '广东省深圳市南山区<科技园>&1号', IdNum: '11010119900101123X' });
    // WarnInfos inside AdvancedInfo, one element per code, leading minus; DetectPsWarn was off so -9106 is not sent.
    expect(r.Response.AdvancedInfo).toEqual({ IdCard: '/9j/AAA=', Portrait: '/9j/BBB=', Quality: '88', BorderCodeValue: '10', WarnInfos: ['-9102', '-9103'] });
    expect(server.recognizer.calls).toHaveLength(1);
    const call = server.recognizer.calls[0];
    expect(Buffer.from(call.image).equals(png)).toBe(true);
    expect([call.cardSide, call.config]).toEqual(['FRONT', config]);
  });

  it('omits AdvancedInfo when no Config flag is on, and sends only the back side fields for a back', async () => {
    server.recognizer.result = BACK;
    const r = await ocr('GET', {});
    expect(r.Response.IdInfo).toEqual({ Authority: '深圳市公安局南山分局', ValidDate: '2016.05.27-长期' });
    expect(r.Response.AdvancedInfo).toBeUndefined();
    expect(server.recognizer.calls[0].cardSide).toBeUndefined();
  });

  it('a single warning stays a scalar for the SDK, as COS sends it', async () => {
    server.recognizer.result = { ...FRONT, advancedInfo: { WarnInfos: [9104] } };
    const r = await ocr('GET', { Config: '{"TempIdWarn":true}' });
    expect(r.Response.AdvancedInfo).toEqual({ WarnInfos: '-9104' });
  });

  it.each([
    [{ CardSide: 'SIDEWAYS' }, 'InvalidParameterValue.InvalidParameterValueLimit'],
    [{ CardSide: 'front' }, 'InvalidParameterValue.InvalidParameterValueLimit'],
    [{ Config: '{"Unknown":true}' }, 'InvalidParameter.ConfigFormatError'],
    [{ Config: '{"Quality":"yes"}' }, 'InvalidParameter.ConfigFormatError'],
    [{ Config: '[true]' }, 'InvalidParameter.ConfigFormatError'],
    [{ Config: '{not json' }, 'InvalidParameter.ConfigFormatError'],
  ])('refuses %j with %s before recognising', async (query, code) => {
    const e = await failure(ocr('GET', query));
    expect([e.statusCode, e.code]).toEqual([400, code]);
    expect(server.recognizer.calls).toHaveLength(0);
  });

  it('accepts API 3.0\'s ReflectWarn (sent by shared Config strings) without passing it to the engine', async () => {
    await ocr('GET', { Config: '{"Quality":true,"ReflectWarn":true}' });
    expect(server.recognizer.calls).toHaveLength(1);
    expect(server.recognizer.calls[0].config).toEqual({ Quality: true });
    expect((await failure(ocr('GET', { Config: '{"ReflectWarn":"on"}' }))).code).toBe('InvalidParameter.ConfigFormatError');
  });

  it('answers NoSuchKey for a missing object, EmptyImageError for an empty one, ImageDecodeFailed for a non-image', async () => {
    expect((await failure(cos.request({ ...B, Method: 'GET', Key: 'missing.png', Query: { 'ci-process': 'IDCardOCR' } }))).code).toBe('NoSuchKey');
    await cos.putObject({ ...B, Key: 'empty.png', Body: Buffer.alloc(0) });
    expect((await failure(cos.request({ ...B, Method: 'GET', Key: 'empty.png', Query: { 'ci-process': 'IDCardOCR' } }))).code).toBe('FailedOperation.EmptyImageError');
    await cos.putObject({ ...B, Key: 'text.png', Body: Buffer.from('this is not an image') });
    expect((await failure(cos.request({ ...B, Method: 'GET', Key: 'text.png', Query: { 'ci-process': 'IDCardOCR' } }))).code).toBe('FailedOperation.ImageDecodeFailed');
    expect(server.recognizer.calls).toHaveLength(0);
  });

  it.each([
    ['FailedOperation.ImageNoIdCard', 400],
    ['FailedOperation.OcrFailed', 400],
    ['FailedOperation.ImageDecodeFailed', 400],
  ] as const)('renders the recognizer\'s %s', async (code, status) => {
    server.recognizer.error = new ServiceError(code);
    const e = await failure(ocr('GET', {}));
    expect([e.statusCode, e.code]).toEqual([status, code]);
  });

  it('renders SlowDown as 503 and an unexpected failure as FailedOperation.UnKnowError (raw, no SDK retries)', async () => {
    const sign = { cred: ADMIN, start: unixNow() - 1, end: unixNow() + 600 };
    const url = `/${B.Bucket}/x.png?ci-process=IDCardOCR`;
    await cos.putObject({ ...B, Key: 'x.png', Body: png });
    server.recognizer.error = new ServiceError('SlowDown');
    const slow = await rawRequest(server.port, 'GET', url, { sign: { ...sign, path: '/x.png' } });
    expect([slow.status, errorCode(slow.body)]).toEqual([503, 'SlowDown']);
    server.recognizer.error = new Error('worker crashed');
    const boom = await rawRequest(server.port, 'GET', url, { sign: { ...sign, path: '/x.png' } });
    expect([boom.status, errorCode(boom.body)]).toEqual([500, 'FailedOperation.UnKnowError']);
    expect(boom.body.toString()).not.toContain('worker crashed');
  });

  it('needs the IDCardOCR permission; that alone does not allow the PUT form', async () => {
    const ocrOnly = new COS({ SecretId: OCR_ONLY.secretId, SecretKey: OCR_ONLY.secretKey, Protocol: 'http:', Domain: `127.0.0.1:${server.port}/{Bucket}` });
    expect((await ocr('GET', {}, undefined, ocrOnly)).statusCode).toBe(200);
    expect((await failure(ocr('PUT', {}, png, ocrOnly))).code).toBe('AccessDenied');
    expect((await failure(ocrOnly.getObject({ ...B, Key: KEY }))).code).toBe('AccessDenied');
  });
});

describe('PUT /<key>?ci-process=IDCardOCR', () => {
  it('stores the object and answers its recognition (SDK request and putObject forms)', async () => {
    const r = await ocr('PUT', { CardSide: 'FRONT', Config: '{"Quality":true}' }, png);
    expect(r.Response.IdInfo.Name).toBe('张三');
    expect(r.Response.AdvancedInfo).toEqual({ Quality: '88' });
    const stored = await cos.getObject({ ...B, Key: KEY });
    expect((stored.Body as Buffer).equals(png)).toBe(true);
    const via = (await cos.putObject({ ...B, Key: 'via-put.png', Body: png, Query: { 'ci-process': 'IDCardOCR', CardSide: 'BACK' } } as unknown as COS.PutObjectParams)) as unknown as { Response: { IdInfo: Record<string, string> } };
    expect(via.Response.IdInfo.Name).toBe('张三');
    expect(server.recognizer.calls.map((c) => c.cardSide)).toEqual(['FRONT', 'BACK']);
  });

  it('refuses an empty body', async () => {
    expect((await failure(ocr('PUT', {}, Buffer.alloc(0)))).code).toBe('FailedOperation.EmptyImageError');
    expect(server.recognizer.calls).toHaveLength(0);
  });

  it('accepts exactly 7 MB once base64-encoded and refuses one byte more, before storing or recognising', async () => {
    const atLimit = Buffer.alloc(MAX_IMAGE_BYTES, 0);
    png.copy(atLimit);
    expect(Buffer.from(atLimit).toString('base64').length).toBe(7 * 1024 * 1024);
    expect((await ocr('PUT', {}, atLimit)).statusCode).toBe(200);
    const over = Buffer.alloc(MAX_IMAGE_BYTES + 1, 0);
    png.copy(over);
    expect((await failure(cos.request({ ...B, Method: 'PUT', Key: 'over.png', Body: over, Query: { 'ci-process': 'IDCardOCR' } }))).code).toBe('FailedOperation.ImageSizeTooLarge');
    expect((await failure(cos.headObject({ ...B, Key: 'over.png' }))).statusCode).toBe(404);
    expect(server.recognizer.calls).toHaveLength(1);
  });

  it('lets the SDK read the size error every time (the unread body is drained, not cut off mid-upload)', async () => {
    const over = Buffer.alloc(MAX_IMAGE_BYTES + 4096, 0);
    png.copy(over);
    const codes: string[] = [];
    for (let i = 0; i < 8; i++) codes.push(String((await failure(cos.request({ ...B, Method: 'PUT', Key: `over-${i}.png`, Body: over, Query: { 'ci-process': 'IDCardOCR' } }))).code));
    expect(new Set(codes)).toEqual(new Set(['FailedOperation.ImageSizeTooLarge']));
  });
});

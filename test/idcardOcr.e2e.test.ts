/**
 * End to end, as a user sees it: the official COS SDK uploads ID-card images to a real server whose
 * recognizer is the real engine (worker pool, ONNX inference), and reads the fields back from the XML.
 * Images are generated synthetic cards (labels from the generator's data) and the shared real samples.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import COS from 'cos-nodejs-sdk-v5';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type ServiceConfig } from '../src/config/config.ts';
import { createRecognizer } from '../src/engine/index.ts';
import type { IdCardRecognizer, IdInfo } from '../src/engine/types.ts';
import { buildApp } from '../src/server/app.ts';
import { ADMIN } from '../src/server/testing.ts';
import { LocalDiskStore } from '../src/storage/localDiskStore.ts';
import { generateOne, parseNow } from '../src/synth/generate.ts';
import type { SynthCase } from '../src/synth/labels.ts';

const B = { Bucket: 'kyc-1250000000', Region: 'ap-guangzhou' };
const REAL = join(import.meta.dirname, '..', '..', 'shared', 'samples', 'real');
const NOW = parseNow('2026-11-25');

let app: FastifyInstance;
let recognizer: IdCardRecognizer;
let dataDir: string;
let cos: COS;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'idcard-e2e-'));
  const base = loadConfig({ IDCARD_DATA_DIR: dataDir });
  const config: ServiceConfig = Object.freeze({ ...base, credentials: Object.freeze([ADMIN]) });
  const store = new LocalDiskStore(dataDir);
  await store.init();
  recognizer = await createRecognizer({ workers: 1 });
  app = buildApp({ config, store, recognizer });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const port = (app.server.address() as AddressInfo).port;
  cos = new COS({ SecretId: ADMIN.secretId, SecretKey: ADMIN.secretKey, Protocol: 'http:', Domain: `127.0.0.1:${port}/{Bucket}` });
  await cos.putBucket(B);
});

afterAll(async () => {
  await app?.close();
  await recognizer?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

type OcrData = { Response: { IdInfo: Record<string, string>; AdvancedInfo?: Record<string, unknown> | string } };

function putOcr(Key: string, Body: Buffer, query: Record<string, string> = {}): Promise<OcrData> {
  return cos.request({ ...B, Method: 'PUT', Key, Body, Query: { 'ci-process': 'IDCardOCR', ...query } }) as unknown as Promise<OcrData>;
}

function getOcr(Key: string, query: Record<string, string> = {}): Promise<OcrData> {
  return cos.request({ ...B, Method: 'GET', Key, Query: { 'ci-process': 'IDCardOCR', ...query } }) as unknown as Promise<OcrData>;
}

async function failureCode(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return String((e as { code?: string }).code);
  }
  throw new Error('expected the request to fail');
}

/** The label's non-null fields, as the service should return them. */
function expectedFields(fields: Record<keyof IdInfo, string | null>): Record<string, string> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== null)) as Record<string, string>;
}

async function synthetic(index: number, c: SynthCase) {
  return generateOne(20261125, index, c, NOW);
}

describe('IDCardOCR through the COS SDK with the real engine', () => {
  it('reads every field of a clean synthetic front uploaded with PUT, and stores the upload', async () => {
    const img = await synthetic(0, 'clean');
    const res = await putOcr('kyc/clean-front', Buffer.from(img.bytes), { CardSide: img.label.cards[0].kind === 'BACK' ? 'BACK' : 'FRONT' });
    expect(res.Response.IdInfo).toEqual(expectedFields(img.label.cards[0].fields));
    const stored = await cos.headObject({ ...B, Key: 'kyc/clean-front' });
    expect(Number(stored.headers?.['content-length'])).toBe(img.bytes.length);
  });

  it('reads a phone photo of a card (perspective, rotation, background) stored earlier, with GET', async () => {
    const img = await synthetic(1, 'photo');
    await cos.putObject({ ...B, Key: 'kyc/photo', Body: Buffer.from(img.bytes) });
    const res = await getOcr('kyc/photo');
    expect(res.Response.IdInfo).toEqual(expectedFields(img.label.cards[0].fields));
  });

  it('reads the front of the real 样证 specimen card', async () => {
    const res = await putOcr('real/test2.jpg', await readFile(join(REAL, 'IDCardOCR_PC__test2.jpg')), { CardSide: 'FRONT' });
    expect(res.Response.IdInfo).toMatchObject({ Name: '金阳', Sex: '女', Nation: '汉', Birth: '1978/10/27', IdNum: '110102197810272321' });
  });

  it('reads the back of a real sample card', async () => {
    const res = await putOcr('real/back.png', await readFile(join(REAL, 'wuyoux__sfzbm_r.png')), { CardSide: 'BACK' });
    expect(res.Response.IdInfo.ValidDate).toBe('2007.08.16-2017.08.16');
    expect(res.Response.IdInfo.Name).toBeUndefined();
  });

  it('answers ImageNoIdCard for a picture without a card, and ImageDecodeFailed for a corrupt file', async () => {
    const none = await synthetic(2, 'no-card');
    expect(await failureCode(putOcr('bad/none', Buffer.from(none.bytes)))).toBe('FailedOperation.ImageNoIdCard');
    const corrupt = await synthetic(3, 'undecodable');
    expect(await failureCode(putOcr('bad/corrupt', Buffer.from(corrupt.bytes)))).toBe('FailedOperation.ImageDecodeFailed');
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { isServiceError } from '../errors/catalogue.ts';
import { createRecognizer, type RecognitionPool } from './index.ts';
import { errorEnvelope } from './worker.ts';
import { ServiceError } from '../errors/catalogue.ts';

/** A small plain image: decodes fine, holds no card (the pipeline's answer is a catalogued error). */
async function blankPng(): Promise<Uint8Array> {
  const png = await sharp({ create: { width: 320, height: 200, channels: 3, background: '#f0f0f0' } }).png().toBuffer();
  return new Uint8Array(png); // a fresh ArrayBuffer of its own: transferable
}

describe('RecognitionPool (piscina workers running the pipeline)', () => {
  let pool: RecognitionPool;
  beforeAll(async () => {
    pool = await createRecognizer({ workers: 1, maxQueue: 1 });
  });
  afterAll(() => pool.close());

  it('loads the models in each worker before resolving', () => {
    expect(pool.workers).toBe(1);
    expect(pool.modelLoadMs).toHaveLength(1);
    expect(pool.modelLoadMs[0]).toBeGreaterThan(0);
  });

  it('re-throws a worker ServiceError on this side with its catalogued code', async () => {
    const err = await pool.recognize({ image: Buffer.from('definitely not an image') }).catch((e: unknown) => e);
    expect(isServiceError(err)).toBe(true);
    expect(err).toBeInstanceOf(ServiceError);
    expect(err).toMatchObject({ code: 'FailedOperation.ImageDecodeFailed', status: 400 });
  });

  it('moves an image that owns its buffer to the worker, and leaves a view into a larger buffer alone', async () => {
    const owned = await blankPng();
    await pool.recognize({ image: owned }).catch(() => undefined);
    expect(owned.byteLength).toBe(0); // detached: transferred, not copied

    const png = await blankPng();
    const big = new Uint8Array(png.length + 16);
    big.set(png, 16);
    const view = big.subarray(16);
    await pool.recognize({ image: view }).catch(() => undefined);
    expect(view.byteLength).toBe(png.length);
  });

  it('answers SlowDown at once when the worker is busy and the queue is full', async () => {
    const images = await Promise.all([blankPng(), blankPng(), blankPng()]);
    const settled = await Promise.allSettled(images.map((image) => pool.recognize({ image })));
    // One running + one waiting (maxQueue 1); the third is refused without waiting.
    const codes = settled.map((s) => (s.status === 'rejected' ? (s.reason as ServiceError).code : 'ok'));
    expect(codes[2]).toBe('SlowDown');
    expect(codes.slice(0, 2)).not.toContain('SlowDown');
    expect(pool.inFlight).toBe(0);
  });
});

describe('errorEnvelope', () => {
  it('keeps catalogued codes and turns anything else into the spec catch-all', () => {
    expect(errorEnvelope(new ServiceError('FailedOperation.ImageBlur'))).toEqual({ ok: false, error: { code: 'FailedOperation.ImageBlur', message: 'The image is too blurry to read.' } });
    expect(errorEnvelope(new RangeError('offset out of range'))).toEqual({ ok: false, error: { code: 'FailedOperation.UnKnowError', message: 'RangeError: offset out of range' } });
  });
});

describe('createRecognizer options', () => {
  it('names the bad option', async () => {
    await expect(createRecognizer({ workers: 0 })).rejects.toThrow(/workers/);
    await expect(createRecognizer({ maxQueue: -1 })).rejects.toThrow(/maxQueue/);
  });
});

/**
 * `GET /<key>?ci-process=IDCardOCR` (recognise a stored object) and `PUT /<key>?ci-process=IDCardOCR`
 * (store the body as the object and answer with its recognition) — COS CI doc "ID card recognition".
 *
 * Parameters are checked before any byte of image is read; size is refused from Content-Length (PUT) or
 * the stored size (GET) before anything is buffered; the recognizer owns concurrency and answers SlowDown.
 */
import { ServiceError, isServiceError } from '../errors/catalogue.ts';
import type { IdCardRecognizer } from '../engine/types.ts';
import type { ObjectMeta, ObjectStore } from '../storage/objectStore.ts';
import type { FastifyReply } from 'fastify';
import type { RequestContext } from './app.ts';
import { renderIdCardXml } from './idcardXml.ts';
import { MAX_IMAGE_BYTES, isSupportedImage, parseCardSide, parseIdCardConfig } from './idcardRequest.ts';

export interface IdCardRouteDeps {
  store: ObjectStore;
  recognizer: IdCardRecognizer;
  bucket: string;
  key: string;
  param: (name: string) => string | undefined;
  /** Streams the request body into the object (PUT form), refusing more than maxBytes. */
  storeBody: (maxBytes: number, onChunk: (chunk: Buffer) => void) => Promise<ObjectMeta>;
}

async function readStoredImage(store: ObjectStore, bucket: string, key: string): Promise<Uint8Array> {
  const opened = await store.openObject(bucket, key);
  if (!opened) throw new ServiceError('NoSuchKey');
  if (opened.meta.size === 0 || opened.meta.size > MAX_IMAGE_BYTES) {
    await opened.close();
    throw new ServiceError(opened.meta.size === 0 ? 'FailedOperation.EmptyImageError' : 'FailedOperation.ImageSizeTooLarge');
  }
  const chunks: Buffer[] = [];
  for await (const c of opened.stream()) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export async function handleIdCardOcr(ctx: RequestContext, deps: IdCardRouteDeps): Promise<FastifyReply> {
  const cardSide = parseCardSide(deps.param('CardSide'));
  const config = parseIdCardConfig(deps.param('Config'));

  let image: Uint8Array;
  if (ctx.request.method === 'PUT') {
    if (ctx.request.headers['content-length'] === '0') throw new ServiceError('FailedOperation.EmptyImageError');
    const chunks: Buffer[] = [];
    const meta = await deps.storeBody(MAX_IMAGE_BYTES, (c) => chunks.push(c));
    if (meta.size === 0) throw new ServiceError('FailedOperation.EmptyImageError');
    image = Buffer.concat(chunks);
  } else {
    image = await readStoredImage(deps.store, deps.bucket, deps.key);
  }
  if (!isSupportedImage(image)) throw new ServiceError('FailedOperation.ImageDecodeFailed');

  let xml: string;
  try {
    const result = await deps.recognizer.recognize({ image, cardSide, config, now: ctx.now });
    xml = renderIdCardXml(result, config);
  } catch (e) {
    if (isServiceError(e)) throw e;
    // The spec's catch-all for recognition; the cause is logged (no image data in it), not sent.
    throw new ServiceError('FailedOperation.UnKnowError', undefined, { cause: e });
  }
  return ctx.reply.code(200).type('application/xml').header('x-ci-request-id', ctx.requestId).send(xml);
}

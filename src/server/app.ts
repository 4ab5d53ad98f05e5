/**
 * The HTTP service: COS object operations plus `ci-process=IDCardOCR`, answering the way the official COS
 * SDKs expect (protocols.md). One catch-all route: COS addresses by Host as much as by path, so routing is
 * done here from the Host header and the raw URL rather than by Fastify's path router.
 */
import { randomBytes } from 'node:crypto';
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { ServiceError } from '../errors/catalogue.ts';
import type { Action, ServiceConfig } from '../config/config.ts';
import type { IdCardRecognizer } from '../engine/types.ts';
import type { BucketAcl, ObjectStore } from '../storage/objectStore.ts';
import { resolveTarget, type Target } from './addressing.ts';
import { authenticate, authorize, visibleBuckets, type Operation, type Principal } from './auth.ts';
import { renderError, toServiceError } from './errors.ts';
import { handleIdCardOcr } from './idcardRoute.ts';
import { parseQuery } from './signature.ts';
import { listBucketXml, listBucketsXml } from './listingXml.ts';

export interface AppOptions {
  config: ServiceConfig;
  store: ObjectStore;
  recognizer: IdCardRecognizer;
  /** The service's idea of now: signature windows, Date headers, Last-Modified (tests inject it). */
  clock?: () => Date;
  /** Fastify logger option; request lines never carry keys (they may hold names) or bodies. */
  logger?: boolean;
}

/** Per-request facts every handler needs. */
export interface RequestContext {
  request: FastifyRequest;
  reply: FastifyReply;
  requestId: string;
  target: Target;
  query: Array<[string, string]>;
  principal: Principal;
  now: Date;
}

/** Sub-resources COS has and this service does not implement: answer NotImplemented rather than misread them. */
const UNSUPPORTED_SUBRESOURCES = new Set([
  'acl', 'cors', 'policy', 'uploads', 'uploadid', 'partnumber', 'tagging', 'versioning', 'versionid', 'versions',
  'lifecycle', 'website', 'restore', 'select', 'append', 'referer', 'logging', 'inventory', 'domain', 'replication',
  'encryption', 'object-lock', 'intelligenttiering', 'delete',
]);

function newRequestId(): string {
  return randomBytes(18).toString('base64');
}

function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export function buildApp(opts: AppOptions): FastifyInstance {
  const { config, store, recognizer } = opts;
  const clock = opts.clock ?? (() => new Date());
  const app = Fastify({
    logger: opts.logger ?? false,
    // Fastify's request lines carry the URL, and keys may hold a person's name: we log our own line instead.
    logController: new LogController({ disableRequestLogging: true }),
    exposeHeadRoutes: false,
    // Bucket + 850-byte key, percent-encoded, can be long; the router must not 404 it.
    routerOptions: { maxParamLength: 16 * 1024 },
    genReqId: () => newRequestId(),
    // Fastify's own errors (bad URL, unsupported media) go through the same renderer as ours.
    frameworkErrors: (error, request, reply) => {
      const err = (error as { code?: string }).code === 'FST_ERR_BAD_URL'
        ? new ServiceError('InvalidObjectName', 'The request path is not valid percent-encoded UTF-8.', { cause: error })
        : new ServiceError('InvalidArgument', 'The request could not be parsed.', { cause: error });
      void sendError(reply, err, request);
    },
  });

  // Bodies are streams: PUT Object writes them to disk as they arrive, never buffered whole.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, _payload, done) => done(null));

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-cos-request-id', request.id);
    reply.header('server', 'idcard-ocr');
    // The SDK corrects its clock from this header after a skew error (protocols.md §5), so it is our clock.
    reply.header('date', clock().toUTCString());
  });

  app.addHook('onResponse', async (request, reply) => {
    request.log.info({ method: request.method, status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
  });

  app.setErrorHandler((error, request, reply) => {
    return sendError(reply, toServiceError(error), request);
  });

  function resourceOf(request: FastifyRequest): string {
    return (request.raw.url ?? '/').split('?')[0];
  }

  function sendError(reply: FastifyReply, err: ServiceError, request: FastifyRequest): FastifyReply | Promise<FastifyReply> {
    const rendered = renderError(err, { resource: resourceOf(request), requestId: String(request.id) });
    if (rendered.status >= 500) request.log.error({ err: err.cause ?? err, code: rendered.code, reqId: request.id }, 'request failed');
    const send = () => reply.code(rendered.status).type('application/xml').header('x-cos-request-id', request.id).send(request.method === 'HEAD' ? undefined : rendered.body);
    // A request whose body we will not read cannot keep the connection: close it instead of draining gigabytes.
    const hasBody = (header(request, 'content-length') ?? '0') !== '0' || header(request, 'transfer-encoding') !== undefined;
    if (!hasBody || request.raw.readableEnded) return send();
    reply.header('connection', 'close');
    // Answering while the client is still sending makes many clients (the COS SDK included) report EPIPE
    // instead of our error. Bodies of modest declared size are read and discarded first, so the client
    // gets the error code; larger or unbounded ones are cut off at once.
    const declared = Number(header(request, 'content-length') ?? Number.NaN);
    if (!(declared <= DRAIN_BEFORE_ERROR_BYTES)) return send();
    return drain(request.raw).then(send);
  }

  async function handle(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    try {
      return await dispatch(request, reply);
    } catch (e) {
      return sendError(reply, toServiceError(e), request);
    }
  }

  async function dispatch(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const rawUrl = request.raw.url ?? '/';
    const q = rawUrl.indexOf('?');
    const rawPath = q < 0 ? rawUrl : rawUrl.slice(0, q);
    const query = parseQuery(q < 0 ? '' : rawUrl.slice(q + 1));
    const target = resolveTarget(header(request, 'host'), rawPath, config.hostSuffixes);
    const now = clock();
    // Authenticate before looking anything up, so a forged request learns nothing about what exists.
    const principal = authenticate({
      method: request.method,
      query,
      headers: request.headers,
      signaturePaths: target.signaturePaths,
      now,
      maxClockSkewSeconds: config.maxClockSkewSeconds,
      credentials: config.credentials,
    });
    const ctx: RequestContext = { request, reply, requestId: String(request.id), target, query, principal, now };
    const param = (name: string) => query.find(([k]) => k === name)?.[1];
    for (const [k] of query) {
      if (UNSUPPORTED_SUBRESOURCES.has(k.toLowerCase())) throw new ServiceError('NotImplemented', `The ${k} sub-resource is not implemented.`);
    }
    const method = request.method;

    if (target.bucket === undefined) {
      if (method !== 'GET') throw new ServiceError('MethodNotAllowed');
      if (principal.kind === 'anonymous') throw new ServiceError('AccessDenied', 'Listing buckets needs a signed request.');
      const buckets = visibleBuckets(principal, await store.listBuckets());
      return reply.type('application/xml').send(listBucketsXml(buckets));
    }
    const bucketName = target.bucket;

    if (target.key === '') {
      switch (method) {
        case 'PUT': {
          authorize(principal, { kind: 'admin', bucket: bucketName }, undefined);
          const acl = (header(request, 'x-cos-acl') ?? 'private') as BucketAcl;
          if (acl !== 'private' && acl !== 'public-read') throw new ServiceError('InvalidArgument', 'x-cos-acl must be private or public-read.');
          await store.createBucket(bucketName, { acl, region: target.region });
          return reply.code(200).header('location', `/${bucketName}`).send();
        }
        case 'DELETE': {
          const info = await store.getBucket(bucketName);
          authorize(principal, { kind: 'admin', bucket: bucketName }, info);
          await store.deleteBucket(bucketName);
          return reply.code(204).send();
        }
        case 'HEAD': {
          const info = await store.getBucket(bucketName);
          authorize(principal, { kind: 'HeadBucket', bucket: bucketName }, info);
          if (!info) throw new ServiceError('NoSuchBucket');
          return reply.code(200).send();
        }
        case 'GET': {
          const info = await store.getBucket(bucketName);
          const prefix = param('prefix') ?? '';
          authorize(principal, { kind: 'ListBucket', bucket: bucketName, prefix }, info);
          if (!info) throw new ServiceError('NoSuchBucket');
          return listObjects(ctx, bucketName, param);
        }
        default:
          throw new ServiceError('MethodNotAllowed');
      }
    }

    const key = target.key;
    const ciProcess = param('ci-process');
    const bucketInfo = await store.getBucket(bucketName);
    const objectOp = (actions: Action[]): Operation => ({ kind: 'object', bucket: bucketName, key, actions });

    if (ciProcess !== undefined) {
      if (ciProcess !== 'IDCardOCR') throw new ServiceError('NotImplemented', 'Only ci-process=IDCardOCR is implemented.');
      if (method !== 'GET' && method !== 'PUT') throw new ServiceError('MethodNotAllowed');
      authorize(principal, objectOp(method === 'PUT' ? ['IDCardOCR', 'PutObject'] : ['IDCardOCR']), bucketInfo);
      if (!bucketInfo) throw new ServiceError('NoSuchBucket');
      return handleIdCardOcr(ctx, {
        store,
        recognizer,
        bucket: bucketName,
        key,
        param,
        storeBody: (maxBytes, onChunk) => putObject(ctx, bucketName, key, maxBytes, 'FailedOperation.ImageSizeTooLarge', onChunk),
      });
    }

    switch (method) {
      case 'PUT': {
        authorize(principal, objectOp(['PutObject']), bucketInfo);
        if (!bucketInfo) throw new ServiceError('NoSuchBucket');
        if (header(request, 'x-cos-copy-source') !== undefined) throw new ServiceError('NotImplemented', 'PUT Object - Copy is not implemented.');
        const meta = await putObject(ctx, bucketName, key, config.maxObjectBytes, 'EntityTooLarge');
        return reply.code(200).header('etag', meta.etag).send();
      }
      case 'GET':
      case 'HEAD': {
        authorize(principal, objectOp(['GetObject']), bucketInfo);
        if (!bucketInfo) throw new ServiceError('NoSuchBucket');
        return getObject(ctx, bucketName, key);
      }
      case 'DELETE': {
        authorize(principal, objectOp(['DeleteObject']), bucketInfo);
        if (!bucketInfo) throw new ServiceError('NoSuchBucket');
        await store.deleteObject(bucketName, key);
        // COS answers 204 whether or not the key existed (DELETE is idempotent).
        return reply.code(204).send();
      }
      default:
        throw new ServiceError('MethodNotAllowed');
    }
  }

  async function putObject(ctx: RequestContext, bucket: string, key: string, maxBytes: number, tooLargeCode: 'EntityTooLarge' | 'FailedOperation.ImageSizeTooLarge', onChunk?: (c: Buffer) => void) {
    const req = ctx.request;
    const lengthHeader = header(req, 'content-length');
    const chunked = /\bchunked\b/i.test(header(req, 'transfer-encoding') ?? '');
    if (lengthHeader === undefined && !chunked) throw new ServiceError('MissingContentLength');
    let expectedLength: number | undefined;
    if (lengthHeader !== undefined) {
      if (!/^\d+$/.test(lengthHeader)) throw new ServiceError('InvalidArgument', 'Content-Length must be a non-negative integer.');
      expectedLength = Number(lengthHeader);
      // Refused before a byte of the body is read.
      if (expectedLength > maxBytes) throw new ServiceError(tooLargeCode);
    }
    let contentMd5: Buffer | undefined;
    const md5Header = header(req, 'content-md5');
    if (md5Header !== undefined) {
      contentMd5 = /^[A-Za-z0-9+/]{22}==$/.test(md5Header.trim()) ? Buffer.from(md5Header.trim(), 'base64') : undefined;
      if (!contentMd5 || contentMd5.length !== 16) throw new ServiceError('InvalidDigest');
    }
    const userMeta: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (name.startsWith('x-cos-meta-') && value !== undefined) userMeta[name] = Array.isArray(value) ? value.join(',') : value;
    }
    return store.putObject(bucket, key, req.raw, {
      contentType: header(req, 'content-type') || undefined,
      userMeta,
      contentMd5,
      expectedLength,
      maxBytes,
      tooLargeCode,
      onChunk,
    });
  }

  async function getObject(ctx: RequestContext, bucket: string, key: string): Promise<FastifyReply> {
    const { request, reply } = ctx;
    const opened = await store.openObject(bucket, key);
    if (!opened) throw new ServiceError('NoSuchKey');
    let streaming = false;
    try {
      const m = opened.meta;
      reply.header('etag', m.etag).header('last-modified', m.lastModified.toUTCString()).header('accept-ranges', 'bytes');
      reply.header('content-type', m.contentType ?? 'application/octet-stream');
      for (const [k, v] of Object.entries(m.userMeta)) reply.header(k, v);

      // RFC 9110 §13.2.2: If-None-Match wins over If-Modified-Since.
      const inm = header(request, 'if-none-match');
      const ims = header(request, 'if-modified-since');
      const notModified = inm !== undefined
        ? inm.split(',').map((s) => s.trim().replace(/^W\//, '')).some((t) => t === '*' || t === m.etag)
        : ims !== undefined && !Number.isNaN(Date.parse(ims)) && Math.floor(m.lastModified.getTime() / 1000) <= Math.floor(Date.parse(ims) / 1000);
      if (notModified) return reply.code(304).send();

      let range: { start: number; end: number } | undefined;
      const rangeHeader = header(request, 'range');
      if (rangeHeader !== undefined) {
        const parsed = parseRange(rangeHeader, m.size);
        if (parsed === null) {
          reply.header('content-range', `bytes */${m.size}`);
          throw new ServiceError('InvalidRange');
        }
        range = parsed;
      }
      const length = range ? range.end - range.start + 1 : m.size;
      reply.header('content-length', String(length));
      if (range) reply.code(206).header('content-range', `bytes ${range.start}-${range.end}/${m.size}`);
      if (request.method === 'HEAD') return reply.send();
      streaming = true;
      return reply.send(opened.stream(range));
    } finally {
      if (!streaming) await opened.close();
    }
  }

  async function listObjects(ctx: RequestContext, bucket: string, param: (n: string) => string | undefined): Promise<FastifyReply> {
    const encodingType = param('encoding-type');
    if (encodingType !== undefined && encodingType !== '' && encodingType !== 'url') throw new ServiceError('InvalidArgument', 'encoding-type must be url.');
    const maxKeysRaw = param('max-keys');
    let maxKeys = 1000;
    if (maxKeysRaw !== undefined && maxKeysRaw !== '') {
      if (!/^\d+$/.test(maxKeysRaw)) throw new ServiceError('InvalidArgument', 'max-keys must be an integer from 0 to 1000.');
      maxKeys = Math.min(Number(maxKeysRaw), 1000);
    }
    const opts = { prefix: param('prefix') ?? '', delimiter: param('delimiter') || undefined, marker: param('marker') || undefined, maxKeys };
    const result = await store.listObjects(bucket, opts);
    return ctx.reply.type('application/xml').send(listBucketXml(bucket, opts, encodingType === 'url', result));
  }

  app.route({
    method: ['GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'OPTIONS', 'PATCH'],
    url: '*',
    handler: handle,
  });
  app.setNotFoundHandler(handle);

  return app;
}

/** `bytes=a-b`, `bytes=a-`, `bytes=-n` (one range; RFC 9110 §14.1.2). undefined = ignore the header, null = unsatisfiable. */
export function parseRange(value: string, size: number): { start: number; end: number } | undefined | null {
  const m = /^bytes=(\d*)-(\d*)$/.exec(value.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined; // not a single byte range: serve the whole object
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0 || size === 0) return null;
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || (m[2] !== '' && Number(m[2]) < start)) return null;
  return { start, end };
}

/** Largest unread request body that is drained (discarded) before an error is sent, rather than cut off. */
const DRAIN_BEFORE_ERROR_BYTES = 64 * 1024 * 1024;
const DRAIN_TIMEOUT_MS = 15_000;

function drain(stream: NodeJS.ReadableStream & { readableEnded?: boolean; destroyed?: boolean }): Promise<void> {
  return new Promise((resolve) => {
    if (stream.readableEnded || stream.destroyed) return resolve();
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(done, DRAIN_TIMEOUT_MS);
    stream.once('end', done);
    stream.once('close', done);
    stream.once('error', done);
    stream.resume();
  });
}

/**
 * Bad and hostile input over real HTTP: truncated uploads, concurrent writers, keys that try to escape,
 * digests, sizes, and the one error shape every failure shares.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, errorCode, rawRequest, startTestServer, unixNow, type TestServer } from './testing.ts';

const BUCKET = 'safety-1250000000';
let server: TestServer;
const sign = () => ({ cred: ADMIN, start: unixNow() - 1, end: unixNow() + 600 });
const put = (key: string, body: Buffer | string, headers: Record<string, string> = {}) =>
  rawRequest(server.port, 'PUT', `/${BUCKET}/${key}`, { body, headers, sign: { ...sign(), headers: ['host', 'content-length', ...Object.keys(headers)] } });
const get = (key: string) => rawRequest(server.port, 'GET', `/${BUCKET}/${key}`, { sign: sign() });

beforeAll(async () => {
  server = await startTestServer({ env: { IDCARD_MAX_OBJECT_BYTES: String(64 * 1024) } });
  await server.store.createBucket(BUCKET, { acl: 'private', region: '' });
});
afterAll(async () => server.close());

describe('object safety over HTTP', () => {
  it('a connection dropped mid-upload leaves no object and no temp file', async () => {
    await new Promise<void>((resolve, reject) => {
      const path = `/${BUCKET}/truncated.jpg`;
      const headers = { host: `127.0.0.1:${server.port}`, 'content-length': '10000' };
      // Sign with the same helper the SDK rules use, then write only part of the body and hang up.
      import('./signature.ts').then(({ signRequest }) => {
        const auth = signRequest({ method: 'PUT', path: '/truncated.jpg', query: [], headers }, ADMIN, { start: unixNow() - 1, end: unixNow() + 600, headers: ['host', 'content-length'] });
        const sock = connect(server.port, '127.0.0.1', () => {
          sock.write(`PUT ${path} HTTP/1.1\r\nHost: ${headers.host}\r\nContent-Length: 10000\r\nAuthorization: ${auth}\r\n\r\n`);
          sock.write(Buffer.alloc(3000, 7));
          setTimeout(() => {
            sock.destroy();
            resolve();
          }, 100);
        });
        sock.on('error', reject);
      }, reject);
    });
    await new Promise((r) => setTimeout(r, 200));
    expect(errorCode((await get('truncated.jpg')).body)).toBe('NoSuchKey');
    expect(await readdir(join(server.dataDir, 'buckets', BUCKET, 'tmp'))).toEqual([]);
  });

  it('concurrent PUTs of one key: the object is exactly one of the bodies', async () => {
    const bodies = Array.from({ length: 5 }, (_, i) => Buffer.alloc(60 * 1024, 97 + i));
    const results = await Promise.all(bodies.map((b) => put('race.bin', b)));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    const r = await get('race.bin');
    expect(bodies.some((b) => b.equals(r.body))).toBe(true);
    expect(r.headers.etag).toBe(`"${createHash('md5').update(r.body).digest('hex')}"`);
  });

  it('keys that look like paths stay inside the bucket folder and round-trip', async () => {
    for (const key of ['..%2Fescape.txt', '..%2F..%2F..%2Fetc%2Fpasswd', 'a%2F%2Fb', '%2E%2E/x']) {
      expect((await put(key, `v:${key}`)).status).toBe(200);
      expect((await get(key)).body.toString()).toBe(`v:${key}`);
    }
    const all = await readdir(server.dataDir, { recursive: true });
    expect(all.every((p) => !p.includes('..') && !p.includes('passwd'))).toBe(true);
  });

  it('refuses NUL and control characters, bad escapes and over-long keys', async () => {
    expect(errorCode((await put('nul%00byte', 'x')).body)).toBe('InvalidObjectName');
    expect(errorCode((await put('bad%E0%A4escape', 'x')).body)).toBe('InvalidObjectName');
    expect(errorCode((await put('k'.repeat(851), 'x')).body)).toBe('KeyTooLong');
    expect((await put('k'.repeat(850), 'x')).status).toBe(200);
  });

  it('checks Content-MD5, Content-Length and the size limit before storing', async () => {
    const good = createHash('md5').update('hello').digest('base64');
    expect((await put('md5.txt', 'hello', { 'content-md5': good })).status).toBe(200);
    const bad = await put('md5.txt', 'hellO', { 'content-md5': good });
    expect([bad.status, errorCode(bad.body)]).toEqual([400, 'BadDigest']);
    expect((await get('md5.txt')).body.toString()).toBe('hello');
    expect(errorCode((await put('md5.txt', 'hello', { 'content-md5': 'not-base64' })).body)).toBe('InvalidDigest');
    const big = await put('big.bin', Buffer.alloc(64 * 1024 + 1));
    expect([big.status, errorCode(big.body)]).toEqual([400, 'EntityTooLarge']);
  });

  it('renders every error as COS XML with Code, Message, Resource, RequestId and TraceId', async () => {
    const r = await get('does/not%20exist.txt');
    expect(r.status).toBe(404);
    expect(r.headers['content-type']).toMatch(/^application\/xml/);
    const id = r.headers['x-cos-request-id'] as string;
    expect(id).toBeTruthy();
    expect(r.body.toString()).toBe(
      `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Resource>/${BUCKET}/does/not%20exist.txt</Resource><RequestId>${id}</RequestId><TraceId>${id}</TraceId></Error>`,
    );
  });

  it('names unsupported sub-resources and bad bucket names', async () => {
    expect(errorCode((await rawRequest(server.port, 'GET', `/${BUCKET}/?acl`, { sign: sign() })).body)).toBe('NotImplemented');
    expect(errorCode((await rawRequest(server.port, 'GET', `/Not_A_Bucket/x`, { sign: sign() })).body)).toBe('InvalidBucketName');
    expect(errorCode((await rawRequest(server.port, 'POST', `/${BUCKET}/x`, { sign: sign() })).body)).toBe('MethodNotAllowed');
  });
});

describe('captured SDK requests replayed against the app (injected clock)', () => {
  const doc = JSON.parse(readFileSync(new URL('../../../shared/reference/captures/cos-captures.json', import.meta.url), 'utf8')) as {
    secretId: string;
    secretKey: string;
    capturedAt: number;
    captures: Array<{ label: string; method: string; url: string; headers: Record<string, string>; bodyBase64: string }>;
  };
  let replay: TestServer;
  beforeAll(async () => {
    replay = await startTestServer({ credentials: [{ secretId: doc.secretId, secretKey: doc.secretKey }], clock: () => new Date(doc.capturedAt * 1000), listen: false });
    await replay.store.createBucket('examplebucket-1250000000', { acl: 'private', region: 'ap-guangzhou' });
  });
  afterAll(async () => replay.close());

  const inject = (c: (typeof doc.captures)[number], patch: { url?: string; headers?: Record<string, string> } = {}) =>
    replay.app.inject({ method: c.method as 'GET', url: patch.url ?? c.url, headers: { ...c.headers, ...patch.headers }, payload: Buffer.from(c.bodyBase64, 'base64') });

  // Virtual-host (B) and path-style (C) captures name a bucket; replay the object ones in order.
  for (const label of ['B-putObject', 'C-putObject', 'C-getBucket']) {
    it(`${label} is accepted, and refused once tampered`, async () => {
      const c = doc.captures.find((x) => x.label === label)!;
      const ok = await inject(c);
      expect(ok.statusCode).toBe(200);
      const tamperedPath = await inject(c, { url: c.url.replace('idcards', 'idcardz') });
      expect(errorCode(tamperedPath.body)).toBe('SignatureDoesNotMatch');
      const tamperedHost = await inject(c, { headers: { host: c.headers.host.replace(/\d$/, (d) => String((Number(d) + 1) % 10)).replace('guangzhou', 'beijing') } });
      expect(errorCode(tamperedHost.body)).toBe('SignatureDoesNotMatch');
    });
  }
});

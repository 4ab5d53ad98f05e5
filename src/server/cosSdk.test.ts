/**
 * The official COS SDK (cos-nodejs-sdk-v5) against a real listening server, for every object-service
 * operation, in both addressing styles the SDK can produce (protocols.md §1).
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import COS from 'cos-nodejs-sdk-v5';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, errorCode, rawRequest, startTestServer, unixNow, type TestServer } from './testing.ts';

const BUCKET = 'examplebucket-1250000000';
const REGION = 'ap-guangzhou';
const KEYS = ['idcards/张三 front+(1).jpg', 'with space.txt', 'a+b.txt', '(paren).txt', '中文/身份证.png'];

type Style = 'path' | 'virtual-host';
function client(port: number, style: Style, cred = ADMIN, extra: Partial<COS.COSOptions> = {}): COS {
  const base: COS.COSOptions = { SecretId: cred.secretId, SecretKey: cred.secretKey, Protocol: 'http:', ...extra };
  // Path style: the bucket is the first path segment. Virtual host: the SDK connects to Ip but keeps
  // Host: <bucket>.cos.<region>.myqcloud.com.
  return style === 'path' ? new COS({ ...base, Domain: `127.0.0.1:${port}/{Bucket}`, ServiceDomain: `http://127.0.0.1:${port}/` }) : new COS({ ...base, Ip: `127.0.0.1:${port}` });
}

async function rejection(p: Promise<unknown>): Promise<{ code?: string; statusCode?: number; message?: string }> {
  try {
    await p;
  } catch (e) {
    return e as { code?: string; statusCode?: number };
  }
  throw new Error('expected the SDK call to fail');
}

describe.each(['path', 'virtual-host'] as const)('COS SDK, %s style', (style) => {
  let server: TestServer;
  let cos: COS;
  const B = { Bucket: BUCKET, Region: REGION };

  beforeAll(async () => {
    server = await startTestServer();
    cos = client(server.port, style);
    await cos.putBucket(B);
  });
  afterAll(async () => server.close());

  it('creates, heads and refuses to re-create a bucket', async () => {
    expect((await cos.headBucket(B)).statusCode).toBe(200);
    expect((await rejection(cos.putBucket(B))).code).toBe('BucketAlreadyOwnedByYou');
    expect((await rejection(cos.headBucket({ ...B, Bucket: 'nothere-1250000000' }))).statusCode).toBe(404);
  });

  it.each(KEYS)('puts, gets, heads and deletes %j with metadata', async (Key) => {
    const body = Buffer.from(`body of ${Key}`);
    const put = await cos.putObject({ ...B, Key, Body: body, ContentType: 'image/jpeg', Headers: { 'x-cos-meta-owner': 'tester' } });
    const md5 = createHash('md5').update(body).digest('hex');
    expect(put.ETag).toBe(`"${md5}"`);
    const got = await cos.getObject({ ...B, Key });
    expect(Buffer.compare(got.Body as Buffer, body)).toBe(0);
    expect(got.headers?.['content-type']).toBe('image/jpeg');
    const head = await cos.headObject({ ...B, Key });
    expect(head.headers?.['x-cos-meta-owner']).toBe('tester');
    expect(head.headers?.['content-length']).toBe(String(body.length));
    expect(head.ETag).toBe(`"${md5}"`);
    const listed = await cos.getBucket({ ...B, Prefix: Key });
    expect(listed.Contents.map((c) => c.Key)).toEqual([Key]);
    expect((await cos.deleteObject({ ...B, Key })).statusCode).toBe(204);
    expect((await rejection(cos.getObject({ ...B, Key }))).code).toBe('NoSuchKey');
  });

  it('streams a body of unknown length (chunked) to disk', async () => {
    const parts = [Buffer.alloc(100_000, 1), Buffer.alloc(50_000, 2)];
    const put = await cos.putObject({ ...B, Key: 'chunked.bin', Body: Readable.from(parts) });
    const whole = Buffer.concat(parts);
    expect(put.ETag).toBe(`"${createHash('md5').update(whole).digest('hex')}"`);
    expect((await cos.getObject({ ...B, Key: 'chunked.bin' })).Body).toEqual(whole);
    await cos.deleteObject({ ...B, Key: 'chunked.bin' });
  });

  it('lists with prefix, delimiter, CommonPrefixes, marker, max-keys and encoding-type=url', async () => {
    for (const Key of ['list/a.jpg', 'list/b.jpg', 'list/sub/c.jpg', 'list/sub/d.jpg', 'list/z 中.jpg']) await cos.putObject({ ...B, Key, Body: 'x' });
    const r = await cos.getBucket({ ...B, Prefix: 'list/', Delimiter: '/' });
    expect(r.Contents.map((c) => c.Key)).toEqual(['list/a.jpg', 'list/b.jpg', 'list/z 中.jpg']);
    expect(r.CommonPrefixes.map((p) => p.Prefix)).toEqual(['list/sub/']);
    const page1 = await cos.getBucket({ ...B, Prefix: 'list/', MaxKeys: 2 });
    expect(page1.IsTruncated).toBe('true');
    expect(page1.Contents.map((c) => c.Key)).toEqual(['list/a.jpg', 'list/b.jpg']);
    const page2 = await cos.getBucket({ ...B, Prefix: 'list/', MaxKeys: 2, Marker: page1.NextMarker });
    expect(page2.Contents.map((c) => c.Key)).toEqual(['list/sub/c.jpg', 'list/sub/d.jpg']);
    const encoded = await cos.getBucket({ ...B, Prefix: 'list/z', EncodingType: 'url' });
    expect(encoded.Contents.map((c) => c.Key)).toEqual(['list/z%20%E4%B8%AD.jpg']);
    for (const c of (await cos.getBucket({ ...B, Prefix: 'list/' })).Contents) await cos.deleteObject({ ...B, Key: c.Key });
  });

  it('serves Range and answers 304 to If-None-Match and If-Modified-Since', async () => {
    const put = await cos.putObject({ ...B, Key: 'range.bin', Body: Buffer.from('0123456789') });
    const part = await cos.getObject({ ...B, Key: 'range.bin', Range: 'bytes=2-5' });
    expect(part.statusCode).toBe(206);
    expect((part.Body as Buffer).toString()).toBe('2345');
    expect((await rejection(cos.getObject({ ...B, Key: 'range.bin', Range: 'bytes=20-30' }))).code).toBe('InvalidRange');
    // The SDK reports a 304 to If-None-Match as an error carrying the status, and to If-Modified-Since as
    // NotModified (protocols.md §5).
    expect((await rejection(cos.getObject({ ...B, Key: 'range.bin', IfNoneMatch: put.ETag }))).statusCode).toBe(304);
    expect((await cos.getObject({ ...B, Key: 'range.bin', IfNoneMatch: '"other"' })).statusCode).toBe(200);
    const later = new Date(Date.now() + 60_000).toUTCString();
    const notModified = (await cos.getObject({ ...B, Key: 'range.bin', IfModifiedSince: later })) as { NotModified?: boolean; statusCode?: number };
    expect(notModified.NotModified).toBe(true);
    const earlier = new Date(Date.now() - 3_600_000).toUTCString();
    expect((await cos.getObject({ ...B, Key: 'range.bin', IfModifiedSince: earlier })).statusCode).toBe(200);
    await cos.deleteObject({ ...B, Key: 'range.bin' });
  });

  it('lists buckets with GET Service', async () => {
    const r = await cos.getService({});
    expect(r.Buckets.map((b) => b.Name)).toContain(BUCKET);
  });

  it('answers a pre-signed URL, and refuses it tampered or expired', async () => {
    await cos.putObject({ ...B, Key: 'idcards/pre signed+.jpg', Body: 'presigned body' });
    const url = new URL(cos.getObjectUrl({ ...B, Key: 'idcards/pre signed+.jpg', Sign: true, Expires: 60 }));
    const host = style === 'path' ? `127.0.0.1:${server.port}` : url.host;
    const ok = await rawRequest(server.port, 'GET', url.pathname + url.search, { host });
    expect(ok.status).toBe(200);
    expect(ok.body.toString()).toBe('presigned body');
    const tampered = await rawRequest(server.port, 'GET', url.pathname.replace('.jpg', '.png') + url.search, { host });
    expect(errorCode(tampered.body)).toBe('SignatureDoesNotMatch');
    const expired = await startTestServer({ clock: () => new Date(Date.now() + 3_600_000) });
    try {
      await expired.store.createBucket(BUCKET, { acl: 'private', region: '' });
      const r = await rawRequest(expired.port, 'GET', url.pathname + url.search, { host: host.replace(String(server.port), String(expired.port)) });
      expect(r.status).toBe(403);
      expect(errorCode(r.body)).toBe('AccessDenied');
      expect(r.body.toString()).toContain('<Message>Request has expired</Message>');
    } finally {
      await expired.close();
    }
  });

  it('refuses to delete a non-empty bucket, then deletes it empty', async () => {
    await cos.putBucket({ ...B, Bucket: 'todelete-1250000000' });
    await cos.putObject({ ...B, Bucket: 'todelete-1250000000', Key: 'x', Body: 'x' });
    expect((await rejection(cos.deleteBucket({ ...B, Bucket: 'todelete-1250000000' }))).code).toBe('BucketNotEmpty');
    await cos.deleteObject({ ...B, Bucket: 'todelete-1250000000', Key: 'x' });
    expect((await cos.deleteBucket({ ...B, Bucket: 'todelete-1250000000' })).statusCode).toBe(204);
    expect((await rejection(cos.getBucket({ ...B, Bucket: 'todelete-1250000000' }))).code).toBe('NoSuchBucket');
  });

  it('refuses a wrong SecretKey and an unknown SecretId', async () => {
    const wrongKey = client(server.port, style, { secretId: ADMIN.secretId, secretKey: 'not-the-right-secret-key-000000' });
    expect((await rejection(wrongKey.getBucket(B))).code).toBe('SignatureDoesNotMatch');
    const unknown = client(server.port, style, { secretId: 'AKIDNOBODY000000000000000000000000', secretKey: 'whatever-secret-key-0000000000' });
    const e = await rejection(unknown.getObject({ ...B, Key: 'x' }));
    expect(e.code).toBe('InvalidAccessKeyId');
    expect(e.statusCode).toBe(403);
  });
});

describe('clock skew, as the SDK handles it', () => {
  it.each([
    ['an hour ahead (SDK signature expired)', 3_600_000],
    ['an hour behind (SDK signature future-dated)', -3_600_000],
  ])('the SDK corrects its clock from our Date header when the server is %s', async (_l, offset) => {
    const server = await startTestServer({ clock: () => new Date(Date.now() + offset) });
    try {
      const cos = client(server.port, 'path');
      // First attempt fails with the skew code, the SDK reads Date, retries signed with the offset, succeeds.
      expect((await cos.putBucket({ Bucket: BUCKET, Region: REGION })).statusCode).toBe(200);
      expect(Math.abs(((cos as unknown as { options: { SystemClockOffset?: number } }).options.SystemClockOffset ?? 0) - offset)).toBeLessThan(5_000);
    } finally {
      await server.close();
    }
  });

  it('raw requests: expired is AccessDenied "Request has expired", future-dated is RequestTimeTooSkewed', async () => {
    const server = await startTestServer();
    try {
      const now = unixNow();
      const expired = await rawRequest(server.port, 'GET', '/', { sign: { cred: ADMIN, start: now - 2000, end: now - 1000 } });
      expect([expired.status, errorCode(expired.body)]).toEqual([403, 'AccessDenied']);
      expect(expired.body.toString()).toContain('Request has expired');
      expect(expired.headers['date']).toBeDefined();
      const future = await rawRequest(server.port, 'GET', '/', { sign: { cred: ADMIN, start: now + 3600, end: now + 4500 } });
      expect([future.status, errorCode(future.body)]).toEqual([403, 'RequestTimeTooSkewed']);
      const fine = await rawRequest(server.port, 'GET', '/', { sign: { cred: ADMIN, start: now - 1, end: now + 60 } });
      expect(fine.status).toBe(200);
    } finally {
      await server.close();
    }
  });
});

describe('permissions', () => {
  const LIMITED = { secretId: 'AKIDLIMITED0000000000000000000000000', secretKey: 'LimitedSecretKey00000000000000000', buckets: [BUCKET], prefix: 'idcards/', actions: ['GetObject', 'ListBucket'] as const };
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ credentials: [ADMIN, { ...LIMITED, actions: [...LIMITED.actions] }] });
    const admin = client(server.port, 'path');
    await admin.putBucket({ Bucket: BUCKET, Region: REGION });
    await admin.putBucket({ Bucket: 'public-1250000000', Region: REGION, ACL: 'public-read' });
    await admin.putBucket({ Bucket: 'other-1250000000', Region: REGION });
    await admin.putObject({ Bucket: BUCKET, Region: REGION, Key: 'idcards/a.jpg', Body: 'a' });
    await admin.putObject({ Bucket: BUCKET, Region: REGION, Key: 'private/b.jpg', Body: 'b' });
    await admin.putObject({ Bucket: 'public-1250000000', Region: REGION, Key: 'open.txt', Body: 'open' });
  });
  afterAll(async () => server.close());

  it('a credential limited to a bucket, a prefix and actions gets exactly those', async () => {
    const cos = client(server.port, 'path', LIMITED);
    const B = { Bucket: BUCKET, Region: REGION };
    expect((await cos.getObject({ ...B, Key: 'idcards/a.jpg' })).statusCode).toBe(200);
    expect((await cos.getBucket({ ...B, Prefix: 'idcards/' })).Contents).toHaveLength(1);
    expect((await rejection(cos.getObject({ ...B, Key: 'private/b.jpg' }))).code).toBe('AccessDenied');
    expect((await rejection(cos.getBucket(B))).code).toBe('AccessDenied');
    expect((await rejection(cos.putObject({ ...B, Key: 'idcards/new.jpg', Body: 'n' }))).code).toBe('AccessDenied');
    expect((await rejection(cos.deleteObject({ ...B, Key: 'idcards/a.jpg' }))).code).toBe('AccessDenied');
    expect((await rejection(cos.getObject({ ...B, Bucket: 'other-1250000000', Key: 'idcards/a.jpg' }))).code).toBe('AccessDenied');
    expect((await rejection(cos.putBucket({ ...B, Bucket: 'mine-1250000000' }))).code).toBe('AccessDenied');
    expect((await cos.getService({})).Buckets.map((b) => b.Name)).toEqual([BUCKET]);
  });

  it('anonymous requests may only read public-read buckets', async () => {
    const open = await fetch(`http://127.0.0.1:${server.port}/public-1250000000/open.txt`);
    expect([open.status, await open.text()]).toEqual([200, 'open']);
    const priv = await fetch(`http://127.0.0.1:${server.port}/${BUCKET}/idcards/a.jpg`);
    expect([priv.status, errorCode(await priv.text())]).toEqual([403, 'AccessDenied']);
    const write = await fetch(`http://127.0.0.1:${server.port}/public-1250000000/new.txt`, { method: 'PUT', body: 'x' });
    expect([write.status, errorCode(await write.text())]).toEqual([403, 'AccessDenied']);
    const del = await fetch(`http://127.0.0.1:${server.port}/public-1250000000/open.txt`, { method: 'DELETE' });
    expect(del.status).toBe(403);
    const svc = await fetch(`http://127.0.0.1:${server.port}/`);
    expect(svc.status).toBe(403);
    expect(svc.headers.get('x-cos-request-id')).toBeTruthy();
  });
});

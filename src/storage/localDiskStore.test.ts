import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ServiceError } from '../errors/catalogue.ts';
import { LocalDiskStore } from './localDiskStore.ts';

const B = 'store-1250000000';
let root: string;
let store: LocalDiskStore;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'idcard-store-'));
  store = new LocalDiskStore(root);
  await store.init();
  await store.createBucket(B, { acl: 'private', region: '' });
});
afterEach(async () => rm(root, { recursive: true, force: true }));

async function readAll(r: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
async function get(key: string): Promise<Buffer | undefined> {
  const o = await store.openObject(B, key);
  return o ? readAll(o.stream()) : undefined;
}
async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) out.push(join(e.parentPath, e.name));
  return out;
}
const put = (key: string, body: string | Buffer, opts = {}) => store.putObject(B, key, Readable.from([Buffer.from(body)]), { maxBytes: 1 << 20, ...opts });

describe('LocalDiskStore', () => {
  it('keeps keys that look like paths inside the bucket folder, each as its own object', async () => {
    const keys = ['../x', '../../etc/passwd', 'a//b', 'a/b', '/leading', 'x'.repeat(850), 'nul\u0001char', '..'];
    for (const k of keys) await put(k, `body:${k}`);
    for (const k of keys) expect((await get(k))?.toString()).toBe(`body:${k}`);
    const files = await filesUnder(root);
    for (const f of files) expect(relative(join(root, 'buckets', B), f)).not.toMatch(/^\.\./);
    expect(files.filter((f) => f.includes('/objects/'))).toHaveLength(keys.length);
    expect((await store.listObjects(B, { maxKeys: 1000 })).contents.map((c) => c.key).sort()).toEqual([...keys].sort());
  });

  it('stores ETag as the quoted MD5 and keeps Content-Type and x-cos-meta-* with the body', async () => {
    const meta = await put('k', 'hello', { contentType: 'image/png', userMeta: { 'x-cos-meta-owner': 'me' } });
    expect(meta.etag).toBe('"5d41402abc4b2a76b9719d911017c592"');
    expect(await store.headObject(B, 'k')).toMatchObject({ size: 5, contentType: 'image/png', userMeta: { 'x-cos-meta-owner': 'me' } });
  });

  it('refuses a body whose MD5 differs from Content-MD5 and stores nothing', async () => {
    const wrong = createHash('md5').update('other').digest();
    await expect(put('k', 'hello', { contentMd5: wrong })).rejects.toMatchObject({ code: 'BadDigest' });
    expect(await get('k')).toBeUndefined();
  });

  it('leaves no object and no temp file when the body stream breaks mid-way', async () => {
    await put('k', 'old version');
    const body = new PassThrough();
    const p = store.putObject(B, 'k', body, { maxBytes: 1 << 20, expectedLength: 100 });
    body.write(Buffer.alloc(10, 1));
    setTimeout(() => body.destroy(new Error('socket hang up')), 10);
    await expect(p).rejects.toMatchObject({ code: 'IncompleteBody' });
    expect((await get('k'))?.toString()).toBe('old version');
    expect(await readdir(join(root, 'buckets', B, 'tmp'))).toEqual([]);
  });

  it('answers IncompleteBody, and crashes nothing, when the body breaks before it is read', async () => {
    const body = new PassThrough();
    body.destroy(new Error('socket hang up'));
    await expect(store.putObject(B, 'early', body, { maxBytes: 1 << 20 })).rejects.toMatchObject({ code: 'IncompleteBody' });
    const late = new PassThrough();
    const p = store.putObject(B, 'early', late, { maxBytes: 1 << 20 });
    // Broken while the bucket is still being checked, before anything reads the body.
    late.destroy(new Error('socket hang up'));
    await expect(p).rejects.toMatchObject({ code: 'IncompleteBody' });
    expect(await get('early')).toBeUndefined();
  });

  it('refuses a body shorter than its declared length, and one over maxBytes', async () => {
    await expect(put('short', 'abc', { expectedLength: 10 })).rejects.toMatchObject({ code: 'IncompleteBody' });
    await expect(put('big', Buffer.alloc(2000), { maxBytes: 1000 })).rejects.toMatchObject({ code: 'EntityTooLarge' });
    expect((await store.listObjects(B, { maxKeys: 10 })).contents).toEqual([]);
  });

  it('of concurrent PUTs of one key, one complete version wins, never a mix', async () => {
    const bodies = Array.from({ length: 6 }, (_, i) => Buffer.alloc(256 * 1024, 65 + i));
    const streams = bodies.map(() => new PassThrough());
    const puts = streams.map((s) => store.putObject(B, 'same', s, { maxBytes: 1 << 22, contentType: `type/${streams.indexOf(s)}` }));
    // Interleave the writers chunk by chunk so their temp files are written at the same time.
    for (let off = 0; off < 256 * 1024; off += 16 * 1024) streams.forEach((s, i) => s.write(bodies[i].subarray(off, off + 16 * 1024)));
    streams.forEach((s) => s.end());
    await Promise.all(puts);
    const o = (await store.openObject(B, 'same'))!;
    const data = await readAll(o.stream());
    const winner = bodies.findIndex((b) => b.equals(data));
    expect(winner).toBeGreaterThanOrEqual(0);
    expect(o.meta.contentType).toBe(`type/${winner}`);
    expect(o.meta.etag).toBe(`"${createHash('md5').update(data).digest('hex')}"`);
  });

  it('a reader keeps streaming the version it opened while the key is replaced', async () => {
    await put('k', 'first version');
    const o = (await store.openObject(B, 'k'))!;
    await put('k', 'second');
    expect((await readAll(o.stream())).toString()).toBe('first version');
    expect((await get('k'))?.toString()).toBe('second');
  });

  it('lists with prefix, delimiter, marker and max-keys in UTF-8 order', async () => {
    for (const k of ['a/1', 'a/2', 'a/b/3', 'a/b/4', 'a/c/5', 'b', '中']) await put(k, 'x');
    const r = await store.listObjects(B, { prefix: 'a/', delimiter: '/', maxKeys: 1000 });
    expect([r.contents.map((c) => c.key), r.commonPrefixes]).toEqual([['a/1', 'a/2'], ['a/b/', 'a/c/']]);
    const p1 = await store.listObjects(B, { prefix: 'a/', delimiter: '/', maxKeys: 3 });
    expect([p1.contents.map((c) => c.key), p1.commonPrefixes, p1.isTruncated, p1.nextMarker]).toEqual([['a/1', 'a/2'], ['a/b/'], true, 'a/b/']);
    const p2 = await store.listObjects(B, { prefix: 'a/', delimiter: '/', maxKeys: 3, marker: p1.nextMarker });
    expect([p2.contents, p2.commonPrefixes, p2.isTruncated]).toEqual([[], ['a/c/'], false]);
    expect((await store.listObjects(B, { maxKeys: 1000 })).contents.map((c) => c.key)).toEqual(['a/1', 'a/2', 'a/b/3', 'a/b/4', 'a/c/5', 'b', '中']);
  });

  it('deletes a bucket only when empty; sweeps crash leftovers at init', async () => {
    await put('k', 'x');
    await expect(store.deleteBucket(B)).rejects.toMatchObject({ code: 'BucketNotEmpty' });
    await store.deleteObject(B, 'k');
    await store.deleteBucket(B);
    expect(await store.getBucket(B)).toBeUndefined();
    await expect(store.deleteBucket(B)).rejects.toBeInstanceOf(ServiceError);
    await expect(store.createBucket('../evil-1', { acl: 'private', region: '' })).rejects.toMatchObject({ code: 'InvalidBucketName' });
  });

  it('init sweeps temp files an interrupted upload left behind', async () => {
    const { writeFile } = await import('node:fs/promises');
    await writeFile(join(root, 'buckets', B, 'tmp', 'leftover'), 'partial');
    await new LocalDiskStore(root).init();
    expect(await readdir(join(root, 'buckets', B, 'tmp'))).toEqual([]);
  });
});

/**
 * ObjectStore on the local file system.
 *
 * Layout under `<root>/buckets/<bucket>/`:
 *   bucket.json          ACL, region, creation time
 *   objects/<sha256>     one file per key: body ‖ metadata JSON ‖ uint32 BE length ‖ "IDC1"
 *   tmp/<uuid>           uploads in flight
 *
 * Why this shape:
 * - The file name is the SHA-256 of the key, so no key (`../x`, `a//b`, NUL, 850-byte keys) can name a path
 *   outside `objects/` or exceed NAME_MAX; the real key lives in the metadata.
 * - Body and metadata sit in ONE file that is written in `tmp/`, fsynced and then renamed over the old
 *   version. rename(2) replaces atomically, so a reader sees the old or the new object whole, a crash or
 *   dropped connection leaves at most a temp file (swept by init), and of concurrent PUTs of one key the
 *   last to finish wins — never a mix of one body with another's metadata.
 * - A reader keeps its file descriptor, so an object replaced mid-download still streams the old version.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { appendFile, mkdir, open, readdir, readFile, rename, rm, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ServiceError, isServiceError } from '../errors/catalogue.ts';
import type {
  BucketAcl,
  BucketInfo,
  ListObjectsOptions,
  ListObjectsResult,
  ObjectMeta,
  ObjectStore,
  OpenedObject,
  PutObjectOptions,
} from './objectStore.ts';

const TRAILER_MAGIC = Buffer.from('IDC1');
const BUCKET_NAME = /^[a-z0-9](?:[a-z0-9-]{0,48}[a-z0-9])?-\d{1,20}$/;

interface StoredMeta {
  key: string;
  size: number;
  md5: string;
  lastModified: string;
  contentType?: string;
  userMeta: Record<string, string>;
}

function toMeta(m: StoredMeta): ObjectMeta {
  return { key: m.key, size: m.size, etag: `"${m.md5}"`, lastModified: new Date(m.lastModified), contentType: m.contentType, userMeta: m.userMeta };
}

function isErrno(e: unknown, code: string): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === code;
}

export class LocalDiskStore implements ObjectStore {
  private readonly bucketsDir: string;

  constructor(root: string, private readonly clock: () => Date = () => new Date()) {
    this.bucketsDir = join(root, 'buckets');
  }

  async init(): Promise<void> {
    await mkdir(this.bucketsDir, { recursive: true });
    for (const name of await readdir(this.bucketsDir)) {
      if (!BUCKET_NAME.test(name)) continue;
      // Uploads interrupted by a crash: never renamed, so never visible; reclaim the space.
      await rm(join(this.bucketsDir, name, 'tmp'), { recursive: true, force: true });
      await mkdir(join(this.bucketsDir, name, 'tmp'), { recursive: true });
    }
  }

  private bucketDir(name: string): string {
    // Names reach here already validated by the HTTP layer; re-check because this is what keeps paths inside root.
    if (!BUCKET_NAME.test(name)) throw new ServiceError('InvalidBucketName');
    return join(this.bucketsDir, name);
  }

  private objectPath(bucket: string, key: string): string {
    return join(this.bucketDir(bucket), 'objects', createHash('sha256').update(key, 'utf8').digest('hex'));
  }

  async createBucket(name: string, opts: { acl: BucketAcl; region: string }): Promise<BucketInfo> {
    const dir = this.bucketDir(name);
    try {
      await mkdir(dir);
    } catch (e) {
      if (isErrno(e, 'EEXIST')) throw new ServiceError('BucketAlreadyOwnedByYou');
      throw e;
    }
    await mkdir(join(dir, 'objects'));
    await mkdir(join(dir, 'tmp'));
    const info: BucketInfo = { name, acl: opts.acl, region: opts.region, createdAt: this.clock() };
    // Written last and by rename: a bucket exists exactly when bucket.json does.
    const tmp = join(dir, 'tmp', randomUUID());
    await writeFile(tmp, JSON.stringify({ acl: info.acl, region: info.region, createdAt: info.createdAt.toISOString() }));
    await rename(tmp, join(dir, 'bucket.json'));
    return info;
  }

  async getBucket(name: string): Promise<BucketInfo | undefined> {
    if (!BUCKET_NAME.test(name)) return undefined;
    try {
      const doc = JSON.parse(await readFile(join(this.bucketsDir, name, 'bucket.json'), 'utf8')) as { acl: BucketAcl; region: string; createdAt: string };
      return { name, acl: doc.acl, region: doc.region, createdAt: new Date(doc.createdAt) };
    } catch (e) {
      if (isErrno(e, 'ENOENT')) return undefined;
      throw e;
    }
  }

  private async requireBucket(name: string): Promise<BucketInfo> {
    const b = await this.getBucket(name);
    if (!b) throw new ServiceError('NoSuchBucket');
    return b;
  }

  async listBuckets(): Promise<BucketInfo[]> {
    const out: BucketInfo[] = [];
    for (const name of (await readdir(this.bucketsDir)).sort()) {
      const b = await this.getBucket(name);
      if (b) out.push(b);
    }
    return out;
  }

  async deleteBucket(name: string): Promise<void> {
    const dir = this.bucketDir(name);
    await this.requireBucket(name);
    if ((await readdir(join(dir, 'objects'))).length > 0) throw new ServiceError('BucketNotEmpty');
    // Remove bucket.json first so the bucket stops existing in one step, then the folder.
    await rm(join(dir, 'bucket.json'), { force: true });
    await rm(dir, { recursive: true, force: true });
  }

  async putObject(bucket: string, key: string, body: Readable, opts: PutObjectOptions): Promise<ObjectMeta> {
    // The body can break (the client goes away) while the bucket is checked, before the pipeline below
    // listens: its error must not go unhandled and take the process down. The pipeline still finds the
    // stream destroyed and answers IncompleteBody.
    const quiet = () => {};
    body.on('error', quiet);
    try {
      return await this.writeObject(bucket, key, body, opts);
    } finally {
      body.off('error', quiet);
    }
  }

  private async writeObject(bucket: string, key: string, body: Readable, opts: PutObjectOptions): Promise<ObjectMeta> {
    await this.requireBucket(bucket);
    const finalPath = this.objectPath(bucket, key);
    const tmp = join(this.bucketDir(bucket), 'tmp', randomUUID());
    const md5 = createHash('md5');
    let size = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        size += chunk.length;
        if (size > opts.maxBytes) return cb(new ServiceError(opts.tooLargeCode ?? 'EntityTooLarge'));
        if (opts.expectedLength !== undefined && size > opts.expectedLength) return cb(new ServiceError('IncompleteBody', 'The request body is longer than Content-Length.'));
        md5.update(chunk);
        opts.onChunk?.(chunk);
        cb(null, chunk);
      },
    });
    let renamed = false;
    try {
      try {
        await pipeline(body, meter, createWriteStream(tmp, { flags: 'wx', mode: 0o600 }));
      } catch (e) {
        if (isServiceError(e)) throw e;
        // The client went away or the socket broke mid-body: nothing may be stored.
        throw new ServiceError('IncompleteBody', undefined, { cause: e });
      }
      if (opts.expectedLength !== undefined && size < opts.expectedLength) throw new ServiceError('IncompleteBody');
      const digest = md5.digest();
      if (opts.contentMd5 && !digest.equals(opts.contentMd5)) throw new ServiceError('BadDigest');
      const meta: StoredMeta = {
        key,
        size,
        md5: digest.toString('hex'),
        lastModified: this.clock().toISOString(),
        ...(opts.contentType ? { contentType: opts.contentType } : {}),
        userMeta: { ...(opts.userMeta ?? {}) },
      };
      const metaBytes = Buffer.from(JSON.stringify(meta), 'utf8');
      const len = Buffer.alloc(4);
      len.writeUInt32BE(metaBytes.length);
      await appendFile(tmp, Buffer.concat([metaBytes, len, TRAILER_MAGIC]));
      const fh = await open(tmp, 'r');
      try {
        await fh.sync(); // durable before it becomes visible
      } finally {
        await fh.close();
      }
      await rename(tmp, finalPath);
      renamed = true;
      return toMeta(meta);
    } finally {
      if (!renamed) await rm(tmp, { force: true });
    }
  }

  /** Reads the metadata trailer of an open object file. */
  private async readTrailer(fh: FileHandle, key: string): Promise<StoredMeta | undefined> {
    const { size: fileSize } = await fh.stat();
    if (fileSize < 8) return undefined;
    const tail = Buffer.alloc(8);
    await fh.read(tail, 0, 8, fileSize - 8);
    if (!tail.subarray(4).equals(TRAILER_MAGIC)) throw new Error('object file without trailer');
    const metaLen = tail.readUInt32BE(0);
    const metaBuf = Buffer.alloc(metaLen);
    await fh.read(metaBuf, 0, metaLen, fileSize - 8 - metaLen);
    const meta = JSON.parse(metaBuf.toString('utf8')) as StoredMeta;
    // A SHA-256 collision would be news; still, never answer with another key's object.
    if (meta.key !== key) return undefined;
    return meta;
  }

  async openObject(bucket: string, key: string): Promise<OpenedObject | undefined> {
    await this.requireBucket(bucket);
    const path = this.objectPath(bucket, key);
    let fh: FileHandle;
    try {
      fh = await open(path, 'r');
    } catch (e) {
      if (isErrno(e, 'ENOENT')) return undefined;
      throw e;
    }
    let closed = false;
    const close = async () => {
      if (!closed) {
        closed = true;
        await fh.close();
      }
    };
    try {
      const stored = await this.readTrailer(fh, key);
      if (!stored) {
        await close();
        return undefined;
      }
      const meta = toMeta(stored);
      return {
        meta,
        close,
        stream(range) {
          const start = range?.start ?? 0;
          const end = range?.end ?? meta.size - 1;
          closed = true; // the stream owns the handle now
          if (end < start) {
            void fh.close();
            return Readable.from([]);
          }
          return createReadStream('', { fd: fh, start, end, autoClose: true });
        },
      };
    } catch (e) {
      await close();
      throw e;
    }
  }

  async headObject(bucket: string, key: string): Promise<ObjectMeta | undefined> {
    const o = await this.openObject(bucket, key);
    if (!o) return undefined;
    await o.close();
    return o.meta;
  }

  async deleteObject(bucket: string, key: string): Promise<boolean> {
    await this.requireBucket(bucket);
    try {
      await rm(this.objectPath(bucket, key));
      return true;
    } catch (e) {
      if (isErrno(e, 'ENOENT')) return false;
      throw e;
    }
  }

  async listObjects(bucket: string, opts: ListObjectsOptions): Promise<ListObjectsResult> {
    await this.requireBucket(bucket);
    const dir = join(this.bucketDir(bucket), 'objects');
    const prefix = opts.prefix ?? '';
    const metas: ObjectMeta[] = [];
    // Keys are hashed on disk, so listing reads each trailer; fine for a self-hosted store of ID images.
    for (const name of await readdir(dir)) {
      let fh: FileHandle;
      try {
        fh = await open(join(dir, name), 'r');
      } catch (e) {
        if (isErrno(e, 'ENOENT')) continue; // deleted while listing
        throw e;
      }
      try {
        const tail = Buffer.alloc(8);
        const { size } = await fh.stat();
        await fh.read(tail, 0, 8, size - 8);
        const metaLen = tail.readUInt32BE(0);
        const buf = Buffer.alloc(metaLen);
        await fh.read(buf, 0, metaLen, size - 8 - metaLen);
        const m = JSON.parse(buf.toString('utf8')) as StoredMeta;
        if (m.key.startsWith(prefix)) metas.push(toMeta(m));
      } finally {
        await fh.close();
      }
    }
    // COS lists in UTF-8 binary order.
    metas.sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)));

    const contents: ObjectMeta[] = [];
    const commonPrefixes: string[] = [];
    let isTruncated = false;
    let nextMarker: string | undefined;
    let last: string | undefined;
    const marker = opts.marker ?? '';
    for (const m of metas) {
      if (marker && Buffer.compare(Buffer.from(m.key), Buffer.from(marker)) <= 0) continue;
      let entry: { kind: 'key'; meta: ObjectMeta } | { kind: 'prefix'; prefix: string } = { kind: 'key', meta: m };
      if (opts.delimiter) {
        const i = m.key.indexOf(opts.delimiter, prefix.length);
        if (i >= 0) entry = { kind: 'prefix', prefix: m.key.slice(0, i + opts.delimiter.length) };
      }
      if (entry.kind === 'prefix') {
        if (entry.prefix === last) continue; // same rolled-up prefix as the previous key
        if (marker && marker.startsWith(entry.prefix)) continue; // the marker fell inside this prefix: already returned
      }
      if (contents.length + commonPrefixes.length >= opts.maxKeys) {
        isTruncated = true;
        nextMarker = last;
        break;
      }
      if (entry.kind === 'key') {
        contents.push(entry.meta);
        last = entry.meta.key;
      } else {
        commonPrefixes.push(entry.prefix);
        last = entry.prefix;
      }
    }
    return { contents, commonPrefixes, isTruncated, ...(isTruncated ? { nextMarker } : {}) };
  }
}

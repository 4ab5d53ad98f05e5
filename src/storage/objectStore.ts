/**
 * What the HTTP layer needs from storage. The local-disk implementation is the default; anything that can
 * keep these promises (atomic replace, metadata with the object, ordered listing) can stand in for it.
 */
import type { Readable } from 'node:stream';

export type BucketAcl = 'private' | 'public-read';

export interface BucketInfo {
  name: string;
  acl: BucketAcl;
  /** Region the bucket was created through (from the virtual host), or '' for path-style creation. */
  region: string;
  createdAt: Date;
}

export interface ObjectMeta {
  key: string;
  size: number;
  /** Quoted hex MD5 of the body, as COS sends it (`"5d41…"`). */
  etag: string;
  lastModified: Date;
  contentType?: string;
  /** `x-cos-meta-*` headers, names lower-cased, values as sent. */
  userMeta: Record<string, string>;
}

export interface PutObjectOptions {
  contentType?: string;
  userMeta?: Record<string, string>;
  /** Decoded Content-MD5 (16 bytes); the body is refused with BadDigest when it differs. */
  contentMd5?: Buffer;
  /** Declared Content-Length; a shorter body is IncompleteBody (a dropped connection). */
  expectedLength?: number;
  /** Largest body accepted; the stream is cut off (and nothing stored) once it is exceeded. */
  maxBytes: number;
  /** The catalogue code to answer when maxBytes is exceeded (EntityTooLarge unless the caller knows better). */
  tooLargeCode?: 'EntityTooLarge' | 'FailedOperation.ImageSizeTooLarge';
  /** Sees every chunk as it is written (the IDCardOCR PUT keeps the image it must also recognise). */
  onChunk?: (chunk: Buffer) => void;
}

export interface ListObjectsOptions {
  prefix?: string;
  delimiter?: string;
  /** Keys up to and including the marker are skipped (COS/S3 v1 listing). */
  marker?: string;
  maxKeys: number;
}

export interface ListObjectsResult {
  contents: ObjectMeta[];
  commonPrefixes: string[];
  isTruncated: boolean;
  /** Set when truncated: the last key or common prefix returned, to pass back as `marker`. */
  nextMarker?: string;
}

/** An object opened for reading: one consistent version even if it is replaced meanwhile. */
export interface OpenedObject {
  meta: ObjectMeta;
  /** Streams the body, or the inclusive byte range; closes the object when the stream ends. */
  stream(range?: { start: number; end: number }): Readable;
  /** Closes without streaming (HEAD, 304, errors). Safe to call twice. */
  close(): Promise<void>;
}

export interface ObjectStore {
  /** Prepares the store (creates folders, sweeps temp files left by a crash). */
  init(): Promise<void>;
  /** Throws ServiceError BucketAlreadyOwnedByYou if it exists. */
  createBucket(name: string, opts: { acl: BucketAcl; region: string }): Promise<BucketInfo>;
  getBucket(name: string): Promise<BucketInfo | undefined>;
  listBuckets(): Promise<BucketInfo[]>;
  /** Throws NoSuchBucket or BucketNotEmpty. */
  deleteBucket(name: string): Promise<void>;
  /** Throws NoSuchBucket, BadDigest, IncompleteBody, EntityTooLarge (or opts.tooLargeCode). Nothing is stored on failure. */
  putObject(bucket: string, key: string, body: Readable, opts: PutObjectOptions): Promise<ObjectMeta>;
  /** undefined when the key does not exist; throws NoSuchBucket. */
  openObject(bucket: string, key: string): Promise<OpenedObject | undefined>;
  headObject(bucket: string, key: string): Promise<ObjectMeta | undefined>;
  /** true when something was deleted; throws NoSuchBucket. */
  deleteObject(bucket: string, key: string): Promise<boolean>;
  listObjects(bucket: string, opts: ListObjectsOptions): Promise<ListObjectsResult>;
}

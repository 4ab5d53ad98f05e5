/**
 * Which bucket and key a request names (protocols.md §1).
 *
 * - Virtual-host style: `Host: <bucket>.cos.<region>.<suffix>` (the SDK with `Ip:`), key = the whole path.
 * - Path style: `Host: 127.0.0.1:8080`, bucket = the first path segment (the SDK with
 *   `Domain: 'host:port/{Bucket}'`). The SDK still signs `/<key>`; other signers sign `/<bucket>/<key>`, so
 *   both are candidate signature paths.
 * - `service.cos.<suffix>`, `cos.<region>.<suffix>` or a bare `/` on a path-style host: the service (GET Service).
 */
import { ServiceError } from '../errors/catalogue.ts';

export const BUCKET_NAME = /^[a-z0-9](?:[a-z0-9-]{0,48}[a-z0-9])?-\d{1,20}$/;
/** COS's limit on object key length, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 850;

export interface Target {
  style: 'virtual-host' | 'path';
  /** Absent for service-level requests. */
  bucket?: string;
  /** '' for bucket-level requests. */
  key: string;
  /** Region from a virtual host (`ap-guangzhou`), '' when unknown. */
  region: string;
  /** Decoded paths a valid signature may cover. */
  signaturePaths: string[];
}

function decodeKey(raw: string): string {
  let key: string;
  try {
    key = decodeURIComponent(raw);
  } catch {
    throw new ServiceError('InvalidObjectName', 'The object key is not valid percent-encoded UTF-8.');
  }
  // Control characters cannot be carried in XML listings and are never meaningful in a file name.
  if (/[\u0000-\u001F\u007F]/.test(key)) throw new ServiceError('InvalidObjectName', 'The object key contains control characters.');
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) throw new ServiceError('KeyTooLong');
  return key;
}

function checkBucket(name: string): string {
  if (!BUCKET_NAME.test(name)) throw new ServiceError('InvalidBucketName');
  return name;
}

export function resolveTarget(hostHeader: string | undefined, rawPath: string, hostSuffixes: readonly string[]): Target {
  const host = (hostHeader ?? '').toLowerCase().replace(/:\d+$/, '');
  for (const suffix of hostSuffixes) {
    if (!host.endsWith('.' + suffix)) continue;
    const head = host.slice(0, -(suffix.length + 1));
    if (head === 'service.cos' || /^cos\.[a-z0-9-]+$/.test(head)) {
      return { style: 'virtual-host', key: '', region: head.slice(4), signaturePaths: ['/'], ...(rawPath === '/' ? {} : badServicePath()) };
    }
    const m = /^(.+)\.cos\.([a-z0-9-]+)$/.exec(head);
    if (m) {
      const key = decodeKey(rawPath.slice(1));
      return { style: 'virtual-host', bucket: checkBucket(m[1]), key, region: m[2], signaturePaths: ['/' + key] };
    }
  }
  const slash = rawPath.indexOf('/', 1);
  const first = slash < 0 ? rawPath.slice(1) : rawPath.slice(1, slash);
  if (first === '') return { style: 'path', key: '', region: '', signaturePaths: ['/'] };
  const bucket = checkBucket(decodeKey(first));
  const key = slash < 0 ? '' : decodeKey(rawPath.slice(slash + 1));
  const paths = ['/' + key, `/${bucket}/${key}`];
  if (key === '') paths.push('/' + bucket);
  return { style: 'path', bucket, key, region: '', signaturePaths: paths };
}

function badServicePath(): never {
  throw new ServiceError('InvalidBucketName', 'The service host takes no object path; address a bucket host instead.');
}

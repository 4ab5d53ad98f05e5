/**
 * Who is asking (signature check) and whether they may (credential limits, bucket ACL).
 * The error codes and the exact `Request has expired` message are the ones the COS SDK's clock-skew
 * correction reads (protocols.md §3, §5): it then re-reads our `Date` header and retries.
 */
import { ServiceError } from '../errors/catalogue.ts';
import type { Action, Credential } from '../config/config.ts';
import type { BucketInfo } from '../storage/objectStore.ts';
import {
  computeSignature,
  parseAuthorizationHeader,
  parseQueryAuth,
  parseTimeWindow,
  signaturesEqual,
  type SignableRequest,
} from './signature.ts';

export type Principal = { kind: 'anonymous' } | { kind: 'credential'; credential: Credential };

export interface AuthInput {
  method: string;
  query: Array<[string, string]>;
  headers: Record<string, string | string[] | undefined>;
  signaturePaths: string[];
  now: Date;
  maxClockSkewSeconds: number;
  credentials: readonly Credential[];
}

export function authenticate(input: AuthInput): Principal {
  const header = input.headers.authorization;
  const headerValue = Array.isArray(header) ? header[0] : header;
  const auth = headerValue ? parseAuthorizationHeader(headerValue) : parseQueryAuth(input.query);
  if (auth === undefined) return { kind: 'anonymous' };
  if (auth === 'malformed') throw new ServiceError('AccessDenied', 'The Authorization is missing q-* fields.');
  if (auth.algorithm.toLowerCase() !== 'sha1') throw new ServiceError('AccessDenied', 'Only q-sign-algorithm=sha1 is supported.');

  const credential = input.credentials.find((c) => c.secretId === auth.accessKey);
  if (!credential) throw new ServiceError('InvalidAccessKeyId');

  const signWindow = parseTimeWindow(auth.signTime);
  if (!signWindow || !parseTimeWindow(auth.keyTime)) throw new ServiceError('AccessDenied', 'q-sign-time and q-key-time must be <start>;<end> in Unix seconds.');
  const nowSec = Math.floor(input.now.getTime() / 1000);
  // Exact text matters: the SDK corrects its clock only on this message (util.js, protocols.md §5).
  if (nowSec > signWindow.end) throw new ServiceError('AccessDenied', 'Request has expired');
  if (signWindow.start > nowSec + input.maxClockSkewSeconds) throw new ServiceError('RequestTimeTooSkewed');

  // The pre-signed URL's own q-* params are not part of what it signs.
  const query = auth.source === 'query' ? input.query.filter(([k]) => !/^q-/i.test(k)) : input.query;
  let ok = false;
  for (const path of input.signaturePaths) {
    const req: SignableRequest = { method: input.method, path, query, headers: input.headers };
    // Evaluate every candidate (no short-circuit) so timing does not reveal which path form matched.
    ok = signaturesEqual(computeSignature(req, auth, credential.secretKey), auth.signature) || ok;
  }
  if (!ok) throw new ServiceError('SignatureDoesNotMatch');
  return { kind: 'credential', credential };
}

/** What a request does, for permission checks. `admin` = bucket creation/deletion. */
export type Operation =
  | { kind: 'ListBuckets' }
  | { kind: 'admin'; bucket: string }
  | { kind: 'HeadBucket'; bucket: string }
  | { kind: 'ListBucket'; bucket: string; prefix: string }
  | { kind: 'object'; bucket: string; key: string; actions: Action[] };

/** Reads an anonymous caller may do on a public-read bucket (COS ACL `public-read`). */
function anonymousAllowed(op: Operation, bucket: BucketInfo | undefined): boolean {
  if (!bucket || bucket.acl !== 'public-read') return false;
  if (op.kind === 'HeadBucket' || op.kind === 'ListBucket') return true;
  // Recognition is compute, not a read: it always needs a credential.
  return op.kind === 'object' && op.actions.length === 1 && op.actions[0] === 'GetObject';
}

export function authorize(principal: Principal, op: Operation, bucket: BucketInfo | undefined): void {
  if (principal.kind === 'anonymous') {
    if (!anonymousAllowed(op, bucket)) throw new ServiceError('AccessDenied', 'Anonymous access is allowed only to read public-read buckets.');
    return;
  }
  const c = principal.credential;
  if (op.kind === 'ListBuckets') return; // the listing itself is filtered to the credential's buckets
  if (c.buckets && !c.buckets.includes(op.bucket)) throw new ServiceError('AccessDenied', 'This credential is not granted this bucket.');
  switch (op.kind) {
    case 'admin':
      if (c.actions || c.prefix !== undefined) throw new ServiceError('AccessDenied', 'Creating and deleting buckets needs a credential without action or prefix limits.');
      return;
    case 'HeadBucket':
      return; // any grant on the bucket may see that it exists
    case 'ListBucket':
      if (c.actions && !c.actions.includes('ListBucket')) throw new ServiceError('AccessDenied', 'This credential is not granted ListBucket.');
      if (c.prefix && !op.prefix.startsWith(c.prefix)) throw new ServiceError('AccessDenied', 'This credential may list only inside its prefix.');
      return;
    case 'object':
      for (const a of op.actions) {
        if (c.actions && !c.actions.includes(a)) throw new ServiceError('AccessDenied', `This credential is not granted ${a}.`);
      }
      if (c.prefix && !op.key.startsWith(c.prefix)) throw new ServiceError('AccessDenied', 'This credential is not granted keys outside its prefix.');
  }
}

/** Buckets a principal may see in GET Service. */
export function visibleBuckets(principal: Principal, buckets: BucketInfo[]): BucketInfo[] {
  if (principal.kind !== 'credential') return [];
  const allowed = principal.credential.buckets;
  return allowed ? buckets.filter((b) => allowed.includes(b.name)) : buckets;
}

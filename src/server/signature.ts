/**
 * COS request signatures, `q-sign-algorithm=sha1` (COS doc 7778; protocols.md §3-4, read off
 * cos-nodejs-sdk-v5 util.getAuth and checked against the captured traffic).
 *
 *   SignKey       = hex(HMAC-SHA1(SecretKey, q-key-time))
 *   FormatString  = lower(method) \n /<decoded key> \n k=v&… \n h=v&… \n
 *   StringToSign  = "sha1" \n q-sign-time \n hex(SHA1(FormatString)) \n
 *   q-signature   = hex(HMAC-SHA1(SignKey, StringToSign))
 *
 * Only the params and headers the client listed are covered; unlisted ones are ignored, as COS does.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** The seven `q-*` fields, from the Authorization header or the pre-signed URL's query. */
export interface CosAuth {
  algorithm: string;
  accessKey: string;
  signTime: string;
  keyTime: string;
  headerList: string[];
  paramList: string[];
  signature: string;
  /** Where the fields came from: pre-signed URLs must not count their own q-* params as signed params. */
  source: 'header' | 'query';
}

/** encodeURIComponent plus `!'()*`, as the SDK's camSafeUrlEncode. */
export function camSafeUrlEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

function splitList(v: string): string[] {
  return v === '' ? [] : v.split(';').map((s) => s.trim().toLowerCase()).filter(Boolean);
}

const AUTH_FIELDS = ['q-sign-algorithm', 'q-ak', 'q-sign-time', 'q-key-time', 'q-header-list', 'q-url-param-list', 'q-signature'] as const;

function fromFields(get: (name: string) => string | undefined, source: CosAuth['source']): CosAuth | 'malformed' {
  const f: Record<string, string> = {};
  for (const name of AUTH_FIELDS) {
    const v = get(name);
    // q-header-list and q-url-param-list may be empty but must be present.
    if (v === undefined) return 'malformed';
    f[name] = v;
  }
  return {
    algorithm: f['q-sign-algorithm'],
    accessKey: f['q-ak'],
    signTime: f['q-sign-time'],
    keyTime: f['q-key-time'],
    // The SDK's callback URL percent-encodes the `;` (`%3b`); the list is decoded before splitting.
    headerList: splitList(f['q-header-list']),
    paramList: splitList(f['q-url-param-list']),
    signature: f['q-signature'],
    source,
  };
}

/** Parses an Authorization header value (`q-sign-algorithm=sha1&q-ak=…`). */
export function parseAuthorizationHeader(value: string): CosAuth | 'malformed' {
  const map = new Map<string, string>();
  for (const part of value.trim().split('&')) {
    const i = part.indexOf('=');
    if (i < 0) continue;
    map.set(part.slice(0, i).trim().toLowerCase(), part.slice(i + 1).trim());
  }
  return fromFields((n) => map.get(n), 'header');
}

/** Raw query pairs, in order, decoded. Undecodable escapes are kept as sent. */
export function parseQuery(rawQuery: string): Array<[string, string]> {
  if (rawQuery === '') return [];
  return rawQuery.split('&').filter(Boolean).map((pair) => {
    const i = pair.indexOf('=');
    const k = i < 0 ? pair : pair.slice(0, i);
    const v = i < 0 ? '' : pair.slice(i + 1);
    return [safeDecode(k), safeDecode(v)];
  });
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Pre-signed URL: the q-* fields sit in the query. Returns undefined when the URL is not pre-signed. */
export function parseQueryAuth(query: Array<[string, string]>): CosAuth | 'malformed' | undefined {
  if (!query.some(([k]) => k.toLowerCase() === 'q-sign-algorithm')) return undefined;
  return fromFields((n) => query.find(([k]) => k.toLowerCase() === n)?.[1], 'query');
}

export interface SignableRequest {
  method: string;
  /** Decoded path the client signed: `/<key>` (or `/` for bucket operations). */
  path: string;
  /** Decoded query pairs as received. */
  query: Array<[string, string]>;
  /** Lower-case header names → values (Node's IncomingHttpHeaders shape). */
  headers: Record<string, string | string[] | undefined>;
}

/** The q-signature for `req` under `auth`'s lists and times, with `secretKey`. */
export function computeSignature(req: SignableRequest, auth: Pick<CosAuth, 'signTime' | 'keyTime' | 'headerList' | 'paramList'>, secretKey: string): string {
  const params = new Map<string, string>();
  for (const [k, v] of req.query) {
    const name = camSafeUrlEncode(k).toLowerCase();
    if (!params.has(name)) params.set(name, camSafeUrlEncode(v));
  }
  const paramString = auth.paramList.map((n) => `${n}=${params.get(n) ?? ''}`).join('&');
  const headerString = auth.headerList
    .map((n) => {
      const raw = req.headers[n];
      const v = Array.isArray(raw) ? raw.join(',') : raw ?? '';
      return `${n}=${camSafeUrlEncode(v)}`;
    })
    .join('&');
  const formatString = `${req.method.toLowerCase()}\n${req.path}\n${paramString}\n${headerString}\n`;
  const signKey = createHmac('sha1', secretKey).update(auth.keyTime).digest('hex');
  const stringToSign = `sha1\n${auth.signTime}\n${createHash('sha1').update(formatString).digest('hex')}\n`;
  return createHmac('sha1', signKey).update(stringToSign).digest('hex');
}

/** Constant-time comparison of two hex signatures (no early exit that leaks how many characters matched). */
export function signaturesEqual(expected: string, given: string): boolean {
  const a = Buffer.from(expected.toLowerCase(), 'utf8');
  const b = Buffer.from(given.toLowerCase(), 'utf8');
  if (a.length !== b.length) {
    timingSafeEqual(a, a); // spend comparable time either way
    return false;
  }
  return timingSafeEqual(a, b);
}

/** Parses `t0;t1` (Unix seconds). */
export function parseTimeWindow(v: string): { start: number; end: number } | undefined {
  const m = /^(\d{1,12});(\d{1,12})$/.exec(v);
  if (!m) return undefined;
  const start = Number(m[1]);
  const end = Number(m[2]);
  return end >= start ? { start, end } : undefined;
}

/** Signs the way the COS SDK does; for tests and for tools that talk to this service. */
export function signRequest(
  req: SignableRequest,
  cred: { secretId: string; secretKey: string },
  opts: { start: number; end: number; headers?: string[]; params?: string[] },
): string {
  const time = `${opts.start};${opts.end}`;
  const headerList = (opts.headers ?? ['host']).map((h) => h.toLowerCase()).sort();
  const paramList = (opts.params ?? req.query.map(([k]) => camSafeUrlEncode(k).toLowerCase())).sort();
  const signature = computeSignature(req, { signTime: time, keyTime: time, headerList, paramList }, cred.secretKey);
  return [
    'q-sign-algorithm=sha1',
    `q-ak=${cred.secretId}`,
    `q-sign-time=${time}`,
    `q-key-time=${time}`,
    `q-header-list=${headerList.join(';')}`,
    `q-url-param-list=${paramList.join(';')}`,
    `q-signature=${signature}`,
  ].join('&');
}

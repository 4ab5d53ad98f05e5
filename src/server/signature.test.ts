/**
 * The captured COS SDK requests (../shared/reference/captures/cos-captures.json) as signature vectors:
 * each must verify at its capture time, and each tampered copy — path, a signed query param, a signed
 * header, the expiry — must fail with the code the SDK expects.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ServiceError } from '../errors/catalogue.ts';
import { authenticate } from './auth.ts';
import { resolveTarget } from './addressing.ts';
import { computeSignature, parseAuthorizationHeader, parseQuery, signRequest } from './signature.ts';

interface Capture {
  label: string;
  method: string;
  url: string;
  headers: Record<string, string>;
}
const doc = JSON.parse(readFileSync(new URL('../../../shared/reference/captures/cos-captures.json', import.meta.url), 'utf8')) as {
  secretId: string;
  secretKey: string;
  capturedAt: number;
  captures: Capture[];
  presign: Record<string, unknown>;
};
const credentials = [{ secretId: doc.secretId, secretKey: doc.secretKey }];
const capturedAt = new Date(doc.capturedAt * 1000);

/** The presign block's URLs are requests too (pre-signed, host-only). */
const presigned: Capture[] = (['syncReturn', 'callbackUrl', 'plainGet', 'queryString'] as const).map((k) => {
  const u = new URL(doc.presign[k] as string);
  return { label: `presign-${k}`, method: 'GET', url: u.pathname + u.search, headers: { host: u.host } };
});
const vectors = [...doc.captures, ...presigned];

function verify(c: Capture, now = capturedAt, suffixes = ['myqcloud.com']) {
  const [rawPath, rawQuery = ''] = c.url.split(/\?(.*)/s);
  const host = c.headers.host;
  // Captures made with Domain '127.0.0.1:PORT' carry no bucket on the wire; verify them as their key alone.
  const isPathStyle = /^\/[a-z0-9-]+-\d+\//.test(rawPath);
  const paths = host.includes('myqcloud.com') || isPathStyle ? resolveTarget(host, rawPath, suffixes).signaturePaths : [decodeURIComponent(rawPath)];
  return authenticate({ method: c.method, query: parseQuery(rawQuery), headers: c.headers, signaturePaths: paths, now, maxClockSkewSeconds: 900, credentials });
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof ServiceError) return `${e.code}: ${e.message}`;
    throw e;
  }
  return 'accepted';
}

describe('COS signature vectors from the SDK captures', () => {
  it.each(vectors.map((c) => [c.label, c] as const))('%s verifies at its capture time', (_l, c) => {
    expect(verify(c)).toEqual({ kind: 'credential', credential: credentials[0] });
  });

  it.each(vectors.map((c) => [c.label, c] as const))('%s fails when its path is changed', (_l, c) => {
    const tampered = { ...c, url: c.url.replace(/(\.jpg|\/)(\?|$)/, (_m, a: string, b: string) => (a === '/' ? '/x' : '.png') + b) };
    expect(tampered.url).not.toBe(c.url);
    expect(codeOf(() => verify(tampered))).toMatch(/^SignatureDoesNotMatch/);
  });

  const withSignedParam = vectors.filter((c) => /q-url-param-list=[^&]+/.test(decodeURIComponent(c.headers.authorization ?? c.url)));
  it.each(withSignedParam.map((c) => [c.label, c] as const))('%s fails when a signed query value is changed', (_l, c) => {
    const tampered = { ...c, url: c.url.replace(/(CardSide=|prefix=|ci-process=)[^&]*/, (_m, name: string) => name + 'OTHER') };
    expect(tampered.url).not.toBe(c.url);
    expect(codeOf(() => verify(tampered))).toMatch(/^SignatureDoesNotMatch/);
  });

  it.each(vectors.map((c) => [c.label, c] as const))('%s fails when the signed host header is changed', (_l, c) => {
    const tampered = { ...c, headers: { ...c.headers, host: c.headers.host.replace(/\d+$|myqcloud/, (m) => (m === 'myqcloud' ? 'myqcloud.evil' : String(Number(m) + 1))) } };
    expect(codeOf(() => verify(tampered, capturedAt, ['myqcloud.com', 'myqcloud.evil.com']))).toMatch(/^SignatureDoesNotMatch/);
  });

  it.each(vectors.map((c) => [c.label, c] as const))('%s is expired after its sign-time ends, with the message the SDK reads', (_l, c) => {
    const end = Number(/q-sign-time=\d+;(\d+)/.exec(decodeURIComponent(c.headers.authorization ?? c.url))![1]);
    expect(codeOf(() => verify(c, new Date((end + 1) * 1000)))).toBe('AccessDenied: Request has expired');
    expect(verify(c, new Date(end * 1000)).kind).toBe('credential');
  });

  it.each(vectors.map((c) => [c.label, c] as const))('%s fails when its expiry is extended', (_l, c) => {
    const extend = (s: string) => s.replace(/(q-sign-time=\d+;)(\d+)/, (_m, a: string, b: string) => a + (Number(b) + 3600));
    const tampered = c.headers.authorization ? { ...c, headers: { ...c.headers, authorization: extend(c.headers.authorization) } } : { ...c, url: extend(c.url) };
    expect(codeOf(() => verify(tampered))).toMatch(/^SignatureDoesNotMatch/);
  });

  it('a signed content-length that changes breaks the signature', () => {
    const put = doc.captures.find((c) => c.label === 'A-putObject')!;
    expect(codeOf(() => verify({ ...put, headers: { ...put.headers, 'content-length': '6' } }))).toMatch(/^SignatureDoesNotMatch/);
  });

  it('an unknown SecretId is InvalidAccessKeyId, a future start time is RequestTimeTooSkewed', () => {
    const get = doc.captures.find((c) => c.label === 'A-getObject')!;
    const other = { ...get, headers: { ...get.headers, authorization: get.headers.authorization.replace(doc.secretId, 'AKIDUNKNOWN00000000000000000000000000') } };
    expect(codeOf(() => verify(other))).toMatch(/^InvalidAccessKeyId/);
    expect(codeOf(() => verify(get, new Date(capturedAt.getTime() - 901_000)))).toMatch(/^RequestTimeTooSkewed/);
    expect(verify(get, new Date(capturedAt.getTime() - 899_000)).kind).toBe('credential');
  });

  it('signRequest reproduces the SDK signature byte for byte', () => {
    const get = doc.captures.find((c) => c.label === 'A-ci-get')!;
    const auth = parseAuthorizationHeader(get.headers.authorization);
    if (auth === 'malformed') throw new Error('capture is malformed');
    const [start, end] = auth.signTime.split(';').map(Number);
    const [p, q] = get.url.split('?');
    const req = { method: 'GET', path: decodeURIComponent(p), query: parseQuery(q), headers: get.headers };
    expect(signRequest(req, credentials[0], { start, end })).toBe(get.headers.authorization);
    expect(computeSignature(req, auth, doc.secretKey)).toBe(auth.signature);
  });
});

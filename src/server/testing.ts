/** Test support for the server's tests: a real server on a free port over a temp data dir. Not used in production. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { loadConfig, type Credential, type ServiceConfig } from '../config/config.ts';
import type { IdCardRecognizer, RecognitionResult, RecognizeRequest } from '../engine/types.ts';
import { LocalDiskStore } from '../storage/localDiskStore.ts';
import { buildApp } from './app.ts';
import { request as httpRequest } from 'node:http';
import { parseQuery, signRequest } from './signature.ts';

export const ADMIN: Credential = { secretId: 'AKIDTESTADMIN000000000000000000000000', secretKey: 'TestAdminSecretKey000000000000000' };

/** A recognizer double: records each request and answers `result` (or throws `error`). */
export class RecordingRecognizer implements IdCardRecognizer {
  calls: RecognizeRequest[] = [];
  result: RecognitionResult | undefined;
  error: unknown;
  closed = false;
  async recognize(req: RecognizeRequest): Promise<RecognitionResult> {
    this.calls.push(req);
    if (this.error !== undefined) throw this.error;
    if (!this.result) throw new Error('RecordingRecognizer has no result set');
    return this.result;
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

export interface TestServer {
  app: FastifyInstance;
  port: number;
  dataDir: string;
  config: ServiceConfig;
  store: LocalDiskStore;
  recognizer: RecordingRecognizer;
  close(): Promise<void>;
}

export async function startTestServer(opts: { credentials?: Credential[]; clock?: () => Date; env?: Record<string, string>; listen?: boolean } = {}): Promise<TestServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'idcard-server-'));
  const base = loadConfig({ IDCARD_DATA_DIR: dataDir, ...opts.env });
  const config: ServiceConfig = Object.freeze({ ...base, credentials: Object.freeze(opts.credentials ?? [ADMIN]) });
  const store = new LocalDiskStore(dataDir, opts.clock);
  await store.init();
  const recognizer = new RecordingRecognizer();
  const app = buildApp({ config, store, recognizer, clock: opts.clock });
  if (opts.listen !== false) await app.listen({ port: 0, host: '127.0.0.1' });
  else await app.ready();
  const port = opts.listen !== false ? (app.server.address() as AddressInfo).port : 0;
  return {
    app,
    port,
    dataDir,
    config,
    store,
    recognizer,
    async close() {
      await app.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}


export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/**
 * One HTTP request with full control of Host and headers (fetch cannot set Host). Signs it like the SDK
 * when `sign` is given; `url` is the raw path+query as it goes on the wire.
 */
export function rawRequest(
  port: number,
  method: string,
  url: string,
  opts: {
    host?: string;
    headers?: Record<string, string>;
    body?: Buffer | string;
    sign?: { cred: { secretId: string; secretKey: string }; start: number; end: number; path?: string; headers?: string[] };
  } = {},
): Promise<RawResponse> {
  const host = opts.host ?? `127.0.0.1:${port}`;
  const headers: Record<string, string> = { host, ...(opts.headers ?? {}) };
  if (opts.body !== undefined) headers['content-length'] = String(Buffer.byteLength(opts.body));
  if (opts.sign) {
    const [p, q = ''] = url.split(/\?(.*)/s);
    headers.authorization = signRequest(
      { method, path: opts.sign.path ?? safeDecode(p), query: parseQuery(q), headers },
      opts.sign.cred,
      { start: opts.sign.start, end: opts.sign.end, headers: opts.sign.headers },
    );
  }
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path: url, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** Seconds since the epoch, for signing windows. */
export function unixNow(d = new Date()): number {
  return Math.floor(d.getTime() / 1000);
}

/** The `<Code>` of a COS XML error body. */
export function errorCode(body: Buffer | string): string | undefined {
  return /<Code>([^<]*)<\/Code>/.exec(body.toString())?.[1];
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

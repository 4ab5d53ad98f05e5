/**
 * The benchmarks' view of the service over HTTP: start the real server in a child process (bench/serve.ts),
 * send COS-signed `ci-process=IDCardOCR` requests, and read the XML answers the way the COS SDK does.
 *
 * Requests are signed by the COS SDK's own signer (`COS.getAuthorization`) and sent with plain node:http rather
 * than `cos.request`, because the SDK retries every 5xx three times: a 503 SlowDown must be counted, not hidden.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { XMLParser } from 'fast-xml-parser';
import COS from 'cos-nodejs-sdk-v5';
import { ID_FIELDS, type CardSide, type IdCardConfig, type IdInfo, type WarnCode } from '../src/engine/types.ts';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const REPO_DIR = path.dirname(BENCH_DIR);

export interface ServerCredentials {
  secretId: string;
  secretKey: string;
  bucket: string;
}

export interface ServerHandle {
  child: ChildProcess;
  port: number;
  creds: ServerCredentials;
  /** From spawn to listening, as the child measured it (worker pool start and model loads included). */
  startMs: number;
  engineLoadMs: number | null;
}

/** Throwaway credentials for one run; the bucket name follows COS's `<name>-<appid>` rule. */
export function benchCredentials(): ServerCredentials {
  return { secretId: `AKIDbench${randomBytes(8).toString('hex')}`, secretKey: randomBytes(24).toString('base64url'), bucket: 'bench-1250000000' };
}

/** VmHWM (peak) or VmRSS (now) of a process, in MB; null when /proc cannot tell. */
export function readProcStatus(pid: number, field: 'VmHWM' | 'VmRSS'): number | null {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/**
 * Starts `node --import tsx bench/serve.ts` (one process: its RSS is the server's, workers included), with
 * glibc's malloc arenas capped as `npm start` caps them (MALLOC_ARENA_MAX=2 unless set).
 */
export async function startServer(creds: ServerCredentials = benchCredentials()): Promise<ServerHandle> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(BENCH_DIR, 'serve.ts')], {
    cwd: REPO_DIR,
    env: { MALLOC_ARENA_MAX: '2', ...process.env, BENCH_SECRET_ID: creds.secretId, BENCH_SECRET_KEY: creds.secretKey, BENCH_BUCKET: creds.bucket },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const lines = createInterface({ input: child.stdout! });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new Error(`server did not start within 180 s: ${stderr.trim()}`));
    }, 180_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}: ${stderr.trim()}`));
    });
    lines.once('line', (line) => {
      clearTimeout(timer);
      try {
        const info = JSON.parse(line) as { port: number; startMs: number; engineLoadMs: number | null };
        resolve({ child, creds, ...info });
      } catch {
        reject(new Error(`unexpected server output: ${line.slice(0, 200)}`));
      }
    });
  });
}

export async function stopServer(h: ServerHandle): Promise<void> {
  if (h.child.exitCode !== null || h.child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => h.child.once('exit', () => resolve()));
  h.child.kill('SIGTERM');
  const timer = setTimeout(() => h.child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

export interface OcrOptions {
  cardSide?: CardSide;
  config?: Partial<IdCardConfig>;
}

/** Upload-time recognition: `PUT /<bucket>/<key>?ci-process=IDCardOCR[&CardSide=…][&Config=…]`, image as the body. */
export async function putIdCardOcr(h: Pick<ServerHandle, 'port' | 'creds'>, key: string, body: Uint8Array, opts: OcrOptions = {}): Promise<{ status: number; body: string }> {
  const host = `127.0.0.1:${h.port}`;
  const query: Record<string, string> = { 'ci-process': 'IDCardOCR' };
  if (opts.cardSide) query.CardSide = opts.cardSide;
  const flags = Object.entries(opts.config ?? {}).filter(([, v]) => v !== undefined);
  if (flags.length) query.Config = JSON.stringify(Object.fromEntries(flags));
  const authorization = COS.getAuthorization({
    SecretId: h.creds.secretId,
    SecretKey: h.creds.secretKey,
    Method: 'PUT',
    Key: key,
    Query: query,
    Headers: { host, 'content-length': String(body.byteLength) },
  });
  const qs = Object.entries(query).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
  const url = `http://${host}/${h.creds.bucket}/${key.split('/').map(encodeURIComponent).join('/')}?${qs}`;
  return httpPut(url, { authorization, 'content-length': String(body.byteLength) }, body);
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/**
 * node:http rather than fetch: a server may answer an over-limit upload early and close (it will not read
 * megabytes it is going to refuse). fetch then fails with EPIPE while still writing; node:http, like the COS
 * SDK's client, delivers the early answer, which is what a client really receives.
 */
function httpPut(url: string, headers: Record<string, string>, body: Uint8Array): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = http.request(url, { method: 'PUT', headers, agent }, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', (e) => {
      if (!answered) reject(e);
    });
    req.end(body);
  });
}

// The COS SDK's parser keeps values as strings (protocols.md §5); so does this one.
const xml = new XMLParser({ parseTagValue: false, ignoreAttributes: true, isArray: (name) => name === 'WarnInfos' });

export interface ParsedAnswer {
  idInfo?: IdInfo;
  warnings: WarnCode[];
  /** `<Error><Code>` of a non-2xx answer, or `HTTP <status>` when the body is not a COS error. */
  error?: string;
}

/** Reads an IDCardOCR answer: fields and warning codes (`-9102` → 9102) on success, the error code otherwise. */
export function parseIdCardAnswer(status: number, body: string): ParsedAnswer {
  let doc: Record<string, unknown>;
  try {
    doc = xml.parse(body) as Record<string, unknown>;
  } catch {
    return { warnings: [], error: `HTTP ${status}` };
  }
  if (status < 200 || status >= 300) {
    const code = (doc.Error as { Code?: unknown } | undefined)?.Code;
    return { warnings: [], error: typeof code === 'string' && code ? code : `HTTP ${status}` };
  }
  const response = doc.Response as { IdInfo?: Record<string, unknown>; AdvancedInfo?: { WarnInfos?: unknown[] } | string } | undefined;
  if (!response) return { warnings: [], error: `HTTP ${status} without <Response>` };
  const idInfo: IdInfo = {};
  for (const f of ID_FIELDS) {
    const v = response.IdInfo?.[f];
    if (typeof v === 'string') idInfo[f] = v;
  }
  const adv = typeof response.AdvancedInfo === 'object' ? response.AdvancedInfo : undefined;
  const warnings = (adv?.WarnInfos ?? []).map((w) => Math.abs(Number(w))).filter((n) => Number.isInteger(n)) as WarnCode[];
  return { idInfo, warnings: warnings.sort((a, b) => a - b) };
}

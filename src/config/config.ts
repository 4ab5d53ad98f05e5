/**
 * Service configuration: one schema, read from the environment (and a credentials file) once at start-up,
 * validated, then frozen. A bad value stops the service with a message naming the variable, what was
 * expected and what came (the sharp habit), so a typo never turns into a silently different service.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The permissions a credential can be limited to (COS's action names, plus the CI process). */
export const ACTIONS = ['GetObject', 'PutObject', 'DeleteObject', 'ListBucket', 'IDCardOCR'] as const;
export type Action = (typeof ACTIONS)[number];

export interface Credential {
  secretId: string;
  secretKey: string;
  /** Buckets this credential may touch; absent = all buckets. */
  buckets?: readonly string[];
  /** Key prefix this credential is confined to inside those buckets; absent = whole bucket. */
  prefix?: string;
  /** Actions allowed; absent = all actions, including bucket administration (PUT/DELETE Bucket). */
  actions?: readonly Action[];
}

export interface ServiceConfig {
  /** TCP port (PORT, default 8080). */
  port: number;
  /** Listen address (HOST, default 127.0.0.1: local only unless asked). */
  host: string;
  /** Where buckets, objects and generated credentials live (IDCARD_DATA_DIR, default ./data). */
  dataDir: string;
  /** Every credential accepted: the env pair, the credentials file, or the generated one. */
  credentials: readonly Credential[];
  /** Where the credentials file is read (IDCARD_CREDENTIALS_FILE, default <dataDir>/credentials.json). */
  credentialsFile: string;
  /** Virtual-host suffixes: `<bucket>.cos.<region>.<suffix>` (IDCARD_HOST_SUFFIXES, default myqcloud.com). */
  hostSuffixes: readonly string[];
  /** Largest object accepted by PUT Object, bytes (IDCARD_MAX_OBJECT_BYTES, default 1 GiB). */
  maxObjectBytes: number;
  /** Allowed distance of a signature's start time in the future, seconds (IDCARD_MAX_CLOCK_SKEW, default 900). */
  maxClockSkewSeconds: number;
  /** Recognition worker threads (IDCARD_WORKERS, default: chosen by the recognizer). */
  workers?: number;
  /** Recognition requests allowed to wait for a worker before SlowDown (IDCARD_MAX_QUEUE, default: recognizer's). */
  maxQueue?: number;
  /** Initial V8 heap of each recognition worker, MB; 0 = V8's default (IDCARD_WORKER_HEAP_MB, default: recognizer's). */
  workerHeapMb?: number;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Environment variables this service reads; any other IDCARD_* variable is a typo and is refused by name. */
const ENV_KEYS = [
  'IDCARD_DATA_DIR',
  'IDCARD_SECRET_ID',
  'IDCARD_SECRET_KEY',
  'IDCARD_CREDENTIALS_FILE',
  'IDCARD_HOST_SUFFIXES',
  'IDCARD_MAX_OBJECT_BYTES',
  'IDCARD_MAX_CLOCK_SKEW',
  'IDCARD_WORKERS',
  'IDCARD_MAX_QUEUE',
  'IDCARD_WORKER_HEAP_MB',
] as const;

const CREDENTIAL_KEYS = ['secretId', 'secretKey', 'buckets', 'prefix', 'actions'] as const;
const BUCKET_NAME = /^[a-z0-9](?:[a-z0-9-]{0,48}[a-z0-9])?-\d{1,20}$/;
const HOST_SUFFIX = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$/;

function describe(v: unknown): string {
  return `${JSON.stringify(v)} of type ${Array.isArray(v) ? 'array' : typeof v}`;
}

function integer(env: Record<string, string | undefined>, name: string, min: number, max: number, fallback: number): number;
function integer(env: Record<string, string | undefined>, name: string, min: number, max: number): number | undefined;
function integer(env: Record<string, string | undefined>, name: string, min: number, max: number, fallback?: number): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw.trim()) || Number(raw) < min || Number(raw) > max) {
    throw new ConfigError(`Expected an integer from ${min} to ${max} for ${name} but received ${JSON.stringify(raw)}`);
  }
  return Number(raw);
}

/** Checks one credential object from the file (or env) and returns it frozen. `where` names it in messages. */
export function parseCredential(value: unknown, where: string): Credential {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(`Expected an object for ${where} but received ${describe(value)}`);
  }
  const o = value as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!(CREDENTIAL_KEYS as readonly string[]).includes(k)) {
      throw new ConfigError(`Unknown key "${k}" in ${where}; allowed keys: ${CREDENTIAL_KEYS.join(', ')}`);
    }
  }
  // SecretIds travel in q-ak; keep them to characters that need no escaping there.
  if (typeof o.secretId !== 'string' || !/^[A-Za-z0-9_-]{8,128}$/.test(o.secretId)) {
    throw new ConfigError(`Expected 8-128 letters, digits, '_' or '-' for ${where}.secretId but received ${describe(o.secretId)}`);
  }
  if (typeof o.secretKey !== 'string' || o.secretKey.length < 16 || o.secretKey.length > 256) {
    throw new ConfigError(`Expected a string of 16-256 characters for ${where}.secretKey`);
  }
  const cred: Credential = { secretId: o.secretId, secretKey: o.secretKey };
  if (o.buckets !== undefined) {
    if (!Array.isArray(o.buckets) || o.buckets.some((b) => typeof b !== 'string' || !BUCKET_NAME.test(b))) {
      throw new ConfigError(`Expected an array of bucket names (<name>-<appid>) for ${where}.buckets but received ${describe(o.buckets)}`);
    }
    cred.buckets = Object.freeze([...(o.buckets as string[])]);
  }
  if (o.prefix !== undefined) {
    if (typeof o.prefix !== 'string') throw new ConfigError(`Expected a string for ${where}.prefix but received ${describe(o.prefix)}`);
    cred.prefix = o.prefix;
  }
  if (o.actions !== undefined) {
    if (!Array.isArray(o.actions) || o.actions.some((a) => !(ACTIONS as readonly unknown[]).includes(a))) {
      throw new ConfigError(`Expected an array of ${ACTIONS.join(', ')} for ${where}.actions but received ${describe(o.actions)}`);
    }
    cred.actions = Object.freeze([...(o.actions as Action[])]);
  }
  return Object.freeze(cred);
}

/** Reads `{ "credentials": [ ... ] }`; a missing file is no credentials, a malformed one is an error. */
export function readCredentialsFile(path: string): Credential[] {
  if (!existsSync(path)) return [];
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ConfigError(`Could not read credentials file ${path}: ${(e as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new ConfigError(`Expected an object {"credentials": [...]} in ${path} but received ${describe(doc)}`);
  }
  for (const k of Object.keys(doc)) {
    if (k !== 'credentials') throw new ConfigError(`Unknown key "${k}" in ${path}; allowed keys: credentials`);
  }
  const list = (doc as { credentials?: unknown }).credentials;
  if (!Array.isArray(list)) throw new ConfigError(`Expected an array for "credentials" in ${path} but received ${describe(list)}`);
  return list.map((c, i) => parseCredential(c, `${path} credentials[${i}]`));
}

/**
 * Validates the environment into a frozen config. Pure apart from reading the credentials file: generating
 * first-start credentials is a separate, explicit step (`ensureCredentials`).
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): ServiceConfig {
  for (const k of Object.keys(env)) {
    if (k.startsWith('IDCARD_') && !(ENV_KEYS as readonly string[]).includes(k)) {
      throw new ConfigError(`Unknown environment variable ${k}; known: ${ENV_KEYS.join(', ')}`);
    }
  }
  const port = integer(env, 'PORT', 0, 65535, 8080);
  const host = env.HOST === undefined || env.HOST === '' ? '127.0.0.1' : env.HOST;
  if (!/^[A-Za-z0-9.:_-]+$/.test(host)) throw new ConfigError(`Expected a host name or IP address for HOST but received ${JSON.stringify(host)}`);
  const dataDir = resolve(env.IDCARD_DATA_DIR || './data');
  const credentialsFile = resolve(env.IDCARD_CREDENTIALS_FILE || join(dataDir, 'credentials.json'));

  const credentials: Credential[] = [];
  const id = env.IDCARD_SECRET_ID;
  const key = env.IDCARD_SECRET_KEY;
  if ((id === undefined) !== (key === undefined)) {
    throw new ConfigError('IDCARD_SECRET_ID and IDCARD_SECRET_KEY must be set together (one of them is missing)');
  }
  if (id !== undefined && key !== undefined) {
    credentials.push(parseCredential({ secretId: id, secretKey: key }, 'IDCARD_SECRET_ID/IDCARD_SECRET_KEY'));
  }
  for (const c of readCredentialsFile(credentialsFile)) {
    if (credentials.some((d) => d.secretId === c.secretId)) {
      throw new ConfigError(`SecretId ${c.secretId} is configured twice (in ${credentialsFile} and elsewhere)`);
    }
    credentials.push(c);
  }

  const suffixes = (env.IDCARD_HOST_SUFFIXES ?? 'myqcloud.com').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  if (suffixes.length === 0) throw new ConfigError('Expected at least one host suffix in IDCARD_HOST_SUFFIXES but received none');
  for (const s of suffixes) {
    if (!HOST_SUFFIX.test(s)) throw new ConfigError(`Expected a DNS suffix such as myqcloud.com in IDCARD_HOST_SUFFIXES but received ${JSON.stringify(s)}`);
  }

  return deepFreeze({
    port,
    host,
    dataDir,
    credentials,
    credentialsFile,
    hostSuffixes: suffixes,
    maxObjectBytes: integer(env, 'IDCARD_MAX_OBJECT_BYTES', 1, Number.MAX_SAFE_INTEGER, 1024 ** 3),
    maxClockSkewSeconds: integer(env, 'IDCARD_MAX_CLOCK_SKEW', 0, 86_400, 900),
    workers: integer(env, 'IDCARD_WORKERS', 1, 256),
    maxQueue: integer(env, 'IDCARD_MAX_QUEUE', 0, 100_000),
    workerHeapMb: integer(env, 'IDCARD_WORKER_HEAP_MB', 0, 16_384),
  });
}

/**
 * First start: with no credential configured anywhere, generate one, store it in the credentials file
 * (mode 0600: it is a secret) and return it so the caller can print it once. Later starts read it back.
 */
export function ensureCredentials(config: ServiceConfig): { config: ServiceConfig; generated?: Credential } {
  if (config.credentials.length > 0) return { config };
  const generated: Credential = {
    // COS SecretIds are 36 characters starting AKID; mimic the shape so tools that sniff it are happy.
    secretId: 'AKID' + randomBytes(24).toString('base64url').replace(/[-_]/g, 'x').slice(0, 32),
    secretKey: randomBytes(24).toString('base64url').replace(/[-_]/g, 'y').slice(0, 32),
  };
  mkdirSync(join(config.credentialsFile, '..'), { recursive: true });
  writeFileSync(config.credentialsFile, JSON.stringify({ credentials: [generated] }, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
  chmodSync(config.credentialsFile, 0o600);
  return { config: deepFreeze({ ...config, credentials: [Object.freeze(generated)] }), generated };
}

function deepFreeze<T>(o: T): T {
  if (typeof o === 'object' && o !== null && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, ensureCredentials, loadConfig } from './config.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'idcard-config-'));
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

const env = (extra: Record<string, string> = {}) => ({ IDCARD_DATA_DIR: dir, ...extra });
function refusal(e: Record<string, string>): string {
  try {
    loadConfig(e);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected the config to be refused');
}

describe('configuration', () => {
  it('has documented defaults and is frozen', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ port: 8080, host: '127.0.0.1', hostSuffixes: ['myqcloud.com'], maxClockSkewSeconds: 900, maxObjectBytes: 1024 ** 3 });
    expect(c.dataDir).toBe(join(process.cwd(), 'data'));
    expect(c.workers).toBeUndefined();
    expect(Object.isFrozen(c) && Object.isFrozen(c.hostSuffixes)).toBe(true);
  });

  it('reads every variable', () => {
    const c = loadConfig(env({ PORT: '9000', HOST: '0.0.0.0', IDCARD_HOST_SUFFIXES: 'myqcloud.com, example.test', IDCARD_WORKERS: '3', IDCARD_MAX_QUEUE: '50', IDCARD_WORKER_HEAP_MB: '96', IDCARD_SECRET_ID: 'AKIDENVPAIR0000', IDCARD_SECRET_KEY: 'EnvPairSecretKey0000' }));
    expect(c).toMatchObject({ port: 9000, host: '0.0.0.0', hostSuffixes: ['myqcloud.com', 'example.test'], workers: 3, maxQueue: 50, workerHeapMb: 96 });
    expect(c.credentials.map((x) => x.secretId)).toEqual(['AKIDENVPAIR0000']);
  });

  it.each([
    [{ PORT: 'eighty' }, /PORT.*"eighty"/],
    [{ PORT: '70000' }, /PORT/],
    [{ IDCARD_WORKERS: '0' }, /IDCARD_WORKERS/],
    [{ IDCARD_SECRET_ID: 'AKIDONLYHALF000' }, /IDCARD_SECRET_ID and IDCARD_SECRET_KEY must be set together/],
    [{ IDCARD_SECRTE_KEY: 'typo' }, /Unknown environment variable IDCARD_SECRTE_KEY/],
    [{ IDCARD_HOST_SUFFIXES: 'bad suffix!' }, /IDCARD_HOST_SUFFIXES/],
  ])('refuses %j with a message naming it', (bad, message) => {
    expect(refusal(env(bad as Record<string, string>))).toMatch(message);
  });

  it('reads several scoped credentials from the credentials file and names unknown keys', async () => {
    const file = join(dir, 'creds.json');
    await writeFile(file, JSON.stringify({ credentials: [{ secretId: 'AKIDFILE00000001', secretKey: 'FileSecretKey0000001' }, { secretId: 'AKIDFILE00000002', secretKey: 'FileSecretKey0000002', buckets: ['ocr-1250000000'], prefix: 'idcards/', actions: ['IDCardOCR'] }] }));
    const c = loadConfig(env({ IDCARD_CREDENTIALS_FILE: file }));
    expect(c.credentials[1]).toEqual({ secretId: 'AKIDFILE00000002', secretKey: 'FileSecretKey0000002', buckets: ['ocr-1250000000'], prefix: 'idcards/', actions: ['IDCardOCR'] });
    await writeFile(file, JSON.stringify({ credentials: [{ secretId: 'AKIDFILE00000001', secretKey: 'FileSecretKey0000001', action: ['GetObject'] }] }));
    expect(refusal(env({ IDCARD_CREDENTIALS_FILE: file }))).toMatch(/Unknown key "action"/);
    await writeFile(file, JSON.stringify({ credentials: [{ secretId: 'AKIDFILE00000001', secretKey: 'FileSecretKey0000001', actions: ['Everything'] }] }));
    expect(refusal(env({ IDCARD_CREDENTIALS_FILE: file }))).toMatch(/actions/);
    await writeFile(file, '{ not json');
    expect(refusal(env({ IDCARD_CREDENTIALS_FILE: file }))).toMatch(/Could not read credentials file/);
  });

  it('generates credentials on first start (mode 0600), and reads the same ones back later', async () => {
    const first = ensureCredentials(loadConfig(env()));
    expect(first.generated?.secretId).toMatch(/^AKID[A-Za-z0-9]{32}$/);
    expect((await stat(join(dir, 'credentials.json'))).mode & 0o777).toBe(0o600);
    const second = ensureCredentials(loadConfig(env()));
    expect(second.generated).toBeUndefined();
    expect(second.config.credentials).toEqual([first.generated]);
  });

  it('does not generate when the env pair is set', () => {
    expect(ensureCredentials(loadConfig(env({ IDCARD_SECRET_ID: 'AKIDENVPAIR0000', IDCARD_SECRET_KEY: 'EnvPairSecretKey0000' }))).generated).toBeUndefined();
  });
});

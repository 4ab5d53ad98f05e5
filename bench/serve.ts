/**
 * The real service in a child process, for the speed benchmark's HTTP rows: `node --import tsx bench/serve.ts`.
 * A process of its own so that its peak RSS is the service's alone (not the benchmark client's, nor the
 * generator's), and so the client's event loop never shares a thread with the server's.
 *
 * Reads BENCH_SECRET_ID / BENCH_SECRET_KEY / BENCH_BUCKET from the environment, keeps objects in a fresh temp
 * data dir, listens on an ephemeral port of 127.0.0.1 and writes one JSON line `{"port":…}` to stdout when ready.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config/config.ts';
import { buildApp } from '../src/server/app.ts';
import { LocalDiskStore } from '../src/storage/localDiskStore.ts';
import { loadEngine } from './engine.ts';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'idcard-bench-'));
const cleanup = () => rmSync(dataDir, { recursive: true, force: true });

async function main(): Promise<void> {
  const secretId = process.env.BENCH_SECRET_ID;
  const secretKey = process.env.BENCH_SECRET_KEY;
  const bucket = process.env.BENCH_BUCKET;
  if (!secretId || !secretKey || !bucket) throw new Error('BENCH_SECRET_ID, BENCH_SECRET_KEY and BENCH_BUCKET are required');
  const env: Record<string, string | undefined> = { IDCARD_DATA_DIR: dataDir, IDCARD_SECRET_ID: secretId, IDCARD_SECRET_KEY: secretKey, PORT: '0', HOST: '127.0.0.1' };
  // Pass the service's own tuning knobs through unchanged, so the benchmark measures a configured server.
  for (const [k, v] of Object.entries(process.env)) if (k.startsWith('IDCARD_') && k !== 'IDCARD_DATA_DIR' && k !== 'IDCARD_CREDENTIALS_FILE') env[k] = v;
  const config = loadConfig(env);

  const t0 = performance.now();
  const engine = await loadEngine('pool', { workers: config.workers, maxQueue: config.maxQueue, heapMb: config.workerHeapMb });
  if (!engine.recognizer) throw new Error(`engine not loaded: ${engine.loadError}`);
  const store = new LocalDiskStore(dataDir);
  await store.init();
  await store.createBucket(bucket, { acl: 'private', region: 'ap-guangzhou' });
  const app = buildApp({ config, store, recognizer: engine.recognizer });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('server has no TCP address');
  process.stdout.write(`${JSON.stringify({ port: address.port, startMs: performance.now() - t0, engineLoadMs: engine.loadMs })}\n`);

  const stop = async () => {
    await app.close();
    await engine.recognizer?.close();
    cleanup();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
  // The parent going away must not leave a server behind.
  process.stdin.on('end', () => void stop());
  process.stdin.resume();
}

main().catch((e: unknown) => {
  process.stderr.write(`bench server failed: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}\n`);
  cleanup();
  process.exit(1);
});

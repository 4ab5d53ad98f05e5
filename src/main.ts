/**
 * `npm start`: validate configuration, open storage, load the recognizer, serve. Refuses to start on a bad
 * setting with a message naming it; generated first-start credentials are printed exactly once.
 */
import { ConfigError, ensureCredentials, loadConfig } from './config/config.ts';
import { buildApp } from './server/app.ts';
import { LocalDiskStore } from './storage/localDiskStore.ts';

async function main(): Promise<void> {
  let config;
  try {
    const loaded = ensureCredentials(loadConfig(process.env));
    config = loaded.config;
    if (loaded.generated) {
      process.stdout.write(
        [
          'No credentials were configured, so a pair was generated and stored in',
          `  ${config.credentialsFile} (mode 0600). It is shown this once:`,
          `  SecretId:  ${loaded.generated.secretId}`,
          `  SecretKey: ${loaded.generated.secretKey}`,
          '',
        ].join('\n'),
      );
    }
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`idcard-ocr: refusing to start: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }

  const store = new LocalDiskStore(config.dataDir);
  await store.init();
  // Imported lazily: loading ONNX models is the slow part of start-up and the engine is its own module.
  const { createRecognizer } = await import('./engine/index.ts');
  const recognizer = await createRecognizer({ workers: config.workers, maxQueue: config.maxQueue, heapMb: config.workerHeapMb });
  const app = buildApp({ config, store, recognizer, logger: true });

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down');
    try {
      await app.close(); // stops accepting, lets in-flight requests finish
      await recognizer.close();
    } finally {
      process.exit(0);
    }
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  await app.listen({ port: config.port, host: config.host });
}

await main();

/**
 * worker: one recognition worker thread of the pool (pool.ts). Loads the models once, when the thread
 * starts, then runs `runPipeline` for each task.
 *
 * Messages (tesseract.js's envelope habit): a task answers `{ ok: true, result }` or
 * `{ ok: false, error: { code, message } }` — errors are data, never thrown across the boundary, because a
 * structured-cloned Error loses its `code`. Start-up is reported to the pool on the parent port as
 * `{ type: 'models-loaded', loadMs }` or `{ type: 'models-failed', message }`.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import sharp from 'sharp';
import { isServiceError, type ErrorCode } from '../errors/catalogue.ts';
import { runPipeline } from './pipeline.ts';
import { createOcrModels } from './recognize.ts';
import type { OcrModels, RecognitionResult, RecognizeRequest } from './types.ts';

export interface WorkerOptions {
  /** Recognition's intra-op threads. */
  threadsPerWorker: number;
  /** Detection's intra-op threads. Default threadsPerWorker. */
  detectThreads?: number;
}

export type WorkerReply = { ok: true; result: RecognitionResult } | { ok: false; error: { code: ErrorCode; message: string } };

export type WorkerEvent = { type: 'models-loaded'; loadMs: number } | { type: 'models-failed'; message: string };

/** Turns anything a pipeline threw into the envelope; unexpected errors become the spec's catch-all. */
export function errorEnvelope(e: unknown): WorkerReply {
  if (isServiceError(e)) return { ok: false, error: { code: e.code, message: e.message } };
  // Not a catalogued answer: a bug or a library failure. The message carries no image data (stages never
  // put any in errors); the pool logs it as the cause.
  return { ok: false, error: { code: 'FailedOperation.UnKnowError', message: e instanceof Error ? `${e.name}: ${e.message}` : String(e) } };
}

const options = (workerData ?? { threadsPerWorker: 1 }) as WorkerOptions;
let modelsReady: Promise<OcrModels> | undefined;

/** Loads the models once per thread; a pool thread starts loading as soon as it is created. */
function loadModels(): Promise<OcrModels> {
  if (!modelsReady) {
    const started = performance.now();
    modelsReady = createOcrModels({ intraOpNumThreads: options.detectThreads ?? options.threadsPerWorker, recognitionThreads: options.threadsPerWorker });
    modelsReady.then(
      () => parentPort?.postMessage({ type: 'models-loaded', loadMs: performance.now() - started } satisfies WorkerEvent),
      (e: unknown) => parentPort?.postMessage({ type: 'models-failed', message: e instanceof Error ? e.message : String(e) } satisfies WorkerEvent),
    );
  }
  return modelsReady;
}
// Importing this module on the main thread (tests of errorEnvelope) must not load models.
if (!isMainThread) {
  // Every upload is decoded once: libvips' operation cache would only hold memory (it is process-wide).
  sharp.cache(false);
  void loadModels().catch(() => undefined);
}

/** The task handler piscina calls. */
export default async function recognizeTask(req: RecognizeRequest): Promise<WorkerReply> {
  try {
    const models = await loadModels();
    return { ok: true, result: await runPipeline(req, models) };
  } catch (e) {
    return errorEnvelope(e);
  }
}

/**
 * The engine's front door: what the server, the CLI and the benchmarks import.
 *
 * `createRecognizer` runs recognition in a worker pool (the HTTP event loop never blocks on inference);
 * `createInProcessRecognizer` runs it on the calling thread, for the CLI and for measuring stage times.
 */
import { ServiceError } from '../errors/catalogue.ts';
import { runPipeline } from './pipeline.ts';
import { RecognitionPool, type PoolOptions } from './pool.ts';
import { createOcrModels } from './recognize.ts';
import type { IdCardRecognizer, RecognitionResult, RecognizeRequest } from './types.ts';

export type { PoolOptions } from './pool.ts';
export { RecognitionPool } from './pool.ts';
export { decodeImage } from './decode.ts';
export { detectText } from './detect.ts';
export { recognizeLines, createOcrModels } from './recognize.ts';
export * from './types.ts';

/**
 * Starts the worker pool and resolves once every worker has loaded the models.
 *
 * @example
 *   const recognizer = await createRecognizer({ workers: 2, maxQueue: 8 });
 *   const result = await recognizer.recognize({ image: bytes, cardSide: 'FRONT' });
 *   await recognizer.close();
 */
export function createRecognizer(opts: PoolOptions = {}): Promise<RecognitionPool> {
  return RecognitionPool.start(opts);
}

export interface InProcessOptions {
  /** onnxruntime threads per inference. Default 2 (this machine's cores: one request at a time). */
  threads?: number;
}

/** An IdCardRecognizer without workers: models loaded once in this thread, requests run as they come. */
export class InProcessRecognizer implements IdCardRecognizer {
  #models: Awaited<ReturnType<typeof createOcrModels>> | undefined;
  /** Model load time, ms. */
  readonly modelLoadMs: number;

  private constructor(models: Awaited<ReturnType<typeof createOcrModels>>, loadMs: number) {
    this.#models = models;
    this.modelLoadMs = loadMs;
  }

  static async start(opts: InProcessOptions = {}): Promise<InProcessRecognizer> {
    const started = performance.now();
    const models = await createOcrModels({ intraOpNumThreads: opts.threads ?? 2 });
    return new InProcessRecognizer(models, performance.now() - started);
  }

  async recognize(req: RecognizeRequest): Promise<RecognitionResult> {
    if (!this.#models) throw new ServiceError('SlowDown', 'The recognizer is closed.');
    return runPipeline(req, this.#models);
  }

  async close(): Promise<void> {
    const models = this.#models;
    this.#models = undefined;
    await models?.release();
  }
}

export function createInProcessRecognizer(opts: InProcessOptions = {}): Promise<InProcessRecognizer> {
  return InProcessRecognizer.start(opts);
}

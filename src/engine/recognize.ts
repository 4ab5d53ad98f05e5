/**
 * recognize: text-line quads → text, with per-character top-3 candidates, using the PP-OCRv4 mobile
 * recogniser (SVTR-LCNet, CTC head over 6625 classes).
 *
 * Each quad is perspective-cropped and resized to the network's 48-pixel height in a single resampling pass
 * (so no intermediate crop is allocated) and normalised to [-1, 1]. Lines narrower than the model's
 * 320-pixel minimum are packed side by side into shared inputs, 32 px apart, and each line decodes only its
 * own frames; other lines run one per input (DEFAULT_MAX_BATCH). CTC decoding is greedy (best path,
 * Graves et al., ICML 2006, §3.2): collapse repeats, drop blanks.
 */
import { loadOnnxSession, loadRecognitionDictionary, resolveModelAssets, type InferenceSession, type SessionOptions } from './inference.ts';
import { detectText } from './detect.ts';
import { loadOpenCv } from './edges.ts';
import { loadPlaceNames } from '../domain/placeNames.ts';
import type { LineReading, OcrModels, Point, Quad, RasterImage, StageContext } from './types.ts';

/** PP-OCRv4 rec input height. */
export const REC_HEIGHT = 48;
/**
 * Narrower inputs are padded to this width, as PaddleOCR does at inference (rec_image_shape 3,48,320):
 * the model was trained on lines at least that wide, and padding avoids misreads of one- or two-character
 * lines such as 男 or 汉.
 */
const REC_MIN_WIDTH = 320;
/** Wider lines are squeezed to this width (an ID-card line is ≤ 18 characters ≈ 15 × height). */
const REC_MAX_WIDTH = 1600;
/** Recognition is warmed up at this input width: wider than any ID-card line (the number ≈ 15 × 48 px). */
const REC_WARM_UP_WIDTH = 1024;
/** A crop at least this much taller than wide is a vertical line; PaddleOCR turns it by 90° (same ratio). */
const VERTICAL_RATIO = 1.5;
const TOP_CANDIDATES = 3;
/**
 * One line per run by default: measured on the 2-core box with the card's 7 value lines, CPU time per card
 * was 165–179 ms one line at a time and 178–194 ms in width-grouped batches of 4 (padding costs more than
 * the saved per-run overhead).
 */
const DEFAULT_MAX_BATCH = 1;

/** Gap between packed lines, px (4 CTC frames: wide enough that no character straddles two lines). */
const PACK_GAP = 32;
/** Longest packed input, px. */
const PACK_MAX_WIDTH = 960;

export type Charset = 'all' | 'id-number';

export interface RecognizeOptions {
  /** `id-number` restricts decoding to 0-9 and X (GB 11643's alphabet), renormalising the probabilities. */
  charset?: Charset;
  /** Lines of similar width run together, at most this many per run (1 = one line per run). Default 1. */
  maxBatch?: number;
  /**
   * Read lines narrower than the 320 px minimum side by side in one input. Default true: on 201 short
   * readings (labels, nations, lone digits) packed reading made no error against 4 read one per padded
   * input, for a third of the CPU time.
   */
  packShortLines?: boolean;
  /** The recognition model and its class table; default process-wide ones loaded on first use. */
  recognizer?: LineRecognizer;
}

/** A loaded recogniser: the session and its CTC class table (index 0 = blank). */
export interface LineRecognizer {
  session: InferenceSession;
  classes: string[];
}

let defaultRecognizer: Promise<LineRecognizer> | undefined;
function defaultLineRecognizer(): Promise<LineRecognizer> {
  defaultRecognizer ??= loadLineRecognizer();
  return defaultRecognizer;
}

/**
 * Loads the PP-OCRv4 recogniser and checks its output width against the class table.
 *
 * `intraOpNumThreads` threads work on each line. (onnxruntime-node runs a session synchronously on the
 * calling thread, so two runs never overlap: lines cannot be read side by side within one thread, only
 * split across intra-op threads. Measured on the 2-core box: a 480-px line 27.7 ms on one thread and
 * 16.7 ms on two when quiet; 23.5–28.5 ms against 24.2–25.2 ms in a later, busier run — the gain is
 * not dependable, and end to end a clean card took the same time either way.)
 */
export async function loadLineRecognizer(opts: SessionOptions = {}): Promise<LineRecognizer> {
  const assets = resolveModelAssets();
  const [session, classes] = await Promise.all([loadOnnxSession(assets.recognition, opts), loadRecognitionDictionary(assets.dictionary)]);
  // Warm-up at a wide line (see createOcrModels) that also proves the dictionary matches the model.
  const probe = { data: new Float32Array(3 * REC_HEIGHT * REC_WARM_UP_WIDTH), dims: [1, 3, REC_HEIGHT, REC_WARM_UP_WIDTH] };
  const classCount = (await session.run(probe)).dims[2];
  if (classCount !== classes.length) {
    throw new Error(`The recognition model has ${classCount} classes but the dictionary gives ${classes.length}.`);
  }
  return { session, classes };
}

/**
 * Reads one text line per quad.
 *
 * @param quads corners in `image` pixels, clockwise from the line's top-left (as detectText returns them)
 * @returns one reading per quad, in the same order
 * @example
 *   const readings = await recognizeLines(card, boxes.map((b) => b.quad), ctx, { charset: 'id-number' });
 */
export async function recognizeLines(image: RasterImage, quads: Quad[], ctx: StageContext, opts: RecognizeOptions = {}): Promise<LineReading[]> {
  const charset = opts.charset ?? 'all';
  if (charset !== 'all' && charset !== 'id-number') {
    throw new TypeError(`Expected 'all' or 'id-number' for charset but received ${String(charset)} of type ${typeof charset}`);
  }
  const rec = opts.recognizer ?? (await defaultLineRecognizer());
  const started = performance.now();
  try {
    const allowed = charset === 'id-number' ? idNumberClasses(rec.classes) : undefined;
    const decode = (probs: Float32Array, frames: number, classCount: number) => ctcGreedyDecode(probs, frames, classCount, rec.classes, allowed);
    // Every crop is read as it stands; a tall one is also read turned by 90°, and the more confident reading
    // wins: a lone narrow character (1, 7, 3) is taller than wide too, and turned it reads as 一 or m.
    const jobs: LineGeometry[] = [];
    const owner: number[] = [];
    quads.forEach((quad, i) => {
      const g = lineGeometry(quad);
      if (g.turned) {
        jobs.push(lineGeometry(quad, 'never'));
        owner.push(i);
      }
      jobs.push(g);
      owner.push(i);
    });
    const results: LineReading[] = new Array(jobs.length);

    // One task per network input, run one after another (see loadLineRecognizer).
    const tasks: Array<() => Promise<void>> = [];
    const pack = opts.packShortLines ?? true;
    const shortOnes = pack ? jobs.map((_, j) => j).filter((j) => jobs[j].outW + PACK_GAP < REC_MIN_WIDTH) : [];
    if (shortOnes.length >= 2) {
      for (const row of packRows(shortOnes.map((j) => ({ index: j, width: jobs[j].outW })))) tasks.push(async () => {
        const tensorW = Math.max(REC_MIN_WIDTH, row.width);
        const data = new Float32Array(3 * REC_HEIGHT * tensorW);
        for (const seg of row.segments) fillLineTensor(image, jobs[seg.index], data, tensorW, seg.x);
        const out = await rec.session.run({ data, dims: [1, 3, REC_HEIGHT, tensorW] });
        const [, frames, classCount] = out.dims;
        const stride = tensorW / frames;
        row.segments.forEach((seg, k) => {
          // Each line owns the frames from the middle of the gap before it to the middle of the gap after.
          const start = k === 0 ? 0 : Math.floor((seg.x - PACK_GAP / 2) / stride);
          const end = k === row.segments.length - 1 ? frames : Math.floor((seg.x + seg.width + PACK_GAP / 2) / stride);
          results[seg.index] = decode(out.data.subarray(start * classCount, end * classCount), end - start, classCount);
        });
      });
    }

    const packed = new Set(tasks.length > 0 ? shortOnes : []);
    const rest = jobs.map((_, j) => j).filter((j) => !packed.has(j));
    for (const batch of batchesBySimilarWidth(rest.map((j) => jobs[j]), opts.maxBatch ?? DEFAULT_MAX_BATCH)) tasks.push(async () => {
      const group = batch.map((k) => rest[k]);
      const tensorW = Math.max(...group.map((j) => jobs[j].tensorW));
      const per = 3 * REC_HEIGHT * tensorW;
      const data = new Float32Array(per * group.length);
      group.forEach((j, b) => fillLineTensor(image, jobs[j], data.subarray(b * per, (b + 1) * per), tensorW));
      const out = await rec.session.run({ data, dims: [group.length, 3, REC_HEIGHT, tensorW] });
      const [, frames, classCount] = out.dims;
      group.forEach((j, b) => {
        results[j] = decode(out.data.subarray(b * frames * classCount, (b + 1) * frames * classCount), frames, classCount);
      });
    });
    for (const task of tasks) await task();

    const readings: LineReading[] = new Array(quads.length);
    results.forEach((r, j) => {
      const i = owner[j];
      if (readings[i] === undefined || r.confidence > readings[i].confidence) readings[i] = r;
    });
    return readings;
  } finally {
    ctx.timings.recognize = (ctx.timings.recognize ?? 0) + (performance.now() - started);
  }
}

const idNumberClassCache = new WeakMap<string[], Int32Array>();
/** Class indices of the CTC blank and the GB 11643 characters 0-9 and X. */
function idNumberClasses(classes: string[]): Int32Array {
  let cached = idNumberClassCache.get(classes);
  if (!cached) {
    const wanted = new Set([...'0123456789X']);
    const idx = [0];
    classes.forEach((c, i) => {
      if (i > 0 && wanted.has(c)) idx.push(i);
    });
    cached = Int32Array.from(idx);
    idNumberClassCache.set(classes, cached);
  }
  return cached;
}

/**
 * Best-path CTC decoding over softmax outputs [T, C]. For each emitted character the frame where it is most
 * probable gives its probability and its top alternatives (blank excluded).
 *
 * @param allowed restrict to these classes (must include 0, the blank); probabilities are renormalised
 *   over them so they still sum to 1 per frame.
 */
export function ctcGreedyDecode(probs: Float32Array, frames: number, classCount: number, classes: string[], allowed?: Int32Array): LineReading {
  const chars: LineReading['chars'] = [];
  let prevBest = -1;
  // Frame with the highest probability of the current run of one class, and that probability.
  let runFrame = -1;
  let runProb = 0;
  const flush = () => {
    if (runFrame < 0) return;
    chars.push({ candidates: topCandidates(probs, runFrame * classCount, classCount, classes, allowed) });
    runFrame = -1;
  };
  for (let t = 0; t < frames; t++) {
    const base = t * classCount;
    let best = 0;
    let bestProb = -1;
    // A frame is a softmax (it sums to 1), so a class over one half is its maximum: the scan stops there.
    // Most frames are blank (class 0, scanned first) at > 0.5, so most of the 6625 classes are never read.
    if (allowed) {
      for (let k = 0; k < allowed.length; k++) {
        const p = probs[base + allowed[k]];
        if (p > bestProb) {
          bestProb = p;
          best = allowed[k];
          if (p > 0.5) break;
        }
      }
    } else {
      for (let c = 0; c < classCount; c++) {
        const p = probs[base + c];
        if (p > bestProb) {
          bestProb = p;
          best = c;
          if (p > 0.5) break;
        }
      }
    }
    if (best !== prevBest) flush();
    if (best !== 0) {
      if (best !== prevBest || bestProb > runProb) {
        runFrame = t;
        runProb = bestProb;
      }
    }
    prevBest = best;
  }
  flush();
  const text = chars.map((c) => c.candidates[0].char).join('');
  const confidence = chars.length === 0 ? 0 : chars.reduce((s, c) => s + c.candidates[0].prob, 0) / chars.length;
  return { text, confidence, chars };
}

function topCandidates(probs: Float32Array, base: number, classCount: number, classes: string[], allowed?: Int32Array) {
  const top: Array<{ cls: number; p: number }> = [];
  let norm = 1;
  const consider = (cls: number) => {
    const p = probs[base + cls];
    if (top.length < TOP_CANDIDATES || p > top[top.length - 1].p) {
      top.push({ cls, p });
      top.sort((a, b) => b.p - a.p);
      if (top.length > TOP_CANDIDATES) top.pop();
    }
  };
  if (allowed) {
    norm = 0;
    for (let k = 0; k < allowed.length; k++) norm += probs[base + allowed[k]];
    for (let k = 1; k < allowed.length; k++) consider(allowed[k]);
  } else {
    for (let c = 1; c < classCount; c++) consider(c);
  }
  return top.map(({ cls, p }) => ({ char: classes[cls], prob: norm > 0 ? p / norm : 0 }));
}

// ---------------------------------------------------------------------------------------------------------
// Line crop: perspective warp + resize in one pass

/**
 * Projective map from the unit square to a quad (Heckbert, "Fundamentals of Texture Mapping", 1989, §2.2.3):
 * (0,0)→q0, (1,0)→q1, (1,1)→q2, (0,1)→q3. Returned as [a,b,c,d,e,f,g,h] with x = (a s + b t + c)/(g s + h t + 1).
 */
function squareToQuad(q: Quad): number[] {
  const [p0, p1, p2, p3] = q;
  const sx = p0.x - p1.x + p2.x - p3.x;
  const sy = p0.y - p1.y + p2.y - p3.y;
  if (Math.abs(sx) < 1e-9 && Math.abs(sy) < 1e-9) {
    return [p1.x - p0.x, p3.x - p0.x, p0.x, p1.y - p0.y, p3.y - p0.y, p0.y, 0, 0];
  }
  const dx1 = p1.x - p2.x, dx2 = p3.x - p2.x, dy1 = p1.y - p2.y, dy2 = p3.y - p2.y;
  const den = dx1 * dy2 - dx2 * dy1;
  const g = (sx * dy2 - dx2 * sy) / den;
  const h = (dx1 * sy - sx * dy1) / den;
  return [p1.x - p0.x + g * p1.x, p3.x - p0.x + h * p3.x, p0.x, p1.y - p0.y + g * p1.y, p3.y - p0.y + h * p3.y, p0.y, g, h];
}

const dist = (a: Point, b: Point) => Math.hypot(a.x - b.x, a.y - b.y);

/** Where and how big one line's crop is: its quad (turned upright) and its width at 48 px high. */
export interface LineGeometry {
  quad: Quad;
  /** Width of the resampled line at REC_HEIGHT, aspect kept. */
  outW: number;
  /** Width of its own network input (padded to REC_MIN_WIDTH, rounded up to the 8-pixel frame stride). */
  tensorW: number;
  /** Source pixels per output pixel along the line's height: > 1 means shrinking. */
  shrink: number;
  /** Read turned by 90° (a tall crop). */
  turned: boolean;
}

/**
 * @param turn whether to read a tall crop turned by 90° (`auto`: when it is VERTICAL_RATIO times taller than
 *   wide, PaddleOCR's rule) or as it stands (`never`)
 */
export function lineGeometry(quad: Quad, turn: 'auto' | 'never' = 'auto'): LineGeometry {
  let q = quad;
  let cropW = Math.max(dist(q[0], q[1]), dist(q[3], q[2]));
  let cropH = Math.max(dist(q[0], q[3]), dist(q[1], q[2]));
  const turned = turn === 'auto' && cropH >= VERTICAL_RATIO * cropW;
  if (turned) {
    // A vertical line: read it turned 90° counter-clockwise, so the quad's right edge becomes the top.
    q = [q[1], q[2], q[3], q[0]];
    [cropW, cropH] = [cropH, cropW];
  }
  cropW = Math.max(cropW, 1);
  cropH = Math.max(cropH, 1);
  const outW = Math.min(REC_MAX_WIDTH, Math.max(1, Math.round((REC_HEIGHT * cropW) / cropH)));
  const tensorW = Math.max(REC_MIN_WIDTH, Math.ceil(outW / 8) * 8);
  return { quad: q, outW, tensorW, shrink: Math.max(cropH / REC_HEIGHT, cropW / outW), turned };
}

/** Lays short lines left to right into rows no wider than PACK_MAX_WIDTH, PACK_GAP apart, at 8-px-aligned offsets. */
function packRows(items: Array<{ index: number; width: number }>): Array<{ width: number; segments: Array<{ index: number; x: number; width: number }> }> {
  const rows: Array<{ width: number; segments: Array<{ index: number; x: number; width: number }> }> = [];
  let row: (typeof rows)[number] | undefined;
  for (const it of items) {
    const x = row ? Math.ceil((row.width + PACK_GAP) / 8) * 8 : 0;
    if (!row || x + it.width > PACK_MAX_WIDTH) {
      row = { width: 0, segments: [] };
      rows.push(row);
      row.segments.push({ index: it.index, x: 0, width: it.width });
      row.width = Math.ceil(it.width / 8) * 8;
    } else {
      row.segments.push({ index: it.index, x, width: it.width });
      row.width = Math.ceil((x + it.width) / 8) * 8;
    }
  }
  // Trailing padding after the last line, like a single line's.
  for (const r of rows) r.width = Math.ceil((r.width + PACK_GAP) / 8) * 8;
  return rows;
}

/**
 * Groups line indices into batches whose input widths differ by at most a quarter (so padding wastes
 * little), at most `maxBatch` lines each. Widest first; every index appears exactly once.
 */
export function batchesBySimilarWidth(lines: LineGeometry[], maxBatch: number): number[][] {
  const order = lines.map((_, i) => i).sort((a, b) => lines[b].tensorW - lines[a].tensorW);
  const groups: number[][] = [];
  for (const i of order) {
    const current = groups.at(-1);
    if (current && current.length < maxBatch && lines[current[0]].tensorW <= 1.25 * lines[i].tensorW) current.push(i);
    else groups.push([i]);
  }
  return groups;
}

/**
 * The network input for one line: the quad warped upright to 48 px high, aspect kept, normalised to
 * (x/255 − 0.5)/0.5 in B, G, R channel order (PP-OCR's training order), zero-padded on the right to
 * `tensorW`. Quads are in pixel-centre coordinates and enclose the line; when shrinking, each output pixel
 * averages a k×k grid of bilinear samples so thin strokes survive.
 *
 * @param out a zeroed [3, 48, tensorW] slice of the batch tensor
 */
export function fillLineTensor(image: RasterImage, line: LineGeometry, out: Float32Array, tensorW: number, xOffset = 0): void {
  const { outW } = line;
  const plane = REC_HEIGHT * tensorW;
  const [a, b, c, d, e, f, g, h] = squareToQuad(line.quad);
  const k = Math.min(4, Math.max(1, Math.ceil(line.shrink)));
  const inv = 1 / (k * k);
  const { width: W, height: H, channels: C, data: px } = image;
  const maxX = W - 1;
  const maxY = H - 1;
  for (let v = 0; v < REC_HEIGHT; v++) {
    for (let u = 0; u < outW; u++) {
      let rSum = 0, gSum = 0, bSum = 0;
      for (let sv = 0; sv < k; sv++) {
        // The quad's corners are pixel centres of its boundary, so output pixel edges span [0, 1] exactly.
        const t = (v + (sv + 0.5) / k) / REC_HEIGHT;
        for (let su = 0; su < k; su++) {
          const s = (u + (su + 0.5) / k) / outW;
          const w = g * s + h * t + 1;
          let x = (a * s + b * t + c) / w;
          let y = (d * s + e * t + f) / w;
          // Replicate the border outside the image (as a crop at the edge of a photo should).
          x = x < 0 ? 0 : x > maxX ? maxX : x;
          y = y < 0 ? 0 : y > maxY ? maxY : y;
          const x0 = x | 0;
          const y0 = y | 0;
          const fx = x - x0;
          const fy = y - y0;
          const x1 = Math.min(x0 + 1, maxX);
          const y1 = Math.min(y0 + 1, maxY);
          const i00 = (y0 * W + x0) * C, i01 = (y0 * W + x1) * C, i10 = (y1 * W + x0) * C, i11 = (y1 * W + x1) * C;
          const w00 = (1 - fx) * (1 - fy), w01 = fx * (1 - fy), w10 = (1 - fx) * fy, w11 = fx * fy;
          rSum += px[i00] * w00 + px[i01] * w01 + px[i10] * w10 + px[i11] * w11;
          gSum += px[i00 + 1] * w00 + px[i01 + 1] * w01 + px[i10 + 1] * w10 + px[i11 + 1] * w11;
          bSum += px[i00 + 2] * w00 + px[i01 + 2] * w01 + px[i10 + 2] * w10 + px[i11 + 2] * w11;
        }
      }
      const o = v * tensorW + xOffset + u;
      out[o] = (bSum * inv) / 127.5 - 1;
      out[plane + o] = (gSum * inv) / 127.5 - 1;
      out[2 * plane + o] = (rSum * inv) / 127.5 - 1;
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Which way up: PP-OCR's text direction classifier (ch_ppocr_mobile_v2.0_cls, 0° or 180°)

/** The classifier's input: 48 px high, 192 wide (PaddleOCR cls_image_shape 3,48,192). */
const CLS_WIDTH = 192;

/**
 * Probability that each line, read along its quad, is upside down (the classifier's "180" class).
 *
 * PaddleOCR's preprocessing: the crop resized (bilinear, one sample a pixel, as cv2.resize) to 48 px high,
 * aspect kept, squeezed to at most 192 px wide, normalised as for recognition, zero-padded on the right.
 * All lines run in one batch (~1 ms a line on this box, against ~13 ms to read one).
 */
export async function classifyTurned(image: RasterImage, quads: Quad[], ctx: StageContext, classifier: InferenceSession): Promise<number[]> {
  if (quads.length === 0) return [];
  const started = performance.now();
  try {
    const per = 3 * REC_HEIGHT * CLS_WIDTH;
    const data = new Float32Array(per * quads.length);
    quads.forEach((quad, i) => {
      const g = lineGeometry(quad, 'never');
      const outW = Math.min(CLS_WIDTH, g.outW);
      // shrink 1: no supersampling — the classifier needs the strokes' shape, not their detail.
      const line = { ...g, outW, tensorW: CLS_WIDTH, shrink: 1 };
      fillLineTensor(image, line, data.subarray(i * per, (i + 1) * per), CLS_WIDTH);
    });
    const out = await classifier.run({ data, dims: [quads.length, 3, REC_HEIGHT, CLS_WIDTH] });
    return quads.map((_, i) => out.data[i * 2 + 1]);
  } finally {
    ctx.timings.orient = (ctx.timings.orient ?? 0) + (performance.now() - started);
  }
}

// ---------------------------------------------------------------------------------------------------------

/**
 * Loads detection, recognition and the direction classifier once and bundles them as the card pipeline's OcrModels.
 *
 * Each session is run once at the largest input it will see before any request: onnxruntime's memory arena
 * grows on the first run at a larger shape than it has seen (3× a warm run, measured), and once it has grown
 * every smaller shape runs warm from its first request. Without this, photos of each new aspect ratio paid
 * that price in their first requests.
 *
 * @param opts.intraOpNumThreads threads per inference, detection's and recognition's. Default 1: one per pool worker
 * @param opts.recognitionThreads recognition's threads, when they should differ from intraOpNumThreads
 * @param opts.detectWarmUpSide long side of the 4:3 detection warm-up input, in pixels (default 960, the
 *   largest `maxSide` the pipeline uses)
 * @example
 *   const models = await createOcrModels({ intraOpNumThreads: 2 });
 *   const boxes = await models.detect(image, ctx, { maxSide: 640 });
 *   const lines = await models.recognize(image, boxes.map((b) => b.quad), ctx);
 */
export async function createOcrModels(opts: SessionOptions & { detectWarmUpSide?: number; recognitionThreads?: number } = {}): Promise<OcrModels & { release(): Promise<void> }> {
  const assets = resolveModelAssets();
  // OpenCV (edges.ts, ≈ 2 s to compile its wasm) is loaded here with the models, so no request pays for it;
  // without it locate keeps the text-first quad.
  const [detection, recognizer, classifier] = await Promise.all([
    loadOnnxSession(assets.detection, opts),
    loadLineRecognizer({ ...opts, intraOpNumThreads: opts.recognitionThreads ?? opts.intraOpNumThreads }),
    loadOnnxSession(assets.classification, { ...opts, intraOpNumThreads: 1 }),
    loadOpenCv().catch(() => undefined),
  ]);
  // Validation's place-name index (150–450 ms to build) too, before any request rather than during the first.
  loadPlaceNames();
  // Arena blocks are sized in bytes, so a 4:3 input covers both orientations of every photo up to 4:3.
  const long = Math.ceil((opts.detectWarmUpSide ?? 960) / 32) * 32;
  const short = Math.ceil((long * 3) / 4 / 64) * 64;
  const warm = { data: new Float32Array(3 * long * short), dims: [1, 3, short, long] };
  await detection.run(warm);
  await classifier.run({ data: new Float32Array(3 * REC_HEIGHT * CLS_WIDTH), dims: [1, 3, REC_HEIGHT, CLS_WIDTH] });
  return {
    detect: (image, ctx, o) => detectText(image, ctx, { ...o, session: detection }),
    recognize: (image, quads, ctx, o) => recognizeLines(image, quads, ctx, { ...o, recognizer }),
    turned: (image, quads, ctx) => classifyTurned(image, quads, ctx, classifier),
    async release() {
      await Promise.all([detection.release(), recognizer.session.release(), classifier.release()]);
    },
  };
}

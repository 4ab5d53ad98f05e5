import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderTextLines } from './fixtures/renderTextLines.ts';
import { fuseAffineActivations, graphNodes } from './fuseGraph.ts';
import { loadOnnxSession, resolveModelAssets, type FloatTensor, type InferenceSession } from './inference.ts';
import { createOcrModels } from './recognize.ts';
import type { OcrModels, StageContext } from './types.ts';

const ctx = (): StageContext => ({ timings: {}, verbose: false, now: new Date() });

/** A deterministic input in the models' [-1, 1] range with image-like structure (smooth bands and edges). */
function structuredInput(dims: [number, number, number, number]): FloatTensor {
  const [, c, h, w] = dims;
  const data = new Float32Array(c * h * w);
  for (let k = 0; k < c; k++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) data[(k * h + y) * w + x] = Math.sin(x / (3 + k) + y / 5) * (((x >> 4) + (y >> 3)) % 2 === 0 ? 0.9 : -0.4);
  return { data, dims };
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('fuseAffineActivations on the shipped PP-OCRv4 models', () => {
  const assets = resolveModelAssets();
  const sessions: InferenceSession[] = [];
  afterAll(() => Promise.all(sessions.map((s) => s.release())));
  const load = async (path: string, fuse: boolean) => {
    const s = await loadOnnxSession(path, { fuse });
    sessions.push(s);
    return s;
  };

  it('rewrites every affine block and hard-swish of the recogniser, and it computes the same output', async () => {
    const [shipped, fused] = await Promise.all([load(assets.recognition, false), load(assets.recognition, true)]);
    expect(shipped.fused).toBeUndefined();
    expect(fused.fused).toEqual({ affineIntoConv: 28, hardSwish: 28, scaleThroughActivation: 28, biasIntoConv: 12 });
    const input = structuredInput([1, 3, 48, 480]);
    const [a, b] = await Promise.all([shipped.run(input), fused.run(input)]);
    expect(b.dims).toEqual(a.dims);
    // Per-frame class probabilities (softmax outputs).
    expect(maxAbsDiff(a.data, b.data)).toBeLessThan(1e-4);
  });

  it('rewrites the detector too, and its probability map is the same', async () => {
    const [shipped, fused] = await Promise.all([load(assets.detection, false), load(assets.detection, true)]);
    expect(fused.fused?.affineIntoConv).toBeGreaterThan(0);
    expect(fused.fused?.hardSwish).toBeGreaterThan(0);
    const input = structuredInput([1, 3, 256, 320]);
    const [a, b] = await Promise.all([shipped.run(input), fused.run(input)]);
    expect(maxAbsDiff(a.data, b.data)).toBeLessThan(1e-4);
  });

  it('leaves no four-operator hard-swish, and keeps a scalar Add only before a padded convolution', async () => {
    const shipped = new Uint8Array(await readFile(assets.recognition));
    const count = (nodes: ReturnType<typeof graphNodes>, op: string) => nodes.filter((n) => n.op === op).length;
    const before = graphNodes(shipped);
    const after = graphNodes(fuseAffineActivations(shipped).model);
    expect(count(before, 'Clip')).toBe(28);
    expect(count(after, 'Clip')).toBe(0);
    expect(count(after, 'HardSigmoid')).toBe(count(before, 'HardSigmoid') + 28);
    expect(count(after, 'Conv')).toBe(count(before, 'Conv'));
    // Post-activation scalar Adds feeding an unpadded (1×1) convolution were folded into its bias; a padded
    // one would see the bias in its zero padding, so its Add stays.
    const producers = new Map(after.flatMap((n) => n.outputs.map((o) => [o, n] as const)));
    const isScalar = (name: string) => producers.get(name)?.op === 'Constant';
    const feedsConv = after.filter((n) => n.op === 'Add' && n.inputs.some(isScalar)).flatMap((add) => after.filter((c) => c.op === 'Conv' && c.inputs[0] === add.outputs[0]));
    expect(feedsConv.length).toBeGreaterThan(0);
    for (const conv of feedsConv) expect(conv.ints.pads?.some((p) => p > 0)).toBe(true);
  });

  it('leaves a model it finds nothing to rewrite in byte for byte, and refuses bytes that are no protobuf', async () => {
    // The v2.0 classifier has hard-swishes but no affine blocks: only step 2 applies.
    const cls = new Uint8Array(await readFile(assets.classification));
    expect(fuseAffineActivations(cls).report).toEqual({ affineIntoConv: 0, hardSwish: 18, scaleThroughActivation: 0, biasIntoConv: 0 });
    const notOnnx = new TextEncoder().encode('{"not":"a model"}');
    expect(() => fuseAffineActivations(notOnnx)).toThrow(/ONNX model/);
    const empty = new Uint8Array(0);
    expect(fuseAffineActivations(empty).model).toBe(empty);
  });
});

describe('the fused models read a rendered card as the shipped ones do', () => {
  let shipped: OcrModels & { release(): Promise<void> };
  let fused: OcrModels & { release(): Promise<void> };
  beforeAll(async () => {
    [shipped, fused] = await Promise.all([createOcrModels({ intraOpNumThreads: 1, fuse: false }), createOcrModels({ intraOpNumThreads: 1 })]);
  });
  afterAll(() => Promise.all([shipped.release(), fused.release()]));

  it('finds the same boxes and reads the same characters with the same confidences', async () => {
    const image = renderTextLines(
      [
        { text: '姓名 欧阳娜娜', font: '34px NotoSansSC', x: 40, y: 60 },
        { text: '住址 北京市海淀区中关村大街27号', font: '28px NotoSansSC', x: 40, y: 130 },
        { text: '公民身份号码 44030419900307123X', font: '30px DejaVuSans', x: 40, y: 200 },
      ],
      720,
      260,
      3,
    );
    const read = async (m: OcrModels) => {
      const c = ctx();
      const boxes = await m.detect(image, c, { maxSide: 640 });
      return { boxes, lines: await m.recognize(image, boxes.map((b) => b.quad), c) };
    };
    const [a, b] = [await read(shipped), await read(fused)];
    expect(b.boxes).toHaveLength(3);
    expect(b.boxes.length).toBe(a.boxes.length);
    a.boxes.forEach((box, i) => box.quad.forEach((p, k) => expect(Math.hypot(p.x - b.boxes[i].quad[k].x, p.y - b.boxes[i].quad[k].y)).toBeLessThan(0.5)));
    expect(b.lines.map((l) => l.text)).toEqual(a.lines.map((l) => l.text));
    a.lines.forEach((l, i) => l.chars.forEach((ch, k) => expect(Math.abs(ch.candidates[0].prob - b.lines[i].chars[k].candidates[0].prob)).toBeLessThan(1e-3)));
  });
});

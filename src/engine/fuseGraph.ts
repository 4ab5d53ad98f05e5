/**
 * fuseGraph: an exact, load-time rewrite of the PP-OCRv4 models' activation blocks into fewer operators.
 *
 * The PP-LCNetV3 backbones of PP-OCRv4 det and rec (as exported by paddle2onnx) follow every convolution
 * with a "learnable affine block" (a scalar Mul and Add), a hard-swish written as four operators
 * (Add 3 → Clip 0..6 → Mul x → Div 6) and a second scalar affine block: eight element-wise passes over the
 * feature map per convolution, which onnxruntime does not fuse. Profiled on the 2-core box, a 480-px
 * recognition line spent 40 % of its kernel time in Conv and 42 % in those Mul/Add/Clip/Div nodes.
 *
 * The rewrite (each step exact up to float rounding; anything that does not match is left as it is):
 *  1. `Conv(W, B) → Mul s → Add b` becomes `Conv(sW, sB + b)`;
 *  2. `Add 3 → Clip 0..6 → Mul x → Div 6` becomes `x · HardSigmoid(x; α = 1/6, β = ½)`;
 *  3. `Conv → x · HardSigmoid(x) → Mul s` becomes `Conv(sW, sB) → z · HardSigmoid(z; α/s)` (z = s·x);
 *  4. `Add b → Conv` without padding becomes `Conv(W, B + b·ΣW)` (a padded Conv would see b in its
 *     padding, so it keeps the Add).
 * onnxruntime's own optimisations then run on the smaller graph as before.
 *
 * The model is read and written with a minimal protobuf codec (the ONNX schema's few fields used here);
 * unchanged nodes and every other field keep their original bytes.
 */

// ---------------------------------------------------------------------------------------------------------
// Protobuf wire format (https://protobuf.dev/programming-guides/encoding/)

interface Field {
  field: number;
  wire: number;
  /** The whole field: key, length and payload, as it was read. */
  raw: Uint8Array;
  /** Varint value (wire type 0). */
  value?: bigint;
  /** Payload of a length-delimited (2) or fixed-width (1, 5) field. */
  payload?: Uint8Array;
}

function readVarint(b: Uint8Array, p: number): [bigint, number] {
  let r = 0n;
  let shift = 0n;
  for (;;) {
    if (p >= b.length) throw new Error('Truncated varint in ONNX model.');
    const x = b[p++];
    r |= BigInt(x & 0x7f) << shift;
    if ((x & 0x80) === 0) return [r, p];
    shift += 7n;
  }
}

function readFields(b: Uint8Array): Field[] {
  const out: Field[] = [];
  let p = 0;
  while (p < b.length) {
    const start = p;
    const [key, afterKey] = readVarint(b, p);
    p = afterKey;
    const field = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (wire === 0) {
      const [value, next] = readVarint(b, p);
      p = next;
      out.push({ field, wire, raw: b.subarray(start, p), value });
    } else if (wire === 2) {
      const [len, next] = readVarint(b, p);
      p = next + Number(len);
      if (p > b.length) throw new Error('Truncated field in ONNX model.');
      out.push({ field, wire, raw: b.subarray(start, p), payload: b.subarray(next, p) });
    } else if (wire === 5 || wire === 1) {
      p += wire === 5 ? 4 : 8;
      if (p > b.length) throw new Error('Truncated field in ONNX model.');
      out.push({ field, wire, raw: b.subarray(start, p), payload: b.subarray(p - (wire === 5 ? 4 : 8), p) });
    } else {
      throw new Error(`Unsupported protobuf wire type ${wire} in ONNX model.`);
    }
  }
  return out;
}

function varint(n: number | bigint): number[] {
  let v = BigInt(n);
  if (v < 0n) v += 1n << 64n;
  const out: number[] = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    out.push(byte);
  } while (v > 0n);
  return out;
}

/**
 * A message under construction: its pieces in order, copied into one buffer only once the whole model is
 * written (each copy of a 10 MB model costs tens of milliseconds here).
 */
type Pieces = Uint8Array[];

const size = (pieces: Pieces): number => pieces.reduce((s, p) => s + p.length, 0);

function join(pieces: Pieces): Uint8Array {
  const out = new Uint8Array(size(pieces));
  let o = 0;
  for (const p of pieces) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();
const lengthDelimited = (field: number, payload: Pieces): Pieces => [Uint8Array.from([...varint((field << 3) | 2), ...varint(size(payload))]), ...payload];
const stringField = (field: number, s: string): Pieces => lengthDelimited(field, [utf8.encode(s)]);
const varintField = (field: number, n: number): Pieces => [Uint8Array.from([...varint(field << 3), ...varint(n)])];
function floatField(field: number, f: number): Pieces {
  const b = new Uint8Array(5);
  b[0] = (field << 3) | 5;
  new DataView(b.buffer).setFloat32(1, f, true);
  return [b];
}

// ---------------------------------------------------------------------------------------------------------
// The ONNX messages used (onnx.proto3): ModelProto.graph = 7; GraphProto.node = 1, initializer = 5,
// output = 12; NodeProto input 1, output 2, name 3, op_type 4, attribute 5, domain 7; AttributeProto name 1,
// f 2, i 3, s 4, t 5, ints 8, type 20; TensorProto dims 1, data_type 2, float_data 4, name 8, raw_data 9.

const FLOAT = 1;
const ATTR_FLOAT = 1;
const ATTR_TENSOR = 4;

interface Attribute {
  name: string;
  /** The whole field (key, length, payload). */
  raw: Pieces;
  f?: number;
  s?: string;
  ints?: number[];
  t?: Uint8Array;
}

interface Node {
  op: string;
  domain: string;
  name: string;
  inputs: string[];
  outputs: string[];
  attributes: Attribute[];
  /** Original bytes (the whole field) while the node is unchanged. */
  raw?: Pieces;
  /** A Constant's value, once read or written here. */
  value?: { dims: number[]; data: Float32Array };
}

function readAttribute(raw: Uint8Array, payload: Uint8Array): Attribute {
  const a: Attribute = { name: '', raw: [raw] };
  const ints: number[] = [];
  for (const f of readFields(payload)) {
    if (f.field === 1 && f.payload) a.name = fromUtf8.decode(f.payload);
    else if (f.field === 2 && f.payload) a.f = new DataView(f.payload.buffer, f.payload.byteOffset, 4).getFloat32(0, true);
    else if (f.field === 4 && f.payload) a.s = fromUtf8.decode(f.payload);
    else if (f.field === 5 && f.payload) a.t = f.payload;
    else if (f.field === 8) {
      if (f.value !== undefined) ints.push(Number(BigInt.asIntN(64, f.value)));
      else if (f.payload) {
        for (let p = 0; p < f.payload.length; ) {
          const [v, next] = readVarint(f.payload, p);
          ints.push(Number(BigInt.asIntN(64, v)));
          p = next;
        }
      }
    }
  }
  if (ints.length > 0) a.ints = ints;
  return a;
}

function readNode(raw: Uint8Array, payload: Uint8Array): Node {
  const n: Node = { op: '', domain: '', name: '', inputs: [], outputs: [], attributes: [], raw: [raw] };
  for (const f of readFields(payload)) {
    if (!f.payload) continue;
    if (f.field === 1) n.inputs.push(fromUtf8.decode(f.payload));
    else if (f.field === 2) n.outputs.push(fromUtf8.decode(f.payload));
    else if (f.field === 3) n.name = fromUtf8.decode(f.payload);
    else if (f.field === 4) n.op = fromUtf8.decode(f.payload);
    else if (f.field === 7) n.domain = fromUtf8.decode(f.payload);
    else if (f.field === 5) n.attributes.push(readAttribute(f.raw, f.payload));
  }
  return n;
}

function writeNode(n: Node): Pieces {
  if (n.raw) return n.raw;
  return lengthDelimited(1, [
    ...n.inputs.flatMap((s) => stringField(1, s)),
    ...n.outputs.flatMap((s) => stringField(2, s)),
    ...stringField(3, n.name),
    ...stringField(4, n.op),
    ...n.attributes.flatMap((a) => a.raw),
    ...(n.domain ? stringField(7, n.domain) : []),
  ]);
}

function floatAttribute(name: string, f: number): Attribute {
  return { name, raw: lengthDelimited(5, [...stringField(1, name), ...floatField(2, f), ...varintField(20, ATTR_FLOAT)]), f };
}

/** A float32 tensor's dims and values, or undefined for any other type. */
function readFloatTensor(payload: Uint8Array): { dims: number[]; data: Float32Array } | undefined {
  const dims: number[] = [];
  let type = 0;
  let data: Float32Array | undefined;
  for (const f of readFields(payload)) {
    if (f.field === 1) {
      if (f.value !== undefined) dims.push(Number(f.value));
      else if (f.payload) for (let p = 0; p < f.payload.length; ) {
        const [v, next] = readVarint(f.payload, p);
        dims.push(Number(v));
        p = next;
      }
    } else if (f.field === 2 && f.value !== undefined) type = Number(f.value);
    else if ((f.field === 9 || f.field === 4) && f.payload && f.wire === 2) {
      // raw_data and packed float_data are both little-endian float32s (copied: the payload may be unaligned).
      data = new Float32Array(f.payload.slice().buffer);
    } else if (f.field === 4 && f.payload && f.wire === 5) {
      data = Float32Array.of(new DataView(f.payload.buffer, f.payload.byteOffset, 4).getFloat32(0, true));
    }
  }
  if (type !== FLOAT) return undefined;
  data ??= new Float32Array(0);
  const count = dims.reduce((a, b) => a * b, 1);
  return data.length === count ? { dims, data } : undefined;
}

/** raw_data is little-endian, as the typed array is on the little-endian hosts fuseAffineActivations runs on. */
function writeFloatTensor(dims: number[], data: Float32Array): Pieces {
  return [...dims.flatMap((d) => varintField(1, d)), ...varintField(2, FLOAT), ...lengthDelimited(9, [new Uint8Array(data.buffer, data.byteOffset, data.byteLength)])];
}

function constantNode(output: string, dims: number[], data: Float32Array): Node {
  const t = writeFloatTensor(dims, data);
  const raw = lengthDelimited(5, [...stringField(1, 'value'), ...lengthDelimited(5, t), ...varintField(20, ATTR_TENSOR)]);
  return { op: 'Constant', domain: '', name: `${output}.fused`, inputs: [], outputs: [output], attributes: [{ name: 'value', raw }], value: { dims, data } };
}

/** A graph node as this codec reads it: for tests and for looking into a model. */
export interface NodeSummary {
  op: string;
  inputs: string[];
  outputs: string[];
  /** Integer-list attributes (a Conv's pads, kernel_shape) and float ones (HardSigmoid's alpha). */
  ints: Record<string, number[]>;
  floats: Record<string, number>;
}

/** The graph's nodes in order. */
export function graphNodes(model: Uint8Array): NodeSummary[] {
  const graph = readFields(model).find((f) => f.field === 7)?.payload;
  if (!graph) return [];
  return readFields(graph)
    .filter((f) => f.field === 1 && f.payload)
    .map((f) => {
      const n = readNode(f.raw, f.payload as Uint8Array);
      const ints: Record<string, number[]> = {};
      const floats: Record<string, number> = {};
      for (const a of n.attributes) {
        if (a.ints) ints[a.name] = a.ints;
        if (a.f !== undefined) floats[a.name] = a.f;
      }
      return { op: n.op, inputs: n.inputs, outputs: n.outputs, ints, floats };
    });
}

// ---------------------------------------------------------------------------------------------------------
// The rewrite

function scaled(data: Float32Array, s: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i] * s;
  return out;
}

/** How many blocks each step rewrote. */
export interface FuseReport {
  affineIntoConv: number;
  hardSwish: number;
  scaleThroughActivation: number;
  biasIntoConv: number;
}

/**
 * Rewrites the model's affine and hard-swish blocks (see the module comment).
 *
 * @param model the bytes of an ONNX model
 * @returns the rewritten model's bytes, and what was rewritten (all zeros: the input bytes unchanged)
 * @example
 *   const { model, report } = fuseAffineActivations(await readFile(assets.recognition));
 *   const session = await ort.InferenceSession.create(model);
 */
export function fuseAffineActivations(model: Uint8Array): { model: Uint8Array; report: FuseReport } {
  const report: FuseReport = { affineIntoConv: 0, hardSwish: 0, scaleThroughActivation: 0, biasIntoConv: 0 };
  const top = readFields(model);
  const graphField = top.find((f) => f.field === 7 && f.payload);
  if (!graphField?.payload) return { model, report };
  const graphFields = readFields(graphField.payload);

  // Nodes keep their place among the graph's fields (node order is topological).
  const slots: Array<{ field: Field } | { nodes: Node[] }> = graphFields.map((f) => (f.field === 1 && f.payload ? { nodes: [readNode(f.raw, f.payload)] } : { field: f }));
  const allNodes = () => slots.flatMap((s) => ('nodes' in s ? s.nodes : []));
  const graphOutputs = new Set<string>();
  const initializers = new Map<string, { dims: number[]; data: Float32Array }>();
  for (const f of graphFields) {
    if (f.field === 12 && f.payload) {
      const name = readFields(f.payload).find((x) => x.field === 1)?.payload;
      if (name) graphOutputs.add(fromUtf8.decode(name));
    } else if (f.field === 5 && f.payload) {
      const nameField = readFields(f.payload).find((x) => x.field === 8)?.payload;
      const t = readFloatTensor(f.payload);
      if (nameField && t) initializers.set(fromUtf8.decode(nameField), t);
    }
  }

  let producer = new Map<string, Node>();
  let consumers = new Map<string, Node[]>();
  const index = () => {
    producer = new Map();
    consumers = new Map();
    for (const n of allNodes()) {
      for (const o of n.outputs) producer.set(o, n);
      for (const i of n.inputs) {
        const list = consumers.get(i);
        if (list) list.push(n);
        else consumers.set(i, [n]);
      }
    }
  };
  const removed = new Set<Node>();
  const remove = (n: Node) => {
    removed.add(n);
    for (const s of slots) if ('nodes' in s) s.nodes = s.nodes.filter((m) => m !== n);
  };
  const replaceNode = (old: Node, next: Node) => {
    for (const s of slots) if ('nodes' in s) s.nodes = s.nodes.map((m) => (m === old ? next : m));
  };
  const setOutputs = (n: Node, outputs: string[]) => {
    n.outputs = outputs;
    n.raw = undefined;
  };
  const onlyConsumer = (name: string): Node | undefined => {
    const cs = consumers.get(name) ?? [];
    return cs.length === 1 && !graphOutputs.has(name) ? cs[0] : undefined;
  };
  /** A Constant node's float tensor, read once. */
  const constantValue = (p: Node): { dims: number[]; data: Float32Array } | undefined => {
    if (p.op !== 'Constant') return undefined;
    if (!p.value) {
      const t = p.attributes.find((a) => a.name === 'value')?.t;
      p.value = t ? readFloatTensor(t) : undefined;
    }
    return p.value;
  };
  /** A constant's value: a Constant node's tensor or an initializer. */
  const constant = (name: string): Float32Array | undefined => {
    const p = producer.get(name);
    return p ? constantValue(p)?.data : initializers.get(name)?.data;
  };
  const scalar = (name: string): number | undefined => {
    const v = constant(name);
    return v?.length === 1 ? v[0] : undefined;
  };
  /** The other input of a two-input node, when `from` is one of them and the other is a scalar constant. */
  const scalarOperand = (n: Node, from: string): number | undefined => {
    if (n.inputs.length !== 2) return undefined;
    const other = n.inputs[0] === from ? n.inputs[1] : n.inputs[1] === from ? n.inputs[0] : undefined;
    return other === undefined ? undefined : scalar(other);
  };
  /** A Conv's weight and bias as Constant nodes it alone uses, ready to be replaced. */
  const convParams = (conv: Node): { w: { node: Node; dims: number[]; data: Float32Array }; b?: { node: Node; data: Float32Array } } | undefined => {
    const own = (name: string | undefined) => {
      if (name === undefined) return undefined;
      const p = producer.get(name);
      const parsed = p && (consumers.get(name) ?? []).length === 1 ? constantValue(p) : undefined;
      return p && parsed ? { node: p, ...parsed } : undefined;
    };
    const w = own(conv.inputs[1]);
    if (!w || w.dims.length !== 4) return undefined;
    if (conv.inputs.length > 2 && conv.inputs[2] !== '') {
      const b = own(conv.inputs[2]);
      return b && b.data.length === w.dims[0] ? { w, b } : undefined;
    }
    return { w };
  };
  /** Replaces the Conv's weight and bias constants (adding a bias where it had none). */
  const setConvParams = (conv: Node, params: NonNullable<ReturnType<typeof convParams>>, w: Float32Array, b: Float32Array) => {
    const replaceConstant = (old: Node, dims: number[], data: Float32Array) => replaceNode(old, constantNode(old.outputs[0], dims, data));
    replaceConstant(params.w.node, params.w.dims, w);
    if (params.b) replaceConstant(params.b.node, [b.length], b);
    else {
      const name = `${conv.outputs[0]}.bias`;
      for (const s of slots) if ('nodes' in s && s.nodes.includes(conv)) s.nodes.splice(s.nodes.indexOf(conv), 0, constantNode(name, [b.length], b));
      conv.inputs = [conv.inputs[0], conv.inputs[1], name];
      conv.raw = undefined;
    }
  };
  const rename = (n: Node, from: string, to: string) => {
    n.inputs = n.inputs.map((i) => (i === from ? to : i));
    n.raw = undefined;
  };

  // 1. Conv → Mul s → Add b  ⇒  Conv(sW, sB + b)
  index();
  for (const conv of allNodes().filter((n) => n.op === 'Conv' && n.domain === '')) {
    const mul = onlyConsumer(conv.outputs[0]);
    const s = mul?.op === 'Mul' ? scalarOperand(mul, conv.outputs[0]) : undefined;
    const add = mul && s !== undefined ? onlyConsumer(mul.outputs[0]) : undefined;
    const b = add?.op === 'Add' && mul ? scalarOperand(add, mul.outputs[0]) : undefined;
    const params = convParams(conv);
    if (!mul || !add || s === undefined || b === undefined || !params) continue;
    const w = scaled(params.w.data, s);
    const bias = new Float32Array(params.w.dims[0]);
    for (let o = 0; o < bias.length; o++) bias[o] = (params.b ? params.b.data[o] : 0) * s + b;
    setConvParams(conv, params, w, bias);
    setOutputs(conv, [add.outputs[0]]);
    remove(mul);
    remove(add);
    report.affineIntoConv++;
    index();
  }

  // 2. Add 3 → Clip 0..6 → Mul x → Div 6  ⇒  x · HardSigmoid(x; 1/6, ½)
  for (const add of allNodes().filter((n) => n.op === 'Add' && n.domain === '')) {
    if (removed.has(add)) continue;
    const x = add.inputs.find((i) => scalar(i) === undefined);
    if (x === undefined || scalarOperand(add, x) !== 3) continue;
    const clip = onlyConsumer(add.outputs[0]);
    if (clip?.op !== 'Clip') continue;
    const lo = clip.attributes.find((a) => a.name === 'min')?.f ?? (clip.inputs[1] ? scalar(clip.inputs[1]) : undefined);
    const hi = clip.attributes.find((a) => a.name === 'max')?.f ?? (clip.inputs[2] ? scalar(clip.inputs[2]) : undefined);
    if (lo !== 0 || hi !== 6) continue;
    const mul = onlyConsumer(clip.outputs[0]);
    if (mul?.op !== 'Mul' || !mul.inputs.includes(x) || !mul.inputs.includes(clip.outputs[0])) continue;
    const div = onlyConsumer(mul.outputs[0]);
    if (div?.op !== 'Div' || div.inputs[0] !== mul.outputs[0] || scalar(div.inputs[1]) !== 6) continue;
    const hs: Node = { op: 'HardSigmoid', domain: '', name: `${clip.name}.hardsigmoid`, inputs: [x], outputs: [clip.outputs[0]], attributes: [floatAttribute('alpha', 1 / 6), floatAttribute('beta', 0.5)] };
    replaceNode(clip, hs);
    mul.inputs = [x, hs.outputs[0]];
    setOutputs(mul, [div.outputs[0]]);
    remove(add);
    remove(div);
    report.hardSwish++;
    index();
  }

  // 3. Conv → z·HardSigmoid(z) → Mul s  ⇒  Conv(sW, sB) → z'·HardSigmoid(z'; α/s)
  for (const hs of allNodes().filter((n) => n.op === 'HardSigmoid' && n.domain === '')) {
    const z = hs.inputs[0];
    const conv = producer.get(z);
    const zUsers = consumers.get(z) ?? [];
    if (conv?.op !== 'Conv' || conv.domain !== '' || zUsers.length !== 2 || graphOutputs.has(z)) continue;
    const mul = zUsers.find((n) => n !== hs);
    if (mul?.op !== 'Mul' || !mul.inputs.includes(hs.outputs[0]) || onlyConsumer(hs.outputs[0]) !== mul) continue;
    const scale = onlyConsumer(mul.outputs[0]);
    const s = scale?.op === 'Mul' ? scalarOperand(scale, mul.outputs[0]) : undefined;
    const alpha = hs.attributes.find((a) => a.name === 'alpha')?.f ?? 0.2;
    const beta = hs.attributes.find((a) => a.name === 'beta')?.f ?? 0.5;
    const params = convParams(conv);
    if (!scale || s === undefined || s === 0 || !Number.isFinite(s) || !params) continue;
    const w = scaled(params.w.data, s);
    const bias = params.b ? scaled(params.b.data, s) : new Float32Array(params.w.dims[0]);
    setConvParams(conv, params, w, bias);
    hs.attributes = [floatAttribute('alpha', alpha / s), floatAttribute('beta', beta)];
    hs.raw = undefined;
    setOutputs(mul, [scale.outputs[0]]);
    remove(scale);
    report.scaleThroughActivation++;
    index();
  }

  // 4. Add b → Conv (no padding)  ⇒  Conv(W, B + b·ΣW)
  for (const add of allNodes().filter((n) => n.op === 'Add' && n.domain === '')) {
    if (removed.has(add)) continue;
    const x = add.inputs.find((i) => scalar(i) === undefined);
    const b = x === undefined ? undefined : scalarOperand(add, x);
    const conv = onlyConsumer(add.outputs[0]);
    if (x === undefined || b === undefined || conv?.op !== 'Conv' || conv.domain !== '' || conv.inputs[0] !== add.outputs[0]) continue;
    const pads = conv.attributes.find((a) => a.name === 'pads')?.ints ?? [];
    const autoPad = conv.attributes.find((a) => a.name === 'auto_pad')?.s ?? 'NOTSET';
    const params = convParams(conv);
    if (pads.some((p) => p !== 0) || (autoPad !== 'NOTSET' && autoPad !== 'VALID') || !params) continue;
    const [outC, inPerGroup, kh, kw] = params.w.dims;
    const per = inPerGroup * kh * kw;
    const bias = new Float32Array(outC);
    for (let o = 0; o < outC; o++) {
      let sum = 0;
      for (let k = 0; k < per; k++) sum += params.w.data[o * per + k];
      bias[o] = (params.b ? params.b.data[o] : 0) + b * sum;
    }
    setConvParams(conv, params, params.w.data, bias);
    rename(conv, add.outputs[0], x);
    remove(add);
    report.biasIntoConv++;
    index();
  }

  if (Object.values(report).every((v) => v === 0)) return { model, report };
  const graph = slots.flatMap((s) => ('nodes' in s ? s.nodes.flatMap(writeNode) : [s.field.raw]));
  return { model: join(top.flatMap((f) => (f === graphField ? lengthDelimited(7, graph) : [f.raw]))), report };
}

/**
 * Radix-2 FFT (Cooley–Tukey, iterative, in place) and a 2-D power spectrum for square power-of-two
 * patches. The re-shoot detector looks for the sharp periodic peaks a screen's pixel grid leaves.
 * Twiddles and the bit-reversal permutation are tabulated per size, since every call uses the same n.
 */

interface FftPlan {
  n: number;
  rev: Uint32Array;
  cos: Float64Array;
  sin: Float64Array;
}
const plans = new Map<number, FftPlan>();

function planFor(n: number): FftPlan {
  const hit = plans.get(n);
  if (hit) return hit;
  if (n < 2 || n & (n - 1)) throw new RangeError(`Expected a power-of-two length but received ${n}`);
  const bits = Math.log2(n);
  const rev = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    let r = 0;
    for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
    rev[i] = r;
  }
  const cos = new Float64Array(n / 2);
  const sin = new Float64Array(n / 2);
  for (let k = 0; k < n / 2; k++) {
    cos[k] = Math.cos((-2 * Math.PI * k) / n);
    sin[k] = Math.sin((-2 * Math.PI * k) / n);
  }
  const plan = { n, rev, cos, sin };
  plans.set(n, plan);
  return plan;
}

/** In-place complex FFT of `n` values starting at `off` with `stride` (so rows and columns share it). */
export function fft1d(re: Float64Array, im: Float64Array, n = re.length, off = 0, stride = 1): void {
  const { rev, cos, sin } = planFor(n);
  for (let i = 0; i < n; i++) {
    const j = rev[i];
    if (i < j) {
      const a = off + i * stride;
      const b = off + j * stride;
      const tr = re[a];
      re[a] = re[b];
      re[b] = tr;
      const ti = im[a];
      im[a] = im[b];
      im[b] = ti;
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const half = len >> 1;
    const step = n / len;
    for (let i = 0; i < n; i += len) {
      for (let k = 0; k < half; k++) {
        const wr = cos[k * step];
        const wi = sin[k * step];
        const a = off + (i + k) * stride;
        const b = a + half * stride;
        const tr = re[b] * wr - im[b] * wi;
        const ti = re[b] * wi + im[b] * wr;
        re[b] = re[a] - tr;
        im[b] = im[a] - ti;
        re[a] += tr;
        im[a] += ti;
      }
    }
  }
}

/**
 * Power spectra |F|² of two n×n real patches at once (row-major), each after mean removal and a separable
 * Hann window (so the patch's own borders do not spray energy along the axes). The two are packed as the
 * real and imaginary parts of one complex FFT and separated by conjugate symmetry — half the work of two
 * transforms. Output index (v, u) with DC at (0, 0).
 */
/**
 * Working planes per size, reused across calls: a fresh 512 KiB typed array costs more to allocate (zeroed
 * pages, external-memory GC pressure) than a 256² transform's arithmetic. They never leave this module.
 */
const scratch = new Map<number, { re: Float64Array; im: Float64Array }>();

function scratchFor(n: number): { re: Float64Array; im: Float64Array } {
  let s = scratch.get(n);
  if (!s) scratch.set(n, (s = { re: new Float64Array(n * n), im: new Float64Array(n * n) }));
  return s;
}

/** `into`: where to write the two spectra (n² each, overwritten), e.g. a caller's reusable buffers. */
export function powerSpectra2d(a: Float64Array, b: Float64Array, n: number, into?: [Float64Array, Float64Array]): [Float64Array, Float64Array] {
  const hann = new Float64Array(n);
  for (let i = 0; i < n; i++) hann[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (n - 1));
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n * n; i++) {
    ma += a[i];
    mb += b[i];
  }
  ma /= n * n;
  mb /= n * n;
  // Every element is written below before it is read, so reused planes need no clearing.
  const { re, im } = scratchFor(n);
  for (let y = 0; y < n; y++) {
    const hy = hann[y];
    for (let x = 0; x < n; x++) {
      const w = hann[x] * hy;
      re[y * n + x] = (a[y * n + x] - ma) * w;
      im[y * n + x] = (b[y * n + x] - mb) * w;
    }
  }
  for (let y = 0; y < n; y++) fft1d(re, im, n, y * n, 1);
  // Columns through a contiguous scratch line: the same arithmetic as transforming in place with stride n,
  // without a cache miss per butterfly operand (a 256² patch's column spans 512 KiB).
  const colRe = new Float64Array(n);
  const colIm = new Float64Array(n);
  for (let x = 0; x < n; x++) {
    for (let y = 0, i = x; y < n; y++, i += n) {
      colRe[y] = re[i];
      colIm[y] = im[i];
    }
    fft1d(colRe, colIm, n);
    for (let y = 0, i = x; y < n; y++, i += n) {
      re[i] = colRe[y];
      im[i] = colIm[y];
    }
  }
  const [pa, pb] = into ?? [new Float64Array(n * n), new Float64Array(n * n)];
  for (let v = 0; v < n; v++) {
    const vm = v === 0 ? 0 : n - v;
    for (let u = 0; u < n; u++) {
      const i = v * n + u;
      // The mirror bin (−v, −u) mod n.
      const j = vm * n + (u === 0 ? 0 : n - u);
      // A(k) = (Z(k) + conj Z(−k)) / 2, B(k) = (Z(k) − conj Z(−k)) / 2i.
      const ar = (re[i] + re[j]) / 2;
      const ai = (im[i] - im[j]) / 2;
      const br = (im[i] + im[j]) / 2;
      const bi = -(re[i] - re[j]) / 2;
      pa[i] = ar * ar + ai * ai;
      pb[i] = br * br + bi * bi;
    }
  }
  return [pa, pb];
}

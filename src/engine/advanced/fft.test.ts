import { describe, expect, it } from 'vitest';
import { powerSpectra2d } from './fft.ts';

function argmax(p: Float64Array): number {
  let best = 0;
  for (let i = 1; i < p.length; i++) if (p[i] > p[best]) best = i;
  return best;
}

describe('powerSpectra2d', () => {
  it('separates two real patches packed into one transform', () => {
    const n = 64;
    const a = new Float64Array(n * n);
    const b = new Float64Array(n * n);
    for (let y = 0; y < n; y++) {
      for (let x = 0; x < n; x++) {
        a[y * n + x] = Math.cos((2 * Math.PI * (10 * x + 3 * y)) / n);
        b[y * n + x] = Math.cos((2 * Math.PI * (2 * x + 20 * y)) / n);
      }
    }
    const [pa, pb] = powerSpectra2d(a, b, n);
    const ia = argmax(pa);
    const ib = argmax(pb);
    // Peak at (u, v) or its mirror (−u, −v).
    expect(['10,3', '54,61']).toContain(`${ia % n},${Math.floor(ia / n)}`);
    expect(['2,20', '62,44']).toContain(`${ib % n},${Math.floor(ib / n)}`);
    // No leakage of one patch's tone into the other's spectrum.
    expect(pb[3 * n + 10]).toBeLessThan(pa[3 * n + 10] * 1e-6);
  });
});

import { describe, expect, it } from 'vitest';
import { peakiness } from './reshoot.ts';

/** The definition, bin by bin: the strongest ratio of a bin to the second largest of its ring neighbours. */
function peakinessByDefinition(P: Float64Array, n: number): { ratio: number; freq: number } {
  const at = (v: number, u: number) => P[(((v % n) + n) % n) * n + (((u % n) + n) % n)];
  let best = 0;
  let freq = 0;
  for (let v = 0; v <= n / 2; v++) {
    for (let u = -n / 2 + 1; u <= n / 2; u++) {
      const r = Math.hypot(u, v);
      if (r < 0.08 * n || r > n / 2 || at(v, u) <= 0) continue;
      const ring = [at(v - 3, u), at(v + 3, u), at(v, u - 3), at(v, u + 3), at(v - 3, u - 3), at(v - 3, u + 3), at(v + 3, u - 3), at(v + 3, u + 3)].sort((a, b) => b - a);
      const ratio = Math.log10(at(v, u) / (ring[1] + 1e-9));
      if (ratio > best) {
        best = ratio;
        freq = r / n;
      }
    }
  }
  return { ratio: best, freq };
}

describe('peakiness', () => {
  it('finds the same peak as the definition, wrapping round the spectrum’s edges', () => {
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    for (const n of [64, 128]) {
      for (let trial = 0; trial < 4; trial++) {
        const P = Float64Array.from({ length: n * n }, () => rand() * 100);
        // A tall bin near an edge of the half plane, whose ring wraps (v < 3, u near ±n/2).
        P[1 * n + (n / 2 - 1)] = 5e4 * (trial + 1);
        if (trial % 2) P[(n / 4) * n + n / 8] = 1e6;
        expect(peakiness(P, n)).toEqual(peakinessByDefinition(P, n));
      }
    }
  });
});

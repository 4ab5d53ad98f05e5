/** Small, dependency-free statistics for the benchmarks (latencies are noisy on a shared 2-core box). */

export interface Summary {
  n: number;
  mean: number;
  p50: number;
  p95: number;
  min: number;
  max: number;
}

/**
 * Nearest-rank percentile (q in 0..1) of unsorted samples: the smallest sample with at least q of the samples at
 * or below it. Nearest-rank never invents a value that was not measured, which matters for small runs.
 * NaN for no samples, so an empty run can never be mistaken for a fast one.
 */
export function percentile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1];
}

export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) return { n: 0, mean: Number.NaN, p50: Number.NaN, p95: Number.NaN, min: Number.NaN, max: Number.NaN };
  return {
    n: samples.length,
    mean: samples.reduce((s, x) => s + x, 0) / samples.length,
    p50: percentile(samples, 0.5),
    p95: percentile(samples, 0.95),
    min: Math.min(...samples),
    max: Math.max(...samples),
  };
}

/** Ratio for printing; NaN when either side was not measured (or the denominator is zero). */
export function ratio(a: number, b: number): number {
  return Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? a / b : Number.NaN;
}

/** JSON has no NaN; reports store `null` for "not measured". */
export function finiteOrNull(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

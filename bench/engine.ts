/**
 * How the benchmarks reach the engine. The engine module is imported at run time, not at compile time, so a
 * benchmark still runs — and says plainly that nothing could be recognised — while recognition is missing or
 * broken, instead of refusing to start. Nothing here ever stands in for a real result.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { isServiceError } from '../src/errors/catalogue.ts';
import type { IdCardRecognizer, RecognizeRequest, RecognitionResult } from '../src/engine/types.ts';

/** `in-process`: one recognizer on this thread (latency without pool overhead); `pool`: the worker pool the server uses. */
export type EngineEntry = 'in-process' | 'pool';

export interface LoadedEngine {
  entry: EngineEntry;
  recognizer: IdCardRecognizer | null;
  loadMs: number | null;
  loadError?: string;
}

type Factory = (opts?: Record<string, unknown>) => IdCardRecognizer | Promise<IdCardRecognizer>;

const ENGINE_MODULE = new URL('../src/engine/index.ts', import.meta.url).href;

export function describeError(e: unknown): string {
  if (!(e instanceof Error)) return String(e).slice(0, 300);
  // fetch wraps the socket error ("fetch failed"); the cause is the part worth reading.
  const cause = e.cause instanceof Error ? ` (${(e.cause as Error & { code?: string }).code ?? e.cause.name}: ${e.cause.message})` : '';
  return `${e.name}: ${e.message}${cause}`.slice(0, 300);
}

/** Create a recognizer through the engine's public entry point and time it (models load here). */
export async function loadEngine(entry: EngineEntry, opts?: Record<string, unknown>): Promise<LoadedEngine> {
  const t0 = performance.now();
  try {
    const mod = (await import(ENGINE_MODULE)) as Record<string, unknown>;
    const name = entry === 'pool' ? 'createRecognizer' : 'createInProcessRecognizer';
    const factory = mod[name];
    if (typeof factory !== 'function') {
      return { entry, recognizer: null, loadMs: null, loadError: `src/engine/index.ts has no ${name}() export` };
    }
    const recognizer = await (factory as Factory)(opts);
    return { entry, recognizer, loadMs: performance.now() - t0 };
  } catch (e) {
    return { entry, recognizer: null, loadMs: null, loadError: describeError(e) };
  }
}

export interface Attempt {
  ms: number;
  result?: RecognitionResult;
  /** Catalogued ServiceError code, or `Crash` for anything else (including "no engine"). */
  error?: string;
  crash?: string;
}

/** One timed recognize() call; a ServiceError is the engine's answer (its code), anything else a crash. */
export async function attempt(recognizer: IdCardRecognizer | null, req: RecognizeRequest): Promise<Attempt> {
  if (!recognizer) return { ms: Number.NaN, error: 'Crash', crash: 'no engine loaded' };
  const t0 = performance.now();
  try {
    const result = await recognizer.recognize(req);
    return { ms: performance.now() - t0, result };
  } catch (e) {
    const ms = performance.now() - t0;
    if (isServiceError(e)) return { ms, error: e.code };
    return { ms, error: 'Crash', crash: describeError(e) };
  }
}

export function gitState(): { commit: string | null; dirty: boolean | null } {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const status = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return { commit, dirty: status.trim().length > 0 };
  } catch {
    return { commit: null, dirty: null };
  }
}

export function machine(): { cpus: string; cores: number; node: string; platform: string } {
  const cpus = os.cpus();
  return { cpus: cpus[0]?.model?.trim() ?? 'unknown', cores: cpus.length, node: process.version, platform: `${os.platform()} ${os.release()}` };
}

/** Peak resident set size of this process so far (kernel high-water mark, includes worker threads), in MB. */
export function peakRssMb(): number | null {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

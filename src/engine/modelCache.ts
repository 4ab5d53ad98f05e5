/**
 * modelCache: the fused models (fuseGraph.ts) as files, made once per machine and reused by every process.
 *
 * Fusing in the process that serves costs ≈ 40 MB of resident memory per worker for good (the rewrite's
 * transient buffers, freed but kept by glibc's allocator): measured, one process holding both sessions at
 * 131 MB loaded from a fused file against 172 MB fused in-process (140 MB for the shipped models). So the
 * rewrite runs in a short-lived child process that writes `<cache>/<model>-<sha256>-r<revision>.onnx` (the
 * shipped file's content hash, so reinstalls and side-by-side installs of the same model share one file
 * instead of adding one each; and its FuseReport beside it), and onnxruntime loads that file. The cache is
 * `$XDG_CACHE_HOME/idcard-ocr/models` (default `~/.cache/idcard-ocr/models`); a file is only ever written
 * under a temporary name and renamed, so processes starting at once cannot read half a model.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { FuseReport } from './fuseGraph.ts';

/** Bumped whenever fuseGraph's rewrite changes, so files of an older rewrite are not used. */
export const FUSE_REVISION = 1;

const CHILD_ENTRY = fileURLToPath(new URL('./fuseModelFile.mjs', import.meta.url));
/** Fusing both models takes ≈ 1–2 s (Node start-up included); this is a generous bound on a busy machine. */
const CHILD_TIMEOUT_MS = 60_000;

export function defaultModelCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'idcard-ocr', 'models');
}

/** Concurrent requests for the same file in this process share one child. */
const pending = new Map<string, Promise<FusedModelFile>>();

export interface FusedModelFile {
  path: string;
  report: FuseReport;
}

/**
 * The fused model file for a shipped model: from the cache, or made now in a child process.
 *
 * @param shippedPath the model as installed
 * @param cacheDir where fused files live (default defaultModelCacheDir())
 * @throws when the cache cannot be written or the child fails (the caller then loads another way)
 * @example
 *   const { path, report } = await fusedModelFile(resolveModelAssets().recognition);
 */
export async function fusedModelFile(shippedPath: string, cacheDir = defaultModelCacheDir()): Promise<FusedModelFile> {
  const name = `${path.basename(shippedPath, '.onnx')}-${await contentHash(shippedPath)}-r${FUSE_REVISION}`;
  const modelFile = path.join(cacheDir, `${name}.onnx`);
  const reportFile = path.join(cacheDir, `${name}.json`);
  const cached = await readCached(modelFile, reportFile);
  if (cached) return cached;
  let job = pending.get(modelFile);
  if (!job) {
    job = (async () => {
      await mkdir(cacheDir, { recursive: true, mode: 0o700 });
      await promisify(execFile)(process.execPath, [CHILD_ENTRY, shippedPath, modelFile, reportFile], { timeout: CHILD_TIMEOUT_MS });
      const made = await readCached(modelFile, reportFile);
      if (!made) throw new Error(`The fused model ${modelFile} was not written.`);
      return made;
    })().finally(() => pending.delete(modelFile));
    pending.set(modelFile, job);
  }
  return job;
}

/** The first 16 hex digits of the file's SHA-256, streamed (no copy of the model held in memory). */
async function contentHash(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex').slice(0, 16);
}

async function readCached(modelFile: string, reportFile: string): Promise<FusedModelFile | undefined> {
  try {
    // The report is renamed into place before the model, so a model file implies its report.
    await stat(modelFile);
    const report = JSON.parse(await readFile(reportFile, 'utf8')) as FuseReport;
    return { path: modelFile, report };
  } catch {
    return undefined;
  }
}

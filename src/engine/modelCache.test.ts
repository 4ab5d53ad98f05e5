import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOnnxSession, resolveModelAssets } from './inference.ts';
import { FUSE_REVISION, fusedModelFile } from './modelCache.ts';

describe('fused model files (made once, in a child process, and reused)', () => {
  const assets = resolveModelAssets();
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'idcard-models-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('writes the fused detector and its report once; later calls read the same file', async () => {
    const cache = path.join(dir, 'cache');
    // Two calls at once share one child process.
    const [a, b] = await Promise.all([fusedModelFile(assets.detection, cache), fusedModelFile(assets.detection, cache)]);
    expect(b).toEqual(a);
    expect(path.dirname(a.path)).toBe(cache);
    expect(a.path).toMatch(new RegExp(`ch_PP-OCRv4_det_infer-[0-9a-f]{16}-r${FUSE_REVISION}\\.onnx$`));
    expect(a.report.affineIntoConv).toBeGreaterThan(0);
    // Nothing half-written is left behind: the model, its report, no temporary files.
    expect((await readdir(cache)).sort()).toEqual([path.basename(a.path, '.onnx') + '.json', path.basename(a.path)].sort());
    const made = (await stat(a.path)).mtimeMs;
    const again = await fusedModelFile(assets.detection, cache);
    expect(again).toEqual(a);
    expect((await stat(again.path)).mtimeMs).toBe(made);
  });

  it('loads a fused session from the cache, and still a fused one (made in-process) where no cache can be written', async () => {
    const cached = await loadOnnxSession(assets.detection, { modelCacheDir: path.join(dir, 'cache') });
    expect(cached.fused?.hardSwish).toBeGreaterThan(0);
    await cached.release();
    // A cache directory below a regular file cannot be made.
    const blocker = path.join(dir, 'not-a-directory');
    await writeFile(blocker, 'x');
    await expect(fusedModelFile(assets.detection, path.join(blocker, 'cache'))).rejects.toThrow();
    const inProcess = await loadOnnxSession(assets.detection, { modelCacheDir: path.join(blocker, 'cache') });
    expect(inProcess.fused).toEqual(cached.fused);
    await inProcess.release();
  });

  it('does not fail on a cached file damaged on disk: the rewrite is made in-process instead', async () => {
    const cache = path.join(dir, 'damaged');
    const file = await fusedModelFile(assets.detection, cache);
    await writeFile(file.path, 'not a model');
    const session = await loadOnnxSession(assets.detection, { modelCacheDir: cache });
    expect(session.fused).toEqual(file.report);
    const out = await session.run({ data: new Float32Array(3 * 64 * 64), dims: [1, 3, 64, 64] });
    expect(out.dims).toEqual([1, 1, 64, 64]);
    await session.release();
  });
});

import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInProcessRecognizer, type InProcessRecognizer } from '../engine/index.ts';
import { main, USAGE } from './main.ts';

const run = promisify(execFile);
const BIN = path.resolve(import.meta.dirname, '../../bin/idcard-ocr.mjs');
// Real specimen cards: test material read in place (../shared/samples/real/MANIFEST.md), never copied.
const SAMPLES = path.resolve(import.meta.dirname, '../../../shared/samples/real');
const FRONT = path.join(SAMPLES, 'idcard-ocr__idcard-test-front.jpg');

function capture() {
  const out = { stdout: '', stderr: '' };
  return { out, io: { stdout: (t: string) => void (out.stdout += t), stderr: (t: string) => void (out.stderr += t) } };
}

describe('idcard-ocr CLI (bin/idcard-ocr.mjs)', () => {
  it('reads a real card front to JSON through the installed command', async () => {
    const { stdout } = await run(process.execPath, [BIN, 'recognize', FRONT, '--threads', '1'], { timeout: 110_000 });
    const json = JSON.parse(stdout);
    expect(json).toMatchObject({ File: FRONT, Side: 'FRONT', IdInfo: { Name: '李四', IdNum: '120101199209156389', Birth: '1992/9/15' } });
    expect(json).not.toHaveProperty('Timings');
  });

  it('prints usage and exits 2 on a bad command line, without loading models', async () => {
    const err = await run(process.execPath, [BIN, 'recognise', 'x.png']).catch((e: { code: number; stderr: string }) => e);
    expect(err).toMatchObject({ code: 2 });
    expect((err as { stderr: string }).stderr).toContain("Unknown command 'recognise'");
  });
});

describe('main (in-process)', () => {
  let engine: InProcessRecognizer;
  let dir: string;
  beforeAll(async () => {
    engine = await createInProcessRecognizer({ threads: 1 });
    dir = await mkdtemp(path.join(tmpdir(), 'idcard-cli-'));
  });
  afterAll(async () => {
    await engine.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers the API XML body with --xml', async () => {
    const { out, io } = capture();
    expect(await main(['recognize', FRONT, '--xml', '--side', 'FRONT'], io, engine)).toBe(0);
    expect(out.stdout).toMatch(/^<\?xml[^>]*>\s*<Response>\s*<IdInfo>/);
    expect(out.stdout).toContain('<IdNum>120101199209156389</IdNum>');
  });

  it('adds stage timings with --verbose, on stdout (JSON) and stderr', async () => {
    const { out, io } = capture();
    expect(await main(['recognize', FRONT, '--verbose'], io, engine)).toBe(0);
    const json = JSON.parse(out.stdout);
    for (const stage of ['decode', 'detect', 'recognize', 'total']) expect(json.Timings[stage]).toBeGreaterThan(0);
    expect(out.stderr).toMatch(/decode \d+ ms .* total \d+ ms/);
  });

  it('answers the API error code per file and exits 1 when any file fails', async () => {
    const garbage = path.join(dir, 'not-an-image.png');
    await writeFile(garbage, 'plain text, not a PNG');
    const { out, io } = capture();
    expect(await main(['recognize', garbage, path.join(dir, 'missing.jpg')], io, engine)).toBe(1);
    expect(JSON.parse(out.stdout)).toEqual([
      { File: garbage, Error: { Code: 'FailedOperation.ImageDecodeFailed', Message: expect.any(String) } },
      { File: path.join(dir, 'missing.jpg'), Error: { Code: 'FailedOperation.DownLoadError', Message: expect.stringContaining('ENOENT') } },
    ]);
  });

  it('renders a failed file as the COS error XML with --xml', async () => {
    const garbage = path.join(dir, 'bad.bmp');
    await writeFile(garbage, 'BM but not really a bitmap at all, just text');
    const { out, io } = capture();
    expect(await main(['recognize', garbage, '--xml'], io, engine)).toBe(1);
    expect(out.stdout).toContain('<Code>FailedOperation.ImageDecodeFailed</Code>');
  });

  it.each([
    [['recognize'], 'No image file given'],
    [['recognize', 'a.png', '--side', 'LEFT'], 'CardSide must be FRONT or BACK'],
    [['recognize', 'a.png', '--config', '{"Crop":true}'], 'Config key "Crop"'],
    [['recognize', 'a.png', '--threads', '0'], '--threads'],
    [['recognize', 'a.png', '--bogus'], "Unknown option '--bogus'"],
  ])('refuses %j with exit 2', async (argv, message) => {
    const { out, io } = capture();
    expect(await main(argv, io, engine)).toBe(2);
    expect(out.stderr).toContain(message);
    expect(out.stderr).toContain(USAGE);
  });
});

/** `npm start` as a process: refuses bad configuration by name; serves and shuts down on SIGTERM. */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url).pathname;

function start(env: Record<string, string>) {
  // Only what main reads, so the test does not depend on the caller's environment.
  // `node --import tsx` rather than the tsx CLI: the CLI relays signals to its child and SIGKILLs it if the
  // child does not acknowledge within 30 ms, which a loaded machine misses; we test main's own shutdown.
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: root, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => out };
}

describe('main', () => {
  it('refuses to start on a bad setting, naming it, before touching the data dir', async () => {
    const dir = join(tmpdir(), `idcard-main-${process.pid}-never-created`);
    const p = start({ PORT: 'eighty', IDCARD_DATA_DIR: dir });
    expect(await p.exited).toBe(2);
    expect(p.output()).toMatch(/refusing to start: .*PORT.*"eighty"/);
    expect(existsSync(dir)).toBe(false);
  });

  it.skipIf(!existsSync(join(root, 'src/engine/index.ts')))('starts, prints generated credentials once, serves, and exits cleanly on SIGTERM', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'idcard-main-'));
    try {
      const p = start({ PORT: '0', IDCARD_DATA_DIR: dir, IDCARD_WORKERS: '1' });
      const port = await new Promise<number>((resolve, reject) => {
        const timer = setInterval(() => {
          const m = /listening at http:\/\/127\.0\.0\.1:(\d+)/.exec(p.output());
          if (m) {
            clearInterval(timer);
            resolve(Number(m[1]));
          }
        }, 100);
        void p.exited.then((code) => reject(new Error(`exited ${code}: ${p.output()}`)));
      });
      const creds = JSON.parse(await readFile(join(dir, 'credentials.json'), 'utf8')) as { credentials: Array<{ secretId: string }> };
      expect(p.output()).toContain(creds.credentials[0].secretId);
      expect((await stat(join(dir, 'credentials.json'))).mode & 0o777).toBe(0o600);
      const r = await fetch(`http://127.0.0.1:${port}/`);
      expect(r.status).toBe(403);
      expect(r.headers.get('x-cos-request-id')).toBeTruthy();
      p.child.kill('SIGTERM');
      expect(await p.exited).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

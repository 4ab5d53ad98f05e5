/**
 * `npm run synth -- --out DIR --count N --seed S [--cases a,b,…] [--now yyyy-mm-dd]`
 * Writes the images and DIR/labels.json (src/synth/labels.ts).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { DEFAULT_NOW, generateSet, parseNow, type GeneratedImage } from './generate.ts';
import { SYNTH_CASES, type SynthCase, type SynthLabel, type SynthLabels } from './labels.ts';

const USAGE = `usage: npm run synth -- --out DIR --count N --seed S [--cases ${SYNTH_CASES.join(',')}] [--now ${DEFAULT_NOW}] [--jobs N]`;

/** Runs the indices on `jobs` worker threads; yields images in completion order. */
async function* inWorkers(seed: number, count: number, cases: readonly SynthCase[], now: string, jobs: number): AsyncIterable<GeneratedImage> {
  const queue: GeneratedImage[] = [];
  let wake: (() => void) | undefined;
  let running = jobs;
  let failure: unknown;
  const nowParsed = parseNow(now);
  for (let w = 0; w < jobs; w++) {
    const indices = Array.from({ length: count }, (_, i) => i).filter((i) => i % jobs === w);
    // Workers do not inherit tsx's in-process loader: a two-line bootstrap registers it, then loads the worker.
    const bootstrap = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => { m.register(); return import(${JSON.stringify(new URL('./worker.ts', import.meta.url).href)}); })`;
    const worker = new Worker(bootstrap, { eval: true, workerData: { seed, cases: [...cases], now: nowParsed, indices } });
    worker.on('message', (m: { file: string; bytes: Uint8Array; label: GeneratedImage['label'] }) => {
      queue.push({ file: m.file, bytes: m.bytes, label: m.label });
      wake?.();
    });
    worker.on('error', (err) => {
      failure = err;
      wake?.();
    });
    worker.on('exit', () => {
      running--;
      wake?.();
    });
  }
  for (;;) {
    if (failure) throw failure;
    const next = queue.shift();
    if (next) {
      yield next;
      continue;
    }
    if (running === 0) return;
    await new Promise<void>((resolve) => (wake = resolve));
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      count: { type: 'string', default: '28' },
      seed: { type: 'string', default: '1' },
      cases: { type: 'string' },
      now: { type: 'string', default: DEFAULT_NOW },
      jobs: { type: 'string', default: String(Math.min(2, availableParallelism())) },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || !values.out) {
    console.log(USAGE);
    process.exitCode = values.help ? 0 : 2;
    return;
  }
  const count = Number(values.count);
  const seed = Number(values.seed);
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`Expected a positive integer for --count but received ${values.count}`);
  if (!Number.isInteger(seed) || seed < 0) throw new RangeError(`Expected a non-negative integer for --seed but received ${values.seed}`);
  const jobs = Number(values.jobs);
  if (!Number.isInteger(jobs) || jobs < 1) throw new RangeError(`Expected a positive integer for --jobs but received ${values.jobs}`);
  const cases = values.cases ? (values.cases.split(',').map((c) => c.trim()) as SynthCase[]) : undefined;
  for (const c of cases ?? []) if (!SYNTH_CASES.includes(c)) throw new RangeError(`Expected cases among ${SYNTH_CASES.join(', ')} but received ${c}`);
  const out = path.resolve(values.out);
  await mkdir(out, { recursive: true });
  const started = performance.now();
  const images: SynthLabel[] = [];
  const perCase = new Map<string, number>();
  const source = jobs > 1 && count > 1 ? inWorkers(seed, count, cases ?? SYNTH_CASES, values.now!, Math.min(jobs, count)) : generateSet({ count, seed, cases, now: values.now });
  for await (const g of source) {
    await writeFile(path.join(out, g.file), g.bytes);
    images.push(g.label);
    perCase.set(g.label.case, (perCase.get(g.label.case) ?? 0) + 1);
    if (images.length % 25 === 0) process.stderr.write(`  ${images.length}/${count}\n`);
  }
  // Workers finish out of order; labels.json lists images by index.
  images.sort((a, b) => a.file.localeCompare(b.file));
  const labels: SynthLabels = { seed, generatedBy: 'idcard-ocr src/synth', images };
  await writeFile(path.join(out, 'labels.json'), JSON.stringify(labels, null, 1) + '\n');
  const secs = (performance.now() - started) / 1000;
  console.log(`wrote ${images.length} images + labels.json to ${out} in ${secs.toFixed(1)} s (${(images.length / secs).toFixed(2)} images/s)`);
  console.log(SYNTH_CASES.filter((c) => perCase.has(c)).map((c) => `${c}: ${perCase.get(c)}`).join(', '));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});

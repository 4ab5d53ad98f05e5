/**
 * Worker thread for `npm run synth -- --jobs N`: generates the indices it is given and posts each image
 * back (bytes transferred, not copied). Images depend only on (seed, index), so splitting the work across
 * threads changes nothing in the output.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { generateOne } from './generate.ts';
import type { SynthCase } from './labels.ts';
import type { YMD } from '../domain/dates.ts';

export interface WorkerJob {
  seed: number;
  cases: SynthCase[];
  now: { iso: string; ymd: YMD };
  indices: number[];
}

const job = workerData as WorkerJob;
for (const index of job.indices) {
  const g = await generateOne(job.seed, index, job.cases[index % job.cases.length], job.now);
  const copy = g.bytes.slice();
  parentPort!.postMessage({ index, file: g.file, bytes: copy, label: g.label }, [copy.buffer]);
}

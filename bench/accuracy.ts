/**
 * Accuracy benchmark: `npm run bench:accuracy -- --set DIR [--limit N] [--cases a,b] [--compare OLD.json]`
 *
 * Runs recognition on every labelled image of a set (a synthetic set from `npm run synth`, or
 * ../shared/samples/real) and prints per-field exact-match accuracy, per-case card accuracy, warning
 * precision/recall, error-code correctness, the worst misreads and latency. Writes the whole report as JSON to
 * bench/reports/<timestamp>.json so two commits can be compared with `--compare`.
 *
 * Synthetic sets run with every warning flag on (their labels say which warnings each image should raise);
 * an image with several cards (a front and a back together included) runs twice, with MultiCardDetect off
 * (fields of the most prominent card, sets.ts answeringCard) and on (MultiCardError expected, issue 5). The real specimens carry no warning labels and run with the default config. Images over the
 * service's upload limit are answered as the HTTP route answers them, without calling the engine.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { CONFIG_KEYS, ID_FIELDS, type ConfigKey, type IdCardConfig } from '../src/engine/types.ts';
import { MAX_IMAGE_BYTES } from '../src/server/idcardRequest.ts';
import { attempt, describeError, gitState, loadEngine, machine, type EngineEntry } from './engine.ts';
import { parseIdCardAnswer, putIdCardOcr, startServer, stopServer, type ServerHandle } from './httpClient.ts';
import { buildAccuracyReport, compareReports, WARN_CODES, type AccuracyReport, type Outcome } from './scoring.ts';
import { loadBenchSet, selectCases, type BenchCase } from './sets.ts';
import { formatTable, ms, pct, signed } from './table.ts';

/** The flags whose answers the synthetic labels describe (issue 5); crops and Quality are not scored here. */
const WARNING_FLAGS: ConfigKey[] = ['CopyWarn', 'BorderCheckWarn', 'ReshootWarn', 'DetectPsWarn', 'TempIdWarn', 'InvalidDateWarn', 'MultiCardDetect'];

const USAGE = `usage: npm run bench:accuracy -- --set DIR [options]
  --set DIR          a synthetic set (labels.json from npm run synth) or ../shared/samples/real
  --limit N          at most N images, taken round-robin across cases
  --cases a,b        only these cases (case names such as clean,photo, or image ids)
  --compare OLD.json print deltas against an earlier report
  --engine E         in-process (default), pool (the worker pool), or http (the real server, COS-signed PUTs)
  --config JSON      override the request Config (default: every warning flag on for synthetic sets, none for real)
  --worst N          misreads to print (default 15)
  --out FILE         report path (default bench/reports/<timestamp>.json)
  --verbose          one line per image on stderr`;

function fail(msg: string): never {
  process.stderr.write(`${msg}\n\n${USAGE}\n`);
  process.exit(2);
}

function parseConfig(json: string): Partial<IdCardConfig> {
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch {
    fail('--config: not valid JSON');
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) fail('--config: expected a JSON object of boolean flags');
  for (const [k, x] of Object.entries(v)) {
    if (!(CONFIG_KEYS as readonly string[]).includes(k)) fail(`--config: unknown key '${k}' (expected one of ${CONFIG_KEYS.join(', ')})`);
    if (typeof x !== 'boolean') fail(`--config: expected a boolean for ${k} but received ${typeof x}`);
  }
  return v as Partial<IdCardConfig>;
}

function positiveInt(name: string, s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const n = Number(s);
  if (!Number.isInteger(n) || n <= 0) fail(`Expected a positive integer for ${name} but received '${s}'`);
  return n;
}

/** How one image is sent: straight to the engine, or through the real HTTP service. */
interface Runner {
  entry: string;
  loaded: boolean;
  loadMs: number | null;
  loadError?: string;
  run(c: BenchCase, image: Uint8Array, config: Partial<IdCardConfig>): Promise<Omit<Outcome, 'id' | 'case'>>;
  close(): Promise<void>;
}

async function engineRunner(entry: EngineEntry): Promise<Runner> {
  const engine = await loadEngine(entry);
  return {
    entry,
    loaded: engine.recognizer !== null,
    loadMs: engine.loadMs,
    loadError: engine.loadError,
    async run(c, image, config) {
      if (image.byteLength > MAX_IMAGE_BYTES) {
        // The service refuses these before recognition (src/server/idcardRoute.ts, the spec's 7 MB base64 limit):
        // the engine never sees them, so neither does this runner — same constant, same answer.
        // No latency is recorded: nothing was measured.
        return { ms: Number.NaN, got: null, warnings: [], error: 'FailedOperation.ImageSizeTooLarge' };
      }
      const a = await attempt(engine.recognizer, { image, cardSide: c.side, config, now: c.now });
      return {
        ms: a.ms,
        got: a.result ? a.result.idInfo : null,
        side: a.result?.side,
        warnings: [...(a.result?.advancedInfo.WarnInfos ?? [])].map(Number).sort((x, y) => x - y) as Outcome['warnings'],
        error: a.error,
        crash: a.crash,
        timings: a.result?.timings,
      };
    },
    close: async () => engine.recognizer?.close(),
  };
}

/**
 * Through the service as a client sees it: upload-time PUT with CardSide and Config, the XML answer read back.
 * The server judges validity against its own clock, not the label's reference date.
 */
async function httpRunner(): Promise<Runner> {
  let h: ServerHandle;
  try {
    h = await startServer();
  } catch (e) {
    return { entry: 'http', loaded: false, loadMs: null, loadError: describeError(e), run: async () => ({ ms: Number.NaN, got: null, warnings: [], error: 'Crash', crash: 'no server' }), close: async () => {} };
  }
  let n = 0;
  return {
    entry: 'http',
    loaded: true,
    loadMs: h.startMs,
    async run(c, image, config) {
      const t0 = performance.now();
      try {
        const res = await putIdCardOcr(h, `accuracy/${n++}-${path.basename(c.file)}`, image, { cardSide: c.side, config });
        const ms = performance.now() - t0;
        const a = parseIdCardAnswer(res.status, res.body);
        return { ms, got: a.idInfo ?? null, warnings: a.warnings, error: a.error };
      } catch (e) {
        // No HTTP answer at all (reset, EPIPE): what a client would see, but not a catalogued code.
        return { ms: performance.now() - t0, got: null, warnings: [], error: 'NoAnswer', crash: describeError(e) };
      }
    },
    close: () => stopServer(h),
  };
}

function printReport(r: AccuracyReport, worstN: number): void {
  const out: string[] = [];
  const git = r.git.commit ? `${r.git.commit}${r.git.dirty ? '+dirty' : ''}` : 'unknown';
  out.push(`Accuracy benchmark — ${r.set.kind} set ${r.set.dir} (${r.set.images} images; ${r.set.provenance})`);
  out.push(`commit ${git}; ${r.machine.cpus} × ${r.machine.cores}; node ${r.machine.node}; ${r.createdAt}`);
  const flags = Object.entries(r.engine.config).filter(([, v]) => v).map(([k]) => k);
  out.push(`engine ${r.engine.entry}: ${r.engine.loaded ? `loaded in ${ms(r.engine.loadMs)}` : `NOT LOADED — ${r.engine.loadError}`}; config: ${flags.length ? flags.join(' ') : 'defaults (all off)'}`);

  out.push('', 'Field exact-match accuracy (right/scored; unlabelled, covered or illegible fields are not scored)');
  const cases = Object.keys(r.fieldsByCase).sort();
  const cell = (x: { scored: number; right: number; accuracy: number | null } | undefined) => (x && x.scored > 0 ? `${pct(x.accuracy)} ${x.right}/${x.scored}` : '');
  out.push(
    formatTable(
      ['case', ...ID_FIELDS],
      [...cases.map((c) => [c, ...ID_FIELDS.map((f) => cell(r.fieldsByCase[c][f]))]), ['ALL', ...ID_FIELDS.map((f) => cell(r.fields[f]))]],
    ),
  );
  out.push(`all fields: ${pct(r.fieldsOverall.accuracy, 2)} (${r.fieldsOverall.right}/${r.fieldsOverall.scored})`);

  out.push('', 'Card accuracy (every scored field right) and latency by case');
  const latCases = [...new Set([...Object.keys(r.cards.byCase), ...Object.keys(r.latency.byCase)])].sort();
  out.push(
    formatTable(
      ['case', 'cards', 'all right', 'accuracy', 'p50', 'p95'],
      [
        ...latCases.map((c) => {
          const k = r.cards.byCase[c];
          const l = r.latency.byCase[c];
          return [c, k ? String(k.scored) : '', k ? String(k.right) : '', k ? pct(k.accuracy) : '', ms(l?.p50), ms(l?.p95)];
        }),
        ['ALL', String(r.cards.overall.scored), String(r.cards.overall.right), pct(r.cards.overall.accuracy), ms(r.latency.overall.p50), ms(r.latency.overall.p95)],
      ],
    ),
  );

  if (r.warnings) {
    out.push('', 'Warnings (every warning flag on; clean false alarms = fired on clean/photo images)');
    out.push(
      formatTable(
        ['code', 'tp', 'fp', 'fn', 'precision', 'recall', 'clean false alarms'],
        WARN_CODES.map((code) => {
          const w = r.warnings![String(code)];
          return [String(code), String(w.tp), String(w.fp), String(w.fn), pct(w.precision), pct(w.recall), w.cleanImages ? `${pct(w.cleanFalseAlarmRate)} ${w.cleanFalseAlarms}/${w.cleanImages}` : '—'];
        }),
      ),
    );
  } else {
    out.push('', 'Warnings: not labelled in this set.');
  }

  out.push('', 'Errors');
  out.push(`images that should fail: ${r.errors.expected.right}/${r.errors.expected.scored} with the expected code (${pct(r.errors.expected.accuracy)})`);
  out.push(`images that should succeed: ${r.errors.unexpected.failed}/${r.errors.unexpected.images} failed`);
  out.push(formatTable(['expected → got', 'images'], Object.entries(r.errors.confusion).sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, String(v)])));
  const crashes = r.outcomes.filter((o) => o.crash);
  if (crashes.length) {
    const kinds = new Map<string, number>();
    for (const o of crashes) kinds.set(o.crash!, (kinds.get(o.crash!) ?? 0) + 1);
    out.push(`failures without a catalogued code (Crash: the engine threw something else; NoAnswer: no HTTP answer): ${crashes.length}`);
    for (const [msg, n] of [...kinds].sort((a, b) => b[1] - a[1]).slice(0, 5)) out.push(`  ${n} × ${msg}`);
  }

  out.push('', `Worst misreads (${r.misreads.total} in all; synthetic/specimen data)`);
  if (r.misreads.worst.length) {
    out.push(formatTable(['image', 'field', 'expected', 'got'], r.misreads.worst.slice(0, worstN).map((m) => [m.id, m.field, m.expected, m.got ?? '(missing)']), 'llll'));
  } else {
    out.push('none');
  }

  const stages = Object.entries(r.latency.stages);
  if (stages.length) {
    out.push('', 'Engine stage timings (from RecognitionResult.timings)');
    out.push(formatTable(['stage', 'n', 'p50', 'p95'], stages.map(([k, v]) => [k, String(v.n), ms(v.p50, 1), ms(v.p95, 1)])));
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

function printComparison(oldPath: string, oldR: AccuracyReport, newR: AccuracyReport): void {
  const rows = compareReports(oldR, newR)
    .filter((x) => x.old !== null || x.new !== null)
    .map((x) => {
      const fmt = (v: number | null) => (x.unit === 'rate' ? pct(v) : ms(v));
      return [x.measure, fmt(x.old), fmt(x.new), x.unit === 'rate' ? signed(x.delta === null ? null : x.delta * 100, 'pp') : signed(x.delta, 'ms', 0)];
    });
  const oldGit = oldR.git.commit ? `${oldR.git.commit}${oldR.git.dirty ? '+dirty' : ''}` : '?';
  process.stdout.write(`\nCompared with ${oldPath} (commit ${oldGit}, ${oldR.createdAt}, ${oldR.set.images} images)\n`);
  if (oldR.set.dir !== newR.set.dir || oldR.set.images !== newR.set.images) process.stdout.write('note: the two reports are over different sets; deltas mix set and code changes\n');
  process.stdout.write(`${formatTable(['measure', 'old', 'new', 'delta'], rows)}\n`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      set: { type: 'string' },
      limit: { type: 'string' },
      cases: { type: 'string' },
      compare: { type: 'string' },
      engine: { type: 'string', default: 'in-process' },
      config: { type: 'string' },
      worst: { type: 'string' },
      out: { type: 'string' },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (!values.set) fail('--set DIR is required');
  if (!['in-process', 'pool', 'http'].includes(values.engine ?? '')) fail(`Expected in-process, pool or http for --engine but received '${values.engine}'`);
  const limit = positiveInt('--limit', values.limit);
  const worstN = positiveInt('--worst', values.worst) ?? 15;
  let oldReport: AccuracyReport | undefined;
  if (values.compare) {
    try {
      oldReport = JSON.parse(readFileSync(values.compare, 'utf8')) as AccuracyReport;
    } catch (e) {
      fail(`--compare: cannot read ${values.compare}: ${(e as Error).message}`);
    }
    if (oldReport.schema !== 'idcard-ocr/bench-accuracy@1') fail(`--compare: ${values.compare} is not an accuracy report`);
  }

  let set;
  try {
    set = loadBenchSet(values.set);
  } catch (e) {
    fail((e as Error).message);
  }
  const cases = selectCases(set.cases, { limit, cases: values.cases?.split(',').map((s) => s.trim()).filter(Boolean) });
  if (cases.length === 0) fail('no images selected');

  const config: Partial<IdCardConfig> = values.config
    ? parseConfig(values.config)
    : set.kind === 'synth'
      ? Object.fromEntries(WARNING_FLAGS.map((k) => [k, true]))
      : {};

  const runner = values.engine === 'http' ? await httpRunner() : await engineRunner(values.engine as EngineEntry);
  if (!runner.loaded) process.stderr.write(`${runner.entry} not loaded: ${runner.loadError}\nevery image will be scored as a failure.\n`);

  const outcomes: Outcome[] = [];
  try {
    for (const [i, c] of cases.entries()) {
      let image: Uint8Array;
      try {
        image = readFileSync(c.file);
      } catch (e) {
        fail(`cannot read image ${c.file}: ${(e as Error).message}`);
      }
      const o = await runner.run(c, image, { ...config, ...c.config });
      outcomes.push({ id: c.id, case: c.case, ...o });
      if (values.verbose) {
        process.stderr.write(`[${i + 1}/${cases.length}] ${c.id} (${c.case}) ${Number.isFinite(o.ms) ? o.ms.toFixed(0) : '—'} ms ${o.error ?? 'ok'}\n`);
      } else if (process.stderr.isTTY) {
        process.stderr.write(`\r${i + 1}/${cases.length}`);
      }
    }
  } finally {
    if (process.stderr.isTTY && !values.verbose) process.stderr.write('\n');
    await runner.close();
  }

  const fullConfig = Object.fromEntries(CONFIG_KEYS.map((k) => [k, config[k] ?? false]));
  const report = buildAccuracyReport(
    cases,
    outcomes,
    {
      createdAt: new Date().toISOString(),
      git: gitState(),
      machine: machine(),
      set: { dir: set.dir, kind: set.kind, provenance: set.provenance, images: cases.length },
      engine: { entry: runner.entry, loaded: runner.loaded, loadMs: runner.loadMs, loadError: runner.loadError, config: fullConfig },
    },
    Math.max(worstN, 50),
  );
  printReport(report, worstN);

  const outPath = values.out ?? path.join(path.dirname(new URL(import.meta.url).pathname), 'reports', `${report.createdAt.replace(/[:.]/g, '-')}.json`);
  mkdirSync(path.dirname(outPath), { recursive: true });
  writeFileSync(outPath, `${JSON.stringify(report, null, 1)}\n`);
  process.stdout.write(`\nreport: ${path.relative(process.cwd(), outPath) || outPath}\n`);

  if (oldReport && values.compare) printComparison(values.compare, oldReport, report);
  // A benchmark measures; it does not gate. It exits non-zero only when it could not measure at all.
  if (!runner.loaded) process.exitCode = 1;
}

await main();

/**
 * `idcard-ocr recognize FILE… [--side FRONT|BACK] [--config JSON] [--xml] [--verbose] [--threads N]`
 *
 * Reads ID cards from image files on this machine, with the same engine and the same answers as the
 * service: JSON (the API's IdInfo / AdvancedInfo names) by default, the API's XML body with --xml. Errors
 * are the API's codes. Runs in-process (no worker pool): one file at a time, all cores on each.
 *
 * Exit status: 0 all files read, 1 at least one file answered an error, 2 bad usage.
 */
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ERROR_CATALOGUE, ServiceError, isServiceError } from '../errors/catalogue.ts';
import { createInProcessRecognizer } from '../engine/index.ts';
import { ID_FIELDS, type IdCardConfig, type IdCardRecognizer, type RecognitionResult } from '../engine/types.ts';
import { parseCardSide, parseIdCardConfig } from '../server/idcardRequest.ts';
import { renderIdCardXml } from '../server/idcardXml.ts';
import { renderError } from '../server/errors.ts';

export const USAGE = `Usage: idcard-ocr recognize FILE... [options]

Reads second-generation Chinese resident ID cards from PNG, JPEG or BMP files.

Options:
  --side FRONT|BACK   read this side (default: whichever side the image shows)
  --config JSON       the API's Config, e.g. '{"CropPortrait":true,"CopyWarn":true}'
  --xml               print the API's XML response body instead of JSON
  --verbose           add stage timings and diagnostics (JSON), timings on stderr
  --threads N         inference threads (default: the number of CPU cores)
  -h, --help          show this help
`;

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const defaultIo: CliIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
};

class UsageError extends Error {}

interface CliOptions {
  files: string[];
  side?: 'FRONT' | 'BACK';
  config: Partial<IdCardConfig>;
  xml: boolean;
  verbose: boolean;
  threads: number;
}

function parseCli(argv: string[]): CliOptions | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        side: { type: 'string' },
        config: { type: 'string' },
        xml: { type: 'boolean', default: false },
        verbose: { type: 'boolean', default: false },
        threads: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  const [command, ...files] = positionals;
  if (command !== 'recognize') throw new UsageError(command === undefined ? 'No command given.' : `Unknown command '${command}'.`);
  if (files.length === 0) throw new UsageError('No image file given.');
  const threads = values.threads === undefined ? availableParallelism() : Number(values.threads);
  if (!Number.isInteger(threads) || threads < 1) throw new UsageError(`Expected a positive integer for --threads but received '${values.threads}'.`);
  let side: CliOptions['side'];
  let config: Partial<IdCardConfig>;
  try {
    side = parseCardSide(values.side);
    config = parseIdCardConfig(values.config);
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
  return { files, side, config, xml: values.xml ?? false, verbose: values.verbose ?? false, threads };
}

/** The JSON a file answers: the API's element names, plus the side and (verbose) timings and diagnostics. */
function resultJson(file: string, r: RecognitionResult, config: Partial<IdCardConfig>, verbose: boolean) {
  const advancedAsked = Object.values(config).some(Boolean);
  return {
    File: file,
    Side: r.side,
    // The spec's field order, whatever order the pipeline filled them in.
    IdInfo: Object.fromEntries(ID_FIELDS.filter((f) => r.idInfo[f] !== undefined).map((f) => [f, r.idInfo[f]])),
    ...(advancedAsked ? { AdvancedInfo: r.advancedInfo } : {}),
    ...(verbose ? { Timings: roundTimings(r.timings), Diagnostics: r.diagnostics } : {}),
  };
}

function roundTimings(t: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(t).map(([k, v]) => [k, Math.round(v * 10) / 10]));
}

function timingLine(file: string, t: Record<string, number>): string {
  const stages = Object.entries(t)
    .filter(([k]) => k !== 'total')
    .map(([k, v]) => `${k} ${v.toFixed(0)} ms`)
    .join(' · ');
  return `${file}: ${stages}${t.total !== undefined ? ` · total ${t.total.toFixed(0)} ms` : ''}\n`;
}

async function readImage(file: string): Promise<Uint8Array> {
  try {
    return await readFile(file);
  } catch (e) {
    // The spec's code for an image that could not be fetched; the cause names the OS error, not the content.
    throw new ServiceError('FailedOperation.DownLoadError', `Could not read ${path.basename(file)}: ${(e as NodeJS.ErrnoException).code ?? 'error'}.`);
  }
}

/**
 * Runs the CLI. Returns the exit status instead of exiting, so tests can call it in-process.
 *
 * @param recognizer an already started engine (tests); default one made here and closed at the end
 */
export async function main(argv: string[], io: CliIo = defaultIo, recognizer?: IdCardRecognizer): Promise<number> {
  let opts: CliOptions | 'help';
  try {
    opts = parseCli(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.stderr(`idcard-ocr: ${e.message}\n\n${USAGE}`);
    return 2;
  }
  if (opts === 'help') {
    io.stdout(USAGE);
    return 0;
  }

  const started = performance.now();
  const engine = recognizer ?? (await createInProcessRecognizer({ threads: opts.threads }));
  if (opts.verbose && !recognizer) io.stderr(`models loaded in ${(performance.now() - started).toFixed(0)} ms (${opts.threads} threads)\n`);
  let failed = 0;
  const json: unknown[] = [];
  try {
    for (const file of opts.files) {
      try {
        const image = await readImage(file);
        const result = await engine.recognize({ image, cardSide: opts.side, config: opts.config, verbose: opts.verbose });
        if (opts.verbose) io.stderr(timingLine(file, result.timings));
        if (opts.xml) io.stdout(`${renderIdCardXml(result, opts.config)}\n`);
        else json.push(resultJson(file, result, opts.config, opts.verbose));
      } catch (e) {
        failed++;
        // Unexpected failures answer the spec's catch-all, as the service does; the cause goes to stderr.
        const err = isServiceError(e) ? e : new ServiceError('FailedOperation.UnKnowError', undefined, { cause: e });
        if (!isServiceError(e) || opts.verbose) io.stderr(`${file}: ${err.code}${e instanceof Error && e !== err ? ` (${e.message})` : ''}\n`);
        if (opts.xml) io.stdout(`${renderError(err, { resource: path.basename(file), requestId: 'cli' }).body}\n`);
        else json.push({ File: file, Error: { Code: err.code, Message: err.message || ERROR_CATALOGUE[err.code].message } });
      }
    }
  } finally {
    if (!recognizer) await engine.close();
  }
  if (!opts.xml) io.stdout(`${JSON.stringify(json.length === 1 ? json[0] : json, null, 2)}\n`);
  return failed === 0 ? 0 : 1;
}

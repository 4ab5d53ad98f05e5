/**
 * Checks an IDCardOCR request's parameters and image before any recognition work (COS CI doc, "Request
 * parameters" and the image requirements: PNG/JPG/JPEG/BMP, at most 7 MB once base64-encoded).
 */
import { ServiceError } from '../errors/catalogue.ts';
import { CONFIG_KEYS, type CardSide, type IdCardConfig } from '../engine/types.ts';

/** 7 MB of base64 holds at most this many raw bytes: base64 length = 4·⌈n/3⌉ ≤ 7·2²⁰ ⇔ n ≤ 7·2²⁰·3/4. */
export const MAX_IMAGE_BYTES = (7 * 1024 * 1024 * 3) / 4;

export function parseCardSide(value: string | undefined): CardSide | undefined {
  // Absent (or empty, as API 3.0 documents it) means "detect the side".
  if (value === undefined || value === '') return undefined;
  if (value === 'FRONT' || value === 'BACK') return value;
  throw new ServiceError('InvalidParameterValue.InvalidParameterValueLimit', 'CardSide must be FRONT or BACK.');
}

/**
 * Keys that API 3.0 IDCardOCR knows but COS CI does not document (protocols.md §8). The SDKs' callers may send
 * them when they share one Config between both APIs; they are accepted as booleans and have no effect here.
 */
const ACCEPTED_BUT_UNSUPPORTED_KEYS: readonly string[] = ['ReflectWarn'];

export function parseIdCardConfig(value: string | undefined): Partial<IdCardConfig> {
  if (value === undefined || value === '') return {};
  let doc: unknown;
  try {
    doc = JSON.parse(value);
  } catch {
    throw new ServiceError('InvalidParameter.ConfigFormatError', 'Config is not valid JSON.');
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new ServiceError('InvalidParameter.ConfigFormatError', 'Config must be a JSON object.');
  }
  const out: Partial<Record<(typeof CONFIG_KEYS)[number], boolean>> = {};
  for (const [k, v] of Object.entries(doc)) {
    if (ACCEPTED_BUT_UNSUPPORTED_KEYS.includes(k)) {
      if (typeof v !== 'boolean') throw new ServiceError('InvalidParameter.ConfigFormatError', `Config.${k} must be true or false.`);
      continue;
    }
    if (!(CONFIG_KEYS as readonly string[]).includes(k)) {
      throw new ServiceError('InvalidParameter.ConfigFormatError', `Config key ${JSON.stringify(k).slice(0, 40)} is not one of ${CONFIG_KEYS.join(', ')}.`);
    }
    if (typeof v !== 'boolean') throw new ServiceError('InvalidParameter.ConfigFormatError', `Config.${k} must be true or false.`);
    out[k as (typeof CONFIG_KEYS)[number]] = v;
  }
  return out;
}

/** PNG, JPEG or BMP by their signatures (PNG spec §5.2, JPEG SOI + marker, BMP "BM" file header). */
export function isSupportedImage(bytes: Uint8Array): boolean {
  const png = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (bytes.length >= 8 && png.every((b, i) => bytes[i] === b)) return true;
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return true;
  return bytes.length >= 2 && bytes[0] === 0x42 && bytes[1] === 0x4d;
}

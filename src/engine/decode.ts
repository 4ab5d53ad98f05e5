/**
 * decode: file bytes → upright 8-bit RGB raster.
 *
 * Only the formats the IDCardOCR spec accepts are decoded ("PNG, JPG, JPEG, and BMP"; cos-ci-idcardocr-spec.md):
 * the format is sniffed from magic bytes, never trusted from a name or Content-Type. PNG and JPEG go through
 * sharp (libvips) with EXIF orientation applied, BMP through bmp-js. Decompression bombs are refused from the
 * header before any pixel is allocated, and huge photos are downscaled to a working size with the scale kept
 * so every box found later maps back to the file's pixels.
 */
import { createRequire } from 'node:module';
import sharp from 'sharp';
import type { Sharp } from 'sharp';
import { ServiceError, isServiceError } from '../errors/catalogue.ts';
import type { DecodedImage, RasterImage, StageContext } from './types.ts';

/**
 * The spec's size limit: "the Base64-encoded image must not exceed 7 MB" (cos-ci-idcardocr-spec.md). Checked
 * here too, before any decoding, so the CLI and the benchmarks answer an oversized file as the server does.
 */
export const MAX_BASE64_CHARS = 7 * 1024 * 1024;

/** Length of the Base64 encoding of `n` bytes (RFC 4648 §4: 4 characters per 3 bytes, padded). */
export function base64Length(n: number): number {
  return 4 * Math.ceil(n / 3);
}

/** Refuse images with more pixels than this (a 40 MP phone photo is the largest plausible upload). */
export const DEFAULT_MAX_PIXELS = 40_000_000;
/**
 * Long side of the working raster; larger images are downscaled (a card needs far fewer pixels to read).
 * A card spanning half of a 12 MP photo still keeps ~1000 px of width (> the 856 px canonical card), and
 * decoding a 4000×3000 JPEG to 2048 px took 61–67 ms of CPU against 110–124 ms to 2560 px here.
 */
export const DEFAULT_MAX_WORKING_SIDE = 2048;

/** JPEGs whose half size keeps at least this share of the working side are decoded at half size. */
const JPEG_HALF_MIN = 0.9;

export interface DecodeOptions {
  /** Pixel limit (width × height of the file) before `FailedOperation.ImageSizeTooLarge`. */
  maxPixels?: number;
  /** Long side, in pixels, the decoded raster is shrunk to at most. */
  maxWorkingSide?: number;
}

// bmp-js ships no types; this is the one call used.
const bmp = createRequire(import.meta.url)('bmp-js') as { decode(buffer: Buffer): { data: Buffer; width: number; height: number } };

type SniffedFormat = DecodedImage['format'];

/** Magic bytes: PNG signature (ISO/IEC 15948 §5.2), JPEG SOI marker FF D8 FF, BMP 'BM' file header. */
export function sniffImageFormat(bytes: Uint8Array): SniffedFormat | undefined {
  if (bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47 && bytes[4] === 0x0d && bytes[5] === 0x0a && bytes[6] === 0x1a && bytes[7] === 0x0a) return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  // A BITMAPFILEHEADER is 14 bytes and the smallest info header (BITMAPCOREHEADER) 12 more.
  if (bytes.length >= 26 && bytes[0] === 0x42 && bytes[1] === 0x4d) return 'bmp';
  return undefined;
}

/**
 * Decodes PNG, JPEG or BMP bytes into an upright RGB raster.
 *
 * @throws ServiceError `FailedOperation.EmptyImageError` (no bytes), `FailedOperation.ImageDecodeFailed`
 *   (not one of the three formats, or corrupt), `FailedOperation.ImageSizeTooLarge` (Base64 form over 7 MB,
 *   or over the pixel limit).
 * @example
 *   const { image, scaleToOriginal } = await decodeImage(await readFile('card.jpg'), ctx);
 */
export async function decodeImage(bytes: Uint8Array, ctx: StageContext, opts: DecodeOptions = {}): Promise<DecodedImage> {
  const started = performance.now();
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  const maxSide = opts.maxWorkingSide ?? DEFAULT_MAX_WORKING_SIDE;
  try {
    if (bytes.length === 0) throw new ServiceError('FailedOperation.EmptyImageError');
    if (base64Length(bytes.length) > MAX_BASE64_CHARS) {
      throw new ServiceError('FailedOperation.ImageSizeTooLarge', `The image is ${bytes.length} bytes; its Base64 form may be at most ${MAX_BASE64_CHARS} characters.`);
    }
    const format = sniffImageFormat(bytes);
    if (!format) throw new ServiceError('FailedOperation.ImageDecodeFailed', 'The image is not PNG, JPEG or BMP.');
    const { image, scaleToOriginal } = format === 'bmp' ? await decodeBmp(bytes, maxPixels, maxSide) : await decodeWithSharp(bytes, maxPixels, maxSide);
    return { image, format, scaleToOriginal };
  } catch (e) {
    if (isServiceError(e)) throw e;
    throw new ServiceError('FailedOperation.ImageDecodeFailed', undefined, { cause: e });
  } finally {
    ctx.timings.decode = (ctx.timings.decode ?? 0) + (performance.now() - started);
  }
}

function checkPixelLimit(width: number, height: number, maxPixels: number): void {
  if (!(width > 0 && height > 0)) throw new ServiceError('FailedOperation.ImageDecodeFailed', 'The image header gives no size.');
  if (width * height > maxPixels) {
    throw new ServiceError('FailedOperation.ImageSizeTooLarge', `The image has ${width}×${height} pixels; at most ${maxPixels} are accepted.`);
  }
}

/** Size of the raster after shrinking so the long side is at most `maxSide` (never enlarged). */
function workingSize(width: number, height: number, maxSide: number): { width: number; height: number; scaleToOriginal: number } {
  const long = Math.max(width, height);
  if (long <= maxSide) return { width, height, scaleToOriginal: 1 };
  const s = maxSide / long;
  const w = Math.max(1, Math.round(width * s));
  const h = Math.max(1, Math.round(height * s));
  return { width: w, height: h, scaleToOriginal: width / w };
}

async function decodeWithSharp(bytes: Uint8Array, maxPixels: number, maxSide: number): Promise<{ image: RasterImage; scaleToOriginal: number }> {
  // limitInputPixels is libvips' own bomb guard; the header check first gives the precise error code.
  // failOn 'error' keeps slightly damaged phone JPEGs (a warning) readable while refusing broken ones.
  const input = () => sharp(bytes, { limitInputPixels: maxPixels, failOn: 'error' });
  let meta: Awaited<ReturnType<Sharp['metadata']>>;
  try {
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (e) {
    throw new ServiceError('FailedOperation.ImageDecodeFailed', undefined, { cause: e });
  }
  checkPixelLimit(meta.width ?? 0, meta.height ?? 0, maxPixels);
  // EXIF orientations 5–8 swap width and height (CIPA DC-008, Exif 2.32 §4.6.4 'Orientation').
  const upright = meta.autoOrient ?? { width: meta.width!, height: meta.height! };
  // A JPEG a little over the working side (a 12 MP photo: 4000 px) is shrunk to exactly half instead:
  // libjpeg then decodes at 1/2 scale in the DCT domain (sharp's shrink-on-load), a quarter of the pixels
  // and no resampling pass, and the card keeps ≥ 90% of the pixels the working side would give it.
  const long = Math.max(upright.width, upright.height);
  const halfJpeg = meta.format === 'jpeg' && long > maxSide && long / 2 >= JPEG_HALF_MIN * maxSide;
  const size = workingSize(upright.width, upright.height, halfJpeg ? Math.ceil(long / 2) : maxSide);

  let pipeline = input().rotate().flatten({ background: '#ffffff' }).toColourspace('srgb');
  if (size.scaleToOriginal !== 1) pipeline = pipeline.resize(size.width, size.height, { fit: 'fill', kernel: 'lanczos3' });
  const { data, info } = await pipeline.removeAlpha().raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new ServiceError('FailedOperation.ImageDecodeFailed', `Unexpected channel count ${info.channels}.`);
  return {
    image: { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height, channels: 3 },
    scaleToOriginal: upright.width / info.width,
  };
}

/**
 * Refuses what only starts with 'BM': the DIB header must be one of the documented sizes (BITMAPINFOHEADER
 * 40 and its V2–V5 successors; the 12-byte OS/2 core header stores 16-bit sizes bmp-js cannot read), with
 * one plane and a documented bit depth.
 */
function checkBmpHeader(buf: Buffer): void {
  const dibSize = buf.readUInt32LE(14);
  const planes = buf.length >= 28 ? buf.readUInt16LE(26) : 0;
  const bits = buf.length >= 30 ? buf.readUInt16LE(28) : 0;
  if (![40, 52, 56, 108, 124].includes(dibSize) || planes !== 1 || ![1, 4, 8, 16, 24, 32].includes(bits)) {
    throw new ServiceError('FailedOperation.ImageDecodeFailed', 'The BMP header is not valid.');
  }
}

async function decodeBmp(bytes: Uint8Array, maxPixels: number, maxSide: number): Promise<{ image: RasterImage; scaleToOriginal: number }> {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // BITMAPINFOHEADER: biWidth at offset 18, biHeight at 22 (negative = top-down rows). Checked before
  // decoding because bmp-js allocates width × height × 4 bytes up front.
  const width = buf.readInt32LE(18);
  const height = Math.abs(buf.readInt32LE(22));
  checkBmpHeader(buf);
  checkPixelLimit(width, height, maxPixels);
  let decoded: { data: Buffer; width: number; height: number };
  try {
    decoded = bmp.decode(buf);
  } catch (e) {
    throw new ServiceError('FailedOperation.ImageDecodeFailed', undefined, { cause: e });
  }
  if (decoded.width !== width || decoded.height !== height || decoded.data.length < width * height * 4) {
    throw new ServiceError('FailedOperation.ImageDecodeFailed', 'The BMP pixel data does not match its header.');
  }
  // bmp-js writes each pixel as A, B, G, R.
  const rgb = new Uint8Array(width * height * 3);
  const src = decoded.data;
  for (let i = 0, j = 0; j < rgb.length; i += 4, j += 3) {
    rgb[j] = src[i + 3];
    rgb[j + 1] = src[i + 2];
    rgb[j + 2] = src[i + 1];
  }
  const size = workingSize(width, height, maxSide);
  if (size.scaleToOriginal === 1) return { image: { data: rgb, width, height, channels: 3 }, scaleToOriginal: 1 };
  const { data, info } = await sharp(rgb, { raw: { width, height, channels: 3 } })
    .resize(size.width, size.height, { fit: 'fill', kernel: 'lanczos3' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return {
    image: { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height, channels: 3 },
    scaleToOriginal: width / info.width,
  };
}

/** File encodings for the generated images: PNG and JPEG via sharp, BMP written here (24-bit BI_RGB). */
import sharp from 'sharp';
import type { Canvas8 } from './geometry.ts';

export type OutputFormat = 'png' | 'jpeg' | 'bmp';

/**
 * Uncompressed 24-bit BMP (BITMAPINFOHEADER, bottom-up rows padded to 4 bytes): the layout Windows
 * scanners write and the one decoders must accept.
 */
export function encodeBmp(img: Canvas8): Uint8Array {
  const { width, height, channels, data } = img;
  const rowBytes = Math.ceil((width * 3) / 4) * 4;
  const size = 54 + rowBytes * height;
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  out[0] = 0x42; // 'B'
  out[1] = 0x4d; // 'M'
  dv.setUint32(2, size, true);
  dv.setUint32(10, 54, true);
  dv.setUint32(14, 40, true);
  dv.setInt32(18, width, true);
  dv.setInt32(22, height, true);
  dv.setUint16(26, 1, true);
  dv.setUint16(28, 24, true);
  dv.setUint32(34, rowBytes * height, true);
  dv.setInt32(38, 2835, true); // 72 dpi
  dv.setInt32(42, 2835, true);
  for (let y = 0; y < height; y++) {
    let o = 54 + (height - 1 - y) * rowBytes;
    let i = y * width * channels;
    for (let x = 0; x < width; x++, i += channels) {
      out[o++] = data[i + 2];
      out[o++] = data[i + 1];
      out[o++] = data[i];
    }
  }
  return out;
}

export async function encodeImage(img: Canvas8, format: OutputFormat, quality = 90): Promise<Uint8Array> {
  if (format === 'bmp') return encodeBmp(img);
  const s = sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength), { raw: { width: img.width, height: img.height, channels: img.channels } });
  const buf = format === 'png' ? await s.png({ compressionLevel: 4 }).toBuffer() : await s.jpeg({ quality, chromaSubsampling: quality >= 90 ? '4:4:4' : '4:2:0' }).toBuffer();
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/**
 * JPEG whose pixels are stored turned and carry an EXIF Orientation tag (as phones write them), so that a
 * viewer applying the tag shows `img` upright. Orientation 6: stored turned 90° counter-clockwise, shown
 * turned back 90° clockwise; 3: 180°; 8: stored 90° clockwise.
 */
export async function encodeJpegWithOrientation(img: Canvas8, orientation: 3 | 6 | 8, quality: number): Promise<Uint8Array> {
  const storedTurn = orientation === 6 ? 270 : orientation === 3 ? 180 : 90;
  const turned = await sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength), { raw: { width: img.width, height: img.height, channels: img.channels } })
    .rotate(storedTurn)
    .raw()
    .toBuffer({ resolveWithObject: true });
  const buf = await sharp(turned.data, { raw: { width: turned.info.width, height: turned.info.height, channels: turned.info.channels } })
    .jpeg({ quality })
    .withMetadata({ orientation })
    .toBuffer();
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** The service's limit: 7 MB after base64 (spec). Generated "normal" images stay well under it. */
export const MAX_BASE64_BYTES = 7 * 1024 * 1024;
export function base64Length(bytes: number): number {
  return Math.ceil(bytes / 3) * 4;
}

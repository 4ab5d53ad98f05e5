import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { base64Length, decodeImage, MAX_BASE64_CHARS, sniffImageFormat } from './decode.ts';
import type { RasterImage, StageContext } from './types.ts';

const ctx = (): StageContext => ({ timings: {}, verbose: false, now: new Date() });

/** Left half red, right half blue: any rotation or channel swap is visible in two pixels. */
async function twoTone(width: number, height: number): Promise<Buffer> {
  const px = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      if (x < width / 2) px[i] = 255;
      else px[i + 2] = 255;
    }
  }
  return px;
}

function pixel(img: RasterImage, x: number, y: number): number[] {
  const i = (y * img.width + x) * img.channels;
  return [img.data[i], img.data[i + 1], img.data[i + 2]];
}

/** A 24-bit BI_RGB BMP (rows padded to 4 bytes, B G R order), bottom-up unless topDown. */
function encodeBmp24(rgb: Uint8Array, width: number, height: number, topDown = false): Uint8Array {
  const stride = Math.ceil((width * 3) / 4) * 4;
  const out = Buffer.alloc(54 + stride * height);
  out.write('BM', 0, 'ascii');
  out.writeUInt32LE(out.length, 2);
  out.writeUInt32LE(54, 10);
  out.writeUInt32LE(40, 14);
  out.writeInt32LE(width, 18);
  out.writeInt32LE(topDown ? -height : height, 22);
  out.writeUInt16LE(1, 26);
  out.writeUInt16LE(24, 28);
  out.writeUInt32LE(stride * height, 34);
  for (let y = 0; y < height; y++) {
    const row = 54 + (topDown ? y : height - 1 - y) * stride;
    for (let x = 0; x < width; x++) {
      const s = (y * width + x) * 3;
      out[row + x * 3] = rgb[s + 2];
      out[row + x * 3 + 1] = rgb[s + 1];
      out[row + x * 3 + 2] = rgb[s];
    }
  }
  return out;
}

/** A PNG whose IHDR claims `width × height` but whose data is a few bytes: a decompression bomb's header. */
function pngHeaderOnly(width: number, height: number): Uint8Array {
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body) >>> 0);
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // truecolour
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', Buffer.from([0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01])), chunk('IEND', Buffer.alloc(0))]);
}

describe('decodeImage', () => {
  it('decodes a PNG to RGB with the right pixels and records its time', async () => {
    const png = await sharp(await twoTone(40, 20), { raw: { width: 40, height: 20, channels: 3 } }).png().toBuffer();
    const c = ctx();
    const d = await decodeImage(png, c);
    expect(d).toMatchObject({ format: 'png', scaleToOriginal: 1, image: { width: 40, height: 20, channels: 3 } });
    expect(pixel(d.image, 2, 10)).toEqual([255, 0, 0]);
    expect(pixel(d.image, 37, 10)).toEqual([0, 0, 255]);
    expect(c.timings.decode).toBeGreaterThan(0);
  });

  it('flattens a PNG with transparency onto white and returns three channels', async () => {
    const rgba = Buffer.alloc(8 * 8 * 4); // fully transparent black
    const png = await sharp(rgba, { raw: { width: 8, height: 8, channels: 4 } }).png().toBuffer();
    const d = await decodeImage(png, ctx());
    expect(d.image.channels).toBe(3);
    expect(pixel(d.image, 4, 4)).toEqual([255, 255, 255]);
  });

  it('applies the JPEG EXIF orientation (6 = turn 90° clockwise to display)', async () => {
    const jpeg = await sharp(await twoTone(40, 20), { raw: { width: 40, height: 20, channels: 3 } })
      .jpeg({ quality: 95 })
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const d = await decodeImage(jpeg, ctx());
    expect(d.format).toBe('jpeg');
    expect([d.image.width, d.image.height]).toEqual([20, 40]);
    // The stored left (red) half is on top once turned clockwise.
    const top = pixel(d.image, 10, 3);
    const bottom = pixel(d.image, 10, 36);
    expect(top[0]).toBeGreaterThan(200);
    expect(top[2]).toBeLessThan(60);
    expect(bottom[2]).toBeGreaterThan(200);
    expect(bottom[0]).toBeLessThan(60);
  });

  it.each([false, true])('decodes a 24-bit BMP (top-down rows: %s)', async (topDown) => {
    const rgb = await twoTone(7, 5); // odd width exercises row padding
    rgb[0] = 10; rgb[1] = 20; rgb[2] = 30; // a distinct top-left pixel fixes the row order
    const d = await decodeImage(encodeBmp24(rgb, 7, 5, topDown), ctx());
    expect(d).toMatchObject({ format: 'bmp', scaleToOriginal: 1, image: { width: 7, height: 5, channels: 3 } });
    expect(pixel(d.image, 0, 0)).toEqual([10, 20, 30]);
    expect(pixel(d.image, 1, 4)).toEqual([255, 0, 0]);
    expect(pixel(d.image, 6, 4)).toEqual([0, 0, 255]);
  });

  it('downscales a large image to the working size and records the scale back to the file', async () => {
    const png = await sharp(await twoTone(300, 120), { raw: { width: 300, height: 120, channels: 3 } }).png().toBuffer();
    const d = await decodeImage(png, ctx(), { maxWorkingSide: 100 });
    expect([d.image.width, d.image.height]).toEqual([100, 40]);
    expect(d.scaleToOriginal).toBeCloseTo(3, 6);
    const bmpFile = encodeBmp24(await twoTone(300, 120), 300, 120);
    const b = await decodeImage(bmpFile, ctx(), { maxWorkingSide: 150 });
    expect([b.image.width, b.image.height, b.scaleToOriginal]).toEqual([150, 60, 2]);
  });

  it('answers EmptyImageError for no bytes', async () => {
    await expect(decodeImage(new Uint8Array(0), ctx())).rejects.toMatchObject({ code: 'FailedOperation.EmptyImageError' });
  });

  it.each([
    ['a GIF', Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00;', 'latin1')],
    ['plain text', Buffer.from('this is not an image at all')],
    ['a WebP', Buffer.from('RIFF\x1a\x00\x00\x00WEBPVP8 ', 'latin1')],
  ])('answers ImageDecodeFailed for %s', async (_name, bytes) => {
    await expect(decodeImage(bytes, ctx())).rejects.toMatchObject({ code: 'FailedOperation.ImageDecodeFailed' });
  });

  it('answers ImageDecodeFailed for a truncated PNG, JPEG and BMP', async () => {
    const raw = await twoTone(64, 64);
    const png = await sharp(raw, { raw: { width: 64, height: 64, channels: 3 } }).png().toBuffer();
    const jpeg = await sharp(raw, { raw: { width: 64, height: 64, channels: 3 } }).jpeg().toBuffer();
    const bmpFile = encodeBmp24(raw, 64, 64);
    for (const file of [png, jpeg, bmpFile]) {
      await expect(decodeImage(file.subarray(0, Math.floor(file.length / 3)), ctx())).rejects.toMatchObject({ code: 'FailedOperation.ImageDecodeFailed' });
    }
  });

  it('refuses bytes whose Base64 form exceeds 7 MB before decoding (ImageSizeTooLarge)', async () => {
    // The largest accepted size: 4·ceil(n/3) = 7·1024·1024 exactly at n = 5 505 024.
    const limit = (7 * 1024 * 1024 * 3) / 4;
    expect(base64Length(limit)).toBe(MAX_BASE64_CHARS);
    const over = new Uint8Array(limit + 1);
    over.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    await expect(decodeImage(over, ctx())).rejects.toMatchObject({ code: 'FailedOperation.ImageSizeTooLarge' });
    // At the limit the bytes are decoded (and, being no real PNG, refused as undecodable instead).
    await expect(decodeImage(over.subarray(0, limit), ctx())).rejects.toMatchObject({ code: 'FailedOperation.ImageDecodeFailed' });
  });

  it('refuses a decompression bomb from its header alone (ImageSizeTooLarge)', async () => {
    await expect(decodeImage(pngHeaderOnly(60_000, 60_000), ctx())).rejects.toMatchObject({ code: 'FailedOperation.ImageSizeTooLarge' });
    const bmpHeader = Buffer.from(encodeBmp24(new Uint8Array(3), 1, 1));
    bmpHeader.writeInt32LE(50_000, 18);
    bmpHeader.writeInt32LE(50_000, 22);
    await expect(decodeImage(bmpHeader, ctx())).rejects.toMatchObject({ code: 'FailedOperation.ImageSizeTooLarge' });
  });

  it('honours a lower pixel limit', async () => {
    const png = await sharp(await twoTone(100, 100), { raw: { width: 100, height: 100, channels: 3 } }).png().toBuffer();
    await expect(decodeImage(png, ctx(), { maxPixels: 9_999 })).rejects.toMatchObject({ code: 'FailedOperation.ImageSizeTooLarge' });
    await expect(decodeImage(png, ctx(), { maxPixels: 10_000 })).resolves.toMatchObject({ format: 'png' });
  });
});

describe('sniffImageFormat', () => {
  it('trusts magic bytes, not names', () => {
    expect(sniffImageFormat(Buffer.from([0xff, 0xd8, 0xff, 0xe0]))).toBe('jpeg');
    expect(sniffImageFormat(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe('png');
    expect(sniffImageFormat(Buffer.from('BM'.padEnd(30, '\0')))).toBe('bmp');
    expect(sniffImageFormat(Buffer.from('BM'))).toBeUndefined();
    expect(sniffImageFormat(Buffer.from('%PDF-1.7'))).toBeUndefined();
  });
});

describe('decodeImage on text that merely starts with BM', () => {
  it('answers ImageDecodeFailed, not a size error from garbage dimensions', async () => {
    const c: StageContext = { timings: {}, verbose: false, now: new Date() };
    await expect(decodeImage(Buffer.from('BM but not really a bitmap at all, just text'), c)).rejects.toMatchObject({ code: 'FailedOperation.ImageDecodeFailed' });
  });
});

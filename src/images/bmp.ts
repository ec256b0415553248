/**
 * A small reader for Windows BMP files, which sharp/libvips cannot decode. Covers the common
 * uncompressed cases: 24- and 32-bit BI_RGB, 16/32-bit BI_BITFIELDS, and 1/4/8-bit palettes,
 * bottom-up or top-down. RLE-compressed and embedded-JPEG/PNG BMPs are reported as unsupported.
 */
import type { RawImage } from './raw';
import { NeardupError } from '../errors';

export function isBmp(buf: Uint8Array): boolean {
  return buf.length >= 26 && buf[0] === 0x42 && buf[1] === 0x4d;
}

/** Reads only the header: width and height, for the pixel-limit check before decoding. */
export function bmpSize(buf: Buffer): { width: number; height: number } {
  const dib = buf.readUInt32LE(14);
  if (dib === 12) return { width: buf.readUInt16LE(18), height: buf.readUInt16LE(20) };
  return { width: Math.abs(buf.readInt32LE(18)), height: Math.abs(buf.readInt32LE(22)) };
}

function maskShift(mask: number): { shift: number; max: number } {
  if (mask === 0) return { shift: 0, max: 0 };
  let shift = 0;
  while (((mask >>> shift) & 1) === 0) shift++;
  return { shift, max: mask >>> shift };
}

/** Decodes a BMP to 8-bit interleaved RGB. Throws an Error with a readable message otherwise. */
export function decodeBmp(buf: Buffer): RawImage {
  if (!isBmp(buf)) throw new NeardupError('not a BMP file', 'bad_format');
  const dataOffset = buf.readUInt32LE(10);
  const dib = buf.readUInt32LE(14);
  let width: number, height: number, bpp: number, compression = 0, paletteSize = 0, paletteEntry = 4;
  let topDown = false;
  if (dib === 12) {
    width = buf.readUInt16LE(18);
    height = buf.readUInt16LE(20);
    bpp = buf.readUInt16LE(24);
    paletteEntry = 3;
  } else if (dib >= 40) {
    width = buf.readInt32LE(18);
    const h = buf.readInt32LE(22);
    topDown = h < 0;
    height = Math.abs(h);
    bpp = buf.readUInt16LE(28);
    compression = buf.readUInt32LE(30);
    paletteSize = buf.readUInt32LE(46);
  } else {
    throw new NeardupError(`unsupported BMP header size ${dib}`, 'unsupported');
  }
  if (width <= 0 || height <= 0) throw new NeardupError(`invalid BMP size ${width}x${height}`, 'bad_format');
  // BI_RGB = 0, BI_BITFIELDS = 3, BI_ALPHABITFIELDS = 6.
  if (compression !== 0 && compression !== 3 && compression !== 6) {
    throw new NeardupError(`unsupported BMP compression ${compression} (only uncompressed BMPs are read)`, 'unsupported');
  }
  let masks: number[] | undefined;
  if (compression === 3 || compression === 6) {
    const at = dib >= 52 ? 54 : 14 + dib; // masks live in the header (V2+) or right after a 40-byte one
    masks = [buf.readUInt32LE(at), buf.readUInt32LE(at + 4), buf.readUInt32LE(at + 8)];
  } else if (bpp === 16) {
    masks = [0x7c00, 0x03e0, 0x001f];
  }
  const stride = Math.floor((width * bpp + 31) / 32) * 4;
  if (dataOffset + stride * height > buf.length) throw new NeardupError('truncated BMP: pixel data ends early', 'bad_format');
  const palette: number[][] = [];
  if (bpp <= 8) {
    const n = paletteSize || 1 << bpp;
    const at = 14 + dib;
    for (let i = 0; i < n; i++) {
      const o = at + i * paletteEntry;
      if (o + 2 >= buf.length) break;
      palette.push([buf[o + 2], buf[o + 1], buf[o]]);
    }
  }
  const out = Buffer.alloc(width * height * 3);
  const m = masks?.map(maskShift);
  for (let y = 0; y < height; y++) {
    const row = dataOffset + (topDown ? y : height - 1 - y) * stride;
    let o = y * width * 3;
    for (let x = 0; x < width; x++, o += 3) {
      let r: number, g: number, b: number;
      if (bpp === 24) {
        const p = row + x * 3;
        b = buf[p]; g = buf[p + 1]; r = buf[p + 2];
      } else if ((bpp === 32 || bpp === 16) && m && masks) {
        const v = bpp === 32 ? buf.readUInt32LE(row + x * 4) : buf.readUInt16LE(row + x * 2);
        const mk = masks;
        const ch = (k: number) => (m[k].max ? Math.round((((v & mk[k]) >>> m[k].shift) * 255) / m[k].max) : 0);
        r = ch(0); g = ch(1); b = ch(2);
      } else if (bpp === 32) {
        const p = row + x * 4; // BGRX; the fourth byte is usually unused padding, so alpha is ignored
        b = buf[p]; g = buf[p + 1]; r = buf[p + 2];
      } else if (bpp === 8 || bpp === 4 || bpp === 1) {
        const bit = x * bpp;
        const byte = buf[row + (bit >> 3)];
        const idx = (byte >> (8 - bpp - (bit & 7))) & ((1 << bpp) - 1);
        const c = palette[idx] ?? [0, 0, 0];
        r = c[0]; g = c[1]; b = c[2];
      } else {
        throw new NeardupError(`unsupported BMP bit depth ${bpp}`, 'unsupported');
      }
      out[o] = r; out[o + 1] = g; out[o + 2] = b;
    }
  }
  return { data: out, width, height, channels: 3 };
}

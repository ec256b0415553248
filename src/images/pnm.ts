/**
 * A small reader for the Netpbm formats (PBM/PGM/PPM, plain P1–P3 and binary P4–P6), which the
 * prebuilt sharp cannot decode. 16-bit samples (maxval > 255) are scaled to 8 bits.
 */
import type { RawImage } from './raw';
import { NeardupError } from '../errors';

export function isPnm(buf: Uint8Array): boolean {
  return buf.length >= 3 && buf[0] === 0x50 && buf[1] >= 0x31 && buf[1] <= 0x36 && /\s/.test(String.fromCharCode(buf[2]));
}

/** Header tokenizer that skips whitespace and `#` comments. */
class Tokens {
  pos = 2;
  constructor(private buf: Buffer) {}
  next(): string {
    const b = this.buf;
    for (;;) {
      while (this.pos < b.length && /\s/.test(String.fromCharCode(b[this.pos]))) this.pos++;
      if (b[this.pos] !== 0x23) break;
      while (this.pos < b.length && b[this.pos] !== 0x0a && b[this.pos] !== 0x0d) this.pos++;
    }
    const start = this.pos;
    while (this.pos < b.length && !/\s/.test(String.fromCharCode(b[this.pos])) && b[this.pos] !== 0x23) this.pos++;
    if (start === this.pos) throw new NeardupError('truncated PNM header', 'bad_format');
    return b.toString('latin1', start, this.pos);
  }
  int(what: string): number {
    const t = this.next();
    const v = Number(t);
    if (!Number.isInteger(v) || v <= 0) throw new NeardupError(`invalid PNM ${what} "${t}"`, 'bad_format');
    return v;
  }
}

interface PnmHeader { kind: number; width: number; height: number; maxval: number; dataStart: number; }

function header(buf: Buffer): PnmHeader {
  if (!isPnm(buf)) throw new NeardupError('not a PNM file', 'bad_format');
  const kind = buf[1] - 0x30;
  const t = new Tokens(buf);
  const width = t.int('width');
  const height = t.int('height');
  const maxval = kind === 1 || kind === 4 ? 1 : t.int('maxval');
  if (maxval > 65535) throw new NeardupError(`invalid PNM maxval ${maxval}`, 'bad_format');
  // Exactly one whitespace byte separates the header from binary data.
  return { kind, width, height, maxval, dataStart: t.pos + 1 };
}

export function pnmSize(buf: Buffer): { width: number; height: number } {
  const h = header(buf);
  return { width: h.width, height: h.height };
}

export function decodePnm(buf: Buffer): RawImage {
  const { kind, width, height, maxval, dataStart } = header(buf);
  const channels: 1 | 3 = kind === 3 || kind === 6 ? 3 : 1;
  const n = width * height * channels;
  const out = Buffer.alloc(n);
  const scale = (v: number) => Math.round((Math.min(v, maxval) * 255) / maxval);
  if (kind === 4) {
    const stride = Math.ceil(width / 8);
    if (dataStart + stride * height > buf.length) throw new NeardupError('truncated PBM: pixel data ends early', 'bad_format');
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const bit = (buf[dataStart + y * stride + (x >> 3)] >> (7 - (x & 7))) & 1;
        out[y * width + x] = bit ? 0 : 255; // 1 is black in PBM
      }
    }
  } else if (kind >= 5) {
    const bytes = maxval > 255 ? 2 : 1;
    if (dataStart + n * bytes > buf.length) throw new NeardupError('truncated PNM: pixel data ends early', 'bad_format');
    for (let i = 0; i < n; i++) {
      out[i] = scale(bytes === 2 ? buf.readUInt16BE(dataStart + 2 * i) : buf[dataStart + i]);
    }
  } else {
    const text = buf.toString('latin1', dataStart - 1).replace(/#[^\n\r]*/g, ' ');
    const values = kind === 1 ? text.replace(/\s+/g, '').split('') : text.trim().split(/\s+/);
    if (values.length < n) throw new NeardupError('truncated PNM: too few samples', 'bad_format');
    for (let i = 0; i < n; i++) {
      const v = Number(values[i]);
      out[i] = kind === 1 ? (v ? 0 : 255) : scale(v);
    }
  }
  return { data: out, width, height, channels };
}

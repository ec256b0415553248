/**
 * Reads the regular files of a (gzipped) tar archive into memory. Nothing is extracted to disk, so
 * archive paths can never escape a folder; CIFAR archives are at most ~180 MB uncompressed.
 */
import * as fs from 'node:fs';
import * as zlib from 'node:zlib';
import { NeardupError } from '../errors';

/** Archive path → file bytes (views into one buffer). */
export type TarFiles = Map<string, Uint8Array>;

function octal(b: Buffer, start: number, len: number): number {
  const s = b.toString('latin1', start, start + len).replace(/\0.*$/s, '').trim();
  return s ? parseInt(s, 8) : 0;
}

function cstr(b: Buffer, start: number, len: number): string {
  const end = b.indexOf(0, start);
  return b.toString('utf8', start, end >= 0 && end < start + len ? end : start + len);
}

/** The bytes as a Buffer, gunzipped when they start with the gzip magic. `name` is used in errors. */
export function gunzipIfGzip(bytes: Uint8Array, name: string): Buffer {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 2 || buf[0] !== 0x1f || buf[1] !== 0x8b) return buf;
  try {
    return zlib.gunzipSync(buf);
  } catch (e) {
    throw new NeardupError(`${name}: corrupt gzip data (${(e as Error).message})`);
  }
}

/** Parses tar bytes (gunzipped first when they start with the gzip magic). `name` is used in errors. */
export function readTar(bytes: Uint8Array, name: string): TarFiles {
  const buf = gunzipIfGzip(bytes, name);
  const files: TarFiles = new Map();
  let pos = 0;
  let longName: string | undefined;
  while (pos + 512 <= buf.length) {
    const h = buf.subarray(pos, pos + 512);
    if (h.every((x) => x === 0)) break; // end of archive
    const size = octal(h, 124, 12);
    const type = String.fromCharCode(h[156] || 0x30);
    const magic = h.toString('latin1', 257, 262);
    let path = cstr(h, 0, 100);
    if (magic === 'ustar') {
      const prefix = cstr(h, 345, 155);
      if (prefix) path = `${prefix}/${path}`;
    }
    const dataStart = pos + 512;
    if (dataStart + size > buf.length) throw new NeardupError(`${name}: truncated tar archive (entry ${path})`);
    if (type === 'L') longName = cstr(buf, dataStart, size);
    else {
      if (longName) path = longName;
      longName = undefined;
      if (type === '0' || type === '\0' || type === '7') {
        files.set(path.replace(/^\.\//, ''), new Uint8Array(buf.buffer, buf.byteOffset + dataStart, size));
      }
    }
    pos = dataStart + Math.ceil(size / 512) * 512;
  }
  if (files.size === 0) throw new NeardupError(`${name}: not a tar archive, or an empty one`);
  return files;
}

/** Reads a tar or tar.gz file from disk. */
export async function readTarFile(file: string): Promise<TarFiles> {
  return readTar(await fs.promises.readFile(file), file);
}

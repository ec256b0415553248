/**
 * File names that are not valid UTF-8 (a Latin-1 `J\xe4rvenp\xe4\xe4.jpg` copied from an old disk or
 * a zip) as lossless text, so they can be sample ids, CSV cells and JSON strings.
 *
 * Encoding, per path segment (the bytes between two `/`):
 * - a segment that is valid UTF-8 and holds no `%` followed by two hex digits is kept as it is
 *   (nearly every name: `photo.jpg`, `100%.png`, `été.jpg`);
 * - any other segment is percent-encoded: each byte that is not part of a valid UTF-8 sequence, and
 *   each `%`, is written `%XX` (upper-case hex); valid characters stay as they are.
 *   `J\xe4rvenp\xe4\xe4.jpg` → `J%E4rvenp%E4%E4.jpg`; a valid name `a%41.jpg` → `a%2541.jpg`.
 *
 * Decoding reverses it: a segment holding `%XX` is percent-decoded to bytes, any other is taken as
 * UTF-8. The mapping is one-to-one (an encoded segment never holds a bare `%`), so two files never
 * share an id and every id leads back to its file's exact bytes.
 */
import * as fs from 'node:fs';

const PCT = /%[0-9A-Fa-f]{2}/;

/** True when `bytes` is valid UTF-8 (it survives a decode/encode round trip). */
export function isUtf8(bytes: Uint8Array): boolean {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Buffer.from(b.toString('utf8'), 'utf8').equals(b);
}

/** Length of the valid UTF-8 sequence starting at `i`, or 0 when the byte there starts none. */
function utf8Run(b: Uint8Array, i: number): number {
  const c = b[i];
  if (c < 0x80) return 1;
  const len = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
  if (len === 0 || i + len > b.length) return 0;
  for (let k = 1; k < len; k++) if ((b[i + k] & 0xc0) !== 0x80) return 0;
  // Overlong, surrogate and out-of-range forms are invalid: let the round trip decide.
  return isUtf8(b.subarray(i, i + len)) ? len : 0;
}

/** One name segment (bytes, no `/`) as text; see the module comment. */
export function encodeSegment(bytes: Uint8Array): string {
  if (isUtf8(bytes)) {
    const s = Buffer.from(bytes).toString('utf8');
    if (!PCT.test(s)) return s;
  }
  let out = '';
  for (let i = 0; i < bytes.length; ) {
    const n = utf8Run(bytes, i);
    if (n === 0 || bytes[i] === 0x25) {
      out += `%${bytes[i].toString(16).toUpperCase().padStart(2, '0')}`;
      i++;
    } else {
      out += Buffer.from(bytes.subarray(i, i + n)).toString('utf8');
      i += n;
    }
  }
  return out;
}

/** The bytes of one encoded segment. */
export function decodeSegment(seg: string): Buffer {
  if (!PCT.test(seg)) return Buffer.from(seg, 'utf8');
  const parts: Buffer[] = [];
  let i = 0;
  while (i < seg.length) {
    if (seg[i] === '%' && /^[0-9A-Fa-f]{2}$/.test(seg.slice(i + 1, i + 3))) {
      parts.push(Buffer.from([parseInt(seg.slice(i + 1, i + 3), 16)]));
      i += 3;
    } else {
      const j = seg.indexOf('%', i + 1);
      const end = j < 0 ? seg.length : j;
      parts.push(Buffer.from(seg.slice(i, end), 'utf8'));
      i = end;
    }
  }
  return Buffer.concat(parts);
}

/** A text path (segments encoded as above, `/`-separated) as the bytes it names. */
export function decodePathBytes(p: string): Buffer {
  return Buffer.concat(p.split('/').flatMap((s, i) => (i === 0 ? [decodeSegment(s)] : [Buffer.from('/'), decodeSegment(s)])));
}

/** A string path with its segments encoded (only segments that need it change). */
export function encodePathString(p: string): string {
  return p
    .split('/')
    .map((s) => encodeSegment(Buffer.from(s, 'utf8')))
    .join('/');
}

/**
 * The path to hand to `fs` for a path from a dataset (`filepath` column, `pixels.paths`): the string
 * itself when it names an existing entry or holds no `%XX`, else its decoded bytes (a Buffer path,
 * which Node passes to the OS as is). Taking an existing literal path first keeps manifest paths
 * that happen to contain `%41` working.
 */
export function fsPath(p: string): string | Buffer {
  if (!PCT.test(p)) return p;
  try {
    fs.lstatSync(p);
    return p;
  } catch {
    const bytes = decodePathBytes(p);
    return isUtf8(bytes) ? bytes.toString('utf8') : bytes;
  }
}

/** A byte path (`/`-separated) as text, each segment encoded as above. */
export function encodePathBytes(p: Uint8Array): string {
  const b = Buffer.from(p);
  const segs: string[] = [];
  let start = 0;
  for (let i = 0; i <= b.length; i++) {
    if (i === b.length || b[i] === 0x2f) {
      segs.push(encodeSegment(b.subarray(start, i)));
      start = i + 1;
    }
  }
  return segs.join('/');
}

/** The real path (links resolved) of a dataset path, as encoded text; null when it cannot be resolved. */
export function realPathEncoded(p: string): string | null {
  try {
    // native: the JavaScript realpathSync turns byte paths into (lossy) strings.
    return encodePathBytes(fs.realpathSync.native(fsPath(p), { encoding: 'buffer' }));
  } catch {
    return null;
  }
}

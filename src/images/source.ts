/**
 * Helpers over a dataset's {@link PixelSource}, so the pipeline never switches on `pixels.kind`
 * itself: the number of images, the raw-array view (pixels already in memory), and the encoded
 * bytes of one row (a file's content or bytes held in memory). A new kind of pixel source is
 * added to `PixelSource` (src/types.ts) and here, and every stage (exact pre-pass, pHash,
 * embedding, thumbnails, keep policies, outputs) takes it.
 */
import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { PixelSource } from '../types';
import { NeardupError } from '../errors';
import { readImageFile } from './decode';
import { fsPath } from '../datasets/names';

/** Pixels held as one raw uint8 block (CIFAR, IDX, the sample). */
export type ArrayPixels = Extract<PixelSource, { kind: 'array' }>;

/** The outcome of reading one row's encoded bytes: the bytes, or why they cannot be read. */
export type EncodedRead = { ok: true; bytes: Buffer } | { ok: false; reason: string };

/** Number of images in the source (rows of the dataset's DataFrame). */
export function imageCount(px: PixelSource): number {
  switch (px.kind) {
    case 'array':
      return px.data.length / (px.width * px.height * px.channels);
    case 'files':
      return px.paths.length;
    case 'encoded':
      return px.images.length;
    default:
      throw new NeardupError(`unknown pixel source kind ${String((px as { kind: unknown }).kind)}`, 'unsupported');
  }
}

/** The source when its pixels are a raw array in memory, else null (its images are encoded). */
export function arrayPixels(px: PixelSource): ArrayPixels | null {
  return px.kind === 'array' ? px : null;
}

/** True when each row is an encoded image (a file or bytes), i.e. decoded with sharp. */
export function isEncoded(px: PixelSource): boolean {
  return px.kind !== 'array';
}

/** The file path of each row when the source is a list of files (folders, manifests), else null. */
export function filePaths(px: PixelSource): readonly string[] | null {
  return px.kind === 'files' ? px.paths : null;
}

/**
 * The encoded bytes of row `row` (a JPEG, PNG, … file's content). Never throws for a missing or
 * unreadable image: the reason says why (`file not found`, `no image bytes`, …).
 * @throws {@link NeardupError} (`invalid_argument`) for an array source, which has no encoded bytes.
 */
export async function readEncoded(px: PixelSource, row: number): Promise<EncodedRead> {
  switch (px.kind) {
    case 'files':
      return readImageFile(px.paths[row]);
    case 'encoded': {
      const b = px.images[row];
      if (!b || b.length === 0) return { ok: false, reason: 'no image bytes' };
      return { ok: true, bytes: Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength) };
    }
    default:
      throw new NeardupError(`row ${row}: pixels of kind ${px.kind} have no encoded bytes`);
  }
}

/** Bytes of the encoded image of every row (0 for array sources and unreadable files). */
export function encodedSizes(px: PixelSource): number[] {
  switch (px.kind) {
    case 'files':
      return px.paths.map((p) => {
        try {
          return statSync(fsPath(p)).size;
        } catch {
          return 0;
        }
      });
    case 'encoded':
      return px.images.map((b) => b?.length ?? 0);
    default:
      return new Array(imageCount(px)).fill(0);
  }
}

/** Reads a whole encoded row for hashing; null when it cannot be read. */
export async function encodedBytesOrNull(px: PixelSource, row: number): Promise<Buffer | null> {
  if (px.kind === 'files') {
    try {
      return await readFile(fsPath(px.paths[row]));
    } catch {
      return null;
    }
  }
  const r = await readEncoded(px, row);
  return r.ok ? r.bytes : null;
}

/**
 * sha256 (hex) of row `row`'s encoded bytes, streamed for files.
 * @throws the read error when the file cannot be read (callers treat the row as unmatched).
 */
export async function hashEncoded(px: PixelSource, row: number): Promise<string> {
  const h = createHash('sha256');
  if (px.kind === 'files') {
    for await (const chunk of createReadStream(fsPath(px.paths[row]), { flags: 'r' })) h.update(chunk as Buffer);
  } else {
    const r = await readEncoded(px, row);
    if (!r.ok) throw new NeardupError(`row ${row}: ${r.reason}`, 'io');
    h.update(r.bytes);
  }
  return h.digest('hex');
}

/**
 * Exact duplicates, a fast pre-pass before any embedding: samples whose file bytes are identical,
 * or whose decoded pixels are identical (the same picture saved as PNG and BMP, or re-saved with
 * different metadata). For array datasets (CIFAR, IDX) the raw pixel bytes are the content.
 */
import { createHash } from 'node:crypto';
import type { Dataset } from '../types';
import { openImage } from '../images/decode';
import { columnValues, hasColumn } from '../frame';
import { mapLimit } from '../map-limit';
import { arrayPixels, encodedBytesOrNull, hashEncoded, imageCount } from '../images/source';

/** Default {@link ExactOptions.maxPixels}: images up to 1 megapixel are compared by decoded pixels. */
export const DEFAULT_PIXEL_HASH_MAX_PIXELS = 1_000_000;

/** Result of {@link findExactDuplicates}; arrays are in the dataset's row order. */
export interface ExactDuplicates {
  /** Exact group of each row (-1 = no identical copy), numbered 0.. by each group's first row. */
  group: Int32Array;
  /** Number of exact groups (each ≥ 2 rows). */
  groups: number;
  /** Rows identical to an earlier row (what removing exact copies would remove). */
  duplicates: number;
  /** sha256 of each file's bytes (files datasets; null when the file could not be read). */
  byteHash: (string | null)[] | null;
  /**
   * sha256 of each row's decoded pixels (RGBA, with width and height), null when not computed:
   * for files only rows that could be pixel-identical to another row (same width and height, not
   * already byte-identical, at most `maxPixels`) are decoded.
   */
  pixelHash: (string | null)[];
  /** How each row matched: 'bytes', 'pixels' or '' (none). */
  matchedBy: Array<'bytes' | 'pixels' | ''>;
}

/** Options of {@link findExactDuplicates}. */
export interface ExactOptions {
  /** Also compare decoded pixels of files (default true). */
  pixels?: boolean;
  /**
   * Largest image (width × height) whose pixels are decoded for the comparison; larger files are
   * compared by bytes only. Decoding full-size photos costs more than embedding them (77 wallpapers
   * of 2–8 Mpx: 6 minutes here), while ML datasets are mostly far below the default of 1,000,000
   * pixels. Use Infinity to decode everything.
   */
  maxPixels?: number;
  /**
   * Rows to leave out (1 = not hashed, never in an exact group): the scan passes the aliases, other
   * names of a file already in the dataset (datasets/aliases.ts), which are one file, not copies.
   */
  skip?: Uint8Array;
  /** Files hashed at once (default 8). */
  concurrency?: number;
  /** Progress callback: (rows done, total rows). */
  onProgress?: (done: number, total: number) => void;
}

/**
 * Finds byte- and pixel-identical samples. Files are only read, never modified. Unreadable or
 * undecodable files are simply not matched (the embedding stage records why they are skipped).
 */
export async function findExactDuplicates(ds: Dataset, opts: ExactOptions = {}): Promise<ExactDuplicates> {
  const px = arrayPixels(ds.pixels);
  if (px) {
    const n = ds.df.shape[0];
    const size = px.width * px.height * px.channels;
    const pixelHash: string[] = new Array(n);
    for (let i = 0; i < n; i++) {
      pixelHash[i] = createHash('sha256').update(px.data.subarray(i * size, (i + 1) * size)).digest('base64');
      if (opts.onProgress && (i % 5000 === 4999 || i === n - 1)) opts.onProgress(i + 1, n);
    }
    const group = groupByKey(pixelHash);
    return finish(group, null, pixelHash, pixelHash.map(() => 'pixels' as const));
  }

  const n = imageCount(ds.pixels);
  const rows = Array.from({ length: n }, (_, i) => i);
  const conc = opts.concurrency ?? 8;
  let done = 0;
  const tick = () => {
    done++;
    if (opts.onProgress && (done % 200 === 0 || done === n)) opts.onProgress(done, n);
  };
  const byteHash = await mapLimit(rows, conc, async (i) => {
    if (opts.skip && opts.skip[i] === 1) {
      tick();
      return null;
    }
    try {
      return await hashEncoded(ds.pixels, i);
    } catch {
      return null;
    } finally {
      tick();
    }
  });
  const byBytes = groupByKey(byteHash);
  const byteFirst = firstRows(byBytes);

  const pixelHash: (string | null)[] = new Array(n).fill(null);
  const maxPixels = opts.maxPixels ?? DEFAULT_PIXEL_HASH_MAX_PIXELS;
  if (opts.pixels !== false) {
    // Only rows that share width x height with another byte-distinct row can be pixel-identical.
    const widths = hasColumn(ds.df, 'width') ? columnValues<number | null>(ds.df, 'width') : null;
    const heights = hasColumn(ds.df, 'height') ? columnValues<number | null>(ds.df, 'height') : null;
    if (widths && heights) {
      const bySize = new Map<string, number[]>();
      for (let i = 0; i < n; i++) {
        if (byteHash[i] === null || widths[i] == null || heights[i] == null) continue;
        if (Number(widths[i]) * Number(heights[i]) > maxPixels) continue;
        // One representative per byte group: identical bytes already decode to identical pixels.
        if (byBytes[i] >= 0 && byteFirst[byBytes[i]] !== i) continue;
        const key = `${widths[i]}x${heights[i]}`;
        const list = bySize.get(key);
        if (list) list.push(i);
        else bySize.set(key, [i]);
      }
      const candidates = [...bySize.values()].filter((l) => l.length > 1).flat().sort((a, b) => a - b);
      await mapLimit(candidates, Math.min(conc, 4), async (i) => {
        pixelHash[i] = await hashPixels(await encodedBytesOrNull(ds.pixels, i), maxPixels);
      });
      // Byte-identical rows share their representative's pixel hash.
      for (let i = 0; i < n; i++) if (byBytes[i] >= 0 && pixelHash[i] === null) pixelHash[i] = pixelHash[byteFirst[byBytes[i]]];
    }
  }
  const byPixels = groupByKey(pixelHash);
  // Union of both relations: rows equal by bytes or by pixels.
  const parent = Int32Array.from({ length: n }, (_, i) => i);
  const find = (x: number): number => {
    while (parent[x] !== x) x = parent[x] = parent[parent[x]];
    return x;
  };
  const unite = (key: Int32Array) => {
    const firstRow = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      if (key[i] < 0) continue;
      const f = firstRow.get(key[i]);
      if (f === undefined) firstRow.set(key[i], i);
      else {
        const a = find(f);
        const b = find(i);
        if (a !== b) parent[Math.max(a, b)] = Math.min(a, b);
      }
    }
  };
  unite(byBytes);
  unite(byPixels);
  const roots = new Int32Array(n);
  const size = new Int32Array(n);
  for (let i = 0; i < n; i++) size[(roots[i] = find(i))]++;
  const merged = new Int32Array(n).fill(-1);
  const id = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    if (size[roots[i]] < 2) continue;
    let g = id.get(roots[i]);
    if (g === undefined) id.set(roots[i], (g = id.size));
    merged[i] = g;
  }
  const matchedBy = Array.from({ length: n }, (_, i): 'bytes' | 'pixels' | '' =>
    merged[i] < 0 ? '' : byBytes[i] >= 0 ? 'bytes' : 'pixels',
  );
  return finish(merged, byteHash, pixelHash, matchedBy);
}

function finish(
  group: Int32Array,
  byteHash: (string | null)[] | null,
  pixelHash: (string | null)[],
  matchedBy: Array<'bytes' | 'pixels' | ''>,
): ExactDuplicates {
  let groups = 0;
  let members = 0;
  for (let i = 0; i < group.length; i++) {
    if (group[i] < 0) continue;
    members++;
    if (group[i] + 1 > groups) groups = group[i] + 1;
  }
  for (let i = 0; i < group.length; i++) if (group[i] < 0) matchedBy[i] = '';
  return { group, groups, duplicates: members - groups, byteHash, pixelHash, matchedBy };
}

/** Rows with equal non-null keys share a group id (numbered by first row); singletons get -1. */
export function groupByKey(keys: ArrayLike<string | null>): Int32Array {
  const n = keys.length;
  const first = new Map<string, number>();
  const count = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const k = keys[i];
    if (k === null) continue;
    count.set(k, (count.get(k) ?? 0) + 1);
  }
  const out = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    const k = keys[i];
    if (k === null || count.get(k)! < 2) continue;
    let g = first.get(k);
    if (g === undefined) first.set(k, (g = first.size));
    out[i] = g;
  }
  return out;
}

/** First row of each group of an array from {@link groupByKey}. */
function firstRows(group: Int32Array): Int32Array {
  let max = -1;
  for (let i = 0; i < group.length; i++) if (group[i] > max) max = group[i];
  const first = new Int32Array(max + 1).fill(-1);
  for (let i = 0; i < group.length; i++) if (group[i] >= 0 && first[group[i]] < 0) first[group[i]] = i;
  return first;
}

/** sha256 of the decoded pixels (sRGB + alpha, so grayscale and RGB of equal content match). */
async function hashPixels(bytes: Buffer | null, maxPixels: number): Promise<string | null> {
  if (!bytes) return null;
  try {
    // Candidates are within maxPixels by their header; the limit here only guards a header that lied.
    const opened = await openImage(bytes, Math.max(maxPixels, 1));
    if (!opened.ok) return null;
    const { data, info } = await opened.image
      .toColourspace('srgb')
      .ensureAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    return createHash('sha256').update(`${info.width}x${info.height}x${info.channels}\n`).update(data).digest('base64');
  } catch {
    return null;
  }
}

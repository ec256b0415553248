/**
 * Combining signals: the CNN's cosine neighbours plus pairs whose perceptual hashes nearly match.
 *
 * pHash catches what the embedding misses most, tiny (32x32) and heavily degraded copies, whose
 * low-frequency layout survives. A hash match is put into both neighbour lists with a score of at
 * least {@link hashScore}: the default threshold for a match at the bit limit, rising 0.02 per bit
 * closer, capped at 0.99. So matches count at the default threshold, a stricter slider drops the
 * looser ones first, and a threshold of 1 still keeps exact duplicates only; groups, the slider and
 * the reports need nothing new. To keep look-alike photos apart, a hash match also needs the pair's
 * cosine to reach `minCosine` (loose: the CNN only has to agree the two are not wholly different).
 */
import type { Neighbors } from '../types';
import { UNVERIFIED_THRESHOLD } from '../dedup/defaults';
import { hammingAt, phash } from './hash';
import { decodeImage } from '../images/decode';
import { arrayPixels, imageCount, readEncoded } from '../images/source';
import { arrayImageToRgb } from '../images/array';
import type { Dataset } from '../types';
import { NeardupError } from '../errors';

/** Default Hamming distance (bits of 64) at or below which two pHashes match. */
export const DEFAULT_HASH_BITS = 6;
/** Default least cosine for a hash match to count (see the module comment). */
export const DEFAULT_HASH_MIN_COSINE = 0.5;

/** A pair of row indices (a < b) with the Hamming distance of their hashes. */
export interface HashPair {
  a: number;
  b: number;
  bits: number;
}

/**
 * All pairs of rows whose hashes differ in at most `maxBits` bits (≤ 15), found without comparing
 * all pairs: split the 64 bits into `maxBits + 1` blocks; two hashes within `maxBits` agree exactly
 * on at least one block (pigeonhole), so only rows sharing a block value are compared.
 * `hashes` holds two uint32 words per row; rows with `valid[i] = 0` are ignored.
 */
export function hashPairs(hashes: Uint32Array, maxBits = DEFAULT_HASH_BITS, valid?: Uint8Array): HashPair[] {
  if (!Number.isInteger(maxBits) || maxBits < 0 || maxBits > 15) throw new NeardupError(`hash bits must be an integer from 0 to 15, got ${maxBits}`);
  const n = hashes.length / 2;
  const blocks = maxBits + 1;
  const bounds = Array.from({ length: blocks + 1 }, (_, i) => Math.round((i * 64) / blocks));
  const bitOf = (row: number, bit: number) => (hashes[2 * row + (bit >> 5)] >>> (bit & 31)) & 1;
  const seen = new Set<number>();
  const out: HashPair[] = [];
  for (let blk = 0; blk < blocks; blk++) {
    const buckets = new Map<number, number[]>();
    for (let i = 0; i < n; i++) {
      if (valid && !valid[i]) continue;
      let key = 0;
      for (let bit = bounds[blk]; bit < bounds[blk + 1]; bit++) key = key * 2 + bitOf(i, bit);
      let list = buckets.get(key);
      if (!list) buckets.set(key, (list = []));
      list.push(i);
    }
    for (const list of buckets.values()) {
      for (let x = 0; x < list.length; x++) {
        for (let y = x + 1; y < list.length; y++) {
          const a = list[x];
          const b = list[y];
          const id = a * n + b;
          if (seen.has(id)) continue;
          const bits = hammingAt(hashes, a, hashes, b);
          if (bits <= maxBits) {
            seen.add(id);
            out.push({ a, b, bits });
          }
        }
      }
    }
  }
  return out.sort((p, q) => p.a - q.a || p.b - q.b);
}

/** Similarity score given to a hash match `bits` apart when the limit is `maxBits` (see the module comment). */
export function hashScore(bits: number, maxBits = DEFAULT_HASH_BITS): number {
  return Math.min(0.99, UNVERIFIED_THRESHOLD + 0.02 * (maxBits - bits));
}

/**
 * A copy of `nb` where every hash pair whose cosine (from `vectors`, n x dim, L2-normalised) is at
 * least `minCosine` appears in both rows' lists with score max(cosine, {@link hashScore}). Lists
 * stay sorted (descending score, ties by lower index) and keep their length k: the weakest entries
 * make room.
 */
export function mergeHashPairs(
  nb: Neighbors,
  pairs: readonly HashPair[],
  vectors: Float32Array,
  dim: number,
  minCosine = DEFAULT_HASH_MIN_COSINE,
  maxBits = DEFAULT_HASH_BITS,
): Neighbors {
  const { n, k } = nb;
  const extra = new Map<number, Map<number, number>>();
  const cos = (a: number, b: number) => {
    let s = 0;
    for (let d = 0; d < dim; d++) s += vectors[a * dim + d] * vectors[b * dim + d];
    return s;
  };
  for (const { a, b, bits } of pairs) {
    const c = cos(a, b);
    if (c < minCosine) continue;
    const score = Math.fround(Math.max(c, hashScore(bits, maxBits)));
    for (const [x, y] of [[a, b], [b, a]]) {
      let m = extra.get(x);
      if (!m) extra.set(x, (m = new Map()));
      m.set(y, score);
    }
  }
  const indices = new Int32Array(nb.indices);
  const scores = new Float32Array(nb.scores);
  for (const [row, set] of extra) {
    const entries: { i: number; s: number }[] = [];
    for (let j = 0; j < k; j++) {
      const i = nb.indices[row * k + j];
      if (i >= 0 && !set.has(i)) entries.push({ i, s: nb.scores[row * k + j] });
    }
    for (const [i, sc] of set) entries.push({ i, s: sc });
    entries.sort((p, q) => q.s - p.s || p.i - q.i);
    for (let j = 0; j < k; j++) {
      indices[row * k + j] = j < entries.length ? entries[j].i : -1;
      scores[row * k + j] = j < entries.length ? entries[j].s : -Infinity;
    }
  }
  return { n, k, indices, scores };
}

/**
 * pHash of every sample of a dataset, two uint32 words per row, computed from the same kind of decode
 * the embedding uses (squashed to `size` x `size`, default 64, EXIF applied, alpha on white). Unreadable files get
 * `valid[i] = 0`. For array datasets the hash comes straight from the stored pixels.
 */
export async function datasetHashes(ds: Dataset, opts: { size?: number; concurrency?: number; maxPixels?: number } = {}): Promise<{ hashes: Uint32Array; valid: Uint8Array }> {
  const n = imageCount(ds.pixels);
  const px = arrayPixels(ds.pixels);
  const hashes = new Uint32Array(2 * n);
  const valid = new Uint8Array(n);
  if (px) {
    // Resampled to 64x64 RGB (bilinear, any layout) so the 32x32 grid box-filters like file images.
    const rgb = new Uint8Array(64 * 64 * 3);
    for (let i = 0; i < n; i++) {
      hashes.set(phash(arrayImageToRgb(px, i, 64, rgb), 64, 64, 3), 2 * i);
      valid[i] = 1;
    }
    return { hashes, valid };
  }
  const size = opts.size ?? 64;
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= n) return;
      const file = await readEncoded(ds.pixels, i);
      if (!file.ok) continue;
      const d = await decodeImage(file.bytes, { size, maxPixels: opts.maxPixels });
      if (!d.ok) continue;
      hashes.set(phash(d.rgb, size, size, 3), 2 * i);
      valid[i] = 1;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 4) }, worker));
  return { hashes, valid };
}

/** Options of {@link addHashMatches}. */
export interface HashMatchOptions {
  /** Hamming distance (of 64 bits) at or below which hashes match. Default {@link DEFAULT_HASH_BITS}. */
  bits?: number;
  /** Least cosine for a hash match to count. Default {@link DEFAULT_HASH_MIN_COSINE}. */
  minCosine?: number;
  /**
   * Side the images are decoded at before hashing (squashed like the embedding input). Default 64:
   * JPEGs then decode at 1/8 scale, several times faster than at 224, and the 32x32 hash grid is the same.
   */
  size?: number;
  /** Decompression-bomb guard for the decode, in pixels (default 100 M; the scan passes its `maxPixels`). */
  maxPixels?: number;
}

/**
 * The scan step that combines the signals: hashes every sample, finds hash matches among the
 * embedded rows and merges them into the neighbour lists (see {@link mergeHashPairs}).
 * Costs one more decode per image file (arrays are hashed from memory).
 */
export async function addHashMatches(
  ds: Dataset,
  emb: { vectors: Float32Array; dim: number; status: readonly string[] },
  nb: Neighbors,
  opts: HashMatchOptions = {},
): Promise<{ neighbors: Neighbors; pairs: HashPair[]; merged: number }> {
  const { hashes, valid } = await datasetHashes(ds, { size: opts.size, maxPixels: opts.maxPixels });
  for (let i = 0; i < valid.length; i++) if (emb.status[i] !== 'ok') valid[i] = 0;
  const pairs = hashPairs(hashes, opts.bits ?? DEFAULT_HASH_BITS, valid);
  const minCosine = opts.minCosine ?? DEFAULT_HASH_MIN_COSINE;
  const neighbors = mergeHashPairs(nb, pairs, emb.vectors, emb.dim, minCosine, opts.bits ?? DEFAULT_HASH_BITS);
  let merged = 0;
  for (const p of pairs) {
    let s = 0;
    for (let d = 0; d < emb.dim; d++) s += emb.vectors[p.a * emb.dim + d] * emb.vectors[p.b * emb.dim + d];
    if (s >= minCosine) merged++;
  }
  return { neighbors, pairs, merged };
}

/**
 * Exact k-nearest-neighbour search by cosine similarity, for every sample at once.
 * See docs/similarity.md for the method, the memory bound and measured speed.
 */
import type { Neighbors } from '../types';
import { checkKnnArgs } from './knn-args';
import { NeardupError } from '../errors';
import { topKReference } from './knn-reference';
import { topKOnnx } from './knn-onnx';
import { neighborCacheKey, readNeighborCache, writeNeighborCache } from './cache';

export interface TopKOptions {
  /** `valid[i] = 0` marks a skipped sample: never a neighbour; its own list is all -1 / NaN. */
  valid?: Uint8Array;
  /** Tile side in rows for the fast path (default 2048: a 16 MiB tile). */
  blockRows?: number;
  /** onnxruntime intra-op threads (default: one per core). */
  threads?: number;
  /** Called after each tile with (tiles done, total tiles). */
  onProgress?: (done: number, total: number) => void;
  /**
   * How the fast path uses the threads: `'gemm'` (default) runs one tile at a time with
   * onnxruntime's multi-threaded GEMM; `'tiles'` runs whole tiles side by side on worker threads
   * (keeps the main thread free). Results are identical.
   */
  parallelism?: 'tiles' | 'gemm';
  /**
   * `'onnx'`: onnxruntime GEMM tiles (fast); `'js'`: the plain-JavaScript reference;
   * `'auto'` (default): `'js'` for tiny inputs where starting onnxruntime costs more than it saves.
   */
  backend?: 'auto' | 'onnx' | 'js';
  /**
   * Folder of the on-disk neighbour cache (cache.ts): the same vectors, k and valid mask are read
   * back instead of searched again. Default: no cache. The scan uses `$NEARDUP_CACHE/neighbors`.
   */
  cacheDir?: string;
}

/** Below this many multiply-adds (n²·dim/2) the plain-JS path is used by `'auto'`. */
const SMALL_WORK = 2e7;

/**
 * Exact top-k neighbours of every row of `vectors` (n x dim, row-major, L2-normalised), by dot
 * product = cosine similarity, excluding the row itself.
 *
 * Result layout (`Neighbors`): `indices[i*k + j]`, `scores[i*k + j]`, sorted by descending score,
 * ties by lower index. Slots beyond the number of other valid rows hold -1 / -Infinity; rows
 * marked invalid hold -1 / NaN. Memory: O(n·k) plus one tile; the n×n matrix is never built.
 */
export async function topK(
  vectors: Float32Array,
  n: number,
  dim: number,
  k: number,
  opts: TopKOptions = {},
): Promise<Neighbors> {
  checkKnnArgs(vectors, n, dim, k, opts.valid);
  if (opts.blockRows !== undefined && (!Number.isInteger(opts.blockRows) || opts.blockRows < 1)) {
    throw new NeardupError(`topK: blockRows must be a positive integer, got ${opts.blockRows}`);
  }
  const key = opts.cacheDir ? neighborCacheKey(vectors, n, dim, k, opts.valid) : '';
  if (opts.cacheDir) {
    const hit = readNeighborCache(opts.cacheDir, key, n, k);
    if (hit) {
      opts.onProgress?.(1, 1);
      return { ...hit, cached: true };
    }
  }
  const backend = opts.backend ?? 'auto';
  let nb: Neighbors;
  if (backend === 'js' || (backend === 'auto' && (n * n * dim) / 2 < SMALL_WORK)) {
    nb = topKReference(vectors, n, dim, k, opts.valid);
    opts.onProgress?.(1, 1);
  } else {
    nb = await topKOnnx(vectors, n, dim, k, opts);
  }
  if (opts.cacheDir) {
    try {
      writeNeighborCache(opts.cacheDir, key, nb);
    } catch {
      // An unwritable cache costs a rerun its speed-up, never the result.
    }
  }
  return nb;
}

/** Synchronous top-k for small inputs (plain JavaScript, O(n²·dim)); same result contract as `topK`. */
export function topKSync(vectors: Float32Array, n: number, dim: number, k: number, valid?: Uint8Array): Neighbors {
  return topKReference(vectors, n, dim, k, valid);
}

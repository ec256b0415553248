/**
 * One neighbour search through the backend seam, with the on-disk cache: the key includes the
 * backend's name and result-determining parameters, so exact and approximate lists (or two ANN
 * settings) are never served for each other.
 */
import type { Neighbors } from '../types';
import { neighborCacheKey, readNeighborCache, writeNeighborCache } from './cache';
import { resolveSearch, type SearchChoice } from './backends/registry';
import { searchInfo, type SearchInfo } from './backends/types';
import type { LanceLocation } from './backends/lancedb';

/** Options of {@link searchNeighbors}. */
export interface SearchNeighborsOptions {
  /** Backend choice (default `exact`). */
  search?: SearchChoice;
  valid?: Uint8Array;
  /** Cache folder; default none. */
  cacheDir?: string;
  /** Where an ANN backend keeps its table (default: a temporary folder). */
  where?: LanceLocation;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

/**
 * The k nearest neighbours of every row with the chosen backend; `info` says which ran, with its
 * parameters, and `neighbors.cached` whether the lists came from the cache.
 * @throws NeardupError as the backend does (bad shapes: `invalid_argument`).
 */
export async function searchNeighbors(
  vectors: Float32Array,
  n: number,
  dim: number,
  k: number,
  opts: SearchNeighborsOptions = {},
): Promise<{ neighbors: Neighbors; info: SearchInfo }> {
  let valid = 0;
  for (let i = 0; i < n; i++) valid += !opts.valid || opts.valid[i] ? 1 : 0;
  const backend = resolveSearch(opts.search, valid, opts.where);
  const info = searchInfo(backend);
  const key = opts.cacheDir ? neighborCacheKey(vectors, n, dim, k, opts.valid, info) : '';
  if (opts.cacheDir) {
    const hit = readNeighborCache(opts.cacheDir, key, n, k);
    if (hit) {
      opts.onProgress?.(1, 1);
      return { neighbors: { ...hit, cached: true }, info };
    }
  }
  const nb = await backend.search(vectors, n, dim, k, { valid: opts.valid, onProgress: opts.onProgress, signal: opts.signal });
  if (opts.cacheDir) {
    try {
      writeNeighborCache(opts.cacheDir, key, nb);
    } catch {
      // An unwritable cache costs a rerun its speed-up, never the result.
    }
  }
  return { neighbors: nb, info };
}

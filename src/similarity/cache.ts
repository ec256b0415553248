/**
 * On-disk cache of k-nearest-neighbour lists, so a rescan of the same embeddings (a new threshold,
 * keep policy or report) skips the all-pairs search: about a minute at 70,000 samples.
 *
 * The key hashes everything the result depends on: the vectors' bytes, n, dim, k, the valid mask
 * and the search backend with its result-determining parameters (backends/types.ts), so an exact
 * list and an approximate one are never served for each other. Files are written atomically (temp + rename); a file that is short,
 * of another format or for another shape is ignored and recomputed.
 *
 * File format (little-endian): magic `NDKNN001`, uint32 n, uint32 k, n·k int32 indices,
 * n·k float32 scores.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Neighbors } from '../types';
import { writeFileAtomicSync } from '../frame/atomic';
import { cacheRoot } from '../cache-root';
import type { SearchInfo } from './backends/types';

const MAGIC = Buffer.from('NDKNN001');
const HEADER = MAGIC.length + 8;

/** `$NEARDUP_CACHE/neighbors`, or `~/.cache/neardup/neighbors` (see {@link cacheRoot}). */
export function defaultNeighborCacheDir(): string {
  return join(cacheRoot(), 'neighbors');
}

/** The backend part of a cache key: the exact search unless told otherwise. */
const EXACT: SearchInfo = { backend: 'exact', exact: true, params: {} };

/**
 * Hex key of one search: the vectors' bytes, their shape, k, the valid mask and the backend
 * (name and parameters, in sorted key order).
 */
export function neighborCacheKey(vectors: Float32Array, n: number, dim: number, k: number, valid?: Uint8Array, backend: SearchInfo = EXACT): string {
  const params = Object.keys(backend.params)
    .sort()
    .map((p) => `${p}=${JSON.stringify(backend.params[p])}`)
    .join(',');
  const h = createHash('sha256').update(`neardup-knn v2 backend=${backend.backend} exact=${backend.exact} params=${params} n=${n} dim=${dim} k=${k}\n`);
  h.update(new Uint8Array(vectors.buffer, vectors.byteOffset, n * dim * 4));
  h.update(valid ? Uint8Array.from(valid, (v) => (v ? 1 : 0)) : new Uint8Array(0));
  return h.digest('hex').slice(0, 32);
}

/** The cached lists for `key`, or null when there is no usable file. */
export function readNeighborCache(dir: string, key: string, n: number, k: number): Neighbors | null {
  const file = join(dir, `${key}.bin`);
  if (!existsSync(file)) return null;
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch {
    return null;
  }
  if (buf.length !== HEADER + 8 * n * k || !buf.subarray(0, MAGIC.length).equals(MAGIC)) return null;
  if (buf.readUInt32LE(MAGIC.length) !== n || buf.readUInt32LE(MAGIC.length + 4) !== k) return null;
  // Copy into fresh, aligned arrays (a Buffer's offset into its pool need not be 4-aligned).
  const indices = new Int32Array(n * k);
  const scores = new Float32Array(n * k);
  new Uint8Array(indices.buffer).set(buf.subarray(HEADER, HEADER + 4 * n * k));
  new Uint8Array(scores.buffer).set(buf.subarray(HEADER + 4 * n * k));
  return { n, k, indices, scores };
}

/** Writes the lists for `key` atomically. */
export function writeNeighborCache(dir: string, key: string, nb: Neighbors): void {
  mkdirSync(dir, { recursive: true });
  const head = Buffer.alloc(HEADER);
  MAGIC.copy(head);
  head.writeUInt32LE(nb.n, MAGIC.length);
  head.writeUInt32LE(nb.k, MAGIC.length + 4);
  const body = Buffer.concat([
    head,
    Buffer.from(nb.indices.buffer, nb.indices.byteOffset, nb.indices.byteLength),
    Buffer.from(nb.scores.buffer, nb.scores.byteOffset, nb.scores.byteLength),
  ]);
  writeFileAtomicSync(join(dir, `${key}.bin`), body);
}

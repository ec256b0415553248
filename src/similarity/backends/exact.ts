/**
 * The exact backend: today's blocked all-pairs search (onnxruntime GEMM tiles, or the plain-JS
 * reference for tiny inputs; docs/similarity.md). Deterministic, ties by lower index, so its cache
 * entries are what a rerun would compute.
 */
import type { Neighbors } from '../../types';
import { checkKnnArgs, finishInvalidRows } from '../knn-args';
import { topKReference } from '../knn-reference';
import { topKOnnx } from '../knn-onnx';
import { TopKRows } from '../topk-rows';
import { NeardupError } from '../../errors';
import type { BackendSearchOptions, SearchBackend } from './types';

/** Below this many multiply-adds (n²·dim/2) the plain-JS reference is faster than starting onnxruntime. */
const SMALL_WORK = 2e7;

/** Options of the exact backend; none of them changes the result (so none is in the cache key). */
export interface ExactBackendOptions {
  /** `'onnx'` GEMM tiles, `'js'` reference, `'auto'` (default): js for tiny inputs. */
  engine?: 'auto' | 'onnx' | 'js';
  /** Tile side in rows (default 2,048). */
  blockRows?: number;
  /** onnxruntime threads (default one per core). */
  threads?: number;
  /** `'gemm'` (default) or `'tiles'`; see docs/similarity.md. */
  parallelism?: 'tiles' | 'gemm';
}

export class ExactBackend implements SearchBackend {
  readonly name = 'exact';
  readonly exact = true;
  readonly params = {};

  constructor(private readonly opts: ExactBackendOptions = {}) {}

  async search(vectors: Float32Array, n: number, dim: number, k: number, options: BackendSearchOptions = {}): Promise<Neighbors> {
    checkKnnArgs(vectors, n, dim, k, options.valid);
    const { valid, onProgress } = options;
    if (options.queryRange) return exactQueryRange(vectors, n, dim, k, checkRange(options.queryRange, n), valid, options.signal);
    const engine = this.opts.engine ?? 'auto';
    if (engine === 'js' || (engine === 'auto' && (n * n * dim) / 2 < SMALL_WORK)) {
      const nb = topKReference(vectors, n, dim, k, valid);
      onProgress?.(1, 1);
      return nb;
    }
    return topKOnnx(vectors, n, dim, k, { valid, onProgress, blockRows: this.opts.blockRows, threads: this.opts.threads, parallelism: this.opts.parallelism });
  }
}

/** Checks a `[start, end)` query range against n. */
export function checkRange(r: [number, number], n: number): [number, number] {
  const [a, b] = r;
  if (!Number.isInteger(a) || !Number.isInteger(b) || a < 0 || b < a || b > n) {
    throw new NeardupError(`queryRange must be [start, end) with 0 <= start <= end <= n = ${n}, got [${a}, ${b})`);
  }
  return [a, b];
}

/**
 * Exact lists of the query rows `[a, b)` against all n rows: float64 dot products rounded to
 * float32 (as the reference). O((b-a)·n·dim) in plain JavaScript: the sharded path's exact
 * fallback and the re-ranking yardstick; the approximate backend is the fast way to shard.
 */
export function exactQueryRange(
  vectors: Float32Array,
  n: number,
  dim: number,
  k: number,
  [a, b]: [number, number],
  valid?: Uint8Array,
  signal?: AbortSignal,
): Neighbors {
  const m = b - a;
  const acc = new TopKRows(m, k);
  const ok = (i: number) => !valid || valid[i] !== 0;
  for (let q = a; q < b; q++) {
    if (signal?.aborted) throw new NeardupError('search interrupted', 'interrupted');
    if (!ok(q)) continue;
    const oq = q * dim;
    for (let j = 0; j < n; j++) {
      if (j === q || !ok(j)) continue;
      const oj = j * dim;
      let s = 0;
      for (let d = 0; d < dim; d++) s += vectors[oq + d] * vectors[oj + d];
      acc.offer(q - a, j, Math.fround(s));
    }
  }
  const nb = acc.toNeighbors();
  if (valid) finishInvalidRows(nb, valid.subarray(a, b));
  return nb;
}

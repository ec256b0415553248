/**
 * Plain-JavaScript exact top-k, the reference the fast paths are tested against.
 * Synchronous, no native code, O(n²·dim) time and O(n·k) memory; fine up to a few thousand rows.
 */
import type { Neighbors } from '../types';
import { TopKRows } from './topk-rows';
import { checkKnnArgs, finishInvalidRows } from './knn-args';

/**
 * Exact k nearest neighbours by dot product (= cosine on L2-normalised rows), excluding self.
 * Rows with `valid[i] === 0` are never neighbours, and their own lists are all `-1` / `NaN`.
 * Each score is the float64 dot product rounded to float32.
 */
export function topKReference(
  vectors: Float32Array,
  n: number,
  dim: number,
  k: number,
  valid?: Uint8Array,
): Neighbors {
  checkKnnArgs(vectors, n, dim, k, valid);
  const acc = new TopKRows(n, k);
  const ok = (i: number) => !valid || valid[i] !== 0;
  for (let i = 0; i < n; i++) {
    if (!ok(i)) continue;
    const oi = i * dim;
    // Upper triangle only: each pair's score feeds both rows.
    for (let j = i + 1; j < n; j++) {
      if (!ok(j)) continue;
      const oj = j * dim;
      let s = 0;
      for (let d = 0; d < dim; d++) s += vectors[oi + d] * vectors[oj + d];
      const f = Math.fround(s);
      acc.offer(i, j, f);
      acc.offer(j, i, f);
    }
  }
  const nb = acc.toNeighbors();
  finishInvalidRows(nb, valid);
  return nb;
}

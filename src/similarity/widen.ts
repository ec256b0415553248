/**
 * Widening crowded neighbour lists (issue 10, documents). A scan lists each sample's k nearest neighbours
 * (default 10). In a collection of look-alikes (pages of one template, one product on white) those k places
 * can all be taken by different images at or above the threshold, and a real copy further down is never
 * seen: on the benchmark's pages, k = 10 found copies for group-pair recall 0.527 where k = 32 found 0.893
 * (docs/quality.md, "Crowded lists"). The scan therefore looks further, but only where it pays: rows whose
 * list is full at the threshold *and* held a pair the second signal rejected. Their lists are searched again,
 * exactly, to {@link WIDEN_K} places; every other list is left as it was.
 */
import type { Neighbors } from '../types';
import { NeardupError } from '../errors';
import { TopKRows } from './topk-rows';

/** How far a crowded list is widened: the list length the families evaluation replays (bench/eval). */
export const WIDEN_K = 32;

/**
 * Most multiply-adds (rows × valid samples × dimension) spent on the widened search, about 10–20 s of one
 * core in plain JavaScript. Past it the lists are not widened and the scan's summary says so (`widened.over_budget`).
 */
export const WIDEN_BUDGET = 2e10;

/**
 * Exact top-`k` lists of the given rows against every valid row (cosine = dot product of L2-normalised
 * vectors), in the `Neighbors` layout with one list per entry of `rows`, sorted by descending score, ties by
 * lower index; the row itself and invalid rows are never listed.
 * @param vectors n × dim row-major, L2-normalised.
 * @returns `indices`/`scores` of shape rows.length × k (-1 / -Infinity padding).
 * @throws {@link NeardupError} when a row is out of range or k is not a positive integer.
 */
export function topKOfRows(vectors: Float32Array, n: number, dim: number, rows: readonly number[], k: number, valid?: Uint8Array): Neighbors {
  if (!Number.isInteger(k) || k < 1) throw new NeardupError(`topKOfRows: k must be a positive integer, got ${k}`);
  const out = new TopKRows(rows.length, k);
  for (let r = 0; r < rows.length; r++) {
    const q = rows[r];
    if (!Number.isInteger(q) || q < 0 || q >= n) throw new NeardupError(`topKOfRows: row ${q} is outside 0..${n - 1}`);
    const qo = q * dim;
    for (let i = 0; i < n; i++) {
      if (i === q || (valid && !valid[i])) continue;
      const io = i * dim;
      let s = 0;
      for (let d = 0; d < dim; d++) s += vectors[qo + d] * vectors[io + d];
      if (s >= out.worst[r]) out.offer(r, i, Math.fround(s));
    }
  }
  return out.toNeighbors();
}

/**
 * `nb` with every list `K` long: the lists of `rows` are the union of their own entries (kept with their
 * scores, e.g. a lifted pHash match) and their entries in `wide` (one list per entry of `rows`, as
 * {@link topKOfRows} gives), sorted by descending score, ties by lower index, cut to `K`; every other list is
 * copied and padded with -1 / -Infinity.
 * @throws {@link NeardupError} when `K` is under `nb.k` or `wide` does not have one list per row.
 */
export function widenLists(nb: Neighbors, rows: readonly number[], wide: Neighbors, K: number): Neighbors {
  if (!(Number.isInteger(K) && K >= nb.k)) throw new NeardupError(`widenLists: K (${K}) must be a whole number ≥ k (${nb.k})`);
  if (wide.n !== rows.length) throw new NeardupError(`widenLists: ${wide.n} widened lists for ${rows.length} rows`);
  const { n, k } = nb;
  const indices = new Int32Array(n * K).fill(-1);
  const scores = new Float32Array(n * K).fill(-Infinity);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < k; j++) {
      indices[i * K + j] = nb.indices[i * k + j];
      scores[i * K + j] = nb.scores[i * k + j];
    }
    // A row marked invalid keeps its NaN scores (as the search leaves it).
    if (k > 0 && Number.isNaN(nb.scores[i * k])) scores.fill(NaN, i * K, (i + 1) * K);
  }
  for (let r = 0; r < rows.length; r++) {
    const i = rows[r];
    const seen = new Map<number, number>();
    for (let j = 0; j < k; j++) {
      const o = nb.indices[i * k + j];
      if (o >= 0) seen.set(o, nb.scores[i * k + j]);
    }
    for (let j = 0; j < wide.k; j++) {
      const o = wide.indices[r * wide.k + j];
      if (o >= 0 && !seen.has(o)) seen.set(o, wide.scores[r * wide.k + j]);
    }
    const list = [...seen].sort((x, y) => y[1] - x[1] || x[0] - y[0]).slice(0, K);
    for (let j = 0; j < K; j++) {
      indices[i * K + j] = j < list.length ? list[j][0] : -1;
      scores[i * K + j] = j < list.length ? list[j][1] : -Infinity;
    }
  }
  return { n, k: K, indices, scores };
}

/**
 * The lists of `rows` of `nb` as their own `Neighbors` (one list per entry of `rows`, same k), as
 * {@link widenLists} takes them.
 */
export function rowsOf(nb: Neighbors, rows: readonly number[]): Neighbors {
  const { k } = nb;
  const indices = new Int32Array(rows.length * k);
  const scores = new Float32Array(rows.length * k);
  rows.forEach((i, r) => {
    indices.set(nb.indices.subarray(i * k, (i + 1) * k), r * k);
    scores.set(nb.scores.subarray(i * k, (i + 1) * k), r * k);
  });
  return { n: rows.length, k, indices, scores };
}

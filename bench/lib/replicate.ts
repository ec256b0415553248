// A large explorer input made from a real one: the n-row k-NN result is repeated block after block
// (row i of block c is row c*n + i, its neighbours are shifted into the same block) until `total`
// rows. Each block has exactly the groups, scores and score distribution of the real result, and
// no edge crosses blocks, so the groups of the whole are the real groups repeated. The last block
// is cut at `total`: neighbours past the end are dropped (the rest of the list moves up, so each
// list stays sorted by descending score with -1 / -Infinity padding at the end).
import type { Neighbors } from '../../src/types';

/** Rows of block c: the same values as the base (ids get a block prefix so they stay unique). */
export function replicateNeighbors(base: Neighbors, total: number): Neighbors {
  const { n, k } = base;
  const indices = new Int32Array(total * k);
  const scores = new Float32Array(total * k);
  for (let row = 0; row < total; row++) {
    const c = Math.floor(row / n);
    const i = row - c * n;
    let out = row * k;
    for (let j = 0; j < k; j++) {
      const nb = base.indices[i * k + j];
      if (nb < 0) break;
      const to = c * n + nb;
      if (to >= total) continue;
      indices[out] = to;
      scores[out++] = base.scores[i * k + j];
    }
    for (; out < (row + 1) * k; out++) {
      indices[out] = -1;
      scores[out] = -Infinity;
    }
  }
  return { n: total, k, indices, scores };
}

/** Repeats a per-row array block after block up to `total` entries; `shift` adds c*shift to values >= 0 of block c (exact-group ids). */
export function replicateColumn<T extends Int32Array | Uint8Array>(a: T, total: number, shift = 0): T {
  const out = new (a.constructor as any)(total) as T;
  for (let c = 0, at = 0; at < total; c++, at += a.length) {
    const part = a.subarray(0, Math.min(a.length, total - at));
    out.set(part, at);
    if (shift && c) for (let i = at; i < at + part.length; i++) if (out[i] >= 0) out[i] += c * shift;
  }
  return out;
}

/** Repeats a per-row list block after block up to `total` rows; `map(value, block)` rewrites values (e.g. id prefixes). */
export function replicateList<T>(a: ArrayLike<T>, total: number, map?: (v: T, block: number) => T): T[] {
  const out = new Array<T>(total);
  for (let row = 0; row < total; row++) {
    const c = Math.floor(row / a.length);
    const v = a[row - c * a.length];
    out[row] = map ? map(v, c) : v;
  }
  return out;
}

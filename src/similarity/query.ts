/**
 * Questions a notebook or the CLI asks once neighbours are known: how similar are these two
 * samples, what are this sample's nearest neighbours, and the per-sample columns of a report.
 * Samples are named by their `id` (the DataFrame's `id` column, `Embeddings.ids`).
 */
import type { DataFrame } from 'danfojs-node';
import type { Embeddings, Neighbors } from '../types';
import { NeardupError } from '../errors';

const indexCache = new WeakMap<readonly string[], Map<string, number>>();

/** Row number of `id` in `ids` (cached per ids array); throws a NeardupError naming the id. */
export function rowOf(ids: readonly string[], id: string): number {
  let m = indexCache.get(ids);
  if (!m) {
    m = new Map();
    ids.forEach((x, i) => {
      if (!m!.has(x)) m!.set(x, i);
    });
    indexCache.set(ids, m);
  }
  const i = m.get(id);
  if (i === undefined) throw new NeardupError(`unknown sample id "${id}" (not among the ${ids.length} embedded samples)`);
  return i;
}

/**
 * Cosine similarity of two samples = dot product of their L2-normalised embeddings, computed
 * from the vectors (any pair, not only neighbours). NaN when either sample was skipped.
 */
export function cosine(emb: Embeddings, idA: string, idB: string): number {
  const a = rowOf(emb.ids, idA);
  const b = rowOf(emb.ids, idB);
  if (emb.status[a] !== 'ok' || emb.status[b] !== 'ok') return NaN;
  return cosineOfRows(emb, a, b);
}

/**
 * Cosine similarity of rows a and b of L2-normalised embeddings (their dot product over `dim`
 * values); no status check: the caller passes embedded rows (the scan's verification, the evals).
 */
export function cosineOfRows(emb: Pick<Embeddings, 'vectors' | 'dim'>, a: number, b: number): number {
  const { vectors: v, dim } = emb;
  let s = 0;
  for (let d = 0; d < dim; d++) s += v[a * dim + d] * v[b * dim + d];
  return s;
}

/** One neighbour of a sample. */
export interface Neighbor {
  id: string;
  similarity: number;
}

/**
 * The nearest neighbours of sample `id`, most similar first (ties: earlier row first), at most
 * `k` (default: all that `nb` holds). Empty for a skipped sample.
 */
export function neighborsOf(emb: Pick<Embeddings, 'ids'>, nb: Neighbors, id: string, k = nb.k): Neighbor[] {
  const i = rowOf(emb.ids, id);
  const out: Neighbor[] = [];
  const take = Math.min(Math.max(0, k), nb.k);
  for (let j = 0; j < take; j++) {
    const idx = nb.indices[i * nb.k + j];
    if (idx < 0) break;
    out.push({ id: emb.ids[idx], similarity: nb.scores[i * nb.k + j] });
  }
  return out;
}

/** Per-sample neighbour columns, in row order (see {@link neighborColumns}). */
export interface NeighborColumns {
  /** Highest cosine similarity to any other sample; NaN when the sample was skipped or alone. */
  max_similarity: Float64Array;
  /** Id of that most similar sample; null when none. */
  nearest_id: (string | null)[];
  /** JSON list `[{"id": ..., "similarity": ...}, ...]` of the k neighbours, similarities to 6 decimals; "[]" when none. */
  neighbors: string[];
}

/**
 * Turns `Neighbors` into the per-sample report columns `max_similarity`, `nearest_id` and
 * `neighbors` (JSON, so one column holds all k and survives CSV export). `ids` is
 * `Embeddings.ids` (same row order as `nb`). `k` limits how many neighbours go into `neighbors`.
 */
export function neighborColumns(ids: readonly string[], nb: Neighbors, k = nb.k): NeighborColumns {
  if (ids.length !== nb.n) throw new NeardupError(`neighborColumns: ${ids.length} ids for ${nb.n} rows of neighbours`);
  const n = nb.n;
  const take = Math.min(Math.max(0, k), nb.k);
  const max_similarity = new Float64Array(n);
  const nearest_id: (string | null)[] = new Array(n);
  const neighbors: string[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const first = nb.k > 0 ? nb.indices[i * nb.k] : -1;
    max_similarity[i] = first >= 0 ? nb.scores[i * nb.k] : NaN;
    nearest_id[i] = first >= 0 ? ids[first] : null;
    const list: Neighbor[] = [];
    for (let j = 0; j < take; j++) {
      const idx = nb.indices[i * nb.k + j];
      if (idx < 0) break;
      list.push({ id: ids[idx], similarity: Number(nb.scores[i * nb.k + j].toFixed(6)) });
    }
    neighbors[i] = JSON.stringify(list);
  }
  return { max_similarity, nearest_id, neighbors };
}

/**
 * A copy of `df` (one row per sample, same order as `nb`) with the columns of
 * {@link neighborColumns} added or replaced. The input frame is not modified.
 */
export function withNeighborColumns(df: DataFrame, ids: readonly string[], nb: Neighbors, k = nb.k): DataFrame {
  if (df.shape[0] !== nb.n) throw new NeardupError(`withNeighborColumns: the DataFrame has ${df.shape[0]} rows, neighbours have ${nb.n}`);
  const cols = neighborColumns(ids, nb, k);
  let out = df;
  for (const [name, values] of Object.entries(cols) as [string, ArrayLike<unknown>][]) {
    out = out.addColumn(name, Array.from(values) as never, { inplace: false }) as DataFrame;
  }
  return out;
}

/**
 * The search-backend seam: every k-nearest-neighbour engine (today's exact blocked search, LanceDB's
 * approximate index, …) implements {@link SearchBackend}, and the scan, the CLI and the neighbour
 * cache only talk to this interface. One file per backend in this folder, registered by name in
 * `registry.ts` (the shape of FiftyOne Brain's similarity backends and imagededup's search handlers:
 * a config with a name and parameters, one implementation per engine).
 */
import type { Neighbors } from '../../types';

/** Parameter values of a backend: only those that change the result go into the cache key. */
export type BackendParams = Record<string, string | number | boolean>;

/** Options of {@link SearchBackend.search}. */
export interface BackendSearchOptions {
  /** `valid[i] = 0` marks a skipped sample: never a neighbour; its own list is all -1 / NaN. */
  valid?: Uint8Array;
  /**
   * Only these query rows, `[start, end)`: the result then has `end - start` lists (row r of the
   * result is query `start + r`), each over all n rows. Used by the sharded search. Default: all rows.
   */
  queryRange?: [number, number];
  /** Progress, in backend-specific units (done, total). */
  onProgress?: (done: number, total: number) => void;
  /** Stops a long search between batches (throws NeardupError code `interrupted`). */
  signal?: AbortSignal;
}

/** What ran, as recorded in summary.json and in the cache key. */
export interface SearchInfo {
  /** Registry name (`exact`, `lancedb`). */
  backend: string;
  /** True when every list is the exact top-k (ties by lower index). */
  exact: boolean;
  /** The parameters that determine the result. */
  params: BackendParams;
}

/**
 * A k-NN backend. `search` returns, for every (valid) query row, its k most similar other valid
 * rows by cosine similarity of the L2-normalised vectors, in the {@link Neighbors} layout: descending
 * similarity, ties by lower row index, self excluded, -1 / -Infinity padding, -1 / NaN for skipped
 * rows. Every reported similarity is an exact dot product, also for approximate backends (they
 * re-rank their candidates); only the choice of candidates may differ from the exact search.
 */
export interface SearchBackend {
  /** Registry name. */
  readonly name: string;
  /** Whether the lists are the exact top-k. */
  readonly exact: boolean;
  /** Parameters that determine the result (index type, partitions, probes, candidates…). */
  readonly params: BackendParams;
  /**
   * @param vectors n x dim float32, row-major, L2-normalised.
   * @throws NeardupError (`invalid_argument`) on bad shapes; backend errors as `io`.
   */
  search(vectors: Float32Array, n: number, dim: number, k: number, options?: BackendSearchOptions): Promise<Neighbors>;
}

/** The {@link SearchInfo} of a backend. */
export function searchInfo(b: SearchBackend): SearchInfo {
  return { backend: b.name, exact: b.exact, params: { ...b.params } };
}

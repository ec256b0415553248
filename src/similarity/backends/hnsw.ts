/**
 * Approximate backend on USearch (Unum's HNSW engine, npm `usearch`, pinned 2.26.2; its npm
 * package ships a linux-x64 prebuilt N-API binary, so `npm ci` needs no compiler and no download).
 * One in-memory HNSW graph (Malkov & Yashunin, "Efficient and robust approximate nearest neighbor
 * search using Hierarchical Navigable Small World graphs", 2016/2018) over all valid rows, built
 * with USearch's multi-threaded batch insert, then one multi-threaded batch search of every query
 * row for `candidates` neighbours; every candidate is re-ranked here with its exact cosine
 * (float64 dot of the L2-normalised float32 vectors, rounded to float32, as the exact reference),
 * so every reported similarity is exact and only the choice of candidates is approximate.
 *
 * Why a second engine next to LanceDB: LanceDB 0.31 answers one query (or one multi-vector query)
 * per call, 4.5 ms/query at 1,000,000 rows (≈ 75 min for all-pairs); USearch searches a whole
 * batch in native threads (docs/scale.md, run 9). LanceDB stays the store / object-storage path.
 */
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import type { Neighbors } from '../../types';
import { NeardupError } from '../../errors';
import { checkKnnArgs, finishInvalidRows } from '../knn-args';
import { TopKRows } from '../topk-rows';
import { checkRange } from './exact';
import type { BackendParams, BackendSearchOptions, SearchBackend } from './types';

/** Element type of the vectors inside the graph (USearch's `quantization`). */
export type HnswQuantization = 'i8' | 'f16' | 'f32';
export const HNSW_QUANTIZATIONS: readonly HnswQuantization[] = ['i8', 'f16', 'f32'];

/** Parameters that change which candidates are found (all of them are in the cache key). */
export interface HnswParams {
  /**
   * Vector element type in the graph: `i8` (1 B per dimension; USearch scales each vector by
   * 127/‖x‖), `f16` (2 B) or `f32` (4 B). Distances in the graph use it; the re-rank is float32.
   */
  quantization: HnswQuantization;
  /** HNSW `M`: links per node (USearch's `connectivity`; layer 0 has 2·M). */
  connectivity: number;
  /** Beam width while inserting (`efConstruction`; USearch's `expansion_add`). */
  expansionAdd: number;
  /** Beam width while searching (`ef`; USearch's `expansion_search`; the search uses max(ef, candidates + 1)). */
  expansionSearch: number;
  /** Candidates per query re-ranked exactly (≥ k). */
  candidates: number;
}

/**
 * Defaults from `npm run bench -- scale --search hnsw` (docs/scale.md, run 9). USearch's own
 * defaults are connectivity 16, expansion_add 128, expansion_search 64.
 */
export const HNSW_DEFAULTS: HnswParams = { quantization: 'i8', connectivity: 16, expansionAdd: 128, expansionSearch: 64, candidates: 20 };

/** Speed-only options (not in the cache key). */
export interface HnswOptions {
  /** Native threads for insert and search (default: one per core). */
  threads?: number;
  /** Rows per native insert / search call, between which progress is reported and abort checked (default 16,384). */
  chunk?: number;
}

type UsearchModule = typeof import('usearch');
let usearchModule: UsearchModule | null = null;
/** Loads the native module on first use, so `exact` and `lancedb` users never load it. */
function usearch(): UsearchModule {
  if (!usearchModule) {
    try {
      usearchModule = createRequire(__filename)('usearch') as UsearchModule;
    } catch (e) {
      throw new NeardupError(`the hnsw search backend needs the npm package usearch (a prebuilt binary for this platform): ${(e as Error).message}`, 'unsupported', { cause: e });
    }
  }
  return usearchModule;
}

/** A built graph over the valid rows, keyed by row number. */
export interface HnswIndex {
  /** Rows in the graph. */
  size: number;
  /** USearch's index object. */
  index: InstanceType<UsearchModule['Index']>;
}

export class HnswBackend implements SearchBackend {
  readonly name = 'hnsw';
  readonly exact = false;
  readonly p: HnswParams;

  /**
   * @throws NeardupError (`invalid_argument`) naming the parameter: an unknown quantization, or
   *   connectivity < 2, expansionAdd / expansionSearch / candidates < 1, or a non-integer.
   */
  constructor(params: Partial<HnswParams> = {}, private readonly opts: HnswOptions = {}) {
    this.p = { ...HNSW_DEFAULTS, ...params };
    const p = this.p;
    if (!HNSW_QUANTIZATIONS.includes(p.quantization)) throw new NeardupError(`hnsw quantization must be one of ${HNSW_QUANTIZATIONS.join(', ')}, got ${JSON.stringify(p.quantization)}`);
    for (const key of ['connectivity', 'expansionAdd', 'expansionSearch', 'candidates'] as const) {
      const min = key === 'connectivity' ? 2 : 1;
      if (!Number.isInteger(p[key]) || p[key] < min) throw new NeardupError(`hnsw ${key} must be an integer ≥ ${min}, got ${p[key]}`);
    }
    if (opts.threads !== undefined && (!Number.isInteger(opts.threads) || opts.threads < 1)) throw new NeardupError(`hnsw threads must be a positive integer, got ${opts.threads}`);
  }

  get params(): BackendParams {
    const { quantization, connectivity, expansionAdd, expansionSearch, candidates } = this.p;
    return { engine: 'usearch', metric: 'cos', quantization, connectivity, expansionAdd, expansionSearch, candidates };
  }

  private get threads(): number {
    return this.opts.threads ?? availableParallelism();
  }
  private get chunk(): number {
    return Math.max(1, this.opts.chunk ?? 16384);
  }

  async search(vectors: Float32Array, n: number, dim: number, k: number, options: BackendSearchOptions = {}): Promise<Neighbors> {
    checkKnnArgs(vectors, n, dim, k, options.valid);
    const range = options.queryRange ? checkRange(options.queryRange, n) : ([0, n] as [number, number]);
    const { onProgress } = options;
    // Progress: inserted rows then searched rows, over both passes.
    const total = n + (range[1] - range[0]);
    const ix = await this.build(vectors, n, dim, { ...options, onProgress: onProgress && ((d) => onProgress(d, total)) });
    return this.query(ix, vectors, n, dim, k, { ...options, queryRange: range, onProgress: onProgress && ((d) => onProgress(n + d, total)) });
  }

  /**
   * Builds the graph over the valid rows (key = row number), `chunk` rows per native call.
   * Memory: n · dim bytes per byte of the quantization, plus ≈ 2·M·4 B of links per row.
   * @throws NeardupError `interrupted` when `signal` aborts between chunks.
   */
  async build(vectors: Float32Array, n: number, dim: number, { valid, onProgress, signal }: BackendSearchOptions = {}): Promise<HnswIndex> {
    const u = usearch();
    const index = new u.Index({
      dimensions: dim,
      metric: u.MetricKind.Cos,
      quantization: this.p.quantization as never,
      connectivity: this.p.connectivity,
      expansion_add: this.p.expansionAdd,
      expansion_search: this.p.expansionSearch,
      multi: false,
    });
    const step = this.chunk;
    let size = 0;
    for (let a = 0; a < n; a += step) {
      if (signal?.aborted) throw new NeardupError('search interrupted', 'interrupted');
      const b = Math.min(n, a + step);
      let rows: number[] | null = null;
      if (valid) {
        rows = [];
        for (let i = a; i < b; i++) if (valid[i]) rows.push(i);
      }
      const count = rows ? rows.length : b - a;
      if (count > 0) {
        const keys = new BigUint64Array(count);
        let block: Float32Array;
        if (rows) {
          block = new Float32Array(count * dim);
          rows.forEach((i, r) => ((keys[r] = BigInt(i)), block.set(vectors.subarray(i * dim, (i + 1) * dim), r * dim)));
        } else {
          for (let r = 0; r < count; r++) keys[r] = BigInt(a + r);
          block = vectors.subarray(a * dim, b * dim);
        }
        index.add(keys, block, this.threads);
        size += count;
      }
      onProgress?.(b, n);
      await new Promise((r) => setImmediate(r)); // let progress output and abort signals through
    }
    return { size, index };
  }

  /**
   * Searches the query rows (`queryRange`, default all) in `chunk`-row native batch calls and
   * re-ranks each query's candidates exactly. Skipped rows are never in the graph, so never found.
   */
  async query(ix: HnswIndex, vectors: Float32Array, n: number, dim: number, k: number, { valid, onProgress, signal, queryRange }: BackendSearchOptions = {}): Promise<Neighbors> {
    const [qa, qb] = queryRange ?? [0, n];
    const acc = new TopKRows(qb - qa, k);
    // +1: the query row itself is normally its own first hit.
    const want = Math.min(ix.size, Math.max(this.p.candidates, k) + 1);
    const step = this.chunk;
    for (let a = qa; a < qb && want > 0; a += step) {
      if (signal?.aborted) throw new NeardupError('search interrupted', 'interrupted');
      const b = Math.min(qb, a + step);
      const res = ix.index.search(vectors.subarray(a * dim, b * dim), want, this.threads) as unknown as { keys: BigUint64Array; counts: BigUint64Array };
      const keys = res.keys;
      for (let q = a; q < b; q++) {
        if (valid && !valid[q]) continue;
        const r = q - a;
        const cnt = Number(res.counts[r]);
        const oq = q * dim;
        for (let t = 0; t < cnt; t++) {
          const j = Number(keys[r * want + t]);
          if (j === q) continue;
          const oj = j * dim;
          let s = 0;
          for (let d = 0; d < dim; d++) s += vectors[oq + d] * vectors[oj + d];
          acc.offer(q - qa, j, Math.fround(s));
        }
      }
      onProgress?.(b - qa, qb - qa);
      await new Promise((r) => setImmediate(r));
    }
    const nb = acc.toNeighbors();
    if (valid) finishInvalidRows(nb, valid.subarray(qa, qb));
    return nb;
  }
}

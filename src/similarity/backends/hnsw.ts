/**
 * Approximate backend on USearch (Unum's HNSW engine, npm `usearch`, pinned 2.26.2; its npm
 * package ships a linux-x64 prebuilt N-API binary, so `npm ci` needs no compiler and no download).
 * One in-memory HNSW graph (Malkov & Yashunin, "Efficient and robust approximate nearest neighbor
 * search using Hierarchical Navigable Small World graphs", 2016/2018) over all valid rows, built
 * with USearch's multi-threaded batch insert, then one multi-threaded batch search of every query
 * row for `candidates` neighbours; every candidate is re-ranked here with its exact cosine (dot
 * of the L2-normalised float32 vectors: float32 accumulation on onnxruntime's batched MatMul, as
 * the exact backend's GEMM, ./rerank.ts; the rescue's few pairs in a float64 loop), so every
 * reported similarity is exact and only the choice of candidates is approximate.
 *
 * The graph may hold a reduced copy of the vectors (`pcaDims`: uncentred PCA, ./pca.ts): the
 * re-rank is on the full vectors, so the reduction only changes which candidates are found.
 *
 * Unreachable rows (docs/similarity.md, docs/scale.md run 10): HNSW's neighbour-selection
 * heuristic drops a link to a candidate when an already-kept link is closer to it, so a near-twin
 * pair keeps at most one of the two in each neighbour's list, and in high-dimensional data many
 * rows lose every incoming link (measured here: 12 % of 20,000 generated rows, also in f32 and
 * single-threaded, cannot be found with their own vector; a known HNSW property: hnswlib #352,
 * kakao/n2 #39, qdrant #1788). A near-duplicate pair with both rows unreachable was then never
 * found. Two repairs, both exact-re-ranked: (1) every re-ranked pair (q, j) is offered to both
 * lists, so a reachable row gets its unreachable neighbours from their own searches; (2) the all-
 * pairs search queries every row with its own vector, so the rows that do not find themselves are
 * known exactly; they get a second graph of their own (and so on), and the last few hundred or
 * thousand an exact search among themselves.
 *
 * Why a second engine next to LanceDB: LanceDB 0.31 answers one query (or one multi-vector query)
 * per call, 4.5 ms/query at 1,000,000 rows (≈ 75 min for all-pairs); USearch searches a whole
 * batch in native threads (docs/scale.md, runs 9-10). LanceDB stays the store / object-storage path.
 */
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import type { Neighbors } from '../../types';
import { NeardupError } from '../../errors';
import { checkKnnArgs, finishInvalidRows } from '../knn-args';
import { TopKRows } from '../topk-rows';
import { checkRange, ExactBackend } from './exact';
import { fitProjection, Projector, type Projection } from './pca';
import { BatchDot } from './rerank';
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
  /** Dimensions of the graph's copy of the vectors (uncentred PCA); 0, or ≥ the vectors' dims = the full vectors. */
  pcaDims: number;
  /** Rows (evenly spaced over the valid rows) the PCA is fitted on. */
  pcaSample: number;
}

/**
 * Defaults from `npm run bench -- scale --search hnsw` (docs/scale.md, runs 10 and 11): f32 → i8
 * in run 11, measured on 100,000 and 1,000,000 generated rows (70,000 Fashion-MNIST bases): i8 /
 * 80 candidates kept every planted pair (995/995, 9,905/9,905) at recall@10 0.974 / 0.976, and
 * built the graph 1.8× cheaper than f32 (0.225 vs 0.41 CPU-ms per row at 100,000). The graph holds
 * the 256-dim PCA copy, whose components (≈ 2× those of the 1280-dim vectors) survive USearch's 127/‖x‖ i8 scaling (run
 * 9's i8 losses were on the full 1280 dims, before the repair). USearch's own defaults are
 * connectivity 16, expansion_add 128, expansion_search 64.
 *
 * expansion_add 64 → 32 and 80 → 72 candidates since 1 December (docs/scale.md, run 12): the only
 * setting measured to meet all four goals of issue 13 item 5 at 1,000,000 rows (whole all-pairs pass
 * in ≤ 10 min on 2 cores, recall@10 ≥ 0.95, duplicate pairs ≥ 0.99, ≤ 4 GiB extra); 64 / 80 took
 * 11.2 min on an idle machine. Its cost: recall@10 0.976 → 0.965 and one planted pair of 9,905 at
 * 1,000,000; `expansionAdd: 64, candidates: 80` buys them back.
 */
export const HNSW_DEFAULTS: HnswParams = { quantization: 'i8', connectivity: 16, expansionAdd: 32, expansionSearch: 64, candidates: 72, pcaDims: 256, pcaSample: 20000 };

/** Below this many unreachable rows the rescue is an exact search among them (onnxruntime GEMM). */
const EXACT_RESCUE_ROWS = 6000;
/** Queries per batched re-rank call, at most (fewer when the candidates would overflow RERANK_FLOATS). */
const RERANK_BATCH = 256;
/** Floats of the re-rank's gather buffer (256 queries × 81 hits × 1280 dims: 106 MB). */
const RERANK_FLOATS = 256 * 81 * 1280;
/** At most this many rescue graphs before the exact search (each holds ~10 % of the previous). */
const MAX_RESCUE_LEVELS = 4;

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

/** The graph's copy of the vectors: the full ones, or their PCA projection. */
export interface HnswVectors {
  /** n × dim values (row r = row r of the input). */
  v: Float32Array;
  dim: number;
  /** The fitted projection, when `pcaDims` > 0. */
  projection?: Projection;
}

/** A built graph over a set of rows, keyed by row number. */
export interface HnswIndex {
  /** Rows in the graph. */
  size: number;
  /** USearch's index object. */
  index: InstanceType<UsearchModule['Index']>;
}

/** What the last search did (for the bench and docs; not part of the result). */
export interface HnswStats {
  /** Share of the sample's second moment kept by the PCA (1 without PCA). */
  pcaKept: number;
  /** Query rows that did not find themselves in the main graph, then with a 4× wider beam there, then in each rescue graph. */
  unreachable: number[];
  /** Rows whose rescue was an exact search among themselves. */
  exactRescued: number;
  /** Rows still unreachable when the rescue stopped (0 unless MAX_RESCUE_LEVELS graphs made no progress and too many rows were left for the exact search). */
  unrescued: number;
}

export class HnswBackend implements SearchBackend {
  readonly name = 'hnsw';
  readonly exact = false;
  readonly p: HnswParams;
  /** Figures of the last `search` / `query` call. */
  stats: HnswStats = { pcaKept: 1, unreachable: [], exactRescued: 0, unrescued: 0 };

  /**
   * @throws NeardupError (`invalid_argument`) naming the parameter: an unknown quantization, or
   *   connectivity < 2, expansionAdd / expansionSearch / candidates / pcaSample < 1, pcaDims < 0,
   *   or a non-integer.
   */
  constructor(params: Partial<HnswParams> = {}, private readonly opts: HnswOptions = {}) {
    this.p = { ...HNSW_DEFAULTS, ...params };
    const p = this.p;
    if (!HNSW_QUANTIZATIONS.includes(p.quantization)) throw new NeardupError(`hnsw quantization must be one of ${HNSW_QUANTIZATIONS.join(', ')}, got ${JSON.stringify(p.quantization)}`);
    for (const key of ['connectivity', 'expansionAdd', 'expansionSearch', 'candidates', 'pcaDims', 'pcaSample'] as const) {
      const min = key === 'connectivity' ? 2 : key === 'pcaDims' ? 0 : 1;
      if (!Number.isInteger(p[key]) || p[key] < min) throw new NeardupError(`hnsw ${key} must be an integer ≥ ${min}, got ${p[key]}`);
    }
    if (opts.threads !== undefined && (!Number.isInteger(opts.threads) || opts.threads < 1)) throw new NeardupError(`hnsw threads must be a positive integer, got ${opts.threads}`);
  }

  get params(): BackendParams {
    const { quantization, connectivity, expansionAdd, expansionSearch, candidates, pcaDims, pcaSample } = this.p;
    // `repair`: the symmetric offers and the rescue of unreachable rows (absent in the first version).
    return { engine: 'usearch', metric: 'cos', quantization, connectivity, expansionAdd, expansionSearch, candidates, pcaDims, pcaSample: pcaDims > 0 ? pcaSample : 0, repair: 'symmetric+rescue' };
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
    // Progress: projected rows, inserted rows, then searched rows.
    const pca = this.p.pcaDims > 0 && this.p.pcaDims < dim;
    const total = (pca ? n : 0) + n + (range[1] - range[0]);
    const g = await this.prepare(vectors, n, dim, { ...options, onProgress: onProgress && ((d) => onProgress(d, total)) });
    const off = pca ? n : 0;
    const ix = await this.build(g, n, { ...options, onProgress: onProgress && ((d) => onProgress(off + d, total)) });
    return this.query(ix, g, vectors, n, dim, k, { ...options, queryRange: range, onProgress: onProgress && ((d) => onProgress(off + n + d, total)) });
  }

  /**
   * The graph's vectors: `vectors` itself without PCA; else the projection (fitted on `pcaSample`
   * valid rows) of every row, `chunk` rows per GEMM call; with pcaDims ≥ dim the full vectors.
   * Memory: n · pcaDims · 4 B.
   * @throws NeardupError `interrupted` on abort.
   */
  async prepare(vectors: Float32Array, n: number, dim: number, { valid, onProgress, signal }: BackendSearchOptions = {}): Promise<HnswVectors> {
    const d = this.p.pcaDims;
    // Vectors no longer than pcaDims are used as they are (a small model needs no reduction).
    if (d === 0 || d >= dim) {
      this.stats.pcaKept = 1;
      return { v: vectors, dim };
    }
    const rows: number[] = [];
    for (let i = 0; i < n; i++) if (!valid || valid[i]) rows.push(i);
    const projection = await fitProjection(vectors, dim, rows, d, this.p.pcaSample, this.threads);
    this.stats.pcaKept = projection.kept;
    const pr = new Projector(projection, this.threads);
    const out = new Float32Array(n * d);
    try {
      for (let a = 0; a < n; a += this.chunk) {
        if (signal?.aborted) throw new NeardupError('search interrupted', 'interrupted');
        const b = Math.min(n, a + this.chunk);
        out.set(await pr.project(vectors.subarray(a * dim, b * dim), b - a), a * d);
        onProgress?.(b, n);
      }
    } finally {
      await pr.release();
    }
    return { v: out, dim: d, projection };
  }

  /** A new empty USearch index for `dim`-dimensional vectors with this backend's parameters. */
  private newIndex(dim: number) {
    const u = usearch();
    return new u.Index({
      dimensions: dim,
      metric: u.MetricKind.Cos,
      quantization: this.p.quantization as never,
      connectivity: this.p.connectivity,
      expansion_add: this.p.expansionAdd,
      expansion_search: this.p.expansionSearch,
      multi: false,
    });
  }

  /**
   * Builds the graph over the valid rows (key = row number), or over `rows` only, `chunk` rows
   * per native call. Memory: n · dim bytes per byte of the quantization, plus ≈ 2·M·4 B of links per row.
   * @throws NeardupError `interrupted` when `signal` aborts between chunks.
   */
  async build(g: HnswVectors, n: number, { valid, onProgress, signal }: BackendSearchOptions = {}, rows?: Int32Array): Promise<HnswIndex> {
    const dim = g.dim;
    const vectors = g.v;
    const index = this.newIndex(dim);
    const step = this.chunk;
    const total = rows ? rows.length : n;
    let size = 0;
    for (let a = 0; a < total; a += step) {
      if (signal?.aborted) throw new NeardupError('search interrupted', 'interrupted');
      const b = Math.min(total, a + step);
      let list: number[] | null = null;
      if (rows) list = Array.from(rows.subarray(a, b));
      else if (valid) {
        list = [];
        for (let i = a; i < b; i++) if (valid[i]) list.push(i);
      }
      const count = list ? list.length : b - a;
      if (count > 0) {
        const keys = new BigUint64Array(count);
        let block: Float32Array;
        if (list) {
          block = new Float32Array(count * dim);
          list.forEach((i, r) => ((keys[r] = BigInt(i)), block.set(vectors.subarray(i * dim, (i + 1) * dim), r * dim)));
        } else {
          for (let r = 0; r < count; r++) keys[r] = BigInt(a + r);
          block = vectors.subarray(a * dim, b * dim);
        }
        index.add(keys, block, this.threads);
        size += count;
      }
      onProgress?.(b, total);
      await new Promise((r) => setImmediate(r)); // let progress output and abort signals through
    }
    return { size, index };
  }

  /**
   * Searches the query rows (`queryRange`, default all) in `chunk`-row native batch calls on the
   * graph's vectors `g`, re-ranks each query's candidates exactly on `vectors` and offers every
   * pair to both rows' lists (when both are query rows). Query rows that do not find themselves
   * are then rescued (see the file comment). Skipped rows are never in a graph, so never found.
   */
  async query(ix: HnswIndex, g: HnswVectors, vectors: Float32Array, n: number, dim: number, k: number, { valid, onProgress, signal, queryRange }: BackendSearchOptions = {}): Promise<Neighbors> {
    const [qa, qb] = queryRange ?? [0, n];
    const acc = new TopKRows(qb - qa, k);
    const ctx: Rerank = { acc, vectors, dim, qa, qb };
    this.stats.unreachable = [];
    this.stats.exactRescued = 0;
    this.stats.unrescued = 0;
    const queries = new Int32Array(qb - qa);
    let m = 0;
    for (let q = qa; q < qb; q++) if (!valid || valid[q]) queries[m++] = q;
    let lost = await this.searchRows(ix, g, queries.subarray(0, m), ctx, signal, onProgress && ((d) => onProgress(d, qb - qa)));
    this.stats.unreachable.push(lost.length);
    // A row the graph does not lead to was searched from a poor start: search it again with a 4×
    // wider beam (USearch's beam is max(expansion_search, hits wanted)), so that a reachable
    // near-twin is found from its side; those still not finding themselves are rescued below.
    if (lost.length > 0) {
      lost = await this.searchRows(ix, g, lost, ctx, signal, undefined, 4 * (Math.max(this.p.candidates, k, this.p.expansionSearch) + 1));
      this.stats.unreachable.push(lost.length);
    }
    // Rescue: the rows the graph cannot reach get their own graph (or an exact search), so a pair
    // of them (a near-twin pair pruned out of every neighbour's links) is still found.
    for (let level = 0; lost.length > 0; level++) {
      if (lost.length <= EXACT_RESCUE_ROWS || (level >= MAX_RESCUE_LEVELS && lost.length <= 4 * EXACT_RESCUE_ROWS)) {
        await this.exactAmong(lost, g, ctx);
        this.stats.exactRescued = lost.length;
        break;
      }
      if (level >= MAX_RESCUE_LEVELS) {
        this.stats.unrescued = lost.length;
        break;
      }
      const sub = await this.build(g, n, { signal }, lost);
      lost = await this.searchRows(sub, g, lost, ctx, signal);
      this.stats.unreachable.push(lost.length);
    }
    const nb = acc.toNeighbors();
    if (valid) finishInvalidRows(nb, valid.subarray(qa, qb));
    return nb;
  }

  /** Searches `rows` in graph `ix`, re-ranks, offers both ways; returns the rows that did not find themselves. */
  private async searchRows(ix: HnswIndex, g: HnswVectors, rows: Int32Array, ctx: Rerank, signal?: AbortSignal, onProgress?: (done: number) => void, hits?: number): Promise<Int32Array> {
    const gd = g.dim;
    const want = Math.min(ix.size, hits ?? Math.max(this.p.candidates, ctx.acc.k) + 1); // +1: the row itself
    const lost: number[] = [];
    const step = this.chunk;
    const dot = this.rerankBuffers(ctx, want);
    try {
      for (let a = 0; a < rows.length && want > 0; a += step) {
        if (signal?.aborted) throw new NeardupError('search interrupted', 'interrupted');
        const b = Math.min(rows.length, a + step);
        // Contiguous rows are searched in place; a row list is gathered.
        const contiguous = rows[b - 1] - rows[a] === b - 1 - a;
        let block: Float32Array;
        if (contiguous) block = g.v.subarray(rows[a] * gd, (rows[b - 1] + 1) * gd);
        else {
          block = new Float32Array((b - a) * gd);
          for (let r = a; r < b; r++) block.set(g.v.subarray(rows[r] * gd, (rows[r] + 1) * gd), (r - a) * gd);
        }
        const found = ix.index.search(block, want, this.threads) as unknown as { keys: BigUint64Array; counts?: BigUint64Array };
        // A block of ONE vector is answered as a single query ({keys, distances}, no `counts`): the
        // number found is then the keys' length (a rescue or a query range can leave one row).
        const res = { keys: found.keys, counts: found.counts ?? BigUint64Array.of(BigInt(found.keys.length)) };
        // Keys are row numbers (< 2³¹): read the low 32-bit words instead of converting each BigInt.
        const keys32 = new Uint32Array(res.keys.buffer, res.keys.byteOffset, 2 * res.keys.length);
        // Candidates (the row itself left out) in batches of `dot.maxQueries` queries, scored by one
        // batched MatMul each, then offered both ways.
        for (let s = 0; s < b - a; s += dot.maxQueries) {
          const e = Math.min(b - a, s + dot.maxQueries);
          const cands = dot.cands.fill(-1, 0, (e - s) * dot.width);
          for (let r = s; r < e; r++) {
            const q = rows[a + r];
            const cnt = Number(res.counts[r]);
            let self = false;
            let c = 0;
            for (let t = 0; t < cnt; t++) {
              const j = keys32[2 * (r * want + t)];
              if (j === q) self = true;
              else if (c < dot.width) cands[(r - s) * dot.width + c++] = j;
            }
            if (!self) lost.push(q);
            dot.queries[r - s] = q;
          }
          const sc = await dot.batch.scores(ctx.vectors, dot.queries, e - s, cands);
          for (let i = 0; i < e - s; i++) {
            const q = dot.queries[i];
            for (let t = 0; t < dot.width; t++) {
              const j = cands[i * dot.width + t];
              if (j >= 0) offerPair(ctx, q, j, sc[i * dot.width + t]);
            }
          }
        }
        onProgress?.(b);
        await new Promise((r) => setImmediate(r));
      }
    } finally {
      await dot.batch.release();
    }
    return Int32Array.from(lost);
  }

  /**
   * Gather buffers for the batched exact re-rank of up to `want` hits per query (the row itself
   * is left out, so at most `want` − 1 candidates survive unless it was not found).
   */
  private rerankBuffers(ctx: Rerank, want: number): RerankBuffers {
    const width = Math.max(1, want);
    // One onnxruntime thread: the batched GEMV is memory-bound, and with 2 intra-op threads the
    // second one's spin-wait added CPU time (bench/rerank.bench.ts, 81 × 1280 per query: 0.20 vs
    // 0.13 CPU-ms; the JavaScript dot loop it replaces: 0.28; docs/scale.md run 11).
    const maxQueries = Math.max(1, Math.min(RERANK_BATCH, Math.floor(RERANK_FLOATS / (width * ctx.dim))));
    return { batch: new BatchDot(ctx.dim, maxQueries, width, 1), width, maxQueries, queries: new Int32Array(maxQueries), cands: new Int32Array(maxQueries * width) };
  }

  /** Exact top-`candidates` among `rows` on the graph's vectors (GEMM), then the same re-rank. */
  private async exactAmong(rows: Int32Array, g: HnswVectors, ctx: Rerank): Promise<void> {
    const m = rows.length;
    if (m < 2) return;
    const gd = g.dim;
    const sub = new Float32Array(m * gd);
    for (let r = 0; r < m; r++) {
      const src = g.v.subarray(rows[r] * gd, (rows[r] + 1) * gd);
      let s = 0;
      for (let d = 0; d < gd; d++) s += src[d] * src[d];
      const inv = s > 0 ? 1 / Math.sqrt(s) : 0; // projected rows are not unit length
      for (let d = 0; d < gd; d++) sub[r * gd + d] = src[d] * inv;
    }
    const nb = await new ExactBackend({ threads: this.threads }).search(sub, m, gd, Math.min(m - 1, Math.max(this.p.candidates, ctx.acc.k)));
    for (let r = 0; r < m; r++) {
      for (let t = 0; t < nb.k; t++) {
        const x = nb.indices[r * nb.k + t];
        if (x >= 0) rerankPair(ctx, rows[r], rows[x]);
      }
    }
  }
}

/** Buffers of one searchRows call's batched re-rank. */
interface RerankBuffers {
  batch: BatchDot;
  /** Candidate slots per query. */
  width: number;
  maxQueries: number;
  queries: Int32Array;
  /** maxQueries × width candidate rows, −1 = none. */
  cands: Int32Array;
}

/** The accumulator of a query range and what the exact re-rank needs. */
interface Rerank {
  acc: TopKRows;
  vectors: Float32Array;
  dim: number;
  /** Query rows [qa, qb): row q's list is acc row q - qa. */
  qa: number;
  qb: number;
}

/**
 * Exact cosine of rows q and j (float64 sum of float32 products, rounded to float32, as the
 * exact reference), offered to q's list and, when j is a query row, to j's (each list at most once).
 */
function rerankPair(c: Rerank, q: number, j: number): void {
  const { vectors, dim } = c;
  const oq = q * dim;
  const oj = j * dim;
  let s = 0;
  for (let d = 0; d < dim; d++) s += vectors[oq + d] * vectors[oj + d];
  offerPair(c, q, j, Math.fround(s));
}

/** Offers pair (q, j) with exact cosine f to q's list and, when j is a query row, to j's (each list at most once). */
function offerPair(c: Rerank, q: number, j: number, f: number): void {
  const { acc, qa, qb } = c;
  const rq = q - qa;
  const inJ = j >= qa && j < qb;
  const rj = j - qa;
  if (f >= acc.worst[rq] && !listHas(acc, rq, j)) acc.offer(rq, j, f);
  if (inJ && f >= acc.worst[rj] && !listHas(acc, rj, q)) acc.offer(rj, q, f);
}

/** Whether row r's current list holds index x (k is small: a linear scan). */
function listHas(acc: TopKRows, r: number, x: number): boolean {
  const base = r * acc.k;
  for (let t = 0; t < acc.k; t++) if (acc.indices[base + t] === x) return true;
  return false;
}

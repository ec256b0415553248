/**
 * Approximate backend: LanceDB's IVF-RQ (RaBitQ; or IVF-PQ, IVF-flat, IVF-HNSW) vector index proposes candidates, and
 * every candidate is re-ranked here with its exact cosine (float64 dot of the L2-normalised
 * vectors, rounded to float32, as the exact reference), so every reported similarity is exact;
 * only whether a true neighbour is among the candidates is approximate (measured in
 * `npm run bench -- scale`, docs/scale.md).
 *
 * The vectors go into a Lance table (`row`, `vector`) — a temporary folder by default, or a store
 * (`uri`, local folder or `s3://…`), where the table and its index stay for later shards and scans.
 */
import * as lancedb from '@lancedb/lancedb';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Neighbors } from '../../types';
import { NeardupError } from '../../errors';
import { checkKnnArgs, finishInvalidRows } from '../knn-args';
import { TopKRows } from '../topk-rows';
import { openStore } from '../../store/connect';
import { arrowTable } from '../../store/arrow';
import { checkRange } from './exact';
import type { BackendParams, BackendSearchOptions, SearchBackend } from './types';

/** Index and query parameters (all of them change which candidates are found). */
export type LanceIndexType = 'ivf_pq' | 'ivf_flat' | 'ivf_rq' | 'ivf_hnsw_sq' | 'ivf_hnsw_pq';
/** Index types LanceDB 0.31 builds on a vector column. */
export const LANCE_INDEX_TYPES: readonly LanceIndexType[] = ['ivf_pq', 'ivf_flat', 'ivf_rq', 'ivf_hnsw_sq', 'ivf_hnsw_pq'];

export interface LanceParams {
  /**
   * `ivf_pq` (product quantisation), `ivf_flat` (no quantisation: cheaper to build, more bytes
   * scanned), `ivf_rq` (RaBitQ: 1 bit per dimension, no codebook to train), `ivf_hnsw_sq` or
   * `ivf_hnsw_pq` (an HNSW graph per partition).
   */
  index: LanceIndexType;
  /** IVF partitions; 0 = automatic: about √n (LanceDB's own default), at least 1. */
  partitions: number;
  /** PQ sub-vectors (ivf_pq); 0 = dim / 16 (LanceDB's default). */
  subVectors: number;
  /** Partitions probed per query. */
  nprobes: number;
  /** Candidates fetched per query and re-ranked exactly (≥ k + 1). */
  candidates: number;
  /** HNSW search breadth (ivf_hnsw_* only). */
  ef: number;
  /** k-means iterations of the IVF training; 0 = LanceDB's default (50). */
  maxIterations: number;
  /** Training rows per partition (k-means sample = sampleRate × partitions); 0 = LanceDB's default (256). */
  sampleRate: number;
}

/**
 * Defaults chosen from the measurements in docs/scale.md: `ivf_rq` because it has no codebook to
 * train (100,000 × 1280 indexed in 77–105 s where `ivf_pq` had not finished training at 20,000
 * after 12 min, and `ivf_flat` took 264 s), with recall@10 0.98 at 100,000 rows at 20 probes and
 * 0.967 at 1,000,000 (4.5 ms/query, 0.028× the exact search per query; every sampled pair ≥ 0.98).
 */
export const LANCE_DEFAULTS: LanceParams = { index: 'ivf_rq', partitions: 0, subVectors: 0, nprobes: 20, candidates: 40, ef: 64, maxIterations: 0, sampleRate: 0 };

/** Where the backend keeps its table. */
export interface LanceLocation {
  /** Store URI (folder or `s3://…`); default a temporary folder removed after the search. */
  uri?: string;
  /** Table name in the store (default `vectors`). */
  table?: string;
  /** Reuse an existing table + index of the same row count instead of rebuilding (sharded search). */
  reuse?: boolean;
  storageOptions?: Record<string, string>;
  /** Query vectors per LanceDB call (one multi-vector query; default 64). Speed only, not the result. */
  queryBatch?: number;
  /** LanceDB calls in flight at once (default 4). Speed only. */
  concurrency?: number;
}

/** Rows written to Lance per batch (bounded memory: 8,192 × 1280 × 4 B = 40 MiB). */
const WRITE_BATCH = 8192;
/**
 * Query vectors per LanceDB call (one multi-vector query) and calls in flight: 64 × 4 was the fastest
 * of six settings in `npm run bench -- scale --compare-batches` (20,000 × 1280, ivf_flat: 6.9 ms/query
 * against 15.2 for one vector per call and 10.8 for 256 × 1; docs/scale.md).
 */
const QUERY_BATCH = 64;
/**
 * Index and query metric. The vectors are unit vectors, so L2 ranks exactly as the dot product;
 * but with `dot`, LanceDB 0.31's IVF put some rows in partitions that their own vector does not
 * probe: at 1,000,000 rows a row and its 0.9957-cosine duplicate were missing from their own
 * results at 30 and at 100 of 1,000 probes, and were found only with all 1,000 (docs/scale.md,
 * run 7). Part of `params` (hence of the cache key).
 */
const METRIC = 'l2' as const;
const CONCURRENCY = 4;

export class LanceDbBackend implements SearchBackend {
  readonly name = 'lancedb';
  readonly exact = false;
  readonly p: LanceParams;

  constructor(params: Partial<LanceParams> = {}, private readonly where: LanceLocation = {}) {
    this.p = { ...LANCE_DEFAULTS, ...params };
    const p = this.p;
    if (!LANCE_INDEX_TYPES.includes(p.index)) throw new NeardupError(`lancedb index must be one of ${LANCE_INDEX_TYPES.join(', ')}, got ${p.index}`);
    for (const key of ['partitions', 'subVectors', 'nprobes', 'candidates', 'ef', 'maxIterations', 'sampleRate'] as const) {
      if (!Number.isInteger(p[key]) || p[key] < 0) throw new NeardupError(`lancedb ${key} must be a non-negative integer, got ${p[key]}`);
    }
    if (p.nprobes < 1 || p.candidates < 1) throw new NeardupError('lancedb nprobes and candidates must be at least 1');
  }

  get params(): BackendParams {
    const { index, partitions, subVectors, nprobes, candidates, ef, maxIterations, sampleRate } = this.p;
    // Build parameters change the centroids, hence the candidates: they belong in the cache key
    // (left out at 0 = LanceDB's default, so keys made before they existed stay valid).
    const build = { ...(maxIterations ? { maxIterations } : {}), ...(sampleRate ? { sampleRate } : {}) };
    const metric = METRIC;
    if (index === 'ivf_hnsw_sq') return { index, metric, partitions, nprobes, candidates, ef, ...build };
    if (index === 'ivf_hnsw_pq') return { index, metric, partitions, subVectors, nprobes, candidates, ef, ...build };
    if (index === 'ivf_flat' || index === 'ivf_rq') return { index, metric, partitions, nprobes, candidates, ...build };
    return { index, metric, partitions, subVectors, nprobes, candidates, ...build };
  }

  /** Partitions actually used for n rows. */
  partitionsFor(n: number): number {
    return this.p.partitions || Math.max(1, Math.round(Math.sqrt(n)));
  }

  async search(vectors: Float32Array, n: number, dim: number, k: number, options: BackendSearchOptions = {}): Promise<Neighbors> {
    checkKnnArgs(vectors, n, dim, k, options.valid);
    const [qa, qb] = options.queryRange ? checkRange(options.queryRange, n) : [0, n];
    const tmp = this.where.uri ? null : mkdtempSync(join(tmpdir(), 'neardup-lance-'));
    try {
      const db = await openStore(this.where.uri ?? tmp!, { storageOptions: this.where.storageOptions });
      const table = await this.indexedTable(db, vectors, n, dim, options.valid);
      return await this.query(table, vectors, n, dim, k, [qa, qb], options);
    } finally {
      if (tmp) rmSync(tmp, { recursive: true, force: true });
    }
  }

  /** The table holding the valid rows with a vector index: reused when asked and present, else built. */
  async indexedTable(db: lancedb.Connection, vectors: Float32Array, n: number, dim: number, valid?: Uint8Array): Promise<lancedb.Table> {
    const name = this.where.table ?? 'vectors';
    let m = 0;
    for (let i = 0; i < n; i++) if (!valid || valid[i]) m++;
    if (this.where.reuse && (await db.tableNames()).includes(name)) {
      const t = await db.openTable(name);
      // Only an index of the metric used here (an older `dot` index is rebuilt).
      const ok = (x: lancedb.IndexConfig) => x.columns.includes('vector') && String((x as { indexDetails?: { metric_type?: string } }).indexDetails?.metric_type ?? '').toUpperCase() === 'L2';
      if ((await t.countRows()) === m && (await t.listIndices()).some(ok)) return t;
    }
    let table: lancedb.Table | null = null;
    const rows = new Int32Array(WRITE_BATCH);
    const buf = new Float32Array(WRITE_BATCH * dim);
    let fill = 0;
    const flush = async () => {
      if (fill === 0) return;
      const batch = arrowTable({ row: { kind: 'int32', data: rows.slice(0, fill) }, vector: { kind: 'vector', data: buf.slice(0, fill * dim), dim } }, fill);
      if (table) await table.add(batch);
      else table = await db.createTable(name, batch, { mode: 'overwrite' });
      fill = 0;
    };
    for (let i = 0; i < n; i++) {
      if (valid && !valid[i]) continue;
      rows[fill] = i;
      buf.set(vectors.subarray(i * dim, (i + 1) * dim), fill * dim);
      if (++fill === WRITE_BATCH) await flush();
    }
    await flush();
    if (!table) throw new NeardupError('lancedb: no valid vectors to index');
    const t: lancedb.Table = table;
    // An index needs enough rows to train on; below that Lance's flat scan is exact and fast anyway.
    if (m >= 256) {
      const partitions = Math.min(this.partitionsFor(m), Math.max(1, Math.floor(m / 64)));
      await t.createIndex('vector', { config: this.indexConfig(partitions), replace: true });
    }
    return t;
  }

  /** LanceDB's index configuration for these parameters (0 = LanceDB's own default). */
  private indexConfig(numPartitions: number): lancedb.Index {
    const p = this.p;
    const common = { numPartitions, distanceType: METRIC, maxIterations: p.maxIterations || undefined, sampleRate: p.sampleRate || undefined };
    const numSubVectors = p.subVectors || undefined;
    switch (p.index) {
      case 'ivf_pq':
        return lancedb.Index.ivfPq({ ...common, numSubVectors });
      case 'ivf_flat':
        return lancedb.Index.ivfFlat(common);
      case 'ivf_rq':
        return lancedb.Index.ivfRq(common);
      case 'ivf_hnsw_pq':
        return lancedb.Index.hnswPq({ ...common, numSubVectors });
      case 'ivf_hnsw_sq':
        return lancedb.Index.hnswSq(common);
    }
  }

  private async query(
    table: lancedb.Table,
    vectors: Float32Array,
    n: number,
    dim: number,
    k: number,
    [qa, qb]: [number, number],
    { valid, onProgress, signal }: BackendSearchOptions,
  ): Promise<Neighbors> {
    const acc = new TopKRows(qb - qa, k);
    const rowOf = await rowIdMap(table);
    const limit = Math.max(this.p.candidates, k + 1);
    const per = Math.max(1, this.where.queryBatch ?? QUERY_BATCH);
    const total = Math.ceil((qb - qa) / per);
    const starts: number[] = [];
    for (let a = qa; a < qb; a += per) starts.push(a);
    let done = 0;
    let next = 0;
    // One multi-vector query per batch; several batches in flight so LanceDB's threads stay busy
    // while this thread re-ranks the previous answer.
    const worker = async () => {
      while (next < starts.length) {
        if (signal?.aborted) throw new NeardupError('search interrupted', 'interrupted');
        const a = starts[next++];
        const qs: number[] = [];
        for (let q = a; q < Math.min(qb, a + per); q++) if (!valid || valid[q]) qs.push(q);
        if (qs.length > 0) this.rerank(await this.candidates(table, vectors, dim, qs, limit), rowOf, qs, vectors, dim, qa, acc);
        onProgress?.(++done, total);
      }
    };
    const c = Math.max(1, this.where.concurrency ?? CONCURRENCY);
    await Promise.all(Array.from({ length: Math.min(c, starts.length) }, worker));
    const nb = acc.toNeighbors();
    if (valid) finishInvalidRows(nb, valid.subarray(qa, qb));
    return nb;
  }

  /**
   * The index's candidates for the query rows `qs` (one multi-vector query): Arrow columns
   * `_rowid`, `query_index`. Only Lance row ids, no column: fetching the `row` column made Lance
   * read it back for every candidate (a Take per query), 2.5× the time of the whole query
   * (4.0 → 1.6 ms/query at 100,000 rows, ivf_rq, 10 probes; docs/scale.md).
   */
  private async candidates(table: lancedb.Table, vectors: Float32Array, dim: number, qs: number[], limit: number) {
    let query = table.vectorSearch(vectors.subarray(qs[0] * dim, (qs[0] + 1) * dim)) as lancedb.VectorQuery;
    for (let j = 1; j < qs.length; j++) query = query.addQueryVector(vectors.subarray(qs[j] * dim, (qs[j] + 1) * dim));
    query = query.distanceType(METRIC).limit(limit).nprobes(this.p.nprobes).select([]).withRowId();
    if (this.p.index === 'ivf_hnsw_sq' || this.p.index === 'ivf_hnsw_pq') query = query.ef(this.p.ef);
    try {
      return await query.toArrow();
    } catch (e) {
      throw new NeardupError(`lancedb search failed: ${(e as Error).message}`, 'io', { cause: e });
    }
  }

  /** Exact re-rank: the reported similarity is the true cosine, never the index's estimate. */
  private rerank(res: Awaited<ReturnType<LanceDbBackend['candidates']>>, rowOf: RowIdMap, qs: number[], vectors: Float32Array, dim: number, qa: number, acc: TopKRows): void {
    const ids = rowIdWords(res);
    const qiCol = res.getChild('query_index');
    for (let r = 0; r < res.numRows; r++) {
      const q = qs[qiCol ? Number(qiCol.get(r)) : 0];
      const j = rowOf.get(ids[2 * r + 1])?.[ids[2 * r]] ?? -1;
      if (j < 0) throw new NeardupError(`lancedb returned an unknown row id (fragment ${ids[2 * r + 1]}, offset ${ids[2 * r]}): the table changed during the search`, 'io');
      if (j === q) continue;
      const oq = q * dim;
      const oj = j * dim;
      let s = 0;
      for (let d = 0; d < dim; d++) s += vectors[oq + d] * vectors[oj + d];
      acc.offer(q - qa, j, Math.fround(s));
    }
  }
}

/** Lance row id → our row number: per fragment id, the `row` value at each offset in the fragment. */
type RowIdMap = Map<number, Int32Array>;

/**
 * A Lance row id is `fragment id << 32 | offset in the fragment` (Lance's address-style row ids,
 * the default); read once per search from the table's `row` column, so any fragment layout works.
 */
async function rowIdMap(table: lancedb.Table): Promise<RowIdMap> {
  const frags = new Map<number, number[]>();
  for await (const batch of table.query().select(['row']).withRowId()) {
    const rows = batch.getChild('row')!;
    const words = rowIdWords(batch);
    for (let r = 0; r < batch.numRows; r++) {
      const f = words[2 * r + 1];
      let list = frags.get(f);
      if (!list) frags.set(f, (list = []));
      list[words[2 * r]] = rows.get(r) as number;
    }
  }
  const out: RowIdMap = new Map();
  for (const [f, list] of frags) out.set(f, Int32Array.from(list, (x) => (x === undefined ? -1 : x)));
  return out;
}

/** The `_rowid` column (uint64) as little-endian 32-bit words: [offset, fragment] per row. */
function rowIdWords(t: { getChild(name: string): { toArray(): unknown } | null; numRows: number }): Uint32Array {
  const col = t.getChild('_rowid');
  if (!col) throw new NeardupError('lancedb returned no _rowid column', 'io');
  const a = col.toArray() as BigUint64Array;
  return new Uint32Array(a.buffer, a.byteOffset, a.length * 2);
}

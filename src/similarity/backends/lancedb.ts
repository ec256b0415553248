/**
 * Approximate backend: LanceDB's IVF-PQ (or IVF-HNSW-SQ) vector index proposes candidates, and
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
export interface LanceParams {
  /** `ivf_pq` (default), `ivf_flat` (no quantisation: cheaper to build, more bytes scanned) or `ivf_hnsw_sq`. */
  index: 'ivf_pq' | 'ivf_flat' | 'ivf_hnsw_sq';
  /** IVF partitions; 0 = automatic: about √n (LanceDB's own default), at least 1. */
  partitions: number;
  /** PQ sub-vectors (ivf_pq); 0 = dim / 16 (LanceDB's default). */
  subVectors: number;
  /** Partitions probed per query. */
  nprobes: number;
  /** Candidates fetched per query and re-ranked exactly (≥ k + 1). */
  candidates: number;
  /** HNSW search breadth (ivf_hnsw_sq only). */
  ef: number;
}

/** Defaults chosen from the measurements in docs/scale.md. */
export const LANCE_DEFAULTS: LanceParams = { index: 'ivf_pq', partitions: 0, subVectors: 0, nprobes: 20, candidates: 40, ef: 64 };

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
const CONCURRENCY = 4;

export class LanceDbBackend implements SearchBackend {
  readonly name = 'lancedb';
  readonly exact = false;
  readonly p: LanceParams;

  constructor(params: Partial<LanceParams> = {}, private readonly where: LanceLocation = {}) {
    this.p = { ...LANCE_DEFAULTS, ...params };
    const p = this.p;
    if (p.index !== 'ivf_pq' && p.index !== 'ivf_flat' && p.index !== 'ivf_hnsw_sq') throw new NeardupError(`lancedb index must be ivf_pq, ivf_flat or ivf_hnsw_sq, got ${p.index}`);
    for (const key of ['partitions', 'subVectors', 'nprobes', 'candidates', 'ef'] as const) {
      if (!Number.isInteger(p[key]) || p[key] < 0) throw new NeardupError(`lancedb ${key} must be a non-negative integer, got ${p[key]}`);
    }
    if (p.nprobes < 1 || p.candidates < 1) throw new NeardupError('lancedb nprobes and candidates must be at least 1');
  }

  get params(): BackendParams {
    const { index, partitions, subVectors, nprobes, candidates } = this.p;
    if (index === 'ivf_hnsw_sq') return { index, partitions, nprobes, candidates, ef: this.p.ef };
    if (index === 'ivf_flat') return { index, partitions, nprobes, candidates };
    return { index, partitions, subVectors, nprobes, candidates };
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
      if ((await t.countRows()) === m && (await t.listIndices()).some((x) => x.columns.includes('vector'))) return t;
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
      const config =
        this.p.index === 'ivf_pq'
          ? lancedb.Index.ivfPq({ numPartitions: partitions, numSubVectors: this.p.subVectors || undefined, distanceType: 'dot' })
          : this.p.index === 'ivf_flat'
            ? lancedb.Index.ivfFlat({ numPartitions: partitions, distanceType: 'dot' })
            : lancedb.Index.hnswSq({ numPartitions: partitions, distanceType: 'dot' });
      await t.createIndex('vector', { config, replace: true });
    }
    return t;
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
        if (qs.length > 0) this.rerank(await this.candidates(table, vectors, dim, qs, limit), qs, vectors, dim, qa, acc);
        onProgress?.(++done, total);
      }
    };
    const c = Math.max(1, this.where.concurrency ?? CONCURRENCY);
    await Promise.all(Array.from({ length: Math.min(c, starts.length) }, worker));
    const nb = acc.toNeighbors();
    if (valid) finishInvalidRows(nb, valid.subarray(qa, qb));
    return nb;
  }

  /** The index's candidates for the query rows `qs` (one multi-vector query): Arrow columns `row`, `query_index`. */
  private async candidates(table: lancedb.Table, vectors: Float32Array, dim: number, qs: number[], limit: number) {
    let query = table.vectorSearch(vectors.subarray(qs[0] * dim, (qs[0] + 1) * dim)) as lancedb.VectorQuery;
    for (let j = 1; j < qs.length; j++) query = query.addQueryVector(vectors.subarray(qs[j] * dim, (qs[j] + 1) * dim));
    query = query.distanceType('dot').limit(limit).nprobes(this.p.nprobes).select(['row']);
    if (this.p.index === 'ivf_hnsw_sq') query = query.ef(this.p.ef);
    try {
      return await query.toArrow();
    } catch (e) {
      throw new NeardupError(`lancedb search failed: ${(e as Error).message}`, 'io', { cause: e });
    }
  }

  /** Exact re-rank: the reported similarity is the true cosine, never the index's estimate. */
  private rerank(res: Awaited<ReturnType<LanceDbBackend['candidates']>>, qs: number[], vectors: Float32Array, dim: number, qa: number, acc: TopKRows): void {
    const rowCol = res.getChild('row')!;
    const qiCol = res.getChild('query_index');
    for (let r = 0; r < res.numRows; r++) {
      const q = qs[qiCol ? Number(qiCol.get(r)) : 0];
      const j = rowCol.get(r) as number;
      if (j === q) continue;
      const oq = q * dim;
      const oj = j * dim;
      let s = 0;
      for (let d = 0; d < dim; d++) s += vectors[oq + d] * vectors[oj + d];
      acc.offer(q - qa, j, Math.fround(s));
    }
  }
}

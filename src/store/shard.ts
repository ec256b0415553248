/**
 * Sharded work over a store, runnable by any scheduler (xargs -P, a Kubernetes indexed Job, a
 * Slurm array; docs/scale.md#sharded-runs):
 *
 * 1. `embedShard`: shard i of n embeds rows [⌊i·N/n⌋, ⌊(i+1)·N/n⌋) and appends them to its own
 *    table `emb_<i>_of_<n>` in chunks; each chunk is one Lance commit, so a killed shard leaves
 *    whole chunks only, and a rerun embeds only the rows its table lacks (idempotent, resumable).
 * 2. `searchShard`: shard i of n reads every embedding shard (all must be complete), searches its
 *    slice of queries against all rows (exact, or the LanceDB index shared in the store as table
 *    `vectors`, built once by `buildSharedIndex`) and writes `nbr_<i>_of_<n>` (replaced whole).
 * 3. `mergeShards`: reads all embedding and neighbour shards back as one {@link Embeddings} and
 *    one {@link Neighbors}, which `scan(…, { precomputed })` groups and reports as usual.
 */
import type * as lancedb from '@lancedb/lancedb';
import type { Dataset, Embeddings, Neighbors } from '../types';
import { NeardupError } from '../errors';
import { columnValues, hasColumn } from '../frame';
import { embedDataset, type EmbedOptions } from '../embed';
import { arrowTable } from './arrow';
import { openStore, type StoreOptions } from './connect';
import { resolveSearch, type SearchChoice } from '../similarity/backends/registry';
import { LanceDbBackend } from '../similarity/backends/lancedb';
import { searchInfo, type SearchInfo } from '../similarity/backends/types';

/** `i/n` parsed and checked. */
export function parseShard(s: string): { i: number; n: number } {
  const m = /^(\d+)\/(\d+)$/.exec(s.trim());
  const i = m ? Number(m[1]) : NaN;
  const n = m ? Number(m[2]) : NaN;
  if (!m || n < 1 || i >= n) throw new NeardupError(`--shard must be i/n with 0 <= i < n (e.g. 0/4), got '${s}'`);
  return { i, n };
}

/** Rows [a, b) of shard i of n over N rows. */
export function shardRange(i: number, n: number, total: number): [number, number] {
  return [Math.floor((i * total) / n), Math.floor(((i + 1) * total) / n)];
}

/** The rows [a, b) of a dataset as a dataset (same pixels, no copy for arrays). */
export function sliceDataset(ds: Dataset, a: number, b: number): Dataset {
  const df = ds.df.iloc({ rows: [`${a}:${b}`] });
  const px = ds.pixels;
  if (px.kind === 'files') return { name: ds.name, df, pixels: { kind: 'files', paths: px.paths.slice(a, b) } };
  if (px.kind === 'encoded') return { name: ds.name, df, pixels: { kind: 'encoded', images: px.images.slice(a, b) } };
  const size = px.width * px.height * px.channels;
  return { name: ds.name, df, pixels: { ...px, data: px.data.subarray(a * size, b * size) } };
}

const embTable = (i: number, n: number) => `emb_${i}_of_${n}`;
const nbrTable = (i: number, n: number) => `nbr_${i}_of_${n}`;

async function rowsPresent(db: lancedb.Connection, name: string): Promise<Set<number>> {
  const have = new Set<number>();
  if (!(await db.tableNames()).includes(name)) return have;
  for await (const batch of (await db.openTable(name)).query().select(['row'])) {
    const col = batch.getChild('row')!;
    for (let r = 0; r < batch.numRows; r++) have.add(col.get(r) as number);
  }
  return have;
}

/** Options of {@link embedShard}. */
export interface EmbedShardOptions extends StoreOptions {
  /** Rows per commit (default 1,024): what a killed shard can lose. */
  chunkRows?: number;
  embed?: Omit<EmbedOptions, 'onProgress' | 'signal'>;
  onProgress?: (done: number, total: number) => void;
}

/**
 * Embeds shard i of n of `ds` into the store; returns the rows found present and the rows embedded.
 * @throws NeardupError (`io`) when the store cannot be written.
 */
export async function embedShard(ds: Dataset, uri: string, i: number, n: number, opts: EmbedShardOptions = {}): Promise<{ present: number; embedded: number; rows: [number, number] }> {
  const total = ds.df.shape[0];
  const [a, b] = shardRange(i, n, total);
  const db = await openStore(uri, opts);
  const name = embTable(i, n);
  const have = await rowsPresent(db, name);
  const chunk = opts.chunkRows ?? 1024;
  const str = (col: string, lo: number, hi: number) =>
    hasColumn(ds.df, col) ? columnValues<unknown>(ds.df, col).slice(lo, hi).map((v) => (v == null || v === '' ? null : String(v))) : new Array<null>(hi - lo).fill(null);
  let embedded = 0;
  const present = [...have].filter((r) => r >= a && r < b).length;
  for (let c0 = a; c0 < b; c0 += chunk) {
    const c1 = Math.min(b, c0 + chunk);
    let complete = true;
    for (let r = c0; r < c1 && complete; r++) complete = have.has(r);
    if (complete) continue;
    const e = await embedDataset(sliceDataset(ds, c0, c1), opts.embed ?? {});
    const m = c1 - c0;
    const batch = arrowTable(
      {
        row: { kind: 'int32', data: Int32Array.from({ length: m }, (_, r) => c0 + r) },
        total: { kind: 'int32', data: new Int32Array(m).fill(total) },
        id: { kind: 'utf8', data: e.ids },
        split: { kind: 'utf8', data: str('split', c0, c1) },
        label: { kind: 'utf8', data: str('label', c0, c1) },
        status: { kind: 'utf8', data: e.status },
        reason: { kind: 'utf8', data: e.reasons },
        model: { kind: 'utf8', data: new Array(m).fill(e.model) },
        dequantized: { kind: 'utf8', data: new Array(m).fill(String(e.settings.dequantized)) },
        vector: { kind: 'vector', data: e.vectors, dim: e.dim },
      },
      m,
    );
    try {
      if ((await db.tableNames()).includes(name)) await (await db.openTable(name)).add(batch);
      else await db.createTable(name, batch);
    } catch (err) {
      throw new NeardupError(`cannot write ${name} to store ${uri}: ${(err as Error).message}`, 'io', { cause: err });
    }
    embedded += m;
    opts.onProgress?.(c1 - a, b - a);
  }
  return { present, embedded, rows: [a, b] };
}

/** Everything the embedding shards wrote, in row order. */
export interface ShardedEmbeddings {
  embeddings: Embeddings;
  /** The model ran with float activations (decides the default threshold of tiny grayscale sets). */
  dequantized: boolean;
  splits: (string | null)[];
  labels: (string | null)[];
}

/**
 * Reads all n embedding shards.
 * @throws NeardupError (`not_found`) naming the shards that are missing or incomplete.
 */
export async function readEmbeddingShards(uri: string, n: number, opts: StoreOptions = {}): Promise<ShardedEmbeddings> {
  const db = await openStore(uri, opts);
  const names = await db.tableNames();
  let total = -1;
  let dim = 0;
  let model = '';
  let dequantized = false;
  const parts: { row: number; id: string; split: string | null; label: string | null; status: string; reason: string; vec: Float32Array }[] = [];
  const missing: number[] = [];
  for (let i = 0; i < n; i++) {
    if (!names.includes(embTable(i, n))) {
      missing.push(i);
      continue;
    }
    for await (const batch of (await db.openTable(embTable(i, n))).query()) {
      const g = (c: string) => batch.getChild(c)!;
      for (let r = 0; r < batch.numRows; r++) {
        total = g('total').get(r) as number;
        model = g('model').get(r) as string;
        dequantized = g('dequantized').get(r) === 'true';
        const vec = (g('vector').get(r).toArray() as Float32Array).slice();
        dim = vec.length;
        parts.push({ row: g('row').get(r), id: g('id').get(r), split: g('split').get(r), label: g('label').get(r), status: g('status').get(r), reason: g('reason').get(r), vec });
      }
    }
  }
  const seen = new Uint8Array(Math.max(total, 0));
  for (const p of parts) seen[p.row] = 1;
  for (let i = 0; i < n && total >= 0; i++) {
    const [a, b] = shardRange(i, n, total);
    if (!missing.includes(i) && seen.subarray(a, b).some((x) => x === 0)) missing.push(i);
  }
  if (missing.length || total < 0) throw new NeardupError(`store ${uri}: embedding shards ${missing.join(', ') || 'all'} of ${n} are missing or incomplete; (re)run them`, 'not_found');
  const e: Embeddings = { ids: new Array(total), dim, vectors: new Float32Array(total * dim), status: new Array(total), reasons: new Array(total), model };
  const splits: (string | null)[] = new Array(total).fill(null);
  const labels: (string | null)[] = new Array(total).fill(null);
  for (const p of parts) {
    e.ids[p.row] = p.id;
    e.status[p.row] = p.status as Embeddings['status'][number];
    e.reasons[p.row] = p.reason;
    splits[p.row] = p.split;
    labels[p.row] = p.label;
    e.vectors.set(p.vec, p.row * dim);
  }
  return { embeddings: e, dequantized, splits, labels };
}

/** Builds the shared LanceDB index (table `vectors`) once, before the ANN search shards run. */
export async function buildSharedIndex(uri: string, n: number, params: Record<string, unknown> = {}, opts: StoreOptions = {}): Promise<SearchInfo> {
  const { embeddings: e } = await readEmbeddingShards(uri, n, opts);
  const valid = Uint8Array.from(e.status, (s) => (s === 'ok' ? 1 : 0));
  const backend = resolveSearch({ backend: 'lancedb', params }, e.ids.length) as LanceDbBackend;
  const db = await openStore(uri, opts);
  await new LanceDbBackend(backend.p, { uri, table: 'vectors', storageOptions: opts.storageOptions }).indexedTable(db, e.vectors, e.ids.length, e.dim, valid);
  return searchInfo(backend);
}

/**
 * Search shard i of n: its query rows against all rows; writes `nbr_<i>_of_<n>`.
 * With `search: 'ann'` (or `auto` above AUTO_ANN_THRESHOLD rows: LanceDB here, not hnsw) the shared index must
 * have been built by {@link buildSharedIndex}.
 */
export async function searchShard(uri: string, i: number, n: number, k: number, search: SearchChoice = 'exact', opts: StoreOptions = {}): Promise<SearchInfo> {
  const { embeddings: e } = await readEmbeddingShards(uri, n, opts);
  const total = e.ids.length;
  const valid = Uint8Array.from(e.status, (s) => (s === 'ok' ? 1 : 0));
  // auto keeps LanceDB here: the shards share the store's index (an in-memory HNSW graph per shard would rebuild it all).
  const backend = resolveSearch(search, total, { uri, table: 'vectors', reuse: true, storageOptions: opts.storageOptions }, 'lancedb');
  const [a, b] = shardRange(i, n, total);
  const nb = await backend.search(e.vectors, total, e.dim, k, { valid, queryRange: [a, b] });
  const db = await openStore(uri, opts);
  const info = searchInfo(backend);
  await db.createTable(
    nbrTable(i, n),
    arrowTable(
      {
        row: { kind: 'int32', data: Int32Array.from({ length: b - a }, (_, r) => a + r) },
        indices: { kind: 'int32list', data: nb.indices, width: k },
        scores: { kind: 'float32list', data: nb.scores, width: k },
        search: { kind: 'utf8', data: new Array(b - a).fill(JSON.stringify(info)) },
      },
      b - a,
    ),
    { mode: 'overwrite' },
  );
  return info;
}

/**
 * Reads all embedding and neighbour shards back as one result.
 * @throws NeardupError (`not_found`) naming missing shards; (`bad_format`) when shards used different searches.
 */
export async function mergeShards(uri: string, n: number, opts: StoreOptions = {}): Promise<ShardedEmbeddings & { neighbors: Neighbors; search: SearchInfo }> {
  const se = await readEmbeddingShards(uri, n, opts);
  const total = se.embeddings.ids.length;
  const db = await openStore(uri, opts);
  const names = await db.tableNames();
  const missing = Array.from({ length: n }, (_, i) => i).filter((i) => !names.includes(nbrTable(i, n)));
  if (missing.length) throw new NeardupError(`store ${uri}: search shards ${missing.join(', ')} of ${n} are missing; run them`, 'not_found');
  let k = 0;
  let nb: Neighbors | null = null;
  let search = '';
  for (let i = 0; i < n; i++) {
    for await (const batch of (await db.openTable(nbrTable(i, n))).query()) {
      for (let r = 0; r < batch.numRows; r++) {
        const idx = batch.getChild('indices')!.get(r).toArray() as Int32Array;
        if (!nb) {
          k = idx.length;
          nb = { n: total, k, indices: new Int32Array(total * k), scores: new Float32Array(total * k) };
        }
        const s = batch.getChild('search')!.get(r) as string;
        if (search && s !== search) throw new NeardupError(`store ${uri}: search shards used different backends (${search} vs ${s}); rerun them alike`, 'bad_format');
        search = s;
        const row = batch.getChild('row')!.get(r) as number;
        nb.indices.set(idx, row * k);
        nb.scores.set(batch.getChild('scores')!.get(r).toArray() as Float32Array, row * k);
      }
    }
  }
  if (!nb) throw new NeardupError(`store ${uri}: no neighbour lists`, 'not_found');
  return { ...se, neighbors: nb, search: JSON.parse(search) as SearchInfo };
}

/**
 * Scan results as Lance tables in a store (local folder or `s3://…`), so a later scan, the explorer
 * or the export read embeddings and neighbour lists back without recomputing:
 *
 * - `samples`: `row` int32, `id`, `split`, `label` (as text), `status` utf8, `vector` float32[dim]
 * - `neighbors`: `row` int32, `indices` int32[k], `scores` float32[k] (the Neighbors layout)
 * - `meta`: one row, `key` / `value` utf8: the model, the search backend (JSON) and the shapes
 *
 * Tables are written in batches (bounded memory) and replaced as a whole (`mode: overwrite`: Lance
 * commits a new version atomically, so a reader never sees half a table).
 */
import type * as lancedb from '@lancedb/lancedb';
import type { Embeddings, Neighbors } from '../types';
import type { SearchInfo } from '../similarity/backends/types';
import { NeardupError } from '../errors';
import { arrowTable } from './arrow';
import { openStore, type StoreOptions } from './connect';

const BATCH = 8192;

/** What {@link writeStore} saves and {@link readStore} returns. */
export interface StoredScan {
  embeddings: Embeddings;
  splits: (string | null)[];
  labels: (string | null)[];
  neighbors: Neighbors;
  search: SearchInfo;
  /** The model ran with float activations (decides the default threshold of tiny grayscale sets). */
  dequantized?: boolean;
}

async function writeBatched(db: lancedb.Connection, name: string, n: number, make: (a: number, b: number) => ReturnType<typeof arrowTable>): Promise<void> {
  let t: lancedb.Table | null = null;
  for (let a = 0; a < Math.max(n, 1); a += BATCH) {
    const b = Math.min(n, a + BATCH);
    const batch = make(a, b);
    if (t) await t.add(batch);
    else t = await db.createTable(name, batch, { mode: 'overwrite' });
  }
}

/**
 * Writes embeddings (with ids, split, label, status), neighbour lists and metadata to the store.
 * @throws NeardupError `io` when the store cannot be written.
 */
export async function writeStore(uri: string, s: StoredScan, opts: StoreOptions = {}): Promise<void> {
  const db = await openStore(uri, opts);
  const { embeddings: e, neighbors: nb } = s;
  const n = e.ids.length;
  const dim = e.dim;
  const rows = (a: number, b: number) => Int32Array.from({ length: b - a }, (_, i) => a + i);
  try {
    await writeBatched(db, 'samples', n, (a, b) =>
      arrowTable(
        {
          row: { kind: 'int32', data: rows(a, b) },
          id: { kind: 'utf8', data: e.ids.slice(a, b) },
          split: { kind: 'utf8', data: s.splits.slice(a, b) },
          label: { kind: 'utf8', data: s.labels.slice(a, b) },
          status: { kind: 'utf8', data: e.status.slice(a, b) },
          reason: { kind: 'utf8', data: e.reasons.slice(a, b) },
          vector: { kind: 'vector', data: e.vectors.slice(a * dim, b * dim), dim },
        },
        b - a,
      ),
    );
    await writeBatched(db, 'neighbors', nb.n, (a, b) =>
      arrowTable(
        {
          row: { kind: 'int32', data: rows(a, b) },
          indices: { kind: 'int32list', data: nb.indices.slice(a * nb.k, b * nb.k), width: nb.k },
          scores: { kind: 'float32list', data: nb.scores.slice(a * nb.k, b * nb.k), width: nb.k },
        },
        b - a,
      ),
    );
    const meta = { model: e.model, dim: String(dim), n: String(n), k: String(nb.k), search: JSON.stringify(s.search), dequantized: String(s.dequantized === true) };
    await db.createTable('meta', arrowTable({ key: { kind: 'utf8', data: Object.keys(meta) }, value: { kind: 'utf8', data: Object.values(meta) } }, Object.keys(meta).length), { mode: 'overwrite' });
  } catch (e) {
    if (e instanceof NeardupError) throw e;
    throw new NeardupError(`cannot write store ${uri}: ${(e as Error).message}`, 'io', { cause: e });
  }
}

/**
 * Reads back what {@link writeStore} wrote, in row order.
 * @throws NeardupError `not_found` when the store has no scan; `bad_format` when tables disagree.
 */
export async function readStore(uri: string, opts: StoreOptions = {}): Promise<StoredScan> {
  const db = await openStore(uri, opts);
  const names = await db.tableNames();
  for (const t of ['samples', 'neighbors', 'meta']) if (!names.includes(t)) throw new NeardupError(`store ${uri} has no ${t} table (write it with writeStore or a scan --store)`, 'not_found');
  const meta = Object.fromEntries((await (await db.openTable('meta')).query().toArray()).map((r) => [r.key as string, r.value as string]));
  const n = Number(meta.n);
  const dim = Number(meta.dim);
  const k = Number(meta.k);
  const e: Embeddings = { ids: new Array(n), dim, vectors: new Float32Array(n * dim), status: new Array(n), reasons: new Array(n), model: meta.model };
  const splits: (string | null)[] = new Array(n).fill(null);
  const labels: (string | null)[] = new Array(n).fill(null);
  let seen = 0;
  for await (const batch of (await db.openTable('samples')).query().select(['row', 'id', 'split', 'label', 'status', 'reason', 'vector'])) {
    const col = (c: string) => batch.getChild(c)!;
    for (let r = 0; r < batch.numRows; r++) {
      const i = col('row').get(r) as number;
      e.ids[i] = col('id').get(r);
      splits[i] = col('split').get(r);
      labels[i] = col('label').get(r);
      e.status[i] = col('status').get(r);
      e.reasons[i] = col('reason').get(r);
      const vec = col('vector').get(r);
      e.vectors.set(vec.toArray() as Float32Array, i * dim);
      seen++;
    }
  }
  const nb: Neighbors = { n, k, indices: new Int32Array(n * k), scores: new Float32Array(n * k) };
  for await (const batch of (await db.openTable('neighbors')).query().select(['row', 'indices', 'scores'])) {
    for (let r = 0; r < batch.numRows; r++) {
      const i = batch.getChild('row')!.get(r) as number;
      nb.indices.set(batch.getChild('indices')!.get(r).toArray() as Int32Array, i * k);
      nb.scores.set(batch.getChild('scores')!.get(r).toArray() as Float32Array, i * k);
    }
  }
  if (seen !== n) throw new NeardupError(`store ${uri}: samples table has ${seen} rows, meta says ${n}`, 'bad_format');
  return { embeddings: e, splits, labels, neighbors: nb, search: JSON.parse(meta.search) as SearchInfo, dequantized: meta.dequantized === 'true' };
}

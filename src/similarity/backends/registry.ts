/**
 * Registry of k-NN backends by name, and the `exact | ann | auto` choice of the scan and CLI.
 * A new engine is one file in this folder plus one `registerSearchBackend` call.
 */
import { NeardupError } from '../../errors';
import { ExactBackend } from './exact';
import { LanceDbBackend, type LanceIndexType, type LanceLocation } from './lancedb';
import { HnswBackend, type HnswQuantization } from './hnsw';
import type { SearchBackend } from './types';

/** Builds a backend from its parameters (strings from the CLI, numbers from code). */
export type BackendFactory = (params: Record<string, unknown>, where: LanceLocation) => SearchBackend;

const registry = new Map<string, BackendFactory>();

/** Registers (or replaces) a backend factory under `name`. */
export function registerSearchBackend(name: string, factory: BackendFactory): void {
  registry.set(name, factory);
}

/** Registered backend names. */
export function searchBackendNames(): string[] {
  return [...registry.keys()];
}

/**
 * Above this many valid vectors `auto` uses the approximate backend (HNSW). Chosen from the
 * measurements in docs/scale.md: below it the exact search takes minutes at most on 2 cores, and
 * being exact is worth more than the time saved.
 */
export const AUTO_ANN_THRESHOLD = 250_000;

/** What a caller may pass as `ScanOptions.search`. */
export type SearchChoice = 'exact' | 'ann' | 'auto' | 'hnsw' | 'lancedb' | SearchBackend | { backend: string; params?: Record<string, unknown>; uri?: string };

/**
 * Resolves a choice to a backend for n valid vectors: `exact`; `ann` = LanceDB with default
 * parameters; `auto` = exact up to {@link AUTO_ANN_THRESHOLD} vectors, else `hnsw` (USearch in
 * memory, the one measured within issue 13's 10 minutes at 1,000,000 rows: docs/scale.md run 12;
 * LanceDB took ≈ 75 min there, run 8); a registered name with parameters; or a backend object as is.
 * With `auto`, parameters go to the backend it selects (hnsw's, or `autoBackend`'s) and are unused below the limit.
 *
 * @param autoBackend what `auto` selects above the limit: `hnsw` (default), or `lancedb` for the sharded
 *   search over a store, whose shards share the store's LanceDB index (src/store/shard.ts)
 * @throws NeardupError (`invalid_argument`) for an unknown name, or a parameter the selected backend does not take
 */
export function resolveSearch(choice: SearchChoice | undefined, n: number, where: LanceLocation = {}, autoBackend: 'hnsw' | 'lancedb' = 'hnsw'): SearchBackend {
  const c = choice ?? 'exact';
  if (typeof c === 'object' && 'search' in c) return c;
  let name = typeof c === 'string' ? c : c.backend;
  const auto = name === 'auto';
  if (auto) name = n > AUTO_ANN_THRESHOLD ? autoBackend : 'exact';
  if (name === 'ann') name = 'lancedb';
  const factory = registry.get(name);
  if (!factory) throw new NeardupError(`unknown search backend ${JSON.stringify(name)}; known: ann, auto, ${searchBackendNames().join(', ')}`);
  // Parameters belong to the approximate backend; with auto below the size limit they are unused.
  const params = typeof c === 'object' && name !== 'exact' ? (c.params ?? {}) : {};
  try {
    return factory(params, typeof c === 'object' && c.uri ? { ...where, uri: c.uri } : where);
  } catch (e) {
    // A parameter written for LanceDB (nprobes, partitions…) under auto: say which backend auto chose.
    if (auto && e instanceof NeardupError) {
      throw new NeardupError(`search auto selected ${name} for ${n.toLocaleString('en-US')} vectors (above ${AUTO_ANN_THRESHOLD.toLocaleString('en-US')}), and ${e.message}; choose the backend by name (ann = LanceDB) to pass its parameters`, 'invalid_argument');
    }
    throw e;
  }
}

registerSearchBackend('exact', (p) => new ExactBackend(p));
/** A parameter given as text (CLI `--search-param`) or number, as a number; absent stays absent. */
const num = (v: unknown) => (v === undefined ? undefined : Number(v));
/** The entries that were given (so a backend's own defaults apply to the others, and the cache key lists only what was set). */
const given = <T extends Record<string, unknown>>(o: T) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;

registerSearchBackend('lancedb', (p, where) =>
  new LanceDbBackend(
    given({
      index: p.index as LanceIndexType | undefined,
      partitions: num(p.partitions),
      subVectors: num(p.subVectors),
      nprobes: num(p.nprobes),
      candidates: num(p.candidates),
      ef: num(p.ef),
      maxIterations: num(p.maxIterations),
      sampleRate: num(p.sampleRate),
    }),
    where,
  ),
);
registerSearchBackend('hnsw', (p) => {
  const known = new Set(['quantization', 'connectivity', 'expansionAdd', 'expansionSearch', 'candidates', 'pcaDims', 'pcaSample', 'threads']);
  for (const key of Object.keys(p)) {
    if (!known.has(key)) throw new NeardupError(`unknown hnsw parameter ${JSON.stringify(key)}; known: ${[...known].join(', ')}`);
  }
  const params = given({
    quantization: p.quantization as HnswQuantization | undefined,
    connectivity: num(p.connectivity),
    expansionAdd: num(p.expansionAdd),
    expansionSearch: num(p.expansionSearch),
    candidates: num(p.candidates),
    pcaDims: num(p.pcaDims),
    pcaSample: num(p.pcaSample),
  });
  return new HnswBackend(params, { threads: num(p.threads) });
});

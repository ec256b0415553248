/**
 * What the explorer needs, independent of where it came from: ids, neighbours, splits, labels,
 * validity and exact groups (a {@link ScanResult} provides all of them), plus the compact
 * encodings sent once to the browser.
 */
import type { DataFrame } from 'danfojs-node';
import type { Dataset, Neighbors } from '../../types';
import type { GroupMethod, GroupOptions, KeepPolicy } from '../../dedup/groups';
import { maxSimilarity as maxSimilarityOf } from '../../dedup/threshold';
import { NeardupError } from '../../errors';
import type { EvidenceTable } from './evidence';

/** Plain inputs of an explorer. Build one by hand for synthetic data; `explore(result)` builds it from a scan. */
export interface ExplorerSource {
  /** Sample ids in row order (unique). */
  ids: readonly string[];
  neighbors: Neighbors;
  /** Split of each row (null = none). */
  splits?: ArrayLike<string | null | undefined>;
  /** Label of each row, used for label conflicts (null = unlabelled). */
  labels?: ArrayLike<string | number | null | undefined>;
  /** Human-readable label of each row for display (defaults to `labels`). */
  labelNames?: ArrayLike<string | null | undefined>;
  /** 1 = embedded, 0 = skipped (never grouped). Default all 1. */
  valid?: Uint8Array;
  /** Exact-duplicate group of each row, -1 = none. */
  exactGroups?: Int32Array;
  /** Highest similarity per row (computed from `neighbors` when absent). */
  maxSimilarity?: Float32Array;
  /** Pixels for thumbnails; without it the grid shows ids only. */
  dataset?: Dataset;
  /** The samples table `toDataFrame()` starts from (must have an `id` column). */
  samples?: DataFrame | (() => DataFrame);
  /**
   * Evidence of the pairs decided by more than their cosine (keypoints, pixels, pHash) and the
   * verification's settings, shown on the cards (evidence.ts); default: none, cosine only.
   */
  evidence?: EvidenceTable;
  /** Extra group options (e.g. pixelCounts / fileSizes for keep: 'largest'). */
  groupOptions?: (keep: KeepPolicy, method: GroupMethod) => GroupOptions;
}

/**
 * Integer codes of a string column plus the table of names (null/'' → -1). `strict` is true when
 * the codes also tell values apart by `===` (one primitive type, no NaN: no `1` vs `'1'` merged by
 * the string key), so they can stand for the values in group counts (dedup/regroup.ts).
 */
export function encodeCategories(values: ArrayLike<string | number | null | undefined> | undefined, n: number, display?: ArrayLike<string | null | undefined>): { codes: Int32Array; names: string[]; strict: boolean } {
  const codes = new Int32Array(n).fill(-1);
  const names: string[] = [];
  if (!values) return { codes, names, strict: true };
  const index = new Map<string, number>();
  let type = '';
  let strict = true;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v === null || v === undefined || v === '') continue;
    const ty = typeof v;
    if (ty !== type) {
      if (type !== '' || (ty !== 'string' && ty !== 'number')) strict = false;
      type = ty;
    }
    if (v !== v) strict = false; // NaN
    const key = String(v);
    let c = index.get(key);
    if (c === undefined) {
      c = names.length;
      index.set(key, c);
      const shown = display ? display[i] : undefined;
      names.push(shown === null || shown === undefined || shown === '' ? key : String(shown));
    }
    codes[i] = c;
  }
  return { codes, names, strict };
}

/**
 * Keep priority per row (lower = kept first) reproducing `groupAtThreshold`'s built-in keep
 * policies, so the browser picks the same copy. Returns null for a keep function (the browser
 * then waits for the kernel's numbers).
 */
export function keepRank(keep: KeepPolicy, n: number, opts: GroupOptions): Int32Array | null {
  const rank = new Int32Array(n);
  if (typeof keep === 'function') return null;
  // A row held inside another picture (GroupOptions.heldInside) comes after the rest of its kind.
  const held = opts.heldInside;
  const h = (i: number) => (held && held[i] ? 1 : 0);
  if (keep === 'first') {
    for (let i = 0; i < n; i++) rank[i] = h(i) * n + i;
    return rank;
  }
  if (keep === 'largest') {
    const px = opts.pixelCounts;
    const fs = opts.fileSizes;
    const order = Array.from({ length: n }, (_, i) => i);
    // Same rule as groupAtThreshold's 'largest': pixels, then bytes, then dataset order; unknown = smallest.
    const size = (v: ArrayLike<number> | undefined, i: number) => {
      const x = v ? Number(v[i]) : 0;
      return Number.isFinite(x) && x > 0 ? x : 0;
    };
    order.sort((a, b) => size(px, b) - size(px, a) || size(fs, b) - size(fs, a) || h(a) - h(b) || a - b);
    order.forEach((row, r) => (rank[row] = r));
    return rank;
  }
  // A split name: rows of that split first, then dataset order.
  const splits = opts.splits;
  for (let i = 0; i < n; i++) rank[i] = (splits && splits[i] === keep ? 0 : 2 * n) + h(i) * n + i;
  return rank;
}

/**
 * Checks the source's arrays agree in length (names the bad one); with `index` (default) also
 * builds the id → row index and checks the ids are unique, else returns null (see {@link idIndex}).
 *
 * @throws NeardupError naming the array whose length differs, or a repeated id
 */
export function checkSource(src: ExplorerSource, index = true): Map<string, number> | null {
  const n = src.ids.length;
  const nb = src.neighbors;
  if (!nb || typeof nb.n !== 'number' || !nb.indices || !nb.scores) throw new NeardupError('explore: neighbors must be a Neighbors object {n, k, indices, scores}');
  if (nb.n !== n) throw new NeardupError(`explore: neighbors has ${nb.n} rows but there are ${n} ids`);
  if (nb.indices.length !== n * nb.k || nb.scores.length !== n * nb.k) throw new NeardupError(`explore: neighbors arrays must hold n*k = ${n * nb.k} entries`);
  for (const [name, a] of [['splits', src.splits], ['labels', src.labels], ['labelNames', src.labelNames], ['valid', src.valid], ['exactGroups', src.exactGroups], ['maxSimilarity', src.maxSimilarity]] as const) {
    if (a && a.length !== n) throw new NeardupError(`explore: ${name} has ${a.length} entries but there are ${n} samples`);
  }
  return index ? idIndex(src.ids) : null;
}

/**
 * id → row, checking the ids are unique (one Map for both). At 1,000,000 ids this takes 1–2 s on
 * the loaded 2-core machine (docs/explorer.md), so the kernel-served explorer builds it on first
 * need (a tag, an export), not before its first paint.
 *
 * @throws NeardupError (`invalid_argument`) naming the first repeated id
 */
export function idIndex(ids: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (let i = 0; i < ids.length; i++) m.set(ids[i], i);
  if (m.size !== ids.length) {
    let dup = '';
    for (let i = 0; i < ids.length && !dup; i++) if (m.get(ids[i]) !== i) dup = ids[i];
    throw new NeardupError(`explore: ids must be unique; "${dup}" appears more than once`, 'invalid_argument');
  }
  return m;
}

/** Highest similarity per row (NaN for invalid rows), from the source or its neighbours. */
export function sourceMaxSimilarity(src: ExplorerSource): Float32Array {
  return src.maxSimilarity ?? maxSimilarityOf(src.neighbors, src.valid);
}

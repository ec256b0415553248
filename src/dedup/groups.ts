/**
 * Near-duplicate groups at a similarity threshold, from precomputed k nearest neighbours.
 *
 * Pure and allocation-light on purpose: the explorer widget calls `groupAtThreshold` on every
 * slider step (70,000 samples, k = 10 → well under 100 ms), so nothing here touches pixels,
 * embeddings or DataFrames.
 */
import type { Neighbors } from '../types';
import { NeardupError } from '../errors';

/**
 * How samples above the threshold are gathered into groups.
 * - `components`: connected components of the graph whose edges are k-NN pairs with
 *   similarity ≥ threshold (made symmetric). Transitive for browsing: A~B and B~C put A, B, C in
 *   one group even if A and C are below the threshold. Removal is not transitive: a member is
 *   removed only as a direct match of a kept member (see {@link KeepPolicy}), so a group may keep
 *   more than one member.
 * - `fiftyone`: FiftyOne Brain's `find_duplicates`: walk the samples in keep-priority order
 *   (dataset order for `keep: 'first'`); each sample not yet dropped is kept and drops its
 *   neighbours within the threshold. Not transitive: a group is one kept sample plus the samples it
 *   dropped, so a chain A~B~C keeps A and C and drops B.
 */
export type GroupMethod = 'components' | 'fiftyone';

/**
 * Picks the copy to keep in a group. Receives the group's row indices in ascending (dataset)
 * order and returns one of them.
 */
export type KeepFunction = (members: readonly number[]) => number;

/**
 * Which copy of a group is kept. The removal rule, whatever the policy: a sample is marked
 * `keep = false` only when it is directly matched (similarity ≥ threshold in the neighbour lists,
 * or an exact copy) to the copy kept in its place (`duplicate_of`), never through a chain. Members
 * are visited in the policy's order; a member not yet removed is kept and removes its direct
 * matches; so a chain A≈B≈C with A and C unrelated keeps A and C and removes B.
 * Policies:
 * - `'first'`: first in dataset order;
 * - `'largest'`: most pixels (width × height, as decoded), then the larger file in bytes, then the
 *   first in dataset order. Unknown values (0, NaN, missing) count as smallest. Bytes compare across
 *   formats as they are: a lossless PNG re-encode of a JPEG has the same pixels and more bytes, so
 *   it wins the tie; use `'first'` or a {@link KeepFunction} to prefer originals;
 * - any other string: a split name to prefer (`'train'` keeps the train copy and drops copies in
 *   other splits, `'test'` the reverse), then first in dataset order;
 * - a {@link KeepFunction}.
 */
export type KeepPolicy = 'first' | 'largest' | 'train' | 'test' | (string & {}) | KeepFunction;

/** Options of {@link groupAtThreshold}. */
export interface GroupOptions {
  /** Group semantics; default `components`. */
  method?: GroupMethod;
  /** Keep policy; default `first`. */
  keep?: KeepPolicy;
  /** Split of each row (for split keep policies and the cross-split count). */
  splits?: ArrayLike<string | null | undefined>;
  /** Label of each row (for the label-conflict count); null/undefined = unlabelled. */
  labels?: ArrayLike<string | number | null | undefined>;
  /** 1 for rows that were embedded; rows with 0 are never grouped. Default: all valid. */
  valid?: Uint8Array;
  /**
   * Exact-duplicate group of each row (-1 = none), from {@link findExactDuplicates}. Rows sharing an
   * exact group are always grouped together, whatever the threshold.
   */
  exactGroups?: Int32Array;
  /** Pixel count (width × height) of each row, for `keep: 'largest'`. */
  pixelCounts?: ArrayLike<number>;
  /** File size in bytes of each row (tie-break for `keep: 'largest'`). */
  fileSizes?: ArrayLike<number>;
  /**
   * 1 for a row whose picture lies inside another one it was verified against, which holds clearly more (a crop of a
   * photo; `heldInside` in src/verify): the built-in keep policies visit such rows after the others of their kind, so
   * `keep: 'first'` keeps the photo and removes the crop even when the crop's name sorts first. A key after the
   * policy's own (split, size) and before dataset order. Not used by a keep function.
   */
  heldInside?: Uint8Array;
}

/** Counts describing a grouping; all are numbers of samples unless the name says groups. */
export interface GroupCounts {
  /** Samples that belong to a group (have a near-duplicate at the threshold). */
  flagged: number;
  /** Number of groups (each has ≥ 2 members). */
  groups: number;
  /** Samples marked `is_duplicate`: group members directly matched to a kept member. */
  to_remove: number;
  /** Groups whose members come from more than one split (train↔test leakage). */
  cross_split: number;
  /** Groups whose labelled members carry more than one distinct label. */
  label_conflicts: number;
  /** Samples byte- or pixel-identical to an earlier sample (independent of the threshold). */
  exact_duplicates: number;
}

/**
 * Result of {@link groupAtThreshold}: per-sample typed arrays (row order of the dataset) plus the
 * groups as a compact member list.
 */
export interface GroupResult {
  threshold: number;
  method: GroupMethod;
  /** Group of each row, numbered 0.. by each group's first row; -1 = not in a group. */
  group_id: Int32Array;
  /** 1 when the row should be removed (a duplicate of the kept copy). */
  is_duplicate: Uint8Array;
  /** Row index of the kept copy this row duplicates; -1 when not a duplicate. */
  duplicate_of: Int32Array;
  /** 1 when the row is kept (every row outside groups, and one row per group). */
  keep: Uint8Array;
  /** Members of group g are `members[offsets[g] .. offsets[g+1])`, ascending. */
  offsets: Int32Array;
  members: Int32Array;
  /** First kept row of each group (its most preferred member); a group can keep more rows (see `keep`). */
  keepers: Int32Array;
  counts: GroupCounts;
}

/**
 * Groups near-duplicates at `threshold` (cosine similarity, inclusive) from the k-NN lists.
 * Deterministic: group ids follow dataset order; ties in the keep policy go to the earlier row.
 *
 * @example
 * const g = groupAtThreshold(nb, 0.92, { method: 'components', keep: 'train', splits });
 * g.counts.to_remove; // samples to drop
 */
export function groupAtThreshold(nb: Neighbors, threshold: number, opts: GroupOptions = {}): GroupResult {
  const method = opts.method ?? 'components';
  if (method !== 'components' && method !== 'fiftyone') {
    throw new NeardupError(`unknown group method '${String(method)}' (use components or fiftyone)`);
  }
  if (!Number.isFinite(threshold)) throw new NeardupError(`threshold must be a number, got ${threshold}`);
  const n = nb.n;
  checkLength('valid', opts.valid, n);
  checkLength('splits', opts.splits, n);
  checkLength('labels', opts.labels, n);
  checkLength('exactGroups', opts.exactGroups, n);
  checkLength('pixelCounts', opts.pixelCounts, n);
  checkLength('fileSizes', opts.fileSizes, n);
  checkLength('heldInside', opts.heldInside, n);
  const keep = opts.keep ?? 'first';
  const prefer = makePreference(keep, opts);

  // owner[i]: a representative row of i's group (any row of the group), or -1.
  const owner = new Int32Array(n).fill(-1);
  const duplicateOf = new Int32Array(n).fill(-1);
  if (method === 'components') {
    // Union-find straight over the k-NN lists: no adjacency to build (half the work of the walk).
    components(nb, threshold, owner, opts.valid, opts.exactGroups);
  } else {
    const adj = thresholdGraph(nb, threshold, opts.valid, opts.exactGroups);
    const order = typeof keep === 'function' || (keep === 'first' && !opts.heldInside) ? null : prefer;
    fiftyoneWalk(adj, owner, duplicateOf, order, opts.exactGroups ? exactMembers(opts.exactGroups, opts.valid) : null);
  }

  // Number groups by their first row and gather members (counting sort keeps them ascending).
  const groupId = new Int32Array(n).fill(-1);
  const ownerGroup = new Int32Array(n).fill(-1);
  let groups = 0;
  for (let i = 0; i < n; i++) {
    const o = owner[i];
    if (o < 0) continue;
    if (ownerGroup[o] < 0) ownerGroup[o] = groups++;
    groupId[i] = ownerGroup[o];
  }
  const offsets = new Int32Array(groups + 1);
  for (let i = 0; i < n; i++) if (groupId[i] >= 0) offsets[groupId[i] + 1]++;
  for (let g = 0; g < groups; g++) offsets[g + 1] += offsets[g];
  const members = new Int32Array(offsets[groups]);
  const fill = offsets.slice(0, groups);
  for (let i = 0; i < n; i++) if (groupId[i] >= 0) members[fill[groupId[i]]++] = i;

  const keepers = new Int32Array(groups);
  const keepArr = new Uint8Array(n).fill(1);
  const isDup = new Uint8Array(n);
  if (method === 'fiftyone' && typeof keep !== 'function') {
    // The walk already decided, and every drop is a direct match of the row that dropped it.
    for (let g = 0; g < groups; g++) {
      let k = -1;
      for (let m = offsets[g]; m < offsets[g + 1]; m++) if (duplicateOf[members[m]] < 0) { k = members[m]; break; }
      keepers[g] = k;
    }
    for (let i = 0; i < n; i++) if (duplicateOf[i] >= 0) { keepArr[i] = 0; isDup[i] = 1; }
  } else {
    const adj = thresholdGraph(nb, threshold, opts.valid, opts.exactGroups);
    const exact = opts.exactGroups ? exactMembers(opts.exactGroups, opts.valid) : null;
    removeDirectMatches(adj, exact, offsets, members, groupId, keep, prefer, keepers, keepArr, isDup, duplicateOf);
  }
  let removed = 0;
  for (let i = 0; i < n; i++) removed += isDup[i];

  const counts: GroupCounts = {
    flagged: members.length,
    groups,
    to_remove: removed,
    cross_split: opts.splits ? countMixed(offsets, members, opts.splits) : 0,
    label_conflicts: opts.labels ? countMixed(offsets, members, opts.labels) : 0,
    exact_duplicates: opts.exactGroups ? countExactDuplicates(opts.exactGroups, opts.valid) : 0,
  };
  return {
    threshold,
    method,
    group_id: groupId,
    is_duplicate: isDup,
    duplicate_of: duplicateOf,
    keep: keepArr,
    offsets,
    members,
    keepers,
    counts,
  };
}

/**
 * The removal rule (safe by construction): a member is removed only when it is DIRECTLY matched
 * (an edge with score ≥ threshold, or an exact copy) to the copy that is kept in its place, never
 * through a chain of other members. Members are visited in keep-priority order; a member not yet
 * removed is kept and removes its unassigned direct matches. So a group (a connected component,
 * shown whole for browsing) keeps more than one member when no single kept copy matches them all:
 * in a chain A≈B≈C with A and C unrelated, A is kept, B is removed as A's copy, and C is kept.
 * For a keep function, it picks the next kept copy among the members not yet assigned.
 */
function removeDirectMatches(
  adj: Graph,
  exact: { group: Int32Array; start: Int32Array; rows: Int32Array } | null,
  offsets: Int32Array,
  members: Int32Array,
  groupId: Int32Array,
  keep: KeepPolicy,
  prefer: (a: number, b: number) => boolean,
  keepers: Int32Array,
  keepArr: Uint8Array,
  isDup: Uint8Array,
  duplicateOf: Int32Array,
): void {
  const assigned = new Uint8Array(groupId.length);
  const claim = (k: number, x: number, g: number) => {
    if (x === k || assigned[x] || groupId[x] !== g) return;
    assigned[x] = 1;
    keepArr[x] = 0;
    isDup[x] = 1;
    duplicateOf[x] = k;
  };
  for (let g = 0; g + 1 < offsets.length; g++) {
    const list = Array.from(members.subarray(offsets[g], offsets[g + 1]));
    let order: number[];
    if (typeof keep === 'function') order = list;
    else order = list.slice().sort((a, b) => (prefer(a, b) ? -1 : prefer(b, a) ? 1 : a - b));
    keepers[g] = -1;
    for (let pos = 0; pos < order.length; pos++) {
      let k: number;
      if (typeof keep === 'function') {
        const open = order.filter((m) => !assigned[m]);
        if (!open.length) break;
        k = keep(open);
        if (!open.includes(k)) {
          throw new NeardupError(`keep function returned ${k}, which is not a member of group [${open.join(', ')}] (its members not yet kept or removed)`);
        }
      } else {
        k = order[pos];
        if (assigned[k]) continue;
      }
      assigned[k] = 1;
      duplicateOf[k] = -1;
      if (keepers[g] < 0) keepers[g] = k;
      for (let e = adj.start[k]; e < adj.start[k + 1]; e++) claim(k, adj.to[e], g);
      if (exact && exact.group[k] >= 0) {
        const x = exact.group[k];
        for (let m = exact.start[x]; m < exact.start[x + 1]; m++) claim(k, exact.rows[m], g);
      }
    }
  }
}

function checkLength(name: string, a: ArrayLike<unknown> | undefined, n: number): void {
  if (a && a.length !== n) throw new NeardupError(`${name} has ${a.length} entries but there are ${n} samples`);
}

/** Symmetric adjacency (CSR) of k-NN edges with score ≥ threshold between valid rows, plus exact-duplicate chains. */
interface Graph {
  start: Int32Array;
  to: Int32Array;
}

function thresholdGraph(nb: Neighbors, threshold: number, valid?: Uint8Array, exact?: Int32Array): Graph {
  const { n, k, indices, scores } = nb;
  // Scores are float32: compare against the float32 threshold so that t = 0.95 includes a stored 0.95.
  const t = Math.fround(threshold);
  const deg = new Int32Array(n + 1);
  const ok = (i: number) => !valid || valid[i] === 1;
  // Exact duplicates: link each row to the first row of its exact group (a star, not all pairs, so a
  // thousand identical blank images cost a thousand edges, not a million).
  let exactFirst: Int32Array | null = null;
  if (exact) {
    exactFirst = new Int32Array(n).fill(-1);
    const first = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      const e = exact[i];
      if (e < 0 || !ok(i)) continue;
      const f = first.get(e);
      if (f === undefined) first.set(e, i);
      else exactFirst[i] = f;
    }
  }
  for (let i = 0; i < n; i++) {
    if (!ok(i)) continue;
    const base = i * k;
    for (let j = 0; j < k; j++) {
      const s = scores[base + j];
      if (!(s >= t)) break; // sorted descending: the rest are below
      const nbr = indices[base + j];
      if (nbr < 0 || nbr === i || !ok(nbr)) continue;
      deg[i + 1]++;
      deg[nbr + 1]++;
    }
    if (exactFirst && exactFirst[i] >= 0) {
      deg[i + 1]++;
      deg[exactFirst[i] + 1]++;
    }
  }
  for (let i = 0; i < n; i++) deg[i + 1] += deg[i];
  const to = new Int32Array(deg[n]);
  const pos = deg.slice(0, n);
  for (let i = 0; i < n; i++) {
    if (!ok(i)) continue;
    const base = i * k;
    for (let j = 0; j < k; j++) {
      const s = scores[base + j];
      if (!(s >= t)) break;
      const nbr = indices[base + j];
      if (nbr < 0 || nbr === i || !ok(nbr)) continue;
      to[pos[i]++] = nbr;
      to[pos[nbr]++] = i;
    }
    if (exactFirst && exactFirst[i] >= 0) {
      to[pos[i]++] = exactFirst[i];
      to[pos[exactFirst[i]]++] = i;
    }
  }
  return { start: deg, to };
}

/**
 * Union-find over the k-NN edges with score ≥ threshold (and exact-duplicate links);
 * owner[i] = component root for rows with at least one edge.
 */
function components(nb: Neighbors, threshold: number, owner: Int32Array, valid?: Uint8Array, exact?: Int32Array): void {
  const { n, k, indices, scores } = nb;
  const t = Math.fround(threshold);
  const parent = new Int32Array(n);
  for (let i = 0; i < n; i++) parent[i] = i;
  const linked = new Uint8Array(n);
  const find = (x: number): number => {
    while (parent[x] !== x) {
      parent[x] = parent[parent[x]]; // path halving
      x = parent[x];
    }
    return x;
  };
  const union = (a: number, b: number) => {
    linked[a] = 1;
    linked[b] = 1;
    a = find(a);
    b = find(b);
    if (a === b) return;
    if (a < b) parent[b] = a;
    else parent[a] = b;
  };
  for (let i = 0; i < n; i++) {
    if (valid && valid[i] !== 1) continue;
    const base = i * k;
    for (let j = 0; j < k; j++) {
      if (!(scores[base + j] >= t)) break; // sorted descending: the rest are below
      const nbr = indices[base + j];
      if (nbr < 0 || nbr === i || (valid && valid[nbr] !== 1)) continue;
      union(i, nbr);
    }
  }
  if (exact) {
    const first = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      const e = exact[i];
      if (e < 0 || (valid && valid[i] !== 1)) continue;
      const f = first.get(e);
      if (f === undefined) first.set(e, i);
      else union(f, i);
    }
  }
  for (let i = 0; i < n; i++) if (linked[i]) owner[i] = find(i);
}

/**
 * FiftyOne-style walk: in priority order, a row not yet dropped is kept and drops its neighbours
 * (and its exact copies) that are not yet assigned. A kept row that drops nothing (all its
 * neighbours were already dropped by others) stays outside any group. `prefer` orders the walk
 * (null = dataset order).
 */
function fiftyoneWalk(
  g: Graph,
  owner: Int32Array,
  duplicateOf: Int32Array,
  prefer: ((a: number, b: number) => boolean) | null,
  exact: { group: Int32Array; start: Int32Array; rows: Int32Array } | null,
): void {
  const n = owner.length;
  const order: number[] = [];
  for (let i = 0; i < n; i++) if (g.start[i + 1] > g.start[i]) order.push(i);
  if (prefer) order.sort((a, b) => (prefer(a, b) ? -1 : prefer(b, a) ? 1 : a - b));
  const kept = new Uint8Array(n);
  const drop = (i: number, j: number) => {
    if (j === i || owner[j] >= 0 || kept[j]) return false;
    owner[j] = i;
    duplicateOf[j] = i;
    return true;
  };
  for (const i of order) {
    if (owner[i] >= 0) continue;
    kept[i] = 1;
    let dropped = false;
    for (let e = g.start[i]; e < g.start[i + 1]; e++) if (drop(i, g.to[e])) dropped = true;
    if (exact && exact.group[i] >= 0) {
      const x = exact.group[i];
      for (let m = exact.start[x]; m < exact.start[x + 1]; m++) if (drop(i, exact.rows[m])) dropped = true;
    }
    if (dropped) owner[i] = i;
  }
}

/** Members of each exact group (valid rows only), as a compact list indexed by the group id. */
function exactMembers(group: Int32Array, valid?: Uint8Array) {
  let max = -1;
  for (let i = 0; i < group.length; i++) if (group[i] > max) max = group[i];
  const start = new Int32Array(max + 2);
  const ok = (i: number) => group[i] >= 0 && (!valid || valid[i] === 1);
  for (let i = 0; i < group.length; i++) if (ok(i)) start[group[i] + 1]++;
  for (let x = 0; x <= max; x++) start[x + 1] += start[x];
  const rows = new Int32Array(start[max + 1]);
  const pos = start.slice(0, max + 1);
  for (let i = 0; i < group.length; i++) if (ok(i)) rows[pos[group[i]]++] = i;
  return { group, start, rows };
}

/**
 * Checks a keep policy against the data before any expensive work: a split name must be a split
 * of some sample. Throws {@link NeardupError} with the reason.
 */
export function checkKeepPolicy(keep: KeepPolicy, splits?: ArrayLike<string | null | undefined>): void {
  if (typeof keep === 'function' || keep === 'first' || keep === 'largest') return;
  makePreference(keep, { splits });
}

/**
 * A strict "a is preferred over b" order for the built-in keep policies; ties go to the earlier row.
 */
function makePreference(keep: KeepPolicy, opts: GroupOptions): (a: number, b: number) => boolean {
  const held = opts.heldInside;
  // Dataset order, a row held inside another picture after the rest (GroupOptions.heldInside).
  const first = held ? (a: number, b: number) => (held[a] !== held[b] ? held[a] < held[b] : a < b) : (a: number, b: number) => a < b;
  if (typeof keep === 'function' || keep === 'first') return first;
  if (keep === 'largest') {
    const px = opts.pixelCounts;
    const fs = opts.fileSizes;
    if (!px && !fs) throw new NeardupError(`keep policy 'largest' needs pixelCounts or fileSizes`);
    // Pixels first, then bytes, then dataset order (the tie rule); unknown sizes sort last.
    const size = (v: ArrayLike<number> | undefined, i: number) => {
      const x = v ? Number(v[i]) : 0;
      return Number.isFinite(x) && x > 0 ? x : 0;
    };
    return (a, b) => {
      const dp = size(px, a) - size(px, b);
      if (dp !== 0) return dp > 0;
      const df = size(fs, a) - size(fs, b);
      if (df !== 0) return df > 0;
      return first(a, b);
    };
  }
  if (typeof keep !== 'string' || keep === '') throw new NeardupError(`invalid keep policy '${String(keep)}'`);
  const splits = opts.splits;
  if (!splits) throw new NeardupError(`keep policy '${keep}' prefers a split, but the samples have no splits`);
  let seen = false;
  const names = new Set<string>();
  for (let i = 0; i < splits.length; i++) {
    const s = splits[i];
    if (s === keep) { seen = true; break; }
    if (s != null && names.size < 20) names.add(s);
  }
  if (!seen) {
    throw new NeardupError(
      `keep policy '${keep}': no sample is in split '${keep}' (use first, largest or a split name: ${[...names].join(', ') || 'none'})`,
    );
  }
  return (a, b) => {
    const pa = splits[a] === keep;
    const pb = splits[b] === keep;
    if (pa !== pb) return pa;
    return first(a, b);
  };
}

/** Number of groups whose (non-null) values are not all equal. */
function countMixed(offsets: Int32Array, members: Int32Array, values: ArrayLike<unknown>): number {
  let mixed = 0;
  for (let g = 0; g + 1 < offsets.length; g++) {
    let ref: unknown = undefined;
    for (let m = offsets[g]; m < offsets[g + 1]; m++) {
      const v = values[members[m]];
      if (v === null || v === undefined || v === '') continue;
      if (ref === undefined) ref = v;
      else if (v !== ref) { mixed++; break; }
    }
  }
  return mixed;
}

/** Valid rows whose exact group already appeared earlier in dataset order. */
export function countExactDuplicates(exact: Int32Array, valid?: Uint8Array): number {
  const seen = new Set<number>();
  let c = 0;
  for (let i = 0; i < exact.length; i++) {
    const e = exact[i];
    if (e < 0 || (valid && valid[i] !== 1)) continue;
    if (seen.has(e)) c++;
    else seen.add(e);
  }
  return c;
}

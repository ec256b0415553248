/**
 * Repeated regrouping of one k-NN result at many thresholds (the explorer's slider): the same
 * groups, keep/remove choice and counts as {@link groupAtThreshold} with `method: 'components'`
 * and a built-in keep policy, in a handful of typed-array passes per threshold.
 *
 * Why it is faster (measured in bench/explorer-kernel.ts, docs/explorer.md): everything that does
 * not depend on the threshold is computed once — the rows in keep-priority order (so the removal
 * pass is one walk in that order instead of a sort per group), the exact-duplicate links and
 * member lists, the split / label codes of the counts — and the symmetric adjacency of the edges
 * at or above a floor threshold is built once and only filtered by score on each step (rebuilt
 * when the threshold goes below the floor). No per-group JS array, closure or Map on a step.
 */
import type { Neighbors } from '../types';
import { NeardupError } from '../errors';
import { countExactDuplicates, type GroupOptions, type GroupResult } from './groups';

/** How far below the requested threshold the adjacency is built, so that a slider moving down reuses it. */
const FLOOR_MARGIN = 0.02;

/**
 * Regroups one k-NN result at any threshold; equal to `groupAtThreshold(nb, t, opts)` with
 * `method: 'components'` and the keep policy whose priority is `rank` (tested against it,
 * test/dedup/regroup.test.ts).
 */
export class Regrouper {
  private readonly n: number;
  /** Rows in keep-priority order (lowest rank first). */
  private readonly order: Int32Array;
  /** First valid row of each row's exact group (-1 = none or itself the first). */
  private readonly exactFirst: Int32Array | null;
  /** Valid rows of each exact group: rows[start[x] .. start[x+1]). */
  private readonly exact: { start: Int32Array; rows: Int32Array } | null;
  private readonly splitCodes: Int32Array | null;
  private readonly labelCodes: Int32Array | null;
  private readonly exactDuplicates: number;
  /** Symmetric adjacency (CSR) of the edges with score >= floor, with their scores. */
  private adj: { floor: number; start: Int32Array; to: Int32Array; score: Float32Array } | null = null;
  // Scratch reused across steps.
  private readonly parent: Int32Array;
  private readonly linked: Uint8Array;
  private readonly assigned: Uint8Array;
  private readonly rootGroup: Int32Array;

  /**
   * @param nb the k-NN lists (each row's list sorted by descending score; -1 pads)
   * @param opts `valid`, `exactGroups`, `splits`, `labels` as for `groupAtThreshold` (other fields ignored)
   * @param rank keep priority per row, lower kept first, all distinct (`keepRank` in
   *   widgets/explorer/source.ts reproduces the built-in policies)
   * @throws NeardupError (`invalid_argument`) when an array's length is not `nb.n`
   */
  constructor(
    private readonly nb: Neighbors,
    private readonly opts: Pick<GroupOptions, 'valid' | 'exactGroups' | 'splits' | 'labels'>,
    rank: ArrayLike<number>,
  ) {
    const n = nb.n;
    this.n = n;
    for (const [name, a] of [['rank', rank], ['valid', opts.valid], ['exactGroups', opts.exactGroups], ['splits', opts.splits], ['labels', opts.labels]] as const) {
      if (a && a.length !== n) throw new NeardupError(`${name} has ${a.length} entries but there are ${n} samples`, 'invalid_argument');
    }
    this.order = rankOrder(rank, n);
    const valid = opts.valid;
    if (opts.exactGroups) {
      const g = opts.exactGroups;
      let max = -1;
      for (let i = 0; i < n; i++) if (g[i] > max) max = g[i];
      const first = new Int32Array(max + 1).fill(-1);
      const exactFirst = new Int32Array(n).fill(-1);
      const start = new Int32Array(max + 2);
      for (let i = 0; i < n; i++) {
        const e = g[i];
        if (e < 0 || (valid && valid[i] !== 1)) continue;
        start[e + 1]++;
        if (first[e] < 0) first[e] = i;
        else exactFirst[i] = first[e];
      }
      for (let x = 0; x <= max; x++) start[x + 1] += start[x];
      const rows = new Int32Array(start[max + 1]);
      const pos = start.slice(0, max + 1);
      for (let i = 0; i < n; i++) if (g[i] >= 0 && (!valid || valid[i] === 1)) rows[pos[g[i]]++] = i;
      this.exactFirst = exactFirst;
      this.exact = { start, rows };
    } else {
      this.exactFirst = null;
      this.exact = null;
    }
    this.splitCodes = opts.splits ? mixCodes(opts.splits, n) : null;
    this.labelCodes = opts.labels ? mixCodes(opts.labels, n) : null;
    this.exactDuplicates = opts.exactGroups ? countExactDuplicates(opts.exactGroups, valid) : 0;
    this.parent = new Int32Array(n);
    this.linked = new Uint8Array(n);
    this.assigned = new Uint8Array(n);
    this.rootGroup = new Int32Array(n);
  }

  /**
   * The grouping at `threshold` (cosine, inclusive, compared in float32 like the stored scores).
   *
   * @throws NeardupError when `threshold` is not a finite number
   */
  at(threshold: number): GroupResult {
    if (!Number.isFinite(threshold)) throw new NeardupError(`threshold must be a number, got ${threshold}`);
    const n = this.n;
    const t = Math.fround(threshold);
    if (!this.adj || t < this.adj.floor) this.adj = this.adjacency(Math.fround(t - FLOOR_MARGIN));
    const { start, to, score } = this.adj;
    const { parent, linked, assigned, rootGroup } = this;

    // 1. Components: union-find over the edges >= t and the exact-duplicate links.
    for (let i = 0; i < n; i++) parent[i] = i;
    linked.fill(0);
    const find = (x: number): number => {
      while (parent[x] !== x) {
        parent[x] = parent[parent[x]];
        x = parent[x];
      }
      return x;
    };
    for (let i = 0; i < n; i++) {
      for (let e = start[i]; e < start[i + 1]; e++) {
        if (!(score[e] >= t)) continue;
        const j = to[e];
        if (j < i) continue; // each edge is stored both ways: union once
        linked[i] = 1;
        linked[j] = 1;
        const a = find(i);
        const b = find(j);
        if (a < b) parent[b] = a;
        else if (b < a) parent[a] = b;
      }
    }
    const ef = this.exactFirst;
    if (ef) {
      for (let i = 0; i < n; i++) {
        const f = ef[i];
        if (f < 0) continue;
        linked[i] = 1;
        linked[f] = 1;
        const a = find(f);
        const b = find(i);
        if (a < b) parent[b] = a;
        else if (b < a) parent[a] = b;
      }
    }

    // 2. Groups numbered by their first row; members ascending (counting sort).
    const groupId = new Int32Array(n).fill(-1);
    rootGroup.fill(-1);
    let groups = 0;
    let flagged = 0;
    for (let i = 0; i < n; i++) {
      if (!linked[i]) continue;
      const r = find(i);
      if (rootGroup[r] < 0) rootGroup[r] = groups++;
      groupId[i] = rootGroup[r];
      flagged++;
    }
    const offsets = new Int32Array(groups + 1);
    for (let i = 0; i < n; i++) if (groupId[i] >= 0) offsets[groupId[i] + 1]++;
    for (let g = 0; g < groups; g++) offsets[g + 1] += offsets[g];
    const members = new Int32Array(flagged);
    const fill = offsets.slice(0, groups);
    for (let i = 0; i < n; i++) if (groupId[i] >= 0) members[fill[groupId[i]]++] = i;

    // 3. Removal: rows in keep-priority order; a row not yet removed is kept and removes its
    //    unassigned direct matches (edges >= t, exact copies). Groups never share an edge, so one
    //    walk over all rows in that order is the per-group walk of groupAtThreshold.
    const keepers = new Int32Array(groups).fill(-1);
    const keepArr = new Uint8Array(n).fill(1);
    const isDup = new Uint8Array(n);
    const duplicateOf = new Int32Array(n).fill(-1);
    assigned.fill(0);
    const exact = this.exact;
    const eg = this.opts.exactGroups;
    let removed = 0;
    const order = this.order;
    for (let p = 0; p < n; p++) {
      const k = order[p];
      const g = groupId[k];
      if (g < 0 || assigned[k]) continue;
      assigned[k] = 1;
      if (keepers[g] < 0) keepers[g] = k;
      for (let e = start[k]; e < start[k + 1]; e++) {
        if (!(score[e] >= t)) continue;
        const x = to[e];
        if (assigned[x] || groupId[x] !== g) continue;
        assigned[x] = 1;
        keepArr[x] = 0;
        isDup[x] = 1;
        duplicateOf[x] = k;
        removed++;
      }
      if (exact && eg![k] >= 0) {
        const xg = eg![k];
        for (let m = exact.start[xg]; m < exact.start[xg + 1]; m++) {
          const x = exact.rows[m];
          if (x === k || assigned[x] || groupId[x] !== g) continue;
          assigned[x] = 1;
          keepArr[x] = 0;
          isDup[x] = 1;
          duplicateOf[x] = k;
          removed++;
        }
      }
    }

    return {
      threshold,
      method: 'components',
      group_id: groupId,
      is_duplicate: isDup,
      duplicate_of: duplicateOf,
      keep: keepArr,
      offsets,
      members,
      keepers,
      counts: {
        flagged,
        groups,
        to_remove: removed,
        cross_split: this.splitCodes ? countMixedCodes(offsets, members, this.splitCodes) : 0,
        label_conflicts: this.labelCodes ? countMixedCodes(offsets, members, this.labelCodes) : 0,
        exact_duplicates: this.exactDuplicates,
      },
    };
  }

  /** Symmetric CSR of the k-NN edges with score >= floor between valid rows (no self edges). */
  private adjacency(floor: number) {
    const { n, k, indices, scores } = this.nb;
    const valid = this.opts.valid;
    const start = new Int32Array(n + 1);
    for (let i = 0; i < n; i++) {
      if (valid && valid[i] !== 1) continue;
      const base = i * k;
      for (let j = 0; j < k; j++) {
        if (!(scores[base + j] >= floor)) break; // sorted descending: the rest are below
        const x = indices[base + j];
        if (x < 0 || x === i || (valid && valid[x] !== 1)) continue;
        start[i + 1]++;
        start[x + 1]++;
      }
    }
    for (let i = 0; i < n; i++) start[i + 1] += start[i];
    const to = new Int32Array(start[n]);
    const score = new Float32Array(start[n]);
    const pos = start.slice(0, n);
    for (let i = 0; i < n; i++) {
      if (valid && valid[i] !== 1) continue;
      const base = i * k;
      for (let j = 0; j < k; j++) {
        const s = scores[base + j];
        if (!(s >= floor)) break;
        const x = indices[base + j];
        if (x < 0 || x === i || (valid && valid[x] !== 1)) continue;
        to[pos[i]] = x;
        score[pos[i]++] = s;
        to[pos[x]] = i;
        score[pos[x]++] = s;
      }
    }
    return { floor, start, to, score };
  }
}

/** Rows sorted by rank (ascending; ties by row). A bucket pass when the ranks are distinct small integers. */
function rankOrder(rank: ArrayLike<number>, n: number): Int32Array {
  let max = -1;
  let ints = true;
  for (let i = 0; i < n && ints; i++) {
    const r = rank[i];
    if (!Number.isInteger(r) || r < 0 || r > 4 * n) ints = false;
    else if (r > max) max = r;
  }
  if (ints) {
    const at = new Int32Array(max + 1).fill(-1);
    let distinct = true;
    for (let i = 0; i < n; i++) {
      if (at[rank[i]] >= 0) { distinct = false; break; }
      at[rank[i]] = i;
    }
    if (distinct) {
      const order = new Int32Array(n);
      let p = 0;
      for (let r = 0; r <= max; r++) if (at[r] >= 0) order[p++] = at[r];
      return order;
    }
  }
  const order = Int32Array.from({ length: n }, (_, i) => i);
  return order.sort((a, b) => rank[a] - rank[b] || a - b);
}

/**
 * Codes for counting groups with mixed values, with `countMixed`'s rules in groups.ts: null,
 * undefined and '' are ignored (-1); values are equal when `===` (so NaN never equals anything).
 */
function mixCodes(values: ArrayLike<unknown>, n: number): Int32Array {
  const codes = new Int32Array(n).fill(-1);
  const index = new Map<unknown, number>();
  let next = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v === null || v === undefined || v === '') continue;
    if (v !== v) { codes[i] = next++; continue; } // NaN: a value of its own
    let c = index.get(v);
    if (c === undefined) index.set(v, (c = next++));
    codes[i] = c;
  }
  return codes;
}

/** Number of groups whose coded values (-1 ignored) are not all equal. */
function countMixedCodes(offsets: Int32Array, members: Int32Array, codes: Int32Array): number {
  let mixed = 0;
  for (let g = 0; g + 1 < offsets.length; g++) {
    let ref = -1;
    for (let m = offsets[g]; m < offsets[g + 1]; m++) {
      const c = codes[members[m]];
      if (c < 0) continue;
      if (ref < 0) ref = c;
      else if (c !== ref) { mixed++; break; }
    }
  }
  return mixed;
}

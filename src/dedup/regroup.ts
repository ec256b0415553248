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
  private readonly rank: ArrayLike<number>;
  /** Row of each rank (null: ranks not distinct small integers). */
  private readonly rowAtRank: Int32Array | null;
  /** First valid row of each row's exact group (-1 = none or itself the first). */
  private readonly exactFirst: Int32Array | null;
  /** Valid rows of each exact group: rows[start[x] .. start[x+1]). */
  private readonly exact: { start: Int32Array; rows: Int32Array } | null;
  private readonly splitCodes: Int32Array | null;
  private readonly labelCodes: Int32Array | null;
  private readonly exactDuplicates: number;
  /** Symmetric adjacency (CSR) of the edges with score >= floor, with their scores. */
  private adj: Adjacency | null = null;
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
   * @param codes integer codes of `splits` / `labels` (-1 = none) that are equal exactly when the
   *   values are `===` (saves a pass with a Map over every row); computed here when absent
   * @throws NeardupError (`invalid_argument`) when an array's length is not `nb.n`
   */
  constructor(
    private readonly nb: Neighbors,
    private readonly opts: Pick<GroupOptions, 'valid' | 'exactGroups' | 'splits' | 'labels'>,
    rank: ArrayLike<number>,
    codes: { splits?: Int32Array; labels?: Int32Array } = {},
  ) {
    const n = nb.n;
    this.n = n;
    for (const [name, a] of [['rank', rank], ['valid', opts.valid], ['exactGroups', opts.exactGroups], ['splits', opts.splits], ['labels', opts.labels]] as const) {
      if (a && a.length !== n) throw new NeardupError(`${name} has ${a.length} entries but there are ${n} samples`, 'invalid_argument');
    }
    this.rank = rank;
    this.rowAtRank = rowsAtRank(rank, n);
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
    this.splitCodes = opts.splits ? (codes.splits ?? mixCodes(opts.splits, n)) : null;
    this.labelCodes = opts.labels ? (codes.labels ?? mixCodes(opts.labels, n)) : null;
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
    const adj = this.adj;
    const { start, to, score, active, activeTop } = adj;
    const { parent, linked, assigned, rootGroup } = this;
    // Only rows whose best edge is >= t (or that have an exact copy) can be grouped, so a step's
    // work follows the threshold (few rows at 0.99, more at 0.90). They are visited in row order:
    // in score order the memory accesses were random and the union pass 5-10x slower.
    const na = active.length;
    let nc = 0;
    for (let a = 0; a < na; a++) {
      if (!(activeTop[a] >= t)) continue;
      const i = active[a];
      nc++;
      parent[i] = i;
      linked[i] = 0;
      rootGroup[i] = -1;
      assigned[i] = 0;
    }

    // 1. Components: union-find over the edges >= t and the exact-duplicate links.
    const find = (x: number): number => {
      while (parent[x] !== x) {
        parent[x] = parent[parent[x]];
        x = parent[x];
      }
      return x;
    };
    const linkedRows = new Int32Array(nc);
    let nl = 0;
    const union = (i: number, j: number) => {
      if (!linked[i]) { linked[i] = 1; linkedRows[nl++] = i; }
      if (!linked[j]) { linked[j] = 1; linkedRows[nl++] = j; }
      const ra = find(i);
      const rb = find(j);
      if (ra < rb) parent[rb] = ra;
      else if (rb < ra) parent[ra] = rb;
    };
    for (let a = 0; a < na; a++) {
      if (!(activeTop[a] >= t)) continue;
      const i = active[a];
      for (let e = start[i]; e < start[i + 1]; e++) {
        if (!(score[e] >= t)) continue;
        const j = to[e];
        if (j > i) union(i, j); // each edge is stored both ways: union once
      }
    }
    const ef = this.exactFirst;
    if (ef) {
      for (let a = 0; a < na; a++) {
        const i = active[a];
        if (activeTop[a] === Infinity && ef[i] >= 0) union(ef[i], i);
      }
    }
    const rows = linkedRows.subarray(0, nl).sort(); // ascending

    // 2. Groups numbered by their first row; members ascending (counting sort).
    const groupId = new Int32Array(n).fill(-1);
    let groups = 0;
    for (let a = 0; a < nl; a++) {
      const i = rows[a];
      const r = find(i);
      if (rootGroup[r] < 0) rootGroup[r] = groups++;
      groupId[i] = rootGroup[r];
    }
    const offsets = new Int32Array(groups + 1);
    for (let a = 0; a < nl; a++) offsets[groupId[rows[a]] + 1]++;
    for (let g = 0; g < groups; g++) offsets[g + 1] += offsets[g];
    const members = new Int32Array(nl);
    const fill = offsets.slice(0, groups);
    for (let a = 0; a < nl; a++) members[fill[groupId[rows[a]]]++] = rows[a];

    // 3. Removal: grouped rows in keep-priority order; a row not yet removed is kept and removes its
    //    unassigned direct matches (edges >= t, exact copies). Groups never share an edge, so one
    //    walk over all of them in that order is the per-group walk of groupAtThreshold.
    const byRank = this.byRank(rows);
    const keepers = new Int32Array(groups).fill(-1);
    const keepArr = new Uint8Array(n).fill(1);
    const isDup = new Uint8Array(n);
    const duplicateOf = new Int32Array(n).fill(-1);
    const exact = this.exact;
    const eg = this.opts.exactGroups;
    let removed = 0;
    for (let p = 0; p < nl; p++) {
      const k = byRank[p];
      const g = groupId[k];
      if (assigned[k]) continue;
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
        flagged: nl,
        groups,
        to_remove: removed,
        cross_split: this.splitCodes ? countMixedCodes(offsets, members, this.splitCodes) : 0,
        label_conflicts: this.labelCodes ? countMixedCodes(offsets, members, this.labelCodes) : 0,
        exact_duplicates: this.exactDuplicates,
      },
    };
  }

  /** `rows` in keep-priority order: a numeric sort of their ranks when the ranks are distinct integers. */
  private byRank(rows: Int32Array): Int32Array {
    const { rank, rowAtRank } = this;
    if (!rowAtRank) return Int32Array.from(rows).sort((a, b) => rank[a] - rank[b] || a - b);
    const r = new Int32Array(rows.length);
    for (let a = 0; a < rows.length; a++) r[a] = rank[rows[a]];
    r.sort();
    for (let a = 0; a < r.length; a++) r[a] = rowAtRank[r[a]];
    return r;
  }

  /**
   * Symmetric CSR of the k-NN edges with score >= floor between valid rows (no self edges), and the
   * rows that have one or an exact copy with their best edge.
   */
  private adjacency(floor: number): Adjacency {
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
    const top = new Float32Array(n).fill(-Infinity);
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
        if (s > top[i]) top[i] = s;
        if (s > top[x]) top[x] = s;
      }
    }
    const ef = this.exactFirst;
    if (ef) {
      for (let i = 0; i < n; i++) {
        if (ef[i] < 0) continue;
        top[i] = Infinity;
        top[ef[i]] = Infinity;
      }
    }
    let na = 0;
    for (let i = 0; i < n; i++) if (top[i] >= floor) na++;
    const active = new Int32Array(na);
    const activeTop = new Float32Array(na);
    for (let i = 0, a = 0; i < n; i++) {
      if (!(top[i] >= floor)) continue;
      active[a] = i;
      activeTop[a++] = top[i];
    }
    return { floor, start, to, score, active, activeTop };
  }
}

/** The edges at or above a floor threshold, both ways, and the rows a grouping at or above it can touch. */
interface Adjacency {
  floor: number;
  start: Int32Array;
  to: Int32Array;
  score: Float32Array;
  /** Rows with an edge >= floor or an exact copy, ascending, and their best edge (Infinity: an exact copy). */
  active: Int32Array;
  activeTop: Float32Array;
}

/** Row of each rank when the ranks are distinct integers in [0, 4n], else null (a comparator sort then). */
function rowsAtRank(rank: ArrayLike<number>, n: number): Int32Array | null {
  let max = -1;
  for (let i = 0; i < n; i++) {
    const r = rank[i];
    if (!Number.isInteger(r) || r < 0 || r > 4 * n) return null;
    if (r > max) max = r;
  }
  const at = new Int32Array(max + 1).fill(-1);
  for (let i = 0; i < n; i++) {
    if (at[rank[i]] >= 0) return null;
    at[rank[i]] = i;
  }
  return at;
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

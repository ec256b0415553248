/**
 * Repeated regrouping of one k-NN result at many thresholds (the explorer's slider): the same
 * groups, keep/remove choice and counts as {@link groupAtThreshold} with `method: 'components'`
 * and a built-in keep policy, in a handful of typed-array passes per threshold.
 *
 * Why it is fast (measured in bench/explorer-kernel.ts, docs/explorer.md): everything that does not
 * depend on the threshold is computed once — each row's best edge in either direction, the rows
 * that have an edge in row order and in keep-priority order (so neither the grouping nor the removal
 * pass sorts anything), the exact-duplicate links and member lists, the split / label codes of the
 * counts. A step then visits only the rows whose best edge reaches the threshold, and their own
 * k-NN lists up to the first score below it (the lists are sorted): no symmetric adjacency is
 * built, so no threshold forces a rebuild. The per-row output arrays are kept across steps and only
 * the rows grouped at the previous step are reset (no n-sized allocation or fill per step). From
 * the second step on (or once a worker has built it), the groups are read off the single-linkage
 * order (./linkage.ts) in one sequential pass instead of a union-find over the edges. The same
 * pass over the members that counts cross-split and label-conflict groups keeps their per-group
 * flags and the leak flags of the kept members (`flags`), so the explorer needs no decision pass
 * of its own without tags (`autoDecision` in widgets/explorer/decide.ts).
 *
 * The removal is the greedy walk of groupAtThreshold in keep-priority order: a row is kept when no
 * kept row of lower rank is its direct match (edge >= t either way, or exact copy), else removed by
 * the lowest-ranked such row (`duplicate_of`). A step "pushes" along a kept row's own list and exact
 * group and "pulls" along the removed candidate's own list, so an edge stored in one list only
 * counts both ways without a reverse index.
 */
import type { Neighbors } from '../types';
import { NeardupError } from '../errors';
import { countExactDuplicates, type GroupOptions, type GroupResult } from './groups';
import { singleLinkageOrder, linkageInWorker, usableEdges, exactFirstOf, activeRows, type Linkage, type LinkageInput } from './linkage';

/**
 * Regroups one k-NN result at any threshold; equal to `groupAtThreshold(nb, t, opts)` with
 * `method: 'components'` and the keep policy whose priority is `rank` (tested against it,
 * test/dedup/regroup.test.ts).
 */
export class Regrouper {
  private readonly n: number;
  private readonly rank: ArrayLike<number>;
  /** First valid row of each row's exact group (-1 = none or itself the first). */
  private readonly exactFirst: Int32Array | null;
  /** Valid rows of each exact group: rows[start[x] .. start[x+1]). */
  private readonly exact: { start: Int32Array; rows: Int32Array } | null;
  private readonly splitCodes: Int32Array | null;
  private readonly labelCodes: Int32Array | null;
  private readonly exactDuplicates: number;
  /** Rows with an edge (either direction, valid ends) or an exact copy, ascending, and their best edge (Infinity: exact copy). */
  private readonly active: Int32Array;
  private readonly activeTop: Float32Array;
  /** The same rows in keep-priority order, and their best edge. */
  private readonly byRank: Int32Array;
  private readonly byRankTop: Float32Array;
  /** The keep priority follows the row order among the active rows (keep 'first'): one pass groups and removes. */
  private readonly rankIsRowOrder: boolean;
  // Output and scratch, reused across steps (n entries each).
  private readonly parent: Int32Array;
  private readonly rootGroup: Int32Array;
  private readonly groupId: Int32Array;
  private readonly keepArr: Uint8Array;
  private readonly isDup: Uint8Array;
  private readonly duplicateOf: Int32Array;
  /**
   * The k-NN indices with -1 for every entry a grouping ignores (an invalid end, the row itself):
   * the steps then test one number per edge instead of reading `valid` at random rows.
   */
  private readonly to: Int32Array;
  /** Per row during a step's removal pass: 0 not walked yet, 1 kept, 2 removed. */
  private readonly state: Uint8Array;
  /** Rows grouped by the last step (reset at the next), ascending. */
  private rows: Int32Array;
  private nRows = 0;
  /**
   * The single-linkage order of the active rows (see {@link prepareOrder}): `order` lists them so
   * that every component at every threshold is a contiguous run, and `height[p]` is the score at
   * which `order[p]` and `order[p + 1]` join (-Infinity: never). Null until built.
   */
  private linkage: { order: Int32Array; height: Float32Array } | null = null;
  /** Steps taken; the linkage is built before the second (the first paint needs only one). */
  private steps = 0;
  /** Scratch of a step on the linkage, indexed by run: its first position in `order`, its group number. */
  private runStart: Int32Array | null = null;
  private runGroup: Int32Array | null = null;
  private runMin: Int32Array | null = null;

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
    const valid = opts.valid;
    this.exactFirst = exactFirstOf(opts.exactGroups, valid);
    if (opts.exactGroups) {
      // Valid rows of each exact group, grouped: rows[start[x] .. start[x+1]).
      const g = opts.exactGroups;
      let max = -1;
      for (let i = 0; i < n; i++) if (g[i] > max) max = g[i];
      const start = new Int32Array(max + 2);
      for (let i = 0; i < n; i++) if (g[i] >= 0 && (!valid || valid[i] === 1)) start[g[i] + 1]++;
      for (let x = 0; x <= max; x++) start[x + 1] += start[x];
      const rows = new Int32Array(start[max + 1]);
      const pos = start.slice(0, max + 1);
      for (let i = 0; i < n; i++) if (g[i] >= 0 && (!valid || valid[i] === 1)) rows[pos[g[i]]++] = i;
      this.exact = { start, rows };
    } else {
      this.exact = null;
    }
    this.splitCodes = opts.splits ? (codes.splits ?? mixCodes(opts.splits, n)) : null;
    this.labelCodes = opts.labels ? (codes.labels ?? mixCodes(opts.labels, n)) : null;
    this.exactDuplicates = opts.exactGroups ? countExactDuplicates(opts.exactGroups, valid) : 0;

    // Each row's usable entries and best edge, as the single-linkage order derives them (linkage.ts).
    const { to, top } = usableEdges(nb, valid, this.exactFirst);
    this.to = to;
    this.active = activeRows(top);
    const na = this.active.length;
    this.activeTop = new Float32Array(na);
    for (let a = 0; a < na; a++) this.activeTop[a] = top[this.active[a]];
    this.byRank = activeByRank(this.active, rank, n);
    this.byRankTop = new Float32Array(na);
    let same = true;
    for (let a = 0; a < na; a++) {
      this.byRankTop[a] = top[this.byRank[a]];
      if (this.byRank[a] !== this.active[a]) same = false;
    }
    this.rankIsRowOrder = same;

    this.parent = new Int32Array(n);
    this.rootGroup = new Int32Array(n).fill(-1); // -1 between steps on every row (see runGroups)
    this.groupId = new Int32Array(n).fill(-1);
    this.keepArr = new Uint8Array(n).fill(1);
    this.isDup = new Uint8Array(n);
    this.duplicateOf = new Int32Array(n).fill(-1);
    this.state = new Uint8Array(n);
    this.rows = new Int32Array(na);
  }

  /**
   * The grouping at `threshold` (cosine, inclusive, compared in float32 like the stored scores),
   * in arrays of its own.
   *
   * @throws NeardupError when `threshold` is not a finite number
   */
  at(threshold: number): GroupResult {
    const g = this.step(threshold);
    return {
      ...g,
      group_id: g.group_id.slice(),
      is_duplicate: g.is_duplicate.slice(),
      duplicate_of: g.duplicate_of.slice(),
      keep: g.keep.slice(),
      counts: { ...g.counts },
    };
  }

  /**
   * Like {@link at}, but the per-row arrays (`group_id`, `is_duplicate`, `duplicate_of`, `keep`)
   * are this Regrouper's own buffers, overwritten by the next `step` or `at`: the explorer's slider
   * step, which replaces its state at every threshold. `offsets`, `members`, `keepers` are new.
   *
   * @throws NeardupError when `threshold` is not a finite number
   */
  step(threshold: number): GroupResult {
    if (!Number.isFinite(threshold)) throw new NeardupError(`threshold must be a number, got ${threshold}`);
    const t = Math.fround(threshold);
    const { active, activeTop, parent, rootGroup, groupId, keepArr, isDup, duplicateOf, state, to } = this;
    const { k, scores } = this.nb;

    // 0. Undo the last step on the rows it grouped (every other row already reads "no group").
    for (let a = 0; a < this.nRows; a++) {
      const i = this.rows[a];
      groupId[i] = -1;
      keepArr[i] = 1;
      isDup[i] = 0;
      duplicateOf[i] = -1;
      state[i] = 0;
    }

    // 1. The grouped rows are exactly those whose best edge reaches t (each has an edge >= t to a
    //    valid row, or an exact copy), already ascending.
    const rows = this.rows;
    const na = active.length;
    let nl = 0;
    if (this.steps++ >= 1 && !this.linkage && !this.pending) this.prepareOrder(); // from the second step on, once (also after a failed background build)
    const unionFind = !this.linkage; // parent[] is the union-find's only (step 2 without the order)
    if (unionFind) {
      for (let a = 0; a < na; a++) {
        if (!(activeTop[a] >= t)) continue;
        const i = active[a];
        rows[nl++] = i;
        parent[i] = i;
        rootGroup[i] = -1;
      }
    } else {
      // rootGroup is -1 on every row between steps (runGroups restores its run minima).
      nl = selectRows(active, activeTop, rows, t);
    }
    this.nRows = nl;

    // Removal of one row in keep-priority order (see the file comment): called on every grouped
    // row, lowest rank first. Pull: a kept row of lower rank in x's own list (edge >= t) removes x,
    // unless a push from an even lower-ranked kept row already did; else x is kept and pushes to
    // its unwalked matches (own list, exact copies).
    const { rank } = this;
    const exact = this.exact;
    const eg = this.opts.exactGroups ?? null;
    let removed = 0;
    // Any keep priority; the row order (keep 'first') has its own loop, walkInRowOrder.
    const walk = (x: number): void => {
      const base = x * k;
      let by = duplicateOf[x];
      for (let j = 0; j < k; j++) {
        if (!(scores[base + j] >= t)) break; // sorted descending: the rest are below
        const y = to[base + j];
        if (y < 0 || state[y] !== 1) continue;
        if (by < 0 || rank[y] < rank[by]) by = y;
      }
      if (by >= 0) {
        state[x] = 2;
        isDup[x] = 1;
        keepArr[x] = 0;
        duplicateOf[x] = by;
        removed++;
        return;
      }
      state[x] = 1;
      for (let j = 0; j < k; j++) {
        if (!(scores[base + j] >= t)) break;
        const y = to[base + j];
        if (y < 0 || state[y] !== 0 || duplicateOf[y] >= 0) continue;
        duplicateOf[y] = x;
      }
      pushExact(x, exact, eg, state, duplicateOf);
    };

    // 2. Components: union-find over each grouped row's own edges >= t (every edge is in at least
    //    one of its ends' lists) and the exact-duplicate links; roots are the smallest rows. When
    //    the keep priority is the row order ('first', the default), the removal is one walk over the
    //    grouped rows in row order (walkInRowOrder; it needs no component), else step 4 below.
    const fused = this.rankIsRowOrder;
    let groups = 0;
    if (this.linkage) {
      // 2–3. With the single-linkage order the groups are its runs joined at >= t: no union-find.
      groups = this.runGroups(t);
      if (fused) removed = walkInRowOrder(rows, nl, t, k, scores, to, state, isDup, keepArr, duplicateOf, exact, eg);
    } else {
      const find = (x: number): number => {
        while (parent[x] !== x) {
          parent[x] = parent[parent[x]];
          x = parent[x];
        }
        return x;
      };
      for (let a = 0; a < nl; a++) {
        const i = rows[a];
        const base = i * k;
        let ri = find(i);
        for (let j = 0; j < k; j++) {
          if (!(scores[base + j] >= t)) break;
          const x = to[base + j];
          if (x < 0) continue;
          const rx = find(x);
          if (ri < rx) parent[rx] = ri;
          else if (rx < ri) {
            parent[ri] = rx;
            ri = rx;
          }
        }
      }
      if (fused) removed = walkInRowOrder(rows, nl, t, k, scores, to, state, isDup, keepArr, duplicateOf, exact, eg);
      const ef = this.exactFirst;
      if (ef) {
        for (let a = 0; a < nl; a++) {
          const i = rows[a];
          if (ef[i] < 0) continue;
          const ra = find(i);
          const rb = find(ef[i]);
          if (ra < rb) parent[rb] = ra;
          else if (rb < ra) parent[ra] = rb;
        }
      }

      // 3. Groups numbered by their first row.
      for (let a = 0; a < nl; a++) {
        const i = rows[a];
        const r = find(i);
        if (rootGroup[r] < 0) rootGroup[r] = groups++;
        groupId[i] = rootGroup[r];
      }
      for (let a = 0; a < nl; a++) rootGroup[rows[a]] = -1; // roots are grouped rows: all back to -1
    }
    // Members ascending (counting sort).
    const offsets = new Int32Array(groups + 1);
    for (let a = 0; a < nl; a++) offsets[groupId[rows[a]] + 1]++;
    for (let g = 0; g < groups; g++) offsets[g + 1] += offsets[g];
    const members = new Int32Array(nl);
    const fill = offsets.slice(0, groups);
    for (let a = 0; a < nl; a++) members[fill[groupId[rows[a]]]++] = rows[a];

    // 4. Removal in keep-priority order (already done when fused); each group's keeper is its
    //    first kept row in that order.
    const keepers = new Int32Array(groups).fill(-1);
    if (fused) {
      for (let a = 0; a < nl; a++) {
        const i = rows[a];
        if (state[i] === 1 && keepers[groupId[i]] < 0) keepers[groupId[i]] = i;
      }
    } else {
      const { byRank, byRankTop } = this;
      for (let p = 0; p < na; p++) {
        if (!(byRankTop[p] >= t)) continue;
        const x = byRank[p];
        walk(x);
        if (state[x] === 1 && keepers[groupId[x]] < 0) keepers[groupId[x]] = x;
      }
    }

    // 5. Per group: mixed splits, mixed labels, kept members in more than one split (one pass).
    const flags = (this.lastFlags = groupFlagsOf(offsets, members, this.splitCodes, this.labelCodes, keepArr));

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
        cross_split: flags.crossSplit,
        label_conflicts: flags.labelConflicts,
        exact_duplicates: this.exactDuplicates,
      },
    };
  }

  /**
   * Builds the single-linkage order of the active rows ({@link singleLinkageOrder}) in this thread,
   * once: afterwards a step numbers its groups in one sequential pass over the order instead of a
   * union-find over the edges. Called by the second step when no background build is under way.
   * Idempotent.
   */
  prepareOrder(): void {
    if (this.linkage) return;
    this.linkage = singleLinkageOrder(this.linkageInput());
  }

  /**
   * The same build in a worker thread (about 1–2 s at 1,000,000 rows and k = 10 on one core), so
   * the kernel stays responsive: `explore()` starts it for results of LINKAGE_WORKER_ROWS or more. Steps taken
   * meanwhile use the union-find. Resolves when the order is in use; never rejects (a failed
   * worker leaves the union-find in place).
   */
  prepareOrderInBackground(): Promise<void> {
    if (this.linkage) return Promise.resolve();
    return (this.pending ??= linkageInWorker(this.linkageInput())
      .then((l) => {
        this.linkage ??= l;
      })
      .catch(() => undefined));
  }

  /**
   * Uses an order built elsewhere from the same lists, valid rows and exact groups
   * ({@link linkageOfListsInWorker}, started by `explore()` before this Regrouper existed) once it
   * arrives, instead of building one. Resolves when it is in use; never rejects (a failed build, or
   * one of another size, leaves the union-find in place, and the next step builds its own).
   */
  adoptOrder(order: Promise<Linkage>): Promise<void> {
    order.catch(() => undefined); // not adopted below (an order already here or pending): no unhandled rejection
    if (this.linkage) return Promise.resolve();
    return (this.pending ??= order
      .then((l) => {
        if (l.order.length === this.active.length) this.linkage ??= l;
        else this.pending = null;
      })
      .catch(() => {
        this.pending = null;
      }));
  }

  private pending: Promise<void> | null = null;

  /**
   * Per group of the last {@link step} (or {@link at}), indexed by its group number: 1 when its
   * members carry more than one split (`cross`), more than one label (`label`), or when its kept
   * members still span more than one split (`leak`: the explorer's "leak that stays" without tags).
   * Codes of -1 are ignored, as in `countMixed` (groups.ts). Null before the first step.
   */
  get flags(): GroupFlags | null {
    return this.lastFlags;
  }

  private lastFlags: GroupFlags | null = null;

  private linkageInput(): LinkageInput {
    return { n: this.n, k: this.nb.k, to: this.to, scores: this.nb.scores, active: this.active, exactFirst: this.exactFirst };
  }

  /**
   * The groups at t from the single-linkage order: each run of at least two rows whose junctions
   * are all >= t is one group (its rows are exactly the grouped rows, those whose best edge
   * reaches t); groups are numbered by their smallest row, as the union-find numbers them.
   * Writes `groupId` of the step's rows and returns the number of groups.
   */
  private runGroups(t: number): number {
    const { order, height } = this.linkage!;
    const { rows, groupId, rootGroup } = this;
    const nl = this.nRows;
    const na = order.length;
    const runStart = (this.runStart ??= new Int32Array(Math.max(1, na >> 1)));
    const runGroup = (this.runGroup ??= new Int32Array(Math.max(1, na >> 1)));
    const runMin = (this.runMin ??= new Int32Array(Math.max(1, na >> 1)));
    let runs = 0;
    for (let p = 0; p < na - 1; p++) {
      if (!(height[p] >= t)) continue;
      let q = p + 1;
      let min = order[p] < order[q] ? order[p] : order[q];
      while (height[q] >= t) if (order[++q] < min) min = order[q];
      runStart[runs] = p;
      runMin[runs] = min;
      rootGroup[min] = runs++; // -1 on every row before (restored below)
      p = q;
    }
    let groups = 0;
    for (let a = 0; a < nl; a++) {
      const r = rootGroup[rows[a]];
      if (r >= 0) runGroup[r] = groups++;
    }
    for (let r = 0; r < runs; r++) {
      const g = runGroup[r];
      let p = runStart[r];
      groupId[order[p]] = g;
      while (height[p] >= t) groupId[order[++p]] = g;
    }
    // Back to -1 on the run minima (the only rows set above), for the next step.
    for (let r = 0; r < runs; r++) rootGroup[runMin[r]] = -1;
    return groups;
  }
}

/**
 * Writes into `rows` the active rows whose best edge reaches t (ascending, as `active` is) and
 * returns how many. Branch-free, in its own small function: at a million rows the test is true for
 * a third of them at random, and a mispredicted branch per row cost 3× this loop (node 20).
 */
function selectRows(active: Int32Array, activeTop: Float32Array, rows: Int32Array, t: number): number {
  let nl = 0;
  for (let a = 0; a < active.length; a++) {
    rows[nl] = active[a];
    nl += +(activeTop[a] >= t); // unary plus compiles to a set-on-compare; a ternary stays a branch
  }
  return nl;
}

/**
 * The removal walk of {@link Regrouper.step} when the keep priority is the row order (keep 'first',
 * the default) and the rows are walked ascending: the same decisions as its `walk` closure, in one
 * monomorphic loop. Each row's list is read once up to its first score under t; a kept row then
 * pushes to those entries without reading the scores again. Returns the rows removed.
 */
function walkInRowOrder(
  rows: Int32Array, nl: number, t: number, k: number, scores: Float32Array, to: Int32Array,
  state: Uint8Array, isDup: Uint8Array, keepArr: Uint8Array, duplicateOf: Int32Array,
  exact: { start: Int32Array; rows: Int32Array } | null, eg: ArrayLike<number> | null,
): number {
  let removed = 0;
  for (let a = 0; a < nl; a++) {
    const x = rows[a];
    const base = x * k;
    const lim = base + k;
    let by = duplicateOf[x];
    let end = base;
    // Pull: rows walked before x are all smaller, so a kept one in x's list is a lower-ranked keeper.
    for (; end < lim; end++) {
      if (!(scores[end] >= t)) break; // sorted descending: the rest are below
      const y = to[end];
      if (y >= 0 && state[y] === 1 && (by < 0 || y < by)) by = y;
    }
    if (by >= 0) {
      state[x] = 2;
      isDup[x] = 1;
      keepArr[x] = 0;
      duplicateOf[x] = by;
      removed++;
      continue;
    }
    state[x] = 1;
    for (let j = base; j < end; j++) {
      const y = to[j];
      if (y >= 0 && state[y] === 0 && duplicateOf[y] < 0) duplicateOf[y] = x;
    }
    pushExact(x, exact, eg, state, duplicateOf);
  }
  return removed;
}

/** A kept row x pushes to the unwalked, unclaimed rows of its exact-duplicate group (both walks). */
function pushExact(x: number, exact: { start: Int32Array; rows: Int32Array } | null, eg: ArrayLike<number> | null, state: Uint8Array, duplicateOf: Int32Array): void {
  if (!exact || !eg || eg[x] < 0) return;
  const xg = eg[x];
  for (let m = exact.start[xg]; m < exact.start[xg + 1]; m++) {
    const y = exact.rows[m];
    if (y !== x && state[y] === 0 && duplicateOf[y] < 0) duplicateOf[y] = x;
  }
}

/**
 * The active rows in keep-priority order (rank, then row): a walk over the ranks when they are
 * distinct integers in [0, 4n], else one comparator sort (at construction, not per step).
 */
function activeByRank(active: Int32Array, rank: ArrayLike<number>, n: number): Int32Array {
  let max = -1;
  let ints = true;
  for (let i = 0; i < n && ints; i++) {
    const r = rank[i];
    if (!Number.isInteger(r) || r < 0 || r > 4 * n) ints = false;
    else if (r > max) max = r;
  }
  if (ints) {
    const at = new Int32Array(max + 1).fill(-1);
    const isActive = new Uint8Array(n);
    for (let a = 0; a < active.length; a++) isActive[active[a]] = 1;
    let distinct = true;
    for (let i = 0; i < n && distinct; i++) {
      if (!isActive[i]) continue;
      if (at[rank[i]] >= 0) distinct = false;
      else at[rank[i]] = i;
    }
    if (distinct) {
      const out = new Int32Array(active.length);
      let o = 0;
      for (let r = 0; r <= max; r++) if (at[r] >= 0) out[o++] = at[r];
      return out;
    }
  }
  return Int32Array.from(active).sort((a, b) => rank[a] - rank[b] || a - b);
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

/** Per-group flags of one grouping (see {@link Regrouper.flags}) and how many groups carry each. */
export interface GroupFlags {
  cross: Uint8Array;
  label: Uint8Array;
  leak: Uint8Array;
  crossSplit: number;
  labelConflicts: number;
  leaks: number;
}

/**
 * One pass over the members: groups whose coded values (-1 ignored) are not all equal, for the
 * splits, the labels, and the splits of the kept members (`keep[row] === 1`).
 */
function groupFlagsOf(offsets: Int32Array, members: Int32Array, splits: Int32Array | null, labels: Int32Array | null, keep: Uint8Array): GroupFlags {
  const nG = offsets.length - 1;
  const cross = new Uint8Array(nG);
  const label = new Uint8Array(nG);
  const leak = new Uint8Array(nG);
  let crossSplit = 0;
  let labelConflicts = 0;
  let leaks = 0;
  for (let g = 0; g < nG; g++) {
    let s0 = -1;
    let k0 = -1;
    let l0 = -1;
    for (let m = offsets[g]; m < offsets[g + 1]; m++) {
      const i = members[m];
      if (splits) {
        const s = splits[i];
        if (s >= 0) {
          if (s0 < 0) s0 = s;
          else if (s !== s0) cross[g] = 1;
          if (keep[i] === 1) {
            if (k0 < 0) k0 = s;
            else if (s !== k0) leak[g] = 1;
          }
        }
      }
      if (labels) {
        const l = labels[i];
        if (l >= 0) {
          if (l0 < 0) l0 = l;
          else if (l !== l0) label[g] = 1;
        }
      }
    }
    crossSplit += cross[g];
    labelConflicts += label[g];
    leaks += leak[g];
  }
  return { cross, label, leak, crossSplit, labelConflicts, leaks };
}

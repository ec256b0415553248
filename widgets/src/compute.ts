/**
 * Pure computations of the explorer, shared by the view (browser) and the tests (node):
 * duplicate groups at a threshold, the keep/remove status of every sample with manual tags
 * applied, the live counts, the sort order and the grid filters.
 *
 * Everything here works on compact typed arrays that the kernel sends once as binary buffers,
 * so a slider step costs one union-find pass over the N*k neighbour edges (a few ms at 70,000
 * samples) and never a round trip to the kernel. The kernel recomputes the same numbers with
 * `groupAtThreshold` and syncs them back; the tests check both agree.
 */

/** The arrays the kernel sends once (see src/widgets/explorer/state.ts for the kernel side). */
export interface ExplorerData {
  n: number;
  k: number;
  /** Highest cosine similarity of each sample to any other sample (N; NaN for skipped samples). */
  maxSimilarity: Float32Array;
  /** Neighbour rows, N*k, -1 when missing; sorted by descending score. */
  indices: Int32Array;
  /** Neighbour cosine similarities, N*k. */
  scores: Float32Array;
  /** Index into `splitNames` for each sample, -1 when it has none (N). */
  splitCodes: Int32Array;
  splitNames: string[];
  /** Index into `labelNames` for each sample, -1 when unlabelled (N). */
  labelCodes: Int32Array;
  labelNames: string[];
  /** Exact-duplicate group of each sample (same bytes or pixels), -1 = none (N). */
  exactGroups: Int32Array;
  /** 1 for samples that were embedded; 0 = skipped, never grouped (N). */
  valid: Uint8Array;
  /** Keep priority of each sample (lower is kept first), from the keep policy (N). */
  keepRank: Int32Array;
  /** Sample ids (N), as in the DataFrame's `id` column. */
  ids: string[];
}

/** A manual override of the automatic keep/remove choice, keyed by sample id. */
export type Tag = 'keep' | 'remove';
export type Tags = Record<string, Tag>;

/** The live counts shown above the grid (same names and meaning as the kernel's GroupCounts). */
export interface Counts {
  threshold: number;
  /** Samples that belong to a group (have a near-duplicate at the threshold). */
  flagged: number;
  /** Connected groups (size >= 2) of samples linked by similarities >= threshold or exact copies. */
  groups: number;
  /** Samples that will be dropped: all but the kept copy of each group, with tags applied. */
  to_remove: number;
  /** Groups whose members come from more than one split (train/test leakage). */
  cross_split: number;
  /** Groups whose labelled members carry more than one label. */
  label_conflicts: number;
  /** Manual tags in force (known ids only). */
  tagged_keep: number;
  tagged_remove: number;
}

export interface Assignment {
  counts: Counts;
  /** Group number of each sample (0-based, ordered by first member), -1 when not in a group. */
  group: Int32Array;
  /** 1 when the sample is removed (automatic or tagged), else 0. */
  removed: Uint8Array;
  /** Per group: 1 when it spans more than one split. */
  groupCrossSplit: Uint8Array;
  /** Per group: 1 when its members have more than one label. */
  groupLabelConflict: Uint8Array;
}

function find(parent: Int32Array, x: number): number {
  while (parent[x] !== x) {
    parent[x] = parent[parent[x]]; // path halving keeps the trees flat
    x = parent[x];
  }
  return x;
}

function union(parent: Int32Array, i: number, j: number): void {
  const a = find(parent, i);
  const b = find(parent, j);
  // The smaller row becomes the root, so each root is its group's first row.
  if (a < b) parent[b] = a;
  else if (b < a) parent[a] = b;
}

/**
 * Groups, keep/remove and counts at `threshold`, with `tags` overriding the automatic choice.
 * Same rules as the kernel's `groupAtThreshold` (method `components`): k-NN edges with
 * score >= threshold (compared in float32) between valid rows, plus exact copies always together;
 * members are visited by keep rank; one not yet removed is kept and removes its DIRECT matches
 * (never through a chain), so a group can keep several members.
 */
export function assign(data: ExplorerData, threshold: number, tags: Tags = {}): Assignment {
  const { n, k, indices, scores, valid, exactGroups, keepRank } = data;
  const t = Math.fround(threshold);
  const parent = new Int32Array(n);
  const linked = new Uint8Array(n);
  for (let i = 0; i < n; i++) parent[i] = i;
  for (let i = 0; i < n; i++) {
    if (!valid[i]) continue;
    const base = i * k;
    for (let j = 0; j < k; j++) {
      if (!(scores[base + j] >= t)) break; // neighbours are sorted by descending score
      const nb = indices[base + j];
      if (nb < 0 || nb === i || !valid[nb]) continue;
      linked[i] = linked[nb] = 1;
      union(parent, i, nb);
    }
  }
  const firstOfExact = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const e = exactGroups[i];
    if (e < 0 || !valid[i]) continue;
    const f = firstOfExact.get(e);
    if (f === undefined) firstOfExact.set(e, i);
    else {
      linked[i] = linked[f] = 1;
      union(parent, i, f);
    }
  }
  // Number groups in order of their first (= root) row.
  const groupOfRoot = new Int32Array(n).fill(-1);
  let groups = 0;
  for (let i = 0; i < n; i++) {
    if (!linked[i]) continue;
    const r = find(parent, i);
    if (groupOfRoot[r] < 0) groupOfRoot[r] = groups++;
  }
  const group = new Int32Array(n).fill(-1);
  const firstSplit = new Int32Array(groups).fill(-1);
  const firstLabel = new Int32Array(groups).fill(-1);
  const groupCrossSplit = new Uint8Array(groups);
  const groupLabelConflict = new Uint8Array(groups);
  let flagged = 0;
  for (let i = 0; i < n; i++) {
    if (!linked[i]) continue;
    const g = groupOfRoot[find(parent, i)];
    group[i] = g;
    flagged++;
    const sp = data.splitCodes[i];
    if (sp >= 0) {
      if (firstSplit[g] < 0) firstSplit[g] = sp;
      else if (firstSplit[g] !== sp) groupCrossSplit[g] = 1;
    }
    const lb = data.labelCodes[i];
    if (lb >= 0) {
      if (firstLabel[g] < 0) firstLabel[g] = lb;
      else if (firstLabel[g] !== lb) groupLabelConflict[g] = 1;
    }
  }
  const removed = directRemovals(data, t, group, groups, firstOfExact);
  const tagged = applyTags(data, removed, tags);
  let toRemove = 0;
  for (let i = 0; i < n; i++) toRemove += removed[i];
  let crossSplit = 0;
  let labelConflicts = 0;
  for (let g = 0; g < groups; g++) {
    crossSplit += groupCrossSplit[g];
    labelConflicts += groupLabelConflict[g];
  }
  return {
    counts: {
      threshold,
      flagged,
      groups,
      to_remove: toRemove,
      cross_split: crossSplit,
      label_conflicts: labelConflicts,
      tagged_keep: tagged.keep,
      tagged_remove: tagged.remove,
    },
    group,
    removed,
    groupCrossSplit,
    groupLabelConflict,
  };
}

/**
 * The removal rule of the kernel's `groupAtThreshold`: in keep-rank order (ties: earlier row), a
 * group member not yet removed is kept and removes the members directly matched to it (an edge
 * ≥ t in either neighbour list, or the same exact-duplicate group). Returns 1 per removed row.
 */
function directRemovals(data: ExplorerData, t: number, group: Int32Array, groups: number, firstOfExact: Map<number, number>): Uint8Array {
  const { n, k, indices, scores, valid, exactGroups, keepRank } = data;
  // Symmetric adjacency (CSR) of the edges ≥ t inside groups.
  const deg = new Int32Array(n + 1);
  const each = (fn: (a: number, b: number) => void) => {
    for (let i = 0; i < n; i++) {
      if (group[i] < 0) continue;
      const base = i * k;
      for (let j = 0; j < k; j++) {
        if (!(scores[base + j] >= t)) break;
        const nb = indices[base + j];
        if (nb < 0 || nb === i || !valid[nb]) continue;
        fn(i, nb);
      }
    }
  };
  each((a, b) => { deg[a + 1]++; deg[b + 1]++; });
  for (let i = 0; i < n; i++) deg[i + 1] += deg[i];
  const to = new Int32Array(deg[n]);
  const pos = deg.slice(0, n);
  each((a, b) => { to[pos[a]++] = b; to[pos[b]++] = a; });
  // Exact copies: members of each exact group, so a kept copy removes all of its exact copies.
  const exactRows = new Map<number, number[]>();
  if (firstOfExact.size) {
    for (let i = 0; i < n; i++) {
      const e = exactGroups[i];
      if (e < 0 || !valid[i] || group[i] < 0) continue;
      let l = exactRows.get(e);
      if (!l) exactRows.set(e, (l = []));
      l.push(i);
    }
  }
  // Members in keep order, group by group.
  const order: number[] = [];
  for (let i = 0; i < n; i++) if (group[i] >= 0) order.push(i);
  order.sort((a, b) => group[a] - group[b] || keepRank[a] - keepRank[b] || a - b);
  const assigned = new Uint8Array(n);
  const removed = new Uint8Array(n);
  const claim = (kp: number, x: number) => {
    if (x === kp || assigned[x] || group[x] !== group[kp]) return;
    assigned[x] = 1;
    removed[x] = 1;
  };
  for (const kp of order) {
    if (assigned[kp]) continue;
    assigned[kp] = 1;
    for (let e = deg[kp]; e < deg[kp + 1]; e++) claim(kp, to[e]);
    const ex = exactGroups[kp] >= 0 ? exactRows.get(exactGroups[kp]) : undefined;
    if (ex) for (const x of ex) claim(kp, x);
  }
  void groups;
  return removed;
}

/** Tags win over the automatic choice: `remove` drops any sample, `keep` keeps it. Unknown ids are ignored. */
export function applyTags(data: { ids: string[] }, removed: Uint8Array, tags: Tags | null | undefined): { keep: number; remove: number } {
  const tagged = { keep: 0, remove: 0 };
  if (!tags) return tagged;
  const rowOf = rowIndex(data);
  for (const id of Object.keys(tags)) {
    const row = rowOf.get(id);
    if (row === undefined) continue;
    const remove = tags[id] === 'remove';
    removed[row] = remove ? 1 : 0;
    tagged[remove ? 'remove' : 'keep']++;
  }
  return tagged;
}

const rowIndexCache = new WeakMap<string[], Map<string, number>>();
/** id -> row, built once per ids array. */
export function rowIndex(data: { ids: string[] }): Map<string, number> {
  let m = rowIndexCache.get(data.ids);
  if (!m) {
    m = new Map();
    for (let i = 0; i < data.ids.length; i++) m.set(data.ids[i], i);
    rowIndexCache.set(data.ids, m);
  }
  return m;
}

/** Rows sorted by max_similarity descending, ties by row index (computed once). */
export function sortedRows(data: ExplorerData): Int32Array {
  const order = new Int32Array(data.n);
  for (let i = 0; i < data.n; i++) order[i] = i;
  const ms = data.maxSimilarity;
  // NaN (skipped samples) sorts last.
  const key = (i: number) => (Number.isNaN(ms[i]) ? -Infinity : ms[i]);
  return order.sort((a, b) => key(b) - key(a) || a - b);
}

export type Filter = 'all' | 'flagged' | 'cross_split' | 'label_conflict' | 'exact';
export const FILTERS: { value: Filter; label: string }[] = [
  { value: 'all', label: 'All' },
  { value: 'flagged', label: 'Flagged' },
  { value: 'cross_split', label: 'Cross-split' },
  { value: 'label_conflict', label: 'Label conflicts' },
  { value: 'exact', label: 'Exact duplicates' },
];

/** The rows the grid lists, in sorted order, for a filter and a case-insensitive search on id or label. */
export function visibleRows(
  data: ExplorerData,
  order: Int32Array,
  a: Assignment,
  filter: Filter,
  search: string,
): Int32Array {
  const q = search.trim().toLowerCase();
  const labelMatch = q ? data.labelNames.map((l) => l.toLowerCase().includes(q)) : [];
  const out = new Int32Array(data.n);
  let m = 0;
  for (let p = 0; p < order.length; p++) {
    const i = order[p];
    const g = a.group[i];
    switch (filter) {
      case 'flagged':
        if (g < 0) continue;
        break;
      case 'cross_split':
        if (g < 0 || !a.groupCrossSplit[g]) continue;
        break;
      case 'label_conflict':
        if (g < 0 || !a.groupLabelConflict[g]) continue;
        break;
      case 'exact':
        if (data.exactGroups[i] < 0) continue;
        break;
    }
    if (q && !(data.labelCodes[i] >= 0 && labelMatch[data.labelCodes[i]]) && !data.ids[i].toLowerCase().includes(q)) continue;
    out[m++] = i;
  }
  return out.subarray(0, m);
}

/** Neighbours of `row` to show beside it: those at or above the threshold, else just the nearest one. */
export function shownNeighbors(data: ExplorerData, row: number, threshold: number, max = 4): { row: number; score: number }[] {
  const out: { row: number; score: number }[] = [];
  for (let j = 0; j < data.k && out.length < max; j++) {
    const nb = data.indices[row * data.k + j];
    const s = data.scores[row * data.k + j];
    if (nb < 0) break;
    if (s >= threshold || out.length === 0) out.push({ row: nb, score: s });
    else break;
  }
  return out;
}

/** Equal-width histogram of max_similarity (NaN skipped), for the plot; computed once. */
export function histogram(values: Float32Array, bins = 100): { x0: number; width: number; counts: number[] } {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isNaN(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!Number.isFinite(lo)) return { x0: 0, width: 0.01, counts: [] };
  lo = Math.min(lo, hi - 1e-3);
  hi = Math.min(1, Math.max(hi, lo + 1e-3));
  const width = (hi - lo) / bins;
  const counts = new Array<number>(bins).fill(0);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isNaN(v)) continue;
    counts[Math.min(bins - 1, Math.max(0, Math.floor((v - lo) / width)))]++;
  }
  return { x0: lo, width, counts };
}

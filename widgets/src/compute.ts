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
  /** Evidence beyond the cosine for verified / hash-matched pairs (sparse; see src/widgets/explorer/evidence.ts). */
  evidence?: EvidenceData;
}

/** The kernel's EvidenceTable (src/widgets/explorer/evidence.ts), as sent to the browser. */
export interface EvidenceData {
  /** a0, b0, a1, b1, … (a < b). */
  pairs: Int32Array;
  inliers: Int32Array;
  coverage: Float32Array;
  correlation: Float32Array;
  /** Tile agreement after alignment, 0–1 (NaN when not measured); absent from older kernels. */
  agreement?: Float32Array;
  /** Share of one picture inside the other under the keypoints' homography, 0–1 (NaN when not measured); absent from older kernels. */
  containment?: Float32Array;
  flipped: Uint8Array;
  hashBits: Int32Array;
  /** Verification band and sure level; null = cosine only. */
  settings: { band: number; sure: number } | null;
}

/**
 * A manual override of the automatic keep/remove choice, keyed by sample id: `remove` never takes
 * the last kept copy of a group (another copy is kept instead); `drop` does, after the view asked.
 */
export type Tag = 'keep' | 'remove' | 'drop';
export type Tags = Record<string, Tag>;

/**
 * The live counts shown above the histogram: same names and meaning as the kernel's ExplorerCounts
 * (src/widgets/explorer/decide.ts); each name says whether it counts samples, groups or pairs.
 */
export interface Counts {
  threshold: number;
  /** Samples that belong to a group (have a near-duplicate or exact copy at the threshold). */
  flagged_samples: number;
  /** Groups (size >= 2) of samples linked by similarities >= threshold or exact copies. */
  groups: number;
  /** Samples that will be dropped, tags applied. */
  samples_to_remove: number;
  /** Samples the keep policy alone would drop. */
  samples_to_remove_auto: number;
  /** Groups whose members come from more than one split (train/test leakage). */
  cross_split_groups: number;
  /** Cross-split groups whose kept samples still span splits. */
  leaks_remaining: number;
  /** Groups whose labelled members carry more than one label. */
  label_conflict_groups: number;
  /** Groups with every copy removed (confirmed `drop`). */
  groups_dropped: number;
  /** Groups where tags removed every copy without `drop`: the best copy was kept. */
  last_copies_kept: number;
  /** Manual tags in force (known ids only); tagged_remove includes drop. */
  tagged_keep: number;
  tagged_remove: number;
}

export interface Assignment {
  counts: Counts;
  /** Group number of each sample (0-based, ordered by first member), -1 when not in a group. */
  group: Int32Array;
  /** 1 when the sample is removed (automatic or tagged), else 0. */
  removed: Uint8Array;
  /** Per group: the automatic kept copy (policy's choice). */
  autoKeeper: Int32Array;
  /** Per group: 1 when it spans more than one split. */
  groupCrossSplit: Uint8Array;
  /** Per group: 1 when its members have more than one label. */
  groupLabelConflict: Uint8Array;
  /** Per group: 1 when its kept members still span more than one split. */
  groupLeak: Uint8Array;
  /** Per group: 1 when a copy was kept against the tags (last-copy rule). */
  groupRescued: Uint8Array;
  /** Per group: 1 when every copy is removed (drop). */
  groupDropped: Uint8Array;
  /** Per group: highest max_similarity of a member (the sort key of the cards). */
  groupBest: Float32Array;
  /** Members of group g are members[offsets[g] .. offsets[g+1]) in row order. */
  offsets: Int32Array;
  members: Int32Array;
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
 * the kept copy of a group is its member with the lowest keep rank.
 */
export function assign(data: ExplorerData, threshold: number, tags: Tags = {}): Assignment {
  const { n, k, indices, scores, valid, exactGroups, keepRank } = data;
  const t = Math.fround(threshold);
  const parent = new Int32Array(n);
  const linked = new Uint8Array(n);
  for (let i = 0; i < n; i++) parent[i] = i;
  // The edges ≥ t, kept (i, nb, i, nb, …) for the removal pass: one walk of the neighbour lists per step.
  const edges = edgeBuffer(indices);
  let nEdges = 0;
  for (let i = 0; i < n; i++) {
    if (!valid[i]) continue;
    const base = i * k;
    for (let j = 0; j < k; j++) {
      if (!(scores[base + j] >= t)) break; // neighbours are sorted by descending score
      const nb = indices[base + j];
      if (nb < 0 || nb === i || !valid[nb]) continue;
      linked[i] = linked[nb] = 1;
      union(parent, i, nb);
      edges[nEdges++] = i;
      edges[nEdges++] = nb;
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
  const keeper = new Int32Array(groups).fill(-1);
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
    const kp = keeper[g];
    if (kp < 0 || keepRank[i] < keepRank[kp]) keeper[g] = i; // ties keep the earlier row
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
  // The kernel's removal rule: only direct matches of a kept member are removed (never through a chain).
  const autoRemoved = directRemovals(data, edges, nEdges, group, firstOfExact, groups);
  let toRemoveAuto = 0;
  for (let i = 0; i < n; i++) toRemoveAuto += autoRemoved[i];
  const tagRows = new Map<number, Tag>();
  // The id → row index (70,000 entries) is built only once there are tags: not for the first paint.
  const tagIds = Object.keys(tags || {});
  const rowOf = tagIds.length ? rowIndex(data) : new Map<string, number>();
  for (const id of tagIds) {
    const row = rowOf.get(id);
    const t = tags[id];
    if (row !== undefined && (t === 'keep' || t === 'remove' || t === 'drop')) tagRows.set(row, t);
  }
  const d = decide(group, groups, autoRemoved, tagRows, keepRank, data.splitCodes);
  let crossSplit = 0;
  let labelConflicts = 0;
  for (let g = 0; g < groups; g++) {
    crossSplit += groupCrossSplit[g];
    labelConflicts += groupLabelConflict[g];
  }
  // Members per group (counting sort by group), and each group's best similarity.
  const offsets = new Int32Array(groups + 1);
  for (let i = 0; i < n; i++) if (group[i] >= 0) offsets[group[i] + 1]++;
  for (let g = 0; g < groups; g++) offsets[g + 1] += offsets[g];
  const members = new Int32Array(offsets[groups]);
  const fill = offsets.slice(0, groups);
  const groupBest = new Float32Array(groups).fill(-Infinity);
  for (let i = 0; i < n; i++) {
    const g = group[i];
    if (g < 0) continue;
    members[fill[g]++] = i;
    const s = data.maxSimilarity[i];
    if (s > groupBest[g]) groupBest[g] = s;
  }
  return {
    counts: {
      threshold,
      flagged_samples: flagged,
      groups,
      samples_to_remove: d.samplesToRemove,
      samples_to_remove_auto: toRemoveAuto,
      cross_split_groups: crossSplit,
      leaks_remaining: d.leaksRemaining,
      label_conflict_groups: labelConflicts,
      groups_dropped: d.groupsDropped,
      last_copies_kept: d.lastCopiesKept,
      tagged_keep: d.taggedKeep,
      tagged_remove: d.taggedRemove,
    },
    group,
    removed: d.removed,
    autoKeeper: keeper,
    groupCrossSplit,
    groupLabelConflict,
    groupLeak: d.leak,
    groupRescued: d.rescued,
    groupDropped: d.dropped,
    groupBest,
    offsets,
    members,
  };
}

/**
 * The removal rule of the kernel's `groupAtThreshold`: in keep-rank order (ties: earlier row), a
 * group member not yet removed is kept and removes the members directly matched to it (an edge
 * ≥ t in either neighbour list, or the same exact-duplicate group). Returns 1 per removed row.
 */
function directRemovals(data: ExplorerData, edges: Int32Array, nEdges: number, group: Int32Array, firstOfExact: Map<number, number>, nGroups: number): Uint8Array {
  const { n, valid, exactGroups, keepRank } = data;
  // Symmetric adjacency (CSR) of the edges ≥ t (all inside groups: both ends are linked), in the
  // order assign met them. Plain loops, no closures: this runs on every slider step.
  const deg = new Int32Array(n + 1);
  for (let e = 0; e < nEdges; e += 2) {
    deg[edges[e] + 1]++;
    deg[edges[e + 1] + 1]++;
  }
  for (let i = 0; i < n; i++) deg[i + 1] += deg[i];
  const to = new Int32Array(deg[n]);
  const pos = deg.slice(0, n);
  for (let e = 0; e < nEdges; e += 2) {
    const i = edges[e];
    const nb = edges[e + 1];
    to[pos[i]++] = nb;
    to[pos[nb]++] = i;
  }
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
  // Members in (group, keep rank, row) order: a stable counting sort by group over the rows in
  // keep-rank order (computed once per keep rank), O(N) per step instead of a comparison sort.
  const byRank = rankOrder(keepRank);
  const start = new Int32Array(nGroups + 1);
  for (let i = 0; i < n; i++) if (group[i] >= 0) start[group[i] + 1]++;
  for (let g = 0; g < nGroups; g++) start[g + 1] += start[g];
  const order = new Int32Array(start[nGroups]);
  for (let r = 0; r < n; r++) {
    const i = byRank[r];
    const g = group[i];
    if (g >= 0) order[start[g]++] = i;
  }
  const assigned = new Uint8Array(n);
  const removed = new Uint8Array(n);
  for (let o = 0; o < order.length; o++) {
    const kp = order[o];
    if (assigned[kp]) continue;
    assigned[kp] = 1;
    const gk = group[kp];
    for (let e = deg[kp]; e < deg[kp + 1]; e++) {
      const x = to[e];
      if (x === kp || assigned[x] || group[x] !== gk) continue;
      assigned[x] = 1;
      removed[x] = 1;
    }
    const ex = exactGroups[kp] >= 0 ? exactRows.get(exactGroups[kp]) : undefined;
    if (ex) {
      for (const x of ex) {
        if (x === kp || assigned[x] || group[x] !== gk) continue;
        assigned[x] = 1;
        removed[x] = 1;
      }
    }
  }
  return removed;
}

const edgeBuffers = new WeakMap<Int32Array, Int32Array>();

/** Room for every neighbour edge as a pair of rows (2·N·k int32), allocated once per data set. */
function edgeBuffer(indices: Int32Array): Int32Array {
  let b = edgeBuffers.get(indices);
  if (!b) edgeBuffers.set(indices, (b = new Int32Array(2 * indices.length)));
  return b;
}

const rankOrderCache = new WeakMap<ArrayLike<number>, Int32Array>();

/** Rows sorted by keep rank, ties by row (computed once per keep-rank array). */
function rankOrder(keepRank: Int32Array): Int32Array {
  let o = rankOrderCache.get(keepRank);
  if (!o) {
    o = new Int32Array(keepRank.length);
    for (let i = 0; i < o.length; i++) o[i] = i;
    o.sort((a, b) => keepRank[a] - keepRank[b] || a - b);
    rankOrderCache.set(keepRank, o);
  }
  return o;
}

/**
 * Tags on top of the automatic choice, with the last-copy rule: `keep` keeps, `remove` and `drop`
 * remove; a group left with no kept copy keeps its best untagged member (lowest keep rank), else
 * its best member, unless one of its members is tagged `drop`. Mirrors src/widgets/explorer/decide.ts.
 */
export function decide(
  groupOf: Int32Array,
  nGroups: number,
  autoRemoved: Uint8Array,
  tags: Map<number, Tag>,
  rank: ArrayLike<number>,
  splitCodes: ArrayLike<number>,
) {
  const n = groupOf.length;
  const removed = Uint8Array.from(autoRemoved);
  let taggedKeep = 0;
  let taggedRemove = 0;
  for (const [row, tag] of tags) {
    removed[row] = tag === 'keep' ? 0 : 1;
    if (tag === 'keep') taggedKeep++;
    else taggedRemove++;
  }
  const hasKept = new Uint8Array(nGroups);
  const hasDrop = new Uint8Array(nGroups);
  const bestUntagged = new Int32Array(nGroups).fill(-1);
  const bestAny = new Int32Array(nGroups).fill(-1);
  for (let i = 0; i < n; i++) {
    const g = groupOf[i];
    if (g < 0) continue;
    if (!removed[i]) hasKept[g] = 1;
    const tag = tags.get(i);
    if (tag === 'drop') hasDrop[g] = 1;
    if (bestAny[g] < 0 || rank[i] < rank[bestAny[g]]) bestAny[g] = i;
    if (tag === undefined && (bestUntagged[g] < 0 || rank[i] < rank[bestUntagged[g]])) bestUntagged[g] = i;
  }
  const rescued = new Uint8Array(nGroups);
  const dropped = new Uint8Array(nGroups);
  let lastCopiesKept = 0;
  let groupsDropped = 0;
  for (let g = 0; g < nGroups; g++) {
    if (hasKept[g]) continue;
    if (hasDrop[g]) {
      dropped[g] = 1;
      groupsDropped++;
      continue;
    }
    const keep = bestUntagged[g] >= 0 ? bestUntagged[g] : bestAny[g];
    if (keep >= 0) {
      removed[keep] = 0;
      rescued[g] = 1;
      lastCopiesKept++;
    }
  }
  const firstKeptSplit = new Int32Array(nGroups).fill(-1);
  const leak = new Uint8Array(nGroups);
  let samplesToRemove = 0;
  for (let i = 0; i < n; i++) {
    samplesToRemove += removed[i];
    const g = groupOf[i];
    if (g < 0 || removed[i]) continue;
    const s = splitCodes[i];
    if (s < 0) continue;
    if (firstKeptSplit[g] < 0) firstKeptSplit[g] = s;
    else if (firstKeptSplit[g] !== s) leak[g] = 1;
  }
  let leaksRemaining = 0;
  for (let g = 0; g < nGroups; g++) leaksRemaining += leak[g];
  return { removed, leak, rescued, dropped, samplesToRemove, leaksRemaining, groupsDropped, lastCopiesKept, taggedKeep, taggedRemove };
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

/** Filters select groups. */
export type Filter = 'flagged' | 'cross_split' | 'leak' | 'label_conflict' | 'exact';
export const FILTERS: { value: Filter; label: string }[] = [
  { value: 'flagged', label: 'All groups' },
  { value: 'cross_split', label: 'Cross-split' },
  { value: 'leak', label: 'Leaks kept' },
  { value: 'label_conflict', label: 'Label conflicts' },
  { value: 'exact', label: 'Exact copies' },
];

/**
 * The groups the view lists for a filter and a case-insensitive search on the members' ids and
 * labels, most similar first (ties by group number).
 */
export function visibleGroups(data: ExplorerData, a: Assignment, filter: Filter, search: string): Int32Array {
  const q = search.trim().toLowerCase();
  const labelMatch = q ? data.labelNames.map((l) => l.toLowerCase().includes(q)) : [];
  const nG = a.groupBest.length;
  const out: number[] = [];
  for (let g = 0; g < nG; g++) {
    if (filter === 'cross_split' && !a.groupCrossSplit[g]) continue;
    if (filter === 'leak' && !a.groupLeak[g]) continue;
    if (filter === 'label_conflict' && !a.groupLabelConflict[g]) continue;
    let exact = false;
    let hit = !q;
    for (let m = a.offsets[g]; m < a.offsets[g + 1]; m++) {
      const i = a.members[m];
      if (data.exactGroups[i] >= 0) exact = true;
      if (!hit && ((data.labelCodes[i] >= 0 && labelMatch[data.labelCodes[i]]) || data.ids[i].toLowerCase().includes(q))) hit = true;
    }
    if (filter === 'exact' && !exact) continue;
    if (hit) out.push(g);
  }
  out.sort((x, y) => a.groupBest[y] - a.groupBest[x] || x - y);
  return Int32Array.from(out);
}

/** The copy a group keeps in the end: the policy's choice unless tags removed it, then the first kept member. */
export function keptCopy(a: Assignment, g: number): number {
  const auto = a.autoKeeper[g];
  if (!a.removed[auto]) return auto;
  for (let m = a.offsets[g]; m < a.offsets[g + 1]; m++) if (!a.removed[a.members[m]]) return a.members[m];
  return auto;
}

/** Similarity of two rows from the k-NN lists (either direction), or null when neither lists the other. */
export function pairSimilarity(data: ExplorerData, row: number, other: number): number | null {
  const { k, indices, scores } = data;
  for (const [x, y] of [[row, other], [other, row]]) {
    for (let j = 0; j < k; j++) {
      const nb = indices[x * k + j];
      if (nb < 0) break;
      if (nb === y) return scores[x * k + j];
    }
  }
  return null;
}

/** 3 decimals, more when needed so that a similarity below 1 never reads "1.000". */
export function formatSimilarity(s: number): string {
  if (!Number.isFinite(s)) return '–';
  if (s >= 1) return '1.000';
  for (let d = 3; d <= 5; d++) {
    const t = s.toFixed(d);
    if (!t.startsWith('1')) return t;
  }
  return '0.99999+';
}

/** Shortens a string in the middle so the file name at the end stays readable. */
export function middleEllipsis(s: string, max: number): string {
  if (s.length <= max) return s;
  const tail = Math.ceil((max - 1) * 0.6);
  return `${s.slice(0, max - 1 - tail)}…${s.slice(s.length - tail)}`;
}

/** One member of a group card: its similarity to the kept copy and the evidence, in words. */
export interface MemberView {
  row: number;
  kept: boolean;
  /** Cosine similarity to the kept copy (null for the kept copy itself or when not direct neighbours). */
  similarity: number | null;
  /** Why the member is in the group, in full words (tooltip, closer look). */
  evidence: string;
  /** The rule in a few words for the tile ("cos ≥ 0.94", "pixels r=0.982", "exact", "via …"); '' for the kept copy. */
  rule: string;
}

const evIndexCache = new WeakMap<EvidenceData, Map<number, number>>();

/**
 * The rule that made pair (row, other) a duplicate, in words: the same text as the kernel's
 * `verdictText` (src/widgets/explorer/evidence.ts; a test checks they agree).
 */
export function verdictText(data: ExplorerData, row: number, other: number, score: number, exact: boolean, threshold: number): { short: string; long: string } {
  const ev = data.evidence;
  let inliers = -1;
  let coverage = NaN;
  let correlation = NaN;
  let agreement = NaN;
  let containment = NaN;
  let flipped = false;
  let hashBits = -1;
  if (ev && ev.pairs.length) {
    let index = evIndexCache.get(ev);
    if (!index) {
      index = new Map();
      for (let p = 0; p < ev.pairs.length / 2; p++) index.set(ev.pairs[2 * p] * data.n + ev.pairs[2 * p + 1], p);
      evIndexCache.set(ev, index);
    }
    const p = index.get(Math.min(row, other) * data.n + Math.max(row, other));
    if (p !== undefined) {
      inliers = ev.inliers[p];
      coverage = ev.coverage[p];
      correlation = ev.correlation[p];
      agreement = ev.agreement ? ev.agreement[p] : NaN;
      containment = ev.containment?.length ? ev.containment[p] : NaN;
      flipped = ev.flipped[p] === 1;
      hashBits = ev.hashBits[p];
    }
  }
  const settings = ev?.settings ?? null;
  const cos = formatSimilarity(score);
  const mirrored = flipped ? ', mirrored' : '';
  if (exact) return { short: 'exact', long: 'exact copy (same bytes or pixels)' };
  const tiles = Number.isFinite(agreement) ? `${Math.round(agreement * 100)}%` : '';
  if (inliers >= 0) {
    const cov = Number.isFinite(coverage) ? `${Math.round(coverage * 100)}%` : '?';
    const agree = tiles ? ` · tiles ${tiles}` : '';
    const agreeLong = tiles ? `; after alignment ${tiles} of the detailed tiles agree` : '';
    const inside = Number.isFinite(containment) ? `, ${Math.round(containment * 100)}% of one picture inside the other` : '';
    return { short: `keypoints ${inliers} · ${cov}${agree}`, long: `keypoints: ${inliers} RANSAC inliers spanning ${cov} of the image${inside}${agreeLong}${mirrored} (cosine ${cos})` };
  }
  if (tiles) return { short: `tiles ${tiles}`, long: `pictures: ${tiles} of the detailed tiles agree as they are${mirrored} (cosine ${cos})` };
  if (Number.isFinite(correlation)) {
    return { short: `pixels r=${correlation.toFixed(3)}`, long: `pixels: aligned correlation r=${correlation.toFixed(3)}${mirrored} (cosine ${cos})` };
  }
  if (hashBits >= 0) return { short: `pHash ${hashBits} bits`, long: `perceptual hash: ${hashBits} bits apart (score ${cos})` };
  if (settings && score >= Math.fround(settings.sure)) return { short: `cos ≥ ${settings.sure}`, long: `cosine ${cos} ≥ ${settings.sure} (sure without a second check)` };
  if (settings && score < Math.fround(settings.band)) return { short: `cos ${cos}, unchecked`, long: `cosine ${cos} ≥ threshold ${threshold}; below the verification band ${settings.band}, not checked` };
  return { short: `cos ≥ ${threshold}`, long: `cosine ${cos} ≥ threshold ${threshold}` };
}

/**
 * A member's words are built on first read: a chain at a low threshold holds thousands of members,
 * a card shows 5 of them, and building every member's text took tens of ms per slider step at 70,000.
 */
class LazyMember implements MemberView {
  private words: { evidence: string; rule: string } | null = null;
  constructor(
    readonly row: number,
    readonly kept: boolean,
    readonly similarity: number | null,
    private readonly explain: (m: LazyMember) => { evidence: string; rule: string },
  ) {}
  get evidence(): string {
    return (this.words ??= this.explain(this)).evidence;
  }
  get rule(): string {
    return (this.words ??= this.explain(this)).rule;
  }
}

/**
 * The members of group `g`, kept copy first, then by similarity to it. The evidence says why the
 * member is in the group: the rule that made it a duplicate of the kept copy (exact, cosine ≥ the
 * sure level, keypoints, pixels, pHash), or the member it was joined through and that link's rule.
 * `evidence` and `rule` are computed when first read (same words; only the shown tiles pay for them).
 */
export function groupMembers(data: ExplorerData, a: Assignment, g: number, threshold: number): MemberView[] {
  const keeper = keptCopy(a, g);
  const t = Math.fround(threshold);
  const isExact = (x: number, y: number) => data.exactGroups[x] >= 0 && data.exactGroups[x] === data.exactGroups[y];
  const explain = (m: LazyMember): { evidence: string; rule: string } => {
    const row = m.row;
    const s = m.similarity;
    if (row === keeper) return { evidence: a.groupRescued[g] ? 'kept: last copy of the group' : 'kept copy', rule: '' };
    if (isExact(row, keeper)) {
      const v = verdictText(data, row, keeper, s ?? 1, true, threshold);
      return { evidence: `${v.long}, of the kept copy`, rule: v.short };
    }
    if (s !== null && s >= t) {
      const v = verdictText(data, row, keeper, s, false, threshold);
      return { evidence: `${v.long}, to the kept copy`, rule: v.short };
    }
    let via = -1;
    let viaScore = 0;
    for (let j = 0; j < data.k; j++) {
      const nb = data.indices[row * data.k + j];
      if (nb < 0) break;
      if (nb !== row && a.group[nb] === g) {
        via = nb;
        viaScore = data.scores[row * data.k + j];
        break;
      }
    }
    if (via >= 0) {
      const v = verdictText(data, row, via, viaScore, isExact(row, via), threshold);
      return {
        evidence: `joined through ${data.ids[via]}: ${v.long}; ${s === null ? 'not a near neighbour of' : `cosine ${formatSimilarity(s)} to`} the kept copy`,
        rule: `via ${v.short}`,
      };
    }
    return { evidence: 'joined through other members', rule: 'via chain' };
  };
  let kept: MemberView | null = null;
  const out: MemberView[] = [];
  for (let m = a.offsets[g]; m < a.offsets[g + 1]; m++) {
    const row = a.members[m];
    if (row === keeper) kept = new LazyMember(row, !a.removed[row], null, explain);
    else out.push(new LazyMember(row, !a.removed[row], pairSimilarity(data, row, keeper), explain));
  }
  out.sort((x, y) => (y.similarity ?? -2) - (x.similarity ?? -2) || x.row - y.row);
  return [kept!, ...out];
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

/**
 * The ids as an array that decodes an id when it is first read: the first page shows ~60 of them,
 * and decoding all 70,000 up front (plus their garbage) took ~150 ms of the first paint. Anything
 * other than reading one index or the length (search, iteration) decodes them all once.
 */
export function lazyIds(buf: Uint8Array): string[] {
  const starts: number[] = [0];
  for (let i = buf.indexOf(0); i >= 0; i = buf.indexOf(0, i + 1)) starts.push(i + 1);
  const n = starts.length;
  const one: (string | undefined)[] = new Array(n);
  const dec = new TextDecoder();
  let all: string[] | null = null;
  const whole = () => (all ??= dec.decode(buf).split('\0'));
  return new Proxy([] as string[], {
    get(_t, key) {
      if (typeof key === 'string') {
        if (key === 'length') return n;
        const c = key.charCodeAt(0);
        if (c >= 48 && c <= 57) {
          const i = Number(key);
          if (Number.isInteger(i)) {
            if (all) return all[i];
            if (i >= n) return undefined;
            return (one[i] ??= dec.decode(buf.subarray(starts[i], i + 1 < n ? starts[i + 1] - 1 : buf.length)));
          }
        }
      }
      const a = whole() as any;
      const x = a[key];
      return typeof x === 'function' ? x.bind(a) : x;
    },
    has: (_t, key) => key in whole(),
    ownKeys: () => Reflect.ownKeys(whole()),
    getOwnPropertyDescriptor: (_t, key) => Reflect.getOwnPropertyDescriptor(whole(), key),
  });
}

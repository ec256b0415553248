/**
 * Reports on a grouping, as danfo DataFrames with their counts: near-duplicate pairs, cross-split
 * pairs (train↔test leakage), label conflicts and exact duplicates. The typed-array functions
 * (`pairsAtThreshold`) stay cheap; DataFrames are built only when a report is asked for.
 */
import type { DataFrame } from 'danfojs-node';
import type { Neighbors } from '../types';
import { dfFromColumns } from '../frame';
import type { GroupResult } from './groups';
import type { ExactDuplicates } from '../exact';

/** Unique near-duplicate pairs (a < b as row indices), by descending similarity then a, b. */
export interface Pairs {
  a: Int32Array;
  b: Int32Array;
  similarity: Float32Array;
}

/**
 * Every pair of valid rows that are k-NN neighbours (in either direction) with similarity ≥
 * threshold, each pair once. Pairs beyond the k nearest of both rows are not listed (groups still
 * join them through intermediate rows).
 */
export function pairsAtThreshold(nb: Neighbors, threshold: number, valid?: Uint8Array): Pairs {
  const { n, k, indices, scores } = nb;
  const t = Math.fround(threshold);
  const ok = (i: number) => !valid || valid[i] === 1;
  const listed = (i: number, j: number) => {
    for (let r = 0; r < k; r++) {
      if (!(scores[i * k + r] >= t)) return false;
      if (indices[i * k + r] === j) return true;
    }
    return false;
  };
  const as: number[] = [];
  const bs: number[] = [];
  const ss: number[] = [];
  for (let i = 0; i < n; i++) {
    if (!ok(i)) continue;
    for (let r = 0; r < k; r++) {
      const s = scores[i * k + r];
      if (!(s >= t)) break;
      const j = indices[i * k + r];
      if (j < 0 || j === i || !ok(j)) continue;
      // Take the pair from the lower row; from the higher row only if the lower one did not list it.
      if (i < j || !listed(j, i)) {
        as.push(Math.min(i, j));
        bs.push(Math.max(i, j));
        ss.push(s);
      }
    }
  }
  const order = as.map((_, x) => x).sort((x, y) => ss[y] - ss[x] || as[x] - as[y] || bs[x] - bs[y]);
  return {
    a: Int32Array.from(order, (x) => as[x]),
    b: Int32Array.from(order, (x) => bs[x]),
    similarity: Float32Array.from(order, (x) => ss[x]),
  };
}

/** Per-row context the reports print: ids, and optionally splits and labels. */
export interface SampleInfo {
  ids: ArrayLike<string>;
  splits?: ArrayLike<string | null | undefined>;
  labels?: ArrayLike<string | number | null | undefined>;
  labelNames?: ArrayLike<string | null | undefined>;
}

const at = <T>(a: ArrayLike<T> | undefined, i: number): T | null => (a ? (a[i] ?? null) : null);

/** The pairs as a DataFrame `a, b, similarity` (sample ids), plus `group_id` when groups are given. */
export function pairsFrame(pairs: Pairs, info: SampleInfo, groups?: GroupResult): DataFrame {
  const cols: Record<string, ArrayLike<unknown>> = {
    a: Array.from(pairs.a, (i) => info.ids[i]),
    b: Array.from(pairs.b, (i) => info.ids[i]),
    similarity: Array.from(pairs.similarity, round6),
  };
  if (groups) cols.group_id = Array.from(pairs.a, (i) => groups.group_id[i]);
  return dfFromColumns(cols);
}

/** A report: its rows, and the counts that summarise it. */
export interface Report<C> {
  df: DataFrame;
  counts: C;
}

/** Counts of the cross-split (leakage) report. */
export interface CrossSplitCounts {
  /** Groups with members in more than one split. */
  groups: number;
  /** Near-duplicate pairs whose two samples are in different splits. */
  pairs: number;
  /** Per split: samples of that split with a near-duplicate in another split (same group). */
  bySplit: Record<string, number>;
}

/**
 * Train↔test leakage: one row per cross-split pair above the threshold
 * (`a, a_split, b, b_split, similarity, group_id`); counts per split come from the groups, so they
 * also cover copies joined through a chain.
 */
export function crossSplitReport(groups: GroupResult, pairs: Pairs, info: SampleInfo): Report<CrossSplitCounts> {
  const splits = info.splits;
  const rows: number[] = [];
  if (splits) {
    for (let p = 0; p < pairs.a.length; p++) {
      const sa = splits[pairs.a[p]];
      const sb = splits[pairs.b[p]];
      if (sa != null && sb != null && sa !== sb && groups.group_id[pairs.a[p]] >= 0) rows.push(p);
    }
  }
  const { groups: mixedGroups, bySplit } = crossSplitCounts(groups, splits);
  const df = dfFromColumns(
    {
      a: rows.map((p) => info.ids[pairs.a[p]]),
      a_split: rows.map((p) => at(splits, pairs.a[p])),
      b: rows.map((p) => info.ids[pairs.b[p]]),
      b_split: rows.map((p) => at(splits, pairs.b[p])),
      similarity: rows.map((p) => round6(pairs.similarity[p])),
      group_id: rows.map((p) => groups.group_id[pairs.a[p]]),
    },
    ['a', 'a_split', 'b', 'b_split', 'similarity', 'group_id'],
  );
  return { df, counts: { groups: mixedGroups, pairs: rows.length, bySplit } };
}

/**
 * Groups spanning more than one split, and per split the number of samples in such groups
 * (without building any DataFrame: cheap enough for a slider).
 */
export function crossSplitCounts(
  groups: GroupResult,
  splits?: ArrayLike<string | null | undefined>,
): { groups: number; bySplit: Record<string, number> } {
  const bySplit: Record<string, number> = {};
  let mixed = 0;
  if (!splits) return { groups: 0, bySplit };
  for (let g = 0; g < groups.keepers.length; g++) {
    const lo = groups.offsets[g];
    const hi = groups.offsets[g + 1];
    let first: string | null = null;
    let isMixed = false;
    for (let m = lo; m < hi && !isMixed; m++) {
      const s = splits[groups.members[m]];
      if (s == null) continue;
      if (first === null) first = s;
      else if (s !== first) isMixed = true;
    }
    if (!isMixed) continue;
    mixed++;
    for (let m = lo; m < hi; m++) {
      const s = splits[groups.members[m]];
      if (s != null) bySplit[s] = (bySplit[s] ?? 0) + 1;
    }
  }
  return { groups: mixed, bySplit };
}

/** Counts of the label-conflict report. */
export interface LabelConflictCounts {
  /** Groups whose labelled members do not all share one label. */
  groups: number;
  /** Samples in those groups. */
  samples: number;
}

/**
 * Groups whose members carry different labels (likely label noise): one row per member
 * (`group_id, id, split, label, label_name, keep`).
 */
export function labelConflictReport(groups: GroupResult, info: SampleInfo): Report<LabelConflictCounts> {
  const labels = info.labels;
  const rows: number[] = [];
  let conflicting = 0;
  if (labels) {
    for (let g = 0; g < groups.keepers.length; g++) {
      const lo = groups.offsets[g];
      const hi = groups.offsets[g + 1];
      let ref: unknown = undefined;
      let mixed = false;
      for (let m = lo; m < hi && !mixed; m++) {
        const v = labels[groups.members[m]];
        if (v === null || v === undefined || v === '') continue;
        if (ref === undefined) ref = v;
        else if (v !== ref) mixed = true;
      }
      if (!mixed) continue;
      conflicting++;
      for (let m = lo; m < hi; m++) rows.push(groups.members[m]);
    }
  }
  const df = dfFromColumns(
    {
      group_id: rows.map((i) => groups.group_id[i]),
      id: rows.map((i) => info.ids[i]),
      split: rows.map((i) => at(info.splits, i)),
      label: rows.map((i) => at(labels, i)),
      label_name: rows.map((i) => at(info.labelNames, i)),
      keep: rows.map((i) => groups.keep[i] === 1),
    },
    ['group_id', 'id', 'split', 'label', 'label_name', 'keep'],
  );
  return { df, counts: { groups: conflicting, samples: rows.length } };
}

/** Counts of the exact-duplicate report. */
export interface ExactCounts {
  /** Groups of identical samples. */
  groups: number;
  /** Samples identical to an earlier sample. */
  duplicates: number;
}

/**
 * Exact duplicates: one row per member of each exact group
 * (`exact_group, id, split, matched_by, duplicate_of`), where `duplicate_of` is the id of the group's
 * first sample (empty for that sample itself).
 */
export function exactDuplicateReport(exact: ExactDuplicates, info: SampleInfo): Report<ExactCounts> {
  const rows: number[] = [];
  const first = new Map<number, number>();
  for (let i = 0; i < exact.group.length; i++) {
    const g = exact.group[i];
    if (g < 0) continue;
    if (!first.has(g)) first.set(g, i);
    rows.push(i);
  }
  rows.sort((x, y) => exact.group[x] - exact.group[y] || x - y);
  const df = dfFromColumns(
    {
      exact_group: rows.map((i) => exact.group[i]),
      id: rows.map((i) => info.ids[i]),
      split: rows.map((i) => at(info.splits, i)),
      matched_by: rows.map((i) => exact.matchedBy[i]),
      duplicate_of: rows.map((i) => (first.get(exact.group[i]) === i ? null : info.ids[first.get(exact.group[i])!])),
    },
    ['exact_group', 'id', 'split', 'matched_by', 'duplicate_of'],
  );
  return { df, counts: { groups: exact.groups, duplicates: exact.duplicates } };
}

/**
 * One row per group: `group_id, size, keep_id, members`, for a quick look at what a threshold does.
 * `members` is a JSON array of the member ids (`["a.jpg","b|c.jpg"]`): `JSON.parse` reads it back
 * whatever the ids contain (`|`, commas, quotes, newlines; the CSV writer quotes the cell).
 */
export function groupsFrame(groups: GroupResult, info: SampleInfo): DataFrame {
  const G = groups.keepers.length;
  const size: number[] = new Array(G);
  const members: string[] = new Array(G);
  for (let g = 0; g < G; g++) {
    size[g] = groups.offsets[g + 1] - groups.offsets[g];
    const ids = Array.from(groups.members.subarray(groups.offsets[g], groups.offsets[g + 1]), (i) => info.ids[i]);
    members[g] = JSON.stringify(ids);
  }
  return dfFromColumns(
    {
      group_id: Array.from({ length: G }, (_, g) => g),
      size,
      keep_id: Array.from(groups.keepers, (i) => info.ids[i]),
      members,
    },
    ['group_id', 'size', 'keep_id', 'members'],
  );
}

/** Six decimals: enough for a cosine similarity, and stable text in CSV files. */
export function round6(x: number): number {
  return Number.isFinite(x) ? Math.round(x * 1e6) / 1e6 : x;
}

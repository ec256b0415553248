/**
 * The explorer's pages served by the kernel. Above {@link BROWSER_COMPUTE_LIMIT} samples the view
 * does not receive the per-sample arrays (at 1,000,000 samples and k = 10 they would be ~110 MB);
 * it asks the kernel for the page of group cards it shows and the kernel answers from its own
 * grouping (`groupAtThreshold`, the same state as the counts and the exports). These helpers give
 * the same order, filters and search as the browser's (widgets/src/compute.ts `visibleGroups`).
 */
import type { GroupResult } from '../../dedup/groups';
import type { Decision } from './decide';

/**
 * Samples above which `explore()` serves pages from the kernel instead of sending the arrays:
 * at 250,000 samples and k = 10 the arrays are ~28 MB (~112 bytes per sample), the most a
 * browser tab receives and decodes in about the time of a kernel page at that size.
 */
export const BROWSER_COMPUTE_LIMIT = 250_000;

/** The grouping at the current threshold, with tags applied, as the paging reads it. */
export interface PageState {
  groups: GroupResult;
  /** 1 = removed (automatic choice with tags), per row. */
  removed: Uint8Array;
  decision: Decision;
  /** Per group: highest max_similarity of a member (sort key of the cards). */
  best: Float32Array;
  /** Per group: 1 when it spans splits / carries different labels. */
  cross: Uint8Array;
  label: Uint8Array;
  exactGroups?: Int32Array;
  ids: readonly string[];
  labelCodes: Int32Array;
  labelNames: string[];
}

/** The card filters, as in the view. */
export type PageFilter = 'flagged' | 'cross_split' | 'leak' | 'label_conflict' | 'exact';
const FILTERS = new Set<PageFilter>(['flagged', 'cross_split', 'leak', 'label_conflict', 'exact']);

/** A filter name from the view, `flagged` for anything unknown. */
export function pageFilter(x: unknown): PageFilter {
  return FILTERS.has(x as PageFilter) ? (x as PageFilter) : 'flagged';
}

/** Highest max_similarity per group (NaN members ignored). */
export function groupBest(g: GroupResult, maxSim: Float32Array): Float32Array {
  const nG = g.keepers.length;
  const best = new Float32Array(nG).fill(-Infinity);
  // Over the members only: at 1,000,000 samples most rows are in no group.
  for (let gi = 0; gi < nG; gi++) {
    for (let m = g.offsets[gi]; m < g.offsets[gi + 1]; m++) {
      const s = maxSim[g.members[m]];
      if (s > best[gi]) best[gi] = s;
    }
  }
  return best;
}

/**
 * Groups listed for a filter and a case-insensitive search on ids and labels, most similar first
 * (ties by group number): the browser's `visibleGroups` on the kernel's grouping.
 */
export function visibleGroups(s: PageState, filter: PageFilter, search: string): Int32Array {
  const q = search.trim().toLowerCase();
  const labelMatch = q ? s.labelNames.map((l) => String(l).toLowerCase().includes(q)) : [];
  const { offsets, members } = s.groups;
  const nG = s.best.length;
  const out: number[] = [];
  for (let g = 0; g < nG; g++) {
    if (filter === 'cross_split' && !s.cross[g]) continue;
    if (filter === 'leak' && !s.decision.leak[g]) continue;
    if (filter === 'label_conflict' && !s.label[g]) continue;
    let exact = filter !== 'exact';
    let hit = !q;
    for (let m = offsets[g]; m < offsets[g + 1] && !(exact && hit); m++) {
      const i = members[m];
      if (s.exactGroups && s.exactGroups[i] >= 0) exact = true;
      if (!hit && ((s.labelCodes[i] >= 0 && labelMatch[s.labelCodes[i]]) || s.ids[i].toLowerCase().includes(q))) hit = true;
    }
    if (exact && hit) out.push(g);
  }
  return byBest(out, s.best);
}

/**
 * Groups sorted by `best` descending, ties by group number: one numeric sort of packed keys
 * (order-preserving bits of the float32 `best`, then the group number), no comparator closure —
 * at 1,000,000 samples a step lists tens of thousands of groups. A comparator sort when the key
 * would not fit in a float64's 53 exact bits (more than 2^21 groups).
 */
export function byBest(groups: number[], best: Float32Array): Int32Array {
  const nG = best.length;
  if (nG > 1 << 21) return Int32Array.from(groups.sort((x, y) => best[y] - best[x] || x - y));
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  const keys = new Float64Array(groups.length);
  for (let i = 0; i < groups.length; i++) {
    const b = best[groups[i]];
    f[0] = b === 0 ? 0 : b; // -0 ties with 0, as in a comparison
    const bits = u[0];
    const asc = bits & 0x80000000 ? ~bits >>> 0 : (bits | 0x80000000) >>> 0; // grows with the float
    keys[i] = (0xffffffff - asc) * 2 ** 21 + groups[i];
  }
  keys.sort();
  const out = new Int32Array(groups.length);
  for (let i = 0; i < keys.length; i++) out[i] = keys[i] % 2 ** 21;
  return out;
}

/** Members of group g that are kept, and the first removed member not tagged remove/drop (the view's "keep this one instead"). */
export function keptInfo(s: PageState, g: number, tagOf: (row: number) => string | undefined): { kept: number; swap: number } {
  let kept = 0;
  let swap = -1;
  for (let m = s.groups.offsets[g]; m < s.groups.offsets[g + 1]; m++) {
    const r = s.groups.members[m];
    if (!s.removed[r]) kept++;
    else if (swap < 0) {
      const t = tagOf(r);
      if (t !== 'remove' && t !== 'drop') swap = r;
    }
  }
  return { kept, swap };
}

/**
 * Equal-width histogram of max_similarity (NaN skipped): the same bins as the browser's
 * `histogram` (widgets/src/compute.ts), sent instead of the per-sample values.
 */
export function histogramBins(values: Float32Array, bins: number): { x0: number; width: number; counts: number[] } {
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

/**
 * Threshold guidance: the distribution of `max_similarity` and the number of samples flagged at
 * any threshold. Sorting once makes each count a binary search (O(log N)), cheap enough for a
 * slider on 70,000 samples.
 */
import type { Neighbors } from '../types';
import { NeardupError } from '../errors';

/**
 * Highest cosine similarity of each row to any other row (the first neighbour), NaN for rows with
 * no neighbour or marked invalid (`valid[i] === 0`).
 */
export function maxSimilarity(nb: Neighbors, valid?: Uint8Array): Float32Array {
  const out = new Float32Array(nb.n);
  for (let i = 0; i < nb.n; i++) {
    const j = nb.k > 0 ? nb.indices[i * nb.k] : -1;
    out[i] = j >= 0 && (!valid || valid[i] === 1) ? nb.scores[i * nb.k] : NaN;
  }
  return out;
}

/**
 * Row index of each row's nearest neighbour, -1 when none.
 */
export function nearestIndex(nb: Neighbors, valid?: Uint8Array): Int32Array {
  const out = new Int32Array(nb.n);
  for (let i = 0; i < nb.n; i++) {
    out[i] = nb.k > 0 && (!valid || valid[i] === 1) ? nb.indices[i * nb.k] : -1;
  }
  return out;
}

/**
 * Counts of samples at or above any threshold, from the sorted `max_similarity` values.
 * `count(t)` = samples whose nearest neighbour has similarity ≥ t = samples flagged at t by the
 * `components` grouping.
 */
export class ThresholdIndex {
  /** Finite max_similarity values, ascending. */
  readonly sorted: Float32Array;

  constructor(maxSim: ArrayLike<number>) {
    const vals: number[] = [];
    for (let i = 0; i < maxSim.length; i++) if (Number.isFinite(maxSim[i])) vals.push(maxSim[i]);
    this.sorted = Float32Array.from(vals).sort();
  }

  /** Number of samples with a valid max_similarity. */
  get size(): number {
    return this.sorted.length;
  }

  /** Samples with max_similarity ≥ t, in O(log N). */
  count(t: number): number {
    // Compare in float32, as the values are stored, so count(x) includes a value x exactly.
    const tf = Math.fround(t);
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.sorted[mid] < tf) lo = mid + 1;
      else hi = mid;
    }
    return this.sorted.length - lo;
  }

  /** The max_similarity value at quantile q ∈ [0, 1] (NaN when empty). */
  quantile(q: number): number {
    if (this.sorted.length === 0) return NaN;
    const i = Math.min(this.sorted.length - 1, Math.max(0, Math.round(q * (this.sorted.length - 1))));
    return this.sorted[i];
  }

  /** Counts at several thresholds, as rows for a table. */
  table(thresholds: number[]): Array<{ threshold: number; flagged: number; fraction: number }> {
    return thresholds.map((t) => {
      const flagged = this.count(t);
      return { threshold: t, flagged, fraction: this.size ? flagged / this.size : 0 };
    });
  }
}

/** Samples with max_similarity ≥ t (one-off; build a {@link ThresholdIndex} for repeated calls). */
export function countAtThreshold(maxSim: ArrayLike<number>, t: number): number {
  let c = 0;
  const tf = Math.fround(t);
  for (let i = 0; i < maxSim.length; i++) if (maxSim[i] >= tf) c++;
  return c;
}

/** A histogram as plain data: bin `i` covers `[edges[i], edges[i+1])`, the last bin is closed. */
export interface Histogram {
  edges: number[];
  counts: number[];
  /** Values that were NaN (skipped samples, no neighbour) and left out. */
  missing: number;
}

/**
 * Histogram of `values` (e.g. max_similarity) over `[min, max]` in `bins` equal bins.
 * Default range is the data's own range; values outside the range are clamped into the end bins.
 */
export function histogram(
  values: ArrayLike<number>,
  opts: { bins?: number; min?: number; max?: number } = {},
): Histogram {
  const bins = opts.bins ?? 50;
  if (!Number.isInteger(bins) || bins < 1) throw new NeardupError(`bins must be a positive integer, got ${bins}`);
  let lo = opts.min;
  let hi = opts.max;
  if (lo === undefined || hi === undefined) {
    let a = Infinity;
    let b = -Infinity;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (!Number.isFinite(v)) continue;
      if (v < a) a = v;
      if (v > b) b = v;
    }
    if (a === Infinity) { a = 0; b = 1; }
    lo = lo ?? a;
    hi = hi ?? b;
  }
  if (!(hi > lo)) hi = lo + 1e-6;
  const width = (hi - lo) / bins;
  const edges = Array.from({ length: bins + 1 }, (_, i) => lo! + i * width);
  edges[bins] = hi;
  const counts = new Array<number>(bins).fill(0);
  let missing = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) { missing++; continue; }
    let b = Math.floor((v - lo) / width);
    if (b < 0) b = 0;
    if (b >= bins) b = bins - 1;
    counts[b]++;
  }
  return { edges, counts, missing };
}

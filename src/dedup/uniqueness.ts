/**
 * Per-sample uniqueness from the k nearest neighbours; lower = more redundant.
 *
 * Formula (FiftyOne Brain-like): with s_j the cosine similarity to the j-th nearest neighbour and
 * d_j = sqrt(2 − 2·s_j) the Euclidean distance between the unit vectors,
 *
 *   raw_i = (0.6·d_1 + 0.3·d_2 + 0.1·d_3) / (sum of the weights used)
 *
 * (fewer than 3 neighbours: the available ones, weights renormalised), and
 * uniqueness_i = raw_i / max over valid samples of raw. So the most isolated sample scores 1 and a
 * sample with three or more exact copies scores 0; a sample with a single copy keeps the weight of its
 * 2nd and 3rd neighbours, so it scores above a sample in a large cluster of copies.
 */
import type { Neighbors } from '../types';

/** Weights of the 1st, 2nd and 3rd nearest neighbour distances. */
export const UNIQUENESS_WEIGHTS = [0.6, 0.3, 0.1] as const;

/** Uniqueness in [0, 1] per row; NaN for invalid rows (skipped, aliases); 1 for a valid row without neighbours. */
export function uniqueness(nb: Neighbors, valid?: Uint8Array): Float32Array {
  const { n, k, indices, scores } = nb;
  const raw = new Float32Array(n);
  let max = 0;
  const m = Math.min(k, UNIQUENESS_WEIGHTS.length);
  for (let i = 0; i < n; i++) {
    if (valid && valid[i] !== 1) { raw[i] = NaN; continue; }
    let sum = 0;
    let wsum = 0;
    for (let j = 0; j < m; j++) {
      if (indices[i * k + j] < 0) break;
      const s = Math.min(1, Math.max(-1, scores[i * k + j]));
      sum += UNIQUENESS_WEIGHTS[j] * Math.sqrt(2 - 2 * s);
      wsum += UNIQUENESS_WEIGHTS[j];
    }
    raw[i] = wsum > 0 ? sum / wsum : NaN;
    if (raw[i] > max) max = raw[i];
  }
  if (max > 0) for (let i = 0; i < n; i++) raw[i] = raw[i] / max;
  // A valid sample with no neighbour at all (the only embedded image) is as unique as can be.
  for (let i = 0; i < n; i++) if (Number.isNaN(raw[i]) && (!valid || valid[i] === 1)) raw[i] = 1;
  return raw;
}
